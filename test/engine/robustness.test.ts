import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HiveError } from '../../src/core/errors.js';
import { agentSpec, sleep, testHive, waitFinal, waitFor } from '../helpers/hive.js';

const isCode = (code: string) => (e: unknown) => e instanceof HiveError && e.code === code;

test('a cancelled attempt keeps its lock until its process is dead; a retry of the same task does not collide with it', async () => {
  const { hive, dir, cleanup } = await testHive({ killGraceMs: 400 });
  const marks = join(dir, 'marks');
  try {
    // ignores SIGTERM, so it dies only at SIGKILL, kill_grace after the cancel
    const cmd = `trap '' TERM; echo "start $HIVE_TASK_ID $HIVE_ATTEMPT $(date +%s%3N)" >> ${marks}; sleep 3; echo done`;
    await hive.registerAgent(agentSpec('stubborn', [], { kind: 'command', command: cmd }, 2, { workdir: join(dir, 'w') }));
    await hive.start();
    const a = await hive.enqueue({ title: 'a', locks: ['L'], maxAttempts: 3 });
    await waitFor(async () => (await hive.attempts(a.id)).some((x) => x.status === 'running' && x.pid), 5_000, 'a running');
    // the shell has set its trap once it wrote its mark; a cancel before that would kill it at SIGTERM
    await waitFor(() => existsSync(marks) && readFileSync(marks, 'utf8').includes('start'), 5_000, 'a mark');
    const b = await hive.enqueue({ title: 'b', locks: ['L'] });
    const cancelledAt = Date.now();
    await hive.cancel(a.id);
    await hive.retry(a.id); // the same task, queued again while attempt 1 is still dying
    await waitFor(() => readFileSync(marks, 'utf8').trim().split('\n').length >= 2, 5_000, 'a second start');
    const second = readFileSync(marks, 'utf8').trim().split('\n')[1].split(' ');
    assert.ok(Number(second[3]) >= cancelledAt + 350, `a task holding L started ${Number(second[3]) - cancelledAt}ms after the cancel, before the old process died`);
    await hive.cancel(Number(second[1]));
    const other = Number(second[1]) === a.id ? b.id : a.id;
    await waitFor(async () => (await hive.getTask(other)).status === 'running', 5_000, 'the other task');
    await hive.cancel(other);
    const attemptsOfA = await hive.attempts(a.id);
    assert.ok(attemptsOfA.every((x) => x.errorCode !== 'LEASE_EXPIRED'), 'no attempt was reaped by mistake');
  } finally {
    await cleanup();
  }
});

test('one unserialisable result fails only its own task; the reports committed with it stand', async () => {
  const { hive, cleanup } = await testHive({ inline: { bad: () => ({ n: 10n }), good: () => ({ ok: true }) } });
  try {
    await hive.registerAgent(agentSpec('bad', ['bad'], { kind: 'inline', fn: 'bad' }, 2));
    await hive.registerAgent(agentSpec('good', ['good'], { kind: 'inline', fn: 'good' }, 2));
    await hive.start();
    const ids = (await hive.submit([
      { title: 'b', capabilities: ['bad'], maxAttempts: 1 },
      { title: 'g1', capabilities: ['good'] },
      { title: 'g2', capabilities: ['good'] },
    ])).map((r) => r.task.id);
    await waitFinal(hive, ids);
    const [b, g1, g2] = await Promise.all(ids.map((id) => hive.getTask(id)));
    assert.equal(b.status, 'dead');
    assert.match(b.error ?? '', /^TASK_FAILED: the result of task \d+ is not JSON/);
    assert.equal(g1.status, 'completed');
    assert.equal(g2.status, 'completed');
  } finally {
    await cleanup();
  }
});

test('bad input through the API is VALIDATION_FAILED and changes nothing', async () => {
  const { hive, cleanup } = await testHive();
  try {
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await assert.rejects(hive.enqueue({ title: 'x', metadata: circular }), isCode('VALIDATION_FAILED'));
    await assert.rejects(hive.submit('nope' as never), isCode('VALIDATION_FAILED'));
    await assert.rejects(hive.listTasks({ limit: Number.NaN }), isCode('VALIDATION_FAILED'));
    await assert.rejects(hive.listTasks({ limit: 2.5 }), isCode('VALIDATION_FAILED'));
    await assert.rejects(hive.events(0, Number.NaN), isCode('VALIDATION_FAILED'));
    await assert.rejects(hive.requeueDead({ limit: -1 }), isCode('VALIDATION_FAILED'));
    await assert.rejects(hive.registerAgent(agentSpec('../evil', [], { kind: 'command', command: 'x' })), isCode('VALIDATION_FAILED'));
    await assert.rejects(hive.registerAgent({ ...agentSpec('a', [], { kind: 'command', command: 'x' }), capabilities: 'js' as never }), isCode('VALIDATION_FAILED'));
    await assert.rejects(hive.registerAgent(agentSpec('a', [], { kind: 'command', command: 'x' }, 0)), isCode('VALIDATION_FAILED'));
    await assert.rejects(hive.registerAgent(agentSpec('a', [], { kind: 'command', command: '' })), isCode('VALIDATION_FAILED'));
    assert.deepEqual(await hive.listTasks(), []);
    assert.deepEqual(await hive.listAgents(), []);
    assert.deepEqual(await hive.events(0, 100), []);
  } finally {
    await cleanup();
  }
});

test('dlq requeue of several ids is all or nothing', async () => {
  const { hive, cleanup } = await testHive({ inline: { no: () => { throw new Error('no'); } } });
  try {
    await hive.registerAgent(agentSpec('n', [], { kind: 'inline', fn: 'no' }));
    await hive.start();
    const dead = (await hive.submit([{ title: 'd1', maxAttempts: 1 }, { title: 'd2', maxAttempts: 1 }])).map((r) => r.task.id);
    await waitFinal(hive, dead);
    const alive = await hive.enqueue({ title: 'not dead', capabilities: ['nobody'] });
    await assert.rejects(hive.requeueDead({ ids: [...dead, alive.id] }), isCode('INVALID_TRANSITION'));
    for (const id of dead) assert.equal((await hive.getTask(id)).status, 'dead', 'nothing was requeued');
    await hive.stop({ drainMs: 0 });
    assert.deepEqual(await hive.requeueDead({ ids: dead }), dead);
    for (const id of dead) assert.equal((await hive.getTask(id)).status, 'queued');
  } finally {
    await cleanup();
  }
});

test('a throwing live listener does not crash the orchestrator', async () => {
  const errors: unknown[] = [];
  const { hive, dir, cleanup } = await testHive({ onError: (e) => errors.push(e) });
  try {
    await hive.registerAgent(agentSpec('talk', [], { kind: 'command', command: 'echo hi' }, 1, { workdir: join(dir, 'w') }));
    hive.onLive(() => {
      throw new Error('listener bug');
    });
    await hive.start();
    const t = await hive.enqueue({ title: 'talk' });
    await waitFinal(hive, [t.id]);
    assert.equal((await hive.getTask(t.id)).status, 'completed');
    await sleep(20);
    assert.ok(errors.some((e) => (e as Error).message === 'listener bug'));
  } finally {
    await cleanup();
  }
});
