import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HiveError } from '../../src/core/errors.js';
import { isProcessAlive } from '../../src/runtimes/process.js';
import { createHive } from '../../src/index.js';
import { agentSpec, allEvents, sleep, testHive, waitFinal, waitFor } from '../helpers/hive.js';

test('runs tasks end to end on an inline agent and records results and events', async () => {
  const { hive, cleanup } = await testHive({ inline: { echo: (task) => ({ echoed: task.prompt }) } });
  try {
    await hive.registerAgent(agentSpec('echoer', ['echo'], { kind: 'inline', fn: 'echo' }, 4));
    await hive.start();
    const results = await hive.submit(Array.from({ length: 20 }, (_, i) => ({ title: `t${i}`, prompt: `p${i}`, capabilities: ['echo'] })));
    const ids = results.map((r) => r.task.id);
    await waitFinal(hive, ids);
    for (const [i, id] of ids.entries()) {
      const t = await hive.getTask(id);
      assert.equal(t.status, 'completed');
      assert.deepEqual(t.result, { echoed: `p${i}` });
      assert.equal(t.agent, 'echoer');
      assert.equal(t.attempts, 1);
    }
    const events = await allEvents(hive);
    const completed = events.filter((e) => e.type === 'task.completed');
    assert.equal(completed.length, 20);
    for (let i = 1; i < events.length; i++) assert.ok(events[i].seq > events[i - 1].seq);
    const a = await hive.getAgent('echoer');
    assert.equal(a.done, 20);
    assert.equal(hive.stats.completed, 20);
  } finally {
    await cleanup();
  }
});

test('routes by capability; an unservable task waits with a visible reason until an agent appears', async () => {
  const { hive, cleanup } = await testHive({ inline: { ok: () => ({ ok: true }) } });
  try {
    await hive.registerAgent(agentSpec('py', ['python'], { kind: 'inline', fn: 'ok' }));
    await hive.registerAgent(agentSpec('js', ['js', 'review'], { kind: 'inline', fn: 'ok' }));
    await hive.start();
    const a = await hive.enqueue({ title: 'python work', capabilities: ['python'] });
    const b = await hive.enqueue({ title: 'review js', capabilities: ['review', 'js'] });
    const c = await hive.enqueue({ title: 'needs rust', capabilities: ['rust', 'review'] });
    await waitFinal(hive, [a.id, b.id]);
    assert.equal((await hive.getTask(a.id)).agent, 'py');
    assert.equal((await hive.getTask(b.id)).agent, 'js');
    await sleep(50);
    const waiting = await hive.getTask(c.id);
    assert.equal(waiting.status, 'queued');
    assert.equal(waiting.reason, 'no agent with capabilities [review, rust]');
    await hive.registerAgent(agentSpec('rusty', ['rust', 'review'], { kind: 'inline', fn: 'ok' }));
    await waitFinal(hive, [c.id]);
    assert.equal((await hive.getTask(c.id)).agent, 'rusty');
  } finally {
    await cleanup();
  }
});

test('retries a failed attempt with backoff, then completes; attempts are recorded', async () => {
  const { hive, cleanup } = await testHive({
    inline: {
      flaky: (_task, ctx) => {
        if (ctx.attempt < 3) throw new Error(`boom ${ctx.attempt}`);
        return { attempt: ctx.attempt };
      },
    },
  });
  try {
    await hive.registerAgent(agentSpec('f', [], { kind: 'inline', fn: 'flaky' }));
    await hive.start();
    const t = await hive.enqueue({ title: 'flaky', maxAttempts: 3, backoffMs: 20, backoffCapMs: 40 });
    await waitFinal(hive, [t.id]);
    const done = await hive.getTask(t.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.result, { attempt: 3 });
    const attempts = await hive.attempts(t.id);
    assert.deepEqual(attempts.map((x) => x.status), ['failed', 'failed', 'completed']);
    assert.equal(attempts[0].errorCode, 'TASK_FAILED');
    assert.match(attempts[0].error ?? '', /boom 1/);
  } finally {
    await cleanup();
  }
});

test('a task out of attempts goes dead, its dependents are cancelled, and requeue brings it back', async () => {
  let fail = true;
  const { hive, cleanup } = await testHive({
    inline: {
      maybe: () => {
        if (fail) throw new HiveError('TASK_FAILED', 'not yet');
        return 'ok';
      },
    },
  });
  try {
    await hive.registerAgent(agentSpec('m', [], { kind: 'inline', fn: 'maybe' }));
    await hive.start();
    const [root, child, grandchild] = (await hive.submit([
      { ref: 'r', title: 'root', maxAttempts: 2, backoffMs: 0 },
      { ref: 'c', title: 'child', dependsOn: ['r'] },
      { ref: 'g', title: 'grandchild', dependsOn: ['c'] },
    ])).map((r) => r.task);
    await waitFinal(hive, [root.id, child.id, grandchild.id]);
    const dead = await hive.getTask(root.id);
    assert.equal(dead.status, 'dead');
    assert.equal(dead.attempts, 2);
    assert.match(dead.reason ?? '', /TASK_FAILED: not yet \(after 2 attempts\)/);
    assert.equal((await hive.getTask(child.id)).status, 'cancelled');
    assert.match((await hive.getTask(grandchild.id)).reason ?? '', /DEPENDENCY_FAILED: dependency \d+ is cancelled/);
    assert.deepEqual((await hive.listTasks({ status: ['dead'] })).map((t) => t.id), [root.id]);
    // the dependents cannot be retried before their dependency
    await assert.rejects(hive.retry(child.id), (e: HiveError) => e.code === 'INVALID_TRANSITION' && /retry task \d+ first/.test(e.message));
    fail = false;
    assert.deepEqual(await hive.requeueDead(), [root.id]);
    await waitFinal(hive, [root.id]);
    assert.equal((await hive.getTask(root.id)).status, 'completed');
    assert.equal((await hive.getTask(root.id)).attempts, 3);
    await hive.retry(child.id);
    await hive.retry(grandchild.id);
    await waitFinal(hive, [child.id, grandchild.id]);
    assert.equal((await hive.getTask(grandchild.id)).status, 'completed');
  } finally {
    await cleanup();
  }
});

test('dependencies: a task starts only after all of its dependencies completed', async () => {
  const order: string[] = [];
  const { hive, cleanup } = await testHive({
    inline: {
      rec: async (task) => {
        order.push(`start ${task.title}`);
        await sleep(task.title === 'a' ? 60 : 5);
        order.push(`end ${task.title}`);
      },
    },
  });
  try {
    await hive.registerAgent(agentSpec('r', [], { kind: 'inline', fn: 'rec' }, 4));
    await hive.start();
    const ids = (await hive.submit([
      { ref: 'a', title: 'a' },
      { ref: 'b', title: 'b' },
      { ref: 'c', title: 'c', dependsOn: ['a', 'b'] },
    ])).map((r) => r.task.id);
    await waitFinal(hive, ids);
    assert.ok(order.indexOf('start c') > order.indexOf('end a'));
    assert.ok(order.indexOf('start c') > order.indexOf('end b'));
  } finally {
    await cleanup();
  }
});

test('locks: tasks sharing a lock never run at once; others run in parallel', async () => {
  let inLock = 0;
  let maxInLock = 0;
  let running = 0;
  let maxRunning = 0;
  const { hive, cleanup } = await testHive({
    inline: {
      work: async (task) => {
        const locked = task.locks.includes('db');
        running++;
        maxRunning = Math.max(maxRunning, running);
        if (locked) maxInLock = Math.max(maxInLock, ++inLock);
        await sleep(30);
        if (locked) inLock--;
        running--;
      },
    },
  });
  try {
    await hive.registerAgent(agentSpec('w', [], { kind: 'inline', fn: 'work' }, 6));
    await hive.start();
    const ids = (await hive.submit([
      ...Array.from({ length: 4 }, (_, i) => ({ title: `locked ${i}`, locks: ['db'] })),
      ...Array.from({ length: 4 }, (_, i) => ({ title: `free ${i}` })),
    ])).map((r) => r.task.id);
    await waitFinal(hive, ids);
    assert.equal(maxInLock, 1);
    assert.ok(maxRunning >= 2, `expected parallel work, max running ${maxRunning}`);
  } finally {
    await cleanup();
  }
});

test('priority: critical > high > medium > low, FIFO within a priority', async () => {
  const order: string[] = [];
  const { hive, cleanup } = await testHive({ inline: { rec: (task) => void order.push(task.title) } });
  try {
    await hive.submit([
      { title: 'low1', priority: 'low' },
      { title: 'med1', priority: 'medium' },
      { title: 'crit1', priority: 'critical' },
      { title: 'high1', priority: 'high' },
      { title: 'med2', priority: 'medium' },
      { title: 'crit2', priority: 'critical' },
    ]);
    await hive.registerAgent(agentSpec('one', [], { kind: 'inline', fn: 'rec' }, 1));
    await hive.start();
    await waitFor(() => order.length === 6, 5_000, 'six tasks');
    assert.deepEqual(order, ['crit1', 'crit2', 'high1', 'med1', 'med2', 'low1']);
  } finally {
    await cleanup();
  }
});

test('idempotency key: the same key returns the same task', async () => {
  const { hive, cleanup } = await testHive();
  try {
    const a = await hive.enqueue({ title: 'once', idempotencyKey: 'k-1' });
    const b = await hive.enqueue({ title: 'once again', idempotencyKey: 'k-1' });
    assert.equal(a.id, b.id);
    assert.equal((await hive.listTasks()).length, 1);
  } finally {
    await cleanup();
  }
});

test('schedule timeout: a task no agent can serve goes dead with the reason', async () => {
  const { hive, cleanup } = await testHive();
  try {
    await hive.start();
    const t = await hive.enqueue({ title: 'orphan', capabilities: ['cobol'], scheduleTimeoutMs: 100 });
    await waitFinal(hive, [t.id], 5_000);
    const dead = await hive.getTask(t.id);
    assert.equal(dead.status, 'dead');
    assert.match(dead.reason ?? '', /^SCHEDULE_TIMEOUT: not started within 100ms \(no agent with capabilities \[cobol\]\)/);
  } finally {
    await cleanup();
  }
});

test('cancel kills the running process group of a command agent', async () => {
  const { hive, dir, cleanup } = await testHive();
  try {
    await hive.registerAgent(agentSpec('sleeper', [], { kind: 'command', command: 'sleep 30 & sleep 30; wait' }, 1, { workdir: join(dir, 'w') }));
    await hive.start();
    const t = await hive.enqueue({ title: 'long' });
    let pid = 0;
    await waitFor(async () => {
      const [a] = (await hive.attempts(t.id)).filter((x) => x.status === 'running');
      pid = a?.pid ?? 0;
      return pid > 0;
    }, 5_000, 'the process to start');
    assert.ok(isProcessAlive(pid, null));
    const c = await hive.cancel(t.id);
    assert.equal(c.status, 'cancelled');
    await waitFor(() => !isProcessAlive(pid, null), 3_000, 'the process group to die');
    let groupAlive = true;
    await waitFor(() => {
      try {
        process.kill(-pid, 0);
      } catch {
        groupAlive = false;
      }
      return !groupAlive;
    }, 3_000, 'the background child to die');
    await assert.rejects(hive.cancel(t.id), (e: HiveError) => e.code === 'INVALID_TRANSITION');
    const [attempt] = await hive.attempts(t.id);
    assert.equal(attempt.status, 'cancelled');
  } finally {
    await cleanup();
  }
});

test('stop drains running attempts; with drainMs 0 they are aborted and retried by the next start', async () => {
  const t = await testHive({ inline: { slow: async (_task, ctx) => { await sleep(150); if (ctx.signal.aborted) throw ctx.signal.reason; return 'done'; } } });
  try {
    await t.hive.registerAgent(agentSpec('s', [], { kind: 'inline', fn: 'slow' }));
    await t.hive.start();
    const a = await t.hive.enqueue({ title: 'drained' });
    await waitFor(async () => (await t.hive.getTask(a.id)).status === 'running', 2_000, 'running');
    await t.hive.stop();
    assert.equal((await t.hive.getTask(a.id)).status, 'completed');
  } finally {
    await t.cleanup();
  }
  const u = await testHive({ inline: { slow: async (_task, ctx) => new Promise((_r, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))) } });
  try {
    await u.hive.registerAgent(agentSpec('s', [], { kind: 'inline', fn: 'slow' }));
    await u.hive.start();
    const b = await u.hive.enqueue({ title: 'aborted', backoffMs: 0 });
    await waitFor(async () => (await u.hive.getTask(b.id)).status === 'running', 2_000, 'running');
    await u.hive.stop({ drainMs: 0 });
    const after = await u.hive.getTask(b.id);
    assert.equal(after.status, 'queued');
    assert.match(after.error ?? '', /^SHUTDOWN/);
  } finally {
    await u.cleanup();
  }
});

test('a second orchestrator on the same data dir is refused with ALREADY_RUNNING', async () => {
  const { hive, dir, cleanup } = await testHive();
  try {
    await hive.start();
    const other = await createHive({ dataDir: join(dir, 'data') });
    try {
      await assert.rejects(other.start(), (e: HiveError) => e.code === 'ALREADY_RUNNING');
    } finally {
      await other.store.close();
    }
  } finally {
    await cleanup();
  }
});

test('timeouts: the task timeout wins, else the agent limit, else the default; a timed-out attempt is TIMEOUT', async () => {
  const { hive, dir, cleanup } = await testHive({ taskDefaults: { timeoutMs: 60_000 } });
  try {
    await hive.registerAgent(agentSpec('slow', [], { kind: 'command', command: 'sleep 5' }, 2, { workdir: join(dir, 'w'), limits: { timeoutMs: 200, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 } }));
    await hive.start();
    const byAgent = await hive.enqueue({ title: 'agent limit', maxAttempts: 1 });
    const byTask = await hive.enqueue({ title: 'task timeout', maxAttempts: 1, timeoutMs: 100 });
    await waitFinal(hive, [byAgent.id, byTask.id], 5_000);
    for (const id of [byAgent.id, byTask.id]) {
      const t = await hive.getTask(id);
      assert.equal(t.status, 'dead');
      assert.match(t.error ?? '', /^TIMEOUT: /);
    }
    const [a] = await hive.attempts(byAgent.id);
    const [b] = await hive.attempts(byTask.id);
    assert.ok(a.finishedAt! - a.startedAt >= 200 && a.finishedAt! - a.startedAt < 4_000, `agent limit: ran ${a.finishedAt! - a.startedAt}ms`);
    assert.ok(b.finishedAt! - b.startedAt < a.finishedAt! - a.startedAt + 1_000);
  } finally {
    await cleanup();
  }
});

test('an agent resumed from maintenance by another process takes tasks again', async () => {
  const { hive, dir, cleanup } = await testHive({ inline: { ok: () => 'ok' } });
  try {
    await hive.registerAgent(agentSpec('m', [], { kind: 'inline', fn: 'ok' }));
    await hive.start();
    const cli = await createHive({ dataDir: join(dir, 'data') });
    try {
      await cli.setMaintenance('m', true);
      await waitFor(async () => (await hive.getAgent('m')).status === 'maintenance', 2_000, 'maintenance');
      const t = await cli.enqueue({ title: 'waits' });
      await sleep(100);
      assert.equal((await hive.getTask(t.id)).status, 'queued');
      await cli.setMaintenance('m', false);
      await waitFinal(hive, [t.id], 3_000);
      assert.equal((await hive.getAgent('m')).status, 'active');
    } finally {
      await cli.store.close();
    }
  } finally {
    await cleanup();
  }
});
