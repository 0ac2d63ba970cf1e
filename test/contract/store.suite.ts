/**
 * The Store conformance suite: every Store adapter (SQLite now, PostgreSQL later) runs it unchanged.
 * It speaks only through the port, in domain terms — never SQL — and uses injected times (plain numbers),
 * so every expectation is exact and nothing sleeps.
 *
 * The factory receives `random`, the source of backoff jitter; an adapter must use it (its default is a
 * fixed 0.5 so every retry time is known in advance).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_OPTIONS } from '../../src/core/options.js';
import type { SlotOffer } from '../../src/core/routing.js';
import type { AgentSpec, Claim, Completion, Failure, NewTask, NodeInfo, Store } from '../../src/core/store.js';
import { resolveTaskInput, type TaskInput } from '../../src/core/task-input.js';
import { TASK_STATUSES, type Agent, type HiveEvent, type Task } from '../../src/core/types.js';
import type { ErrorCode } from '../../src/core/errors.js';
import { parseWorkflowDefinition } from '../../src/core/workflow-def.js';
import { STEP_STATUSES, WORKFLOW_LIMITS, type RunStep, type StepStatus, type Workflow, type WorkflowRun } from '../../src/core/workflow.js';
import { FEATURE } from '../fixtures/feature-workflow.js';

export interface StoreFactoryOptions {
  /** Randomness for backoff jitter, in [0, 1). */
  random?: () => number;
}

export type MakeStore = (opts?: StoreFactoryOptions) => Promise<{ store: Store; cleanup: () => Promise<void> }>;

const LEASE = 30_000;
const NO_USAGE = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0 });

// ------------------------------------------------------------------ builders

const input = (t: TaskInput): NewTask => resolveTaskInput(t, DEFAULT_OPTIONS.taskDefaults);

function spec(name: string, capabilities: string[], slots = 1, extra: Partial<AgentSpec> = {}): AgentSpec {
  return {
    name,
    role: 'coder',
    capabilities,
    runtime: { kind: 'command', command: ['echo', '{prompt}'] },
    slots,
    env: { FOO: 'bar' },
    workdir: null,
    limits: { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 },
    ...extra,
  };
}

function offer(agent: Agent, free = agent.slots - agent.running, recentFailures = agent.recentFailures): SlotOffer {
  return { agentId: agent.id, name: agent.name, capabilities: new Set(agent.capabilities), free, recentFailures };
}

function done(result: unknown = { ok: true }, extra: Partial<Completion> = {}): Completion {
  return { result, output: 'done', usage: { ...NO_USAGE }, exitCode: 0, ...extra };
}

function failure(code = 'TASK_FAILED', message = 'exit status 1', extra: Partial<Failure> = {}): Failure {
  return { code, message, exitCode: 1, signal: null, usage: { ...NO_USAGE }, output: null, ...extra };
}

/** Asserts that `p` rejects with a HiveError of `code` (and, if given, a message matching every pattern). */
async function rejectsWith(p: Promise<unknown>, code: ErrorCode, ...patterns: (RegExp | string)[]): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    const e = err as { name?: string; code?: string; message?: string };
    assert.equal(e.name, 'HiveError', `expected a HiveError, got ${String(err)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    for (const pat of patterns) {
      if (typeof pat === 'string') assert.ok(e.message!.includes(pat), `message ${JSON.stringify(e.message)} should name ${pat}`);
      else assert.match(e.message!, pat);
    }
    return true;
  });
}

const sortNum = (xs: readonly number[]): number[] => [...xs].sort((a, b) => a - b);

export function runStoreSuite(name: string, makeStore: MakeStore): void {
  /** Runs `fn` on a fresh store; jitter is a fixed 0.5 unless `random` is given. */
  const withStore = async (fn: (store: Store) => Promise<void>, opts: StoreFactoryOptions = {}): Promise<void> => {
    const { store, cleanup } = await makeStore({ random: () => 0.5, ...opts });
    try {
      await fn(store);
    } finally {
      await cleanup();
    }
  };
  const test = (title: string, fn: (store: Store) => Promise<void>, opts?: StoreFactoryOptions): void => {
    it(title, () => withStore(fn, opts));
  };

  // -------------------------------------------------------------- helpers bound to a store

  async function enqueue(store: Store, tasks: TaskInput[], now: number): Promise<Task[]> {
    return (await store.enqueue(tasks.map(input), now)).map((r) => r.task);
  }
  async function one(store: Store, t: TaskInput, now: number): Promise<Task> {
    return (await enqueue(store, [t], now))[0];
  }
  async function agent(store: Store, nameOf: string, caps: string[], slots = 1, now = 0): Promise<Agent> {
    return store.registerAgent(spec(nameOf, caps, slots), now);
  }
  /** Claims with one offer of `free` slots (default: all the agent's free slots). */
  async function claimOn(store: Store, nameOf: string, now: number, free?: number, leaseMs = LEASE): Promise<Claim[]> {
    const a = await store.getAgent(nameOf);
    return store.claim([offer(a, free)], now, leaseMs);
  }
  async function status(store: Store, id: number): Promise<Task['status']> {
    return (await store.getTask(id)).status;
  }
  async function eventsAfter(store: Store, seq: number, filter?: { types?: string[]; subject?: string }): Promise<HiveEvent[]> {
    return store.readEvents(seq, 10_000, filter);
  }
  /** Claims exactly one task on `agentName` (one slot offered) and returns the claim. */
  async function runOne(store: Store, agentName: string, now: number, leaseMs = LEASE): Promise<Claim> {
    const c = await claimOn(store, agentName, now, 1, leaseMs);
    assert.equal(c.length, 1, 'expected one claim');
    return c[0];
  }

  describe(`Store contract: ${name}`, () => {
    // ============================================================ enqueue
    describe('enqueue', () => {
      test('gives each task an id and a status (queued, or pending with dependencies), one task.enqueued event each', async (store) => {
        const seq0 = await store.lastEventSeq();
        const [r] = await store.enqueue(
          [input({ title: ' build ', prompt: 'make it', priority: 'high', capabilities: ['py', 'backend', 'py'], locks: ['repo'], maxAttempts: 5, metadata: { k: 1 } })],
          1000,
        );
        assert.equal(r.created, true);
        const a = r.task;
        assert.ok(Number.isSafeInteger(a.id) && a.id > 0);
        assert.equal(a.title, 'build');
        assert.equal(a.prompt, 'make it');
        assert.equal(a.type, 'task');
        assert.equal(a.priority, 'high');
        assert.deepEqual(a.capabilities, ['backend', 'py']);
        assert.deepEqual(a.locks, ['repo']);
        assert.deepEqual(a.dependsOn, []);
        assert.equal(a.status, 'queued');
        assert.equal(a.attempts, 0);
        assert.deepEqual(a.retry, { maxAttempts: 5, backoffMs: 1000, backoffCapMs: 300_000 });
        assert.equal(a.scheduleTimeoutMs, DEFAULT_OPTIONS.taskDefaults.scheduleTimeoutMs);
        assert.equal(a.idempotencyKey, null);
        assert.equal(a.agent, null);
        assert.equal(a.result, null);
        assert.deepEqual(a.usage, NO_USAGE);
        assert.deepEqual(a.metadata, { k: 1 });
        assert.equal(a.createdAt, 1000);
        assert.equal(a.updatedAt, 1000);
        assert.equal(a.startedAt, null);
        assert.equal(a.finishedAt, null);
        assert.equal(a.leaseUntil, null);
        assert.deepEqual(await store.getTask(a.id), a);

        const b = await one(store, { title: 'after build', dependsOn: [a.id] }, 1001);
        assert.ok(b.id > a.id, 'ids increase');
        assert.equal(b.status, 'pending');
        assert.deepEqual(b.dependsOn, [a.id]);

        const evs = await eventsAfter(store, seq0);
        assert.deepEqual(evs.map((e) => [e.type, e.subject, e.time, e.data.status]), [
          ['task.enqueued', `task:${a.id}`, 1000, 'queued'],
          ['task.enqueued', `task:${b.id}`, 1001, 'pending'],
        ]);
        assert.equal(evs[0].data.title, 'build');
      });

      test('a batch gives distinct ids in one call; getTask of an unknown id is TASK_NOT_FOUND', async (store) => {
        const ts = await enqueue(store, [{ title: 'a' }, { title: 'b' }, { title: 'c' }], 5);
        assert.equal(new Set(ts.map((t) => t.id)).size, 3);
        assert.deepEqual(ts.map((t) => t.title), ['a', 'b', 'c']);
        for (const t of ts) assert.deepEqual(await store.getTask(t.id), t);
        await rejectsWith(store.getTask(Math.max(...ts.map((t) => t.id)) + 1000), 'TASK_NOT_FOUND');
      });

      test('an idempotency key returns the same task with created: false and appends no event', async (store) => {
        const [first] = await store.enqueue([input({ title: 'one', idempotencyKey: 'deploy-42' })], 1000);
        assert.equal(first.created, true);
        assert.equal(first.task.idempotencyKey, 'deploy-42');
        const seq = await store.lastEventSeq();
        const [again] = await store.enqueue([input({ title: 'two', idempotencyKey: 'deploy-42' })], 2000);
        assert.equal(again.created, false);
        assert.equal(again.task.id, first.task.id);
        assert.equal(again.task.title, 'one');
        assert.equal(again.task.createdAt, 1000);
        assert.equal(await store.lastEventSeq(), seq, 'no event for a duplicate');
        assert.equal((await store.listTasks({})).length, 1);

        // twice in one batch: one task
        const r = await store.enqueue([input({ title: 'x', idempotencyKey: 'k2' }), input({ title: 'y', idempotencyKey: 'k2' })], 3000);
        assert.deepEqual(r.map((x) => x.created), [true, false]);
        assert.equal(r[1].task.id, r[0].task.id);
        assert.equal((await eventsAfter(store, seq, { types: ['task.enqueued'] })).length, 1);
        assert.equal((await store.listTasks({})).length, 2);
      });

      test('tasks in one call depend on each other by ref, in any order', async (store) => {
        const base = await one(store, { title: 'base' }, 1);
        const seq = await store.lastEventSeq();
        const r = await store.enqueue(
          [
            input({ ref: 'deploy', title: 'deploy', dependsOn: ['test', 'build'] }),
            input({ ref: 'build', title: 'build', dependsOn: [base.id] }),
            input({ ref: 'test', title: 'test', dependsOn: ['build'] }),
            input({ ref: 'lint', title: 'lint' }),
          ],
          1000,
        );
        const [deploy, build, test, lint] = r.map((x) => x.task);
        assert.ok(r.every((x) => x.created));
        assert.deepEqual([deploy.title, build.title, test.title, lint.title], ['deploy', 'build', 'test', 'lint']);
        assert.deepEqual(build.dependsOn, [base.id]);
        assert.deepEqual(test.dependsOn, [build.id]);
        assert.deepEqual(sortNum(deploy.dependsOn), sortNum([test.id, build.id]));
        assert.deepEqual([deploy.status, build.status, test.status, lint.status], ['pending', 'pending', 'pending', 'queued']);
        assert.equal((await eventsAfter(store, seq, { types: ['task.enqueued'] })).length, 4);
      });

      test('a dependency on an unknown id or ref is DEPENDENCY_NOT_FOUND and writes nothing', async (store) => {
        const a = await one(store, { title: 'a' }, 1);
        const seq = await store.lastEventSeq();
        const missing = a.id + 1000;
        await rejectsWith(store.enqueue([input({ title: 'fine' }), input({ title: 'bad', dependsOn: [missing] })], 2), 'DEPENDENCY_NOT_FOUND', String(missing));
        await rejectsWith(store.enqueue([input({ ref: 'x', title: 'fine' }), input({ title: 'bad', dependsOn: ['x', 'nope'] })], 3), 'DEPENDENCY_NOT_FOUND', 'nope');
        assert.equal(await store.lastEventSeq(), seq);
        assert.deepEqual((await store.listTasks({})).map((t) => t.id), [a.id]);
      });

      test('a cycle among refs is DEPENDENCY_CYCLE naming the cycle, and writes nothing', async (store) => {
        const seq = await store.lastEventSeq();
        await assert.rejects(
          store.enqueue(
            [
              input({ ref: 'delta', title: 'd', dependsOn: ['alpha'] }),
              input({ ref: 'alpha', title: 'a', dependsOn: ['gamma'] }),
              input({ ref: 'beta', title: 'b', dependsOn: ['alpha'] }),
              input({ ref: 'gamma', title: 'c', dependsOn: ['beta'] }),
            ],
            1,
          ),
          (err: { code?: string; message: string }) => {
            assert.equal(err.code, 'DEPENDENCY_CYCLE');
            for (const r of ['alpha', 'beta', 'gamma']) assert.ok(err.message.includes(r), `${err.message} names ${r}`);
            assert.ok(!err.message.includes('delta'), `${err.message} names only the cycle`);
            return true;
          },
        );
        await rejectsWith(store.enqueue([input({ ref: 'self', title: 's', dependsOn: ['self'] })], 2), 'DEPENDENCY_CYCLE', 'self');
        assert.equal(await store.lastEventSeq(), seq);
        assert.equal((await store.listTasks({})).length, 0);
      });

      test('a task depending on a dead or cancelled task is cancelled at once with a DEPENDENCY_FAILED reason', async (store) => {
        await agent(store, 'A', []);
        const doomed = await one(store, { title: 'doomed', maxAttempts: 1 }, 1);
        const c = await runOne(store, 'A', 2);
        assert.equal(await store.fail(doomed.id, c.attempt, failure(), 3), 'dead');
        const gone = await one(store, { title: 'gone' }, 4);
        await store.cancel(gone.id, 'not needed', 5);

        const seq = await store.lastEventSeq();
        const [onDead, onCancelled] = await store.enqueue([input({ title: 'child1', dependsOn: [doomed.id] }), input({ title: 'child2', dependsOn: [gone.id] })], 6);
        assert.equal(onDead.created, true);
        assert.equal(onDead.task.status, 'cancelled');
        assert.match(onDead.task.reason ?? '', /DEPENDENCY_FAILED/);
        assert.ok(onDead.task.reason!.includes(String(doomed.id)));
        assert.equal(onCancelled.task.status, 'cancelled');
        assert.match(onCancelled.task.reason ?? '', /DEPENDENCY_FAILED/);
        assert.ok(onCancelled.task.reason!.includes(String(gone.id)));
        const evs = await eventsAfter(store, seq, { subject: `task:${onDead.task.id}` });
        assert.deepEqual(evs.map((e) => e.type), ['task.enqueued', 'task.cancelled']);
        assert.equal((await claimOn(store, 'A', 7)).length, 0, 'nothing to run');
      });
    });

    // ============================================================ claim and routing
    describe('claim and routing', () => {
      test('a task runs only on an agent holding all its capabilities', async (store) => {
        const [py, both, none] = await enqueue(store, [{ title: 'py', capabilities: ['py'] }, { title: 'both', capabilities: ['py', 'review'] }, { title: 'none' }], 1);
        await agent(store, 'pyAgent', ['py'], 5);
        await agent(store, 'reviewer', ['review'], 5);
        await agent(store, 'full', ['review', 'py', 'go'], 5);

        const c1 = await claimOn(store, 'pyAgent', 2);
        assert.deepEqual(sortNum(c1.map((c) => c.task.id)), sortNum([py.id, none.id]));
        assert.ok(c1.every((c) => c.agentName === 'pyAgent'));
        assert.equal((await claimOn(store, 'reviewer', 3)).length, 0, 'review alone is not enough');
        assert.equal(await status(store, both.id), 'queued');
        const c2 = await claimOn(store, 'full', 4);
        assert.deepEqual(c2.map((c) => [c.task.id, c.agentName]), [[both.id, 'full']]);
      });

      test('an agent in maintenance (or removed) gets nothing even if offered: the store is the truth', async (store) => {
        await enqueue(store, [{ title: 'a' }], 1);
        const m = await agent(store, 'paused', [], 2);
        await store.setAgentStatus('paused', 'maintenance', 2);
        assert.equal((await store.claim([offer(m, 2, 0)], 3, LEASE)).length, 0);
        await store.setAgentStatus('paused', 'active', 4);
        assert.equal((await store.claim([offer(m, 2, 0)], 5, LEASE)).length, 1);
      });

      test('the least-loaded agent wins: most free slots, then fewest recent failures', async (store) => {
        const A = await agent(store, 'A', ['x'], 4);
        const B = await agent(store, 'B', ['x'], 4);
        const take = async (now: number, offers: SlotOffer[]): Promise<string> => {
          await one(store, { title: `t${now}`, capabilities: ['x'] }, now);
          const c = await store.claim(offers, now, LEASE);
          assert.equal(c.length, 1);
          return c[0].agentName;
        };
        assert.equal(await take(1, [offer(A, 2, 0), offer(B, 3, 5)]), 'B', 'more free slots wins over failures');
        assert.equal(await take(2, [offer(A, 3, 2), offer(B, 3, 0)]), 'B', 'equal slots: fewer recent failures');
        assert.equal(await take(3, [offer(A, 3, 0), offer(B, 3, 1)]), 'A');
        // spread over equally free agents
        await enqueue(store, [1, 2, 3, 4].map((i) => ({ title: `s${i}`, capabilities: ['x'] })), 4);
        const c = await store.claim([offer(A, 2, 0), offer(B, 2, 0)], 5, LEASE);
        assert.equal(c.length, 4);
        assert.equal(c.filter((x) => x.agentName === 'A').length, 2);
        assert.equal(c.filter((x) => x.agentName === 'B').length, 2);
      });

      test('priority critical > high > medium > low, FIFO within a priority', async (store) => {
        await agent(store, 'A', [], 10);
        const ts = await enqueue(
          store,
          [
            { title: 'low1', priority: 'low' },
            { title: 'medium1', priority: 'medium' },
            { title: 'critical1', priority: 'critical' },
            { title: 'high1', priority: 'high' },
            { title: 'critical2', priority: 'critical' },
            { title: 'low2', priority: 'low' },
          ],
          1,
        );
        const byTitle = new Map(ts.map((t) => [t.title, t.id]));
        const first = await claimOn(store, 'A', 2, 3);
        assert.deepEqual(sortNum(first.map((c) => c.task.id)), sortNum(['critical1', 'critical2', 'high1'].map((t) => byTitle.get(t)!)));
        const order: string[] = [];
        for (let i = 0; i < 4; i++) order.push(...(await claimOn(store, 'A', 3 + i, 1)).map((c) => c.task.title));
        assert.deepEqual(order, ['medium1', 'low1', 'low2']);
      });

      test('FIFO within a priority across calls, one slot at a time', async (store) => {
        await agent(store, 'A', [], 1);
        const ts: Task[] = [];
        for (let i = 0; i < 5; i++) ts.push(await one(store, { title: `t${i}`, priority: i % 2 ? 'high' : 'medium' }, 10 + i));
        const order: number[] = [];
        for (let i = 0; i < 5; i++) {
          const c = await runOne(store, 'A', 100 + i);
          order.push(c.task.id);
          await store.complete(c.task.id, c.attempt, done(), 100 + i);
        }
        assert.deepEqual(order, [ts[1].id, ts[3].id, ts[0].id, ts[2].id, ts[4].id]);
      });

      test('many tasks are claimed for many slots in one call, each starting attempt 1 with a lease', async (store) => {
        const ts = await enqueue(store, Array.from({ length: 50 }, (_, i) => ({ title: `t${i}` })), 1);
        const agents = [await agent(store, 'A', [], 10), await agent(store, 'B', [], 10), await agent(store, 'C', [], 10)];
        const seq = await store.lastEventSeq();
        const claims = await store.claim(agents.map((a) => offer(a)), 5000, LEASE);
        assert.equal(claims.length, 30);
        assert.equal(new Set(claims.map((c) => c.task.id)).size, 30);
        assert.deepEqual(sortNum(claims.map((c) => c.task.id)), sortNum(ts.slice(0, 30).map((t) => t.id)), 'the oldest 30');
        for (const a of agents) assert.equal(claims.filter((c) => c.agentId === a.id && c.agentName === a.name).length, 10);
        for (const c of claims) {
          assert.equal(c.attempt, 1);
          assert.equal(c.task.status, 'running');
          assert.equal(c.task.attempts, 1);
          assert.equal(c.task.agent, c.agentName);
          assert.equal(c.task.startedAt, 5000);
          assert.equal(c.task.leaseUntil, 5000 + LEASE);
          assert.deepEqual(await store.getTask(c.task.id), c.task);
        }
        const counts = await store.counts();
        assert.equal(counts.tasks.running, 30);
        assert.equal(counts.tasks.queued, 20);
        const started = await eventsAfter(store, seq);
        assert.equal(started.length, 30);
        assert.ok(started.every((e) => e.type === 'task.started' && e.data.attempt === 1));
        assert.equal((await store.listAgents()).reduce((n, a) => n + a.running, 0), 30);
      });

      test('two tasks sharing a lock never run together; the second is claimable once the first completes or fails', async (store) => {
        await agent(store, 'A', [], 10);
        await agent(store, 'B', [], 10);
        const [t1, t2, t3, t4] = await enqueue(store, [{ title: 't1', locks: ['repo'] }, { title: 't2', locks: ['repo', 'db'] }, { title: 't3', locks: ['other'] }, { title: 't4' }], 1);
        const all = async (now: number): Promise<Claim[]> => store.claim([offer(await store.getAgent('A')), offer(await store.getAgent('B'))], now, LEASE);
        const c1 = await all(2);
        assert.deepEqual(sortNum(c1.map((c) => c.task.id)), sortNum([t1.id, t3.id, t4.id]));
        assert.equal(await status(store, t2.id), 'queued');
        assert.equal((await all(3)).length, 0, 'the lock is still held');
        await store.complete(t1.id, 1, done(), 4);
        const c2 = await all(5);
        assert.deepEqual(c2.map((c) => c.task.id), [t2.id]);

        // a failure releases the lock too
        const [t5, t6] = await enqueue(store, [{ title: 't5', locks: ['x'], maxAttempts: 1 }, { title: 't6', locks: ['x'] }], 6);
        assert.deepEqual((await all(7)).map((c) => c.task.id), [t5.id]);
        assert.equal((await all(8)).length, 0);
        assert.equal(await store.fail(t5.id, 1, failure(), 9), 'dead');
        assert.deepEqual((await all(10)).map((c) => c.task.id), [t6.id]);
        // a lock held by t2 (db) still blocks
        const t7 = await one(store, { title: 't7', locks: ['db'] }, 11);
        assert.equal((await all(12)).length, 0);
        await store.complete(t2.id, 1, done(), 13);
        assert.deepEqual((await all(14)).map((c) => c.task.id), [t7.id]);
      });

      test('a free task behind many lock-blocked tasks of the same priority is still claimed', async (store) => {
        await agent(store, 'A', [], 3);
        const locked = await enqueue(store, Array.from({ length: 200 }, (_, i) => ({ title: `l${i}`, locks: ['L'] })), 1);
        const free1 = await one(store, { title: 'free1' }, 2);
        const c = await claimOn(store, 'A', 3, 2);
        assert.deepEqual(sortNum(c.map((x) => x.task.id)), sortNum([locked[0].id, free1.id]));
        // while L is held, a newcomer still gets through 199 blocked tasks
        const free2 = await one(store, { title: 'free2' }, 4);
        assert.deepEqual((await claimOn(store, 'A', 5, 1)).map((x) => x.task.id), [free2.id]);
        assert.equal((await claimOn(store, 'A', 6, 3)).length, 0, 'every other task waits for L');
        await store.complete(locked[0].id, 1, done(), 7);
        assert.deepEqual((await claimOn(store, 'A', 8, 3)).map((x) => x.task.id), [locked[1].id]);
      });

      test('a task no registered agent can run stays queued with a reason that follows agent registration', async (store) => {
        const t = await one(store, { title: 'gpu work', capabilities: ['py', 'gpu'] }, 1);
        assert.equal(t.status, 'queued');
        assert.equal(t.reason, 'no agent with capabilities [gpu, py]');
        await agent(store, 'pyOnly', ['py'], 1, 2);
        assert.equal((await store.getTask(t.id)).reason, 'no agent with capabilities [gpu, py]');
        await agent(store, 'gpuBox', ['py', 'gpu', 'cuda'], 1, 3);
        const served = await store.getTask(t.id);
        assert.equal(served.status, 'queued');
        assert.equal(served.reason, null);
        const t2 = await one(store, { title: 'more gpu work', capabilities: ['gpu'] }, 4);
        assert.equal(t2.reason, null);
        await store.removeAgent('gpuBox', 5);
        assert.equal((await store.getTask(t.id)).reason, 'no agent with capabilities [gpu, py]');
        assert.equal((await store.getTask(t2.id)).reason, 'no agent with capabilities [gpu]');
        // updating an agent's definition counts too
        await store.registerAgent(spec('pyOnly', ['py', 'gpu'], 1), 6);
        assert.equal((await store.getTask(t.id)).reason, null);
        assert.equal((await store.getTask(t2.id)).reason, null);
        assert.equal(await status(store, t.id), 'queued');
      });

      test('no offers, or offers with no free slot, claim nothing', async (store) => {
        const A = await agent(store, 'A', [], 2);
        await one(store, { title: 't' }, 1);
        assert.deepEqual(await store.claim([], 2, LEASE), []);
        assert.deepEqual(await store.claim([offer(A, 0)], 2, LEASE), []);
        assert.equal((await store.counts()).tasks.queued, 1);
      });
    });

    // ============================================================ complete / fail
    describe('complete and fail (fencing)', () => {
      test('a report from a stale attempt is STALE_ATTEMPT with a task.stale_report event; completion is recorded once', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't', backoffMs: 0 }, 1);
        const c1 = await runOne(store, 'A', 2);
        assert.equal(await store.fail(t.id, c1.attempt, failure(), 3), 'queued');
        const c2 = await runOne(store, 'A', 4);
        assert.equal(c2.attempt, 2);

        const seq = await store.lastEventSeq();
        await rejectsWith(store.complete(t.id, 1, done({ stale: true }), 5), 'STALE_ATTEMPT');
        const stale = await eventsAfter(store, seq);
        assert.deepEqual(stale.map((e) => [e.type, e.subject, e.data.attempt, e.data.current]), [['task.stale_report', `task:${t.id}`, 1, 2]]);
        const running = await store.getTask(t.id);
        assert.equal(running.status, 'running');
        assert.equal(running.attempts, 2);

        await store.complete(t.id, 2, done({ n: 2 }), 6);
        await rejectsWith(store.complete(t.id, 2, done({ n: 3 }), 7), 'STALE_ATTEMPT');
        await rejectsWith(store.fail(t.id, 2, failure(), 8), 'STALE_ATTEMPT');
        await rejectsWith(store.fail(t.id, 1, failure(), 8), 'STALE_ATTEMPT');
        const after = await store.getTask(t.id);
        assert.equal(after.status, 'completed');
        assert.deepEqual(after.result, { n: 2 });
        assert.equal(after.finishedAt, 6);
        assert.equal((await eventsAfter(store, 0, { types: ['task.completed'] })).length, 1);
        await rejectsWith(store.complete(t.id + 1000, 1, done(), 9), 'TASK_NOT_FOUND');
      });

      test('complete records result, output, usage, the attempt and the agent counters', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't' }, 1);
        const c = await runOne(store, 'A', 1000);
        const seq = await store.lastEventSeq();
        const usage = { inputTokens: 100, outputTokens: 50, costUsd: 0.25 };
        await store.complete(t.id, c.attempt, done({ answer: 42 }, { output: 'hi', usage }), 4000);
        const after = await store.getTask(t.id);
        assert.equal(after.status, 'completed');
        assert.deepEqual(after.result, { answer: 42 });
        assert.equal(after.output, 'hi');
        assert.deepEqual(after.usage, usage);
        assert.equal(after.finishedAt, 4000);
        assert.equal(after.leaseUntil, null);
        assert.equal(after.agent, 'A');
        const [att] = await store.listAttempts(t.id);
        assert.equal(att.attempt, 1);
        assert.equal(att.status, 'completed');
        assert.equal(att.agent, 'A');
        assert.equal(att.startedAt, 1000);
        assert.equal(att.finishedAt, 4000);
        assert.equal(att.exitCode, 0);
        assert.deepEqual(att.usage, usage);
        const evs = await eventsAfter(store, seq);
        assert.deepEqual(evs.map((e) => [e.type, e.data]), [['task.completed', { attempt: 1, agent: 'A', durationMs: 3000 }]]);
        const a = await store.getAgent('A');
        assert.equal(a.done, 1);
        assert.equal(a.failed, 0);
        assert.equal(a.running, 0);
        assert.deepEqual(a.usage, usage);
      });

      test('fail with attempts left and backoff > 0 goes pending until the exact retry time', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't', maxAttempts: 3, backoffMs: 1000 }, 1);
        await runOne(store, 'A', 1000);
        const seq = await store.lastEventSeq();
        assert.equal(await store.fail(t.id, 1, failure('TASK_FAILED', 'exit status 3', { exitCode: 3 }), 2000), 'pending');
        const p = await store.getTask(t.id);
        assert.equal(p.status, 'pending');
        assert.equal(p.runAt, 2000 + 500, 'random 0.5 of 1000');
        assert.equal(p.error, 'TASK_FAILED: exit status 3');
        assert.equal(p.leaseUntil, null);
        const [ev] = await eventsAfter(store, seq);
        assert.equal(ev.type, 'task.failed');
        assert.deepEqual(ev.data, { attempt: 1, agent: 'A', code: 'TASK_FAILED', error: 'exit status 3', next: 'pending', runAt: 2500 });

        assert.equal((await claimOn(store, 'A', 2400)).length, 0, 'pending is not claimable');
        assert.equal(await store.promoteReady(2499), 0);
        assert.equal(await status(store, t.id), 'pending');
        assert.equal(await store.promoteReady(2500), 1);
        assert.equal(await status(store, t.id), 'queued');
        assert.equal((await eventsAfter(store, seq)).at(-1)!.type, 'task.queued');

        const c2 = await runOne(store, 'A', 2600);
        assert.equal(c2.attempt, 2);
        assert.equal(await store.fail(t.id, 2, failure(), 3000), 'pending');
        assert.equal((await store.getTask(t.id)).runAt, 3000 + 1000, 'random 0.5 of 2000');
        const atts = await store.listAttempts(t.id);
        assert.deepEqual(atts.map((a) => [a.attempt, a.status, a.errorCode, a.startedAt, a.finishedAt]), [
          [1, 'failed', 'TASK_FAILED', 1000, 2000],
          [2, 'failed', 'TASK_FAILED', 2600, 3000],
        ]);
        assert.equal(atts[0].exitCode, 3);
        const a = await store.getAgent('A');
        assert.equal(a.failed, 2);
        assert.equal(a.recentFailures, 2);
        await store.promoteReady(4000);
        await runOne(store, 'A', 4000);
        await store.complete(t.id, 3, done(), 4100);
        const a2 = await store.getAgent('A');
        assert.equal(a2.done, 1);
        assert.equal(a2.recentFailures, 0, 'a success resets recent failures');
      });

      test('fail with attempts left and no backoff (random 0) is queued again at once', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't', maxAttempts: 2, backoffMs: 1000 }, 1);
        await runOne(store, 'A', 10);
        assert.equal(await store.fail(t.id, 1, failure(), 20), 'queued');
        const q = await store.getTask(t.id);
        assert.equal(q.status, 'queued');
        assert.equal(q.runAt <= 20, true);
        const c = await runOne(store, 'A', 20);
        assert.equal(c.attempt, 2);
      }, { random: () => 0 });

      test('a retry policy with backoffMs 0 requeues at once whatever the jitter', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't', backoffMs: 0 }, 1);
        await runOne(store, 'A', 10);
        assert.equal(await store.fail(t.id, 1, failure(), 20), 'queued');
        assert.equal(await status(store, t.id), 'queued');
      });

      test('with no attempts left the task is dead, with a reason and a task.dead event', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't', maxAttempts: 2 }, 1);
        await runOne(store, 'A', 10);
        assert.equal(await store.fail(t.id, 1, failure('TASK_FAILED', 'first'), 20), 'queued');
        await runOne(store, 'A', 30);
        const seq = await store.lastEventSeq();
        assert.equal(await store.fail(t.id, 2, failure('TIMEOUT', 'ran past 5s'), 40), 'dead');
        const d = await store.getTask(t.id);
        assert.equal(d.status, 'dead');
        assert.equal(d.finishedAt, 40);
        assert.equal(d.error, 'TIMEOUT: ran past 5s');
        assert.match(d.reason ?? '', /TIMEOUT/);
        assert.match(d.reason ?? '', /ran past 5s/);
        const evs = await eventsAfter(store, seq);
        assert.deepEqual(evs.map((e) => e.type), ['task.failed', 'task.dead']);
        assert.equal(evs[0].data.next, 'dead');
        assert.equal(evs[1].data.code, 'TIMEOUT');
        assert.equal(evs[1].data.reason, d.reason);
        assert.equal((await store.counts()).tasks.dead, 1);
        assert.equal((await claimOn(store, 'A', 50)).length, 0);
      }, { random: () => 0 });

      test('final: true is dead at once whatever attempts remain', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't', maxAttempts: 5 }, 1);
        await runOne(store, 'A', 10);
        assert.equal(await store.fail(t.id, 1, failure('VALIDATION_FAILED', 'bad input', { final: true }), 20), 'dead');
        const d = await store.getTask(t.id);
        assert.equal(d.status, 'dead');
        assert.equal(d.attempts, 1);
      });

      test('backoff is full jitter over an exponential capped by the policy', async (store) => {
        await agent(store, 'A', []);
        const policy = { maxAttempts: 7, backoffMs: 100, backoffCapMs: 500 };
        const t = await one(store, { title: 't', ...policy }, 1);
        let now = 1000;
        const delays: number[] = [];
        for (let n = 1; n <= 6; n++) {
          const c = await runOne(store, 'A', now);
          assert.equal(c.attempt, n);
          now += 10;
          assert.equal(await store.fail(t.id, n, failure(), now), 'pending');
          const runAt = (await store.getTask(t.id)).runAt;
          const expected = Math.floor(0.999 * Math.min(policy.backoffCapMs, policy.backoffMs * 2 ** (n - 1)));
          assert.equal(runAt - now, expected, `attempt ${n}`);
          assert.ok(runAt - now <= policy.backoffCapMs);
          delays.push(runAt - now);
          assert.equal(await store.promoteReady(runAt - 1), 0);
          assert.equal(await store.promoteReady(runAt), 1);
          now = runAt;
        }
        assert.deepEqual(delays, [99, 199, 399, 499, 499, 499]);
        await runOne(store, 'A', now);
        assert.equal(await store.fail(t.id, 7, failure(), now + 1), 'dead');
      }, { random: () => 0.999 });

      test('200 completions issued together all commit', async (store) => {
        await enqueue(store, Array.from({ length: 200 }, (_, i) => ({ title: `t${i}` })), 1);
        await agent(store, 'A', [], 200);
        const claims = await claimOn(store, 'A', 2);
        assert.equal(claims.length, 200);
        const seq = await store.lastEventSeq();
        const settled = await Promise.allSettled(claims.map((c) => store.complete(c.task.id, c.attempt, done({ id: c.task.id }), 3)));
        assert.deepEqual(settled.filter((s) => s.status === 'rejected'), []);
        assert.equal((await store.counts()).tasks.completed, 200);
        assert.equal((await eventsAfter(store, seq, { types: ['task.completed'] })).length, 200);
        assert.deepEqual((await store.getTask(claims[123].task.id)).result, { id: claims[123].task.id });
        assert.equal((await store.getAgent('A')).done, 200);
      });

      test('a stale report among 200 concurrent reports is refused alone while the others commit', async (store) => {
        await enqueue(store, Array.from({ length: 200 }, (_, i) => ({ title: `t${i}`, backoffMs: 0 })), 1);
        await agent(store, 'A', [], 200);
        const claims = await claimOn(store, 'A', 2);
        const staleIdx = 57;
        const ps = claims.map((c, i) => {
          if (i === staleIdx) return store.complete(c.task.id, c.attempt + 1, done(), 3);
          if (i < 10) return store.fail(c.task.id, c.attempt, failure(), 3);
          return store.complete(c.task.id, c.attempt, done(), 3);
        });
        const settled = await Promise.allSettled(ps);
        const rejected = settled.map((s, i) => [s, i] as const).filter(([s]) => s.status === 'rejected');
        assert.equal(rejected.length, 1);
        assert.equal(rejected[0][1], staleIdx);
        assert.equal(((rejected[0][0] as PromiseRejectedResult).reason as { code: string }).code, 'STALE_ATTEMPT');
        for (let i = 0; i < 10; i++) assert.equal((settled[i] as PromiseFulfilledResult<unknown>).value, 'queued');
        const counts = await store.counts();
        assert.equal(counts.tasks.completed, 189);
        assert.equal(counts.tasks.queued, 10);
        assert.equal(counts.tasks.running, 1);
        assert.equal(await status(store, claims[staleIdx].task.id), 'running');
        await store.complete(claims[staleIdx].task.id, claims[staleIdx].attempt, done(), 4);
        assert.equal((await store.counts()).tasks.completed, 190);
      });
    });

    // ============================================================ dependencies
    describe('dependencies', () => {
      test('a chain releases one task at a time', async (store) => {
        await agent(store, 'A', [], 5);
        const [a, b, c] = await store
          .enqueue([input({ ref: 'a', title: 'a' }), input({ ref: 'b', title: 'b', dependsOn: ['a'] }), input({ ref: 'c', title: 'c', dependsOn: ['b'] })], 1)
          .then((r) => r.map((x) => x.task));
        assert.deepEqual((await claimOn(store, 'A', 2)).map((x) => x.task.id), [a.id]);
        await store.complete(a.id, 1, done(), 3);
        assert.equal(await status(store, b.id), 'queued');
        assert.equal(await status(store, c.id), 'pending');
        assert.deepEqual((await claimOn(store, 'A', 4)).map((x) => x.task.id), [b.id]);
        await store.complete(b.id, 1, done(), 5);
        assert.equal(await status(store, c.id), 'queued');
        const evs = await eventsAfter(store, 0, { subject: `task:${c.id}` });
        assert.deepEqual(evs.map((e) => e.type), ['task.enqueued', 'task.queued']);
      });

      test('a task depending only on completed tasks is queued at once', async (store) => {
        await agent(store, 'A', []);
        const a = await one(store, { title: 'a' }, 1);
        await runOne(store, 'A', 2);
        await store.complete(a.id, 1, done(), 3);
        const b = await one(store, { title: 'b', dependsOn: [a.id] }, 4);
        assert.equal(b.status, 'queued');
        assert.deepEqual(b.dependsOn, [a.id]);
        assert.deepEqual((await claimOn(store, 'A', 5)).map((c) => c.task.id), [b.id]);
      });

      test('a diamond waits for every dependency', async (store) => {
        await agent(store, 'A', [], 5);
        const [a, b, c, d] = (
          await store.enqueue(
            [
              input({ ref: 'a', title: 'a' }),
              input({ ref: 'b', title: 'b', dependsOn: ['a'] }),
              input({ ref: 'c', title: 'c', dependsOn: ['a'] }),
              input({ ref: 'd', title: 'd', dependsOn: ['b', 'c'] }),
            ],
            1,
          )
        ).map((x) => x.task);
        await claimOn(store, 'A', 2);
        await store.complete(a.id, 1, done(), 3);
        assert.deepEqual([await status(store, b.id), await status(store, c.id), await status(store, d.id)], ['queued', 'queued', 'pending']);
        const cl = await claimOn(store, 'A', 4);
        assert.deepEqual(sortNum(cl.map((x) => x.task.id)), sortNum([b.id, c.id]));
        await store.complete(b.id, 1, done(), 5);
        assert.equal(await status(store, d.id), 'pending');
        assert.equal(await store.promoteReady(1_000_000), 0, 'promotion does not skip dependencies');
        assert.equal(await status(store, d.id), 'pending');
        await store.complete(c.id, 1, done(), 6);
        assert.equal(await status(store, d.id), 'queued');
      });

      test('a dependency ending dead cancels its dependents transitively, with the reason', async (store) => {
        await agent(store, 'A', [], 5);
        const [a, b, c, d, e] = (
          await store.enqueue(
            [
              input({ ref: 'a', title: 'a', maxAttempts: 1 }),
              input({ ref: 'b', title: 'b', dependsOn: ['a'] }),
              input({ ref: 'c', title: 'c', dependsOn: ['b'] }),
              input({ ref: 'd', title: 'd', dependsOn: ['c', 'e'] }),
              input({ ref: 'e', title: 'e' }),
            ],
            1,
          )
        ).map((x) => x.task);
        const cl = await claimOn(store, 'A', 2, 1);
        assert.equal(cl[0].task.id, a.id);
        const seq = await store.lastEventSeq();
        assert.equal(await store.fail(a.id, 1, failure(), 3), 'dead');
        for (const [t, dep] of [[b, a], [c, b], [d, c]] as const) {
          const got = await store.getTask(t.id);
          assert.equal(got.status, 'cancelled', t.title);
          assert.match(got.reason ?? '', /DEPENDENCY_FAILED/);
          assert.ok(got.reason!.includes(String(dep.id)), `${got.reason} names ${dep.id}`);
        }
        assert.equal(await status(store, e.id), 'queued');
        const cancelled = await eventsAfter(store, seq, { types: ['task.cancelled'] });
        assert.deepEqual(sortNum(cancelled.map((ev) => Number(ev.subject.slice(5)))), sortNum([b.id, c.id, d.id]));
        assert.ok(cancelled.every((ev) => /DEPENDENCY_FAILED/.test(String(ev.data.reason))));
      });

      test('a cancelled dependency cancels its dependents; a diamond with one dead branch is cancelled', async (store) => {
        await agent(store, 'A', [], 5);
        const x = await one(store, { title: 'x' }, 1);
        const y = await one(store, { title: 'y', dependsOn: [x.id] }, 1);
        await store.cancel(x.id, 'changed my mind', 2);
        const gotY = await store.getTask(y.id);
        assert.equal(gotY.status, 'cancelled');
        assert.match(gotY.reason ?? '', /DEPENDENCY_FAILED/);
        assert.ok(gotY.reason!.includes(String(x.id)));

        const [a, b, c, d] = (
          await store.enqueue(
            [
              input({ ref: 'a', title: 'a' }),
              input({ ref: 'b', title: 'b', dependsOn: ['a'], maxAttempts: 1 }),
              input({ ref: 'c', title: 'c', dependsOn: ['a'] }),
              input({ ref: 'd', title: 'd', dependsOn: ['b', 'c'] }),
            ],
            3,
          )
        ).map((t) => t.task);
        await claimOn(store, 'A', 4, 1);
        await store.complete(a.id, 1, done(), 5);
        const cl = await claimOn(store, 'A', 6, 1);
        assert.equal(cl[0].task.id, b.id);
        await store.fail(b.id, 1, failure(), 7);
        assert.equal(await status(store, d.id), 'cancelled');
        assert.equal(await status(store, c.id), 'queued');
      });
    });

    // ============================================================ cancel / retry
    describe('cancel', () => {
      test('pending, queued and running tasks are cancelled; a running one leaves an attempt record', async (store) => {
        await agent(store, 'A', [], 1);
        const r = await one(store, { title: 'running', locks: ['L'] }, 1);
        const claimed = await runOne(store, 'A', 1000);
        assert.equal(claimed.task.id, r.id);
        const x = await one(store, { title: 'dep', locks: ['L'] }, 2);
        const p = await one(store, { title: 'pending', dependsOn: [x.id] }, 3);
        const q = await one(store, { title: 'queued' }, 4);

        const seq = await store.lastEventSeq();
        const before = await store.cancel(p.id, 'not needed', 10);
        assert.equal(before.status, 'pending');
        const pc = await store.getTask(p.id);
        assert.equal(pc.status, 'cancelled');
        assert.equal(pc.reason, 'not needed');
        assert.equal(pc.finishedAt, 10);

        assert.equal((await store.cancel(q.id, 'not needed', 11)).status, 'queued');
        assert.equal(await status(store, q.id), 'cancelled');

        const rb = await store.cancel(r.id, 'stop it', 3000);
        assert.equal(rb.status, 'running');
        const rc = await store.getTask(r.id);
        assert.equal(rc.status, 'cancelled');
        assert.equal(rc.leaseUntil, null);
        const atts = await store.listAttempts(r.id);
        assert.deepEqual(atts.map((a) => [a.attempt, a.status, a.agent, a.startedAt, a.finishedAt]), [[1, 'cancelled', 'A', 1000, 3000]]);
        assert.deepEqual(await store.runningAttempts(), []);
        assert.equal((await store.getAgent('A')).running, 0);

        const evs = await eventsAfter(store, seq);
        assert.deepEqual(evs.map((e) => [e.type, e.subject]), [
          ['task.cancelled', `task:${p.id}`],
          ['task.cancelled', `task:${q.id}`],
          ['task.cancelled', `task:${r.id}`],
        ]);
        assert.equal(evs[0].data.reason, 'not needed');
        assert.equal(evs[2].data.attempt, 1);

        await rejectsWith(store.complete(r.id, 1, done(), 3001), 'STALE_ATTEMPT');
        // the cancelled attempt's process may still be dying: its lock is held until releaseLocks
        assert.deepEqual((await claimOn(store, 'A', 3002)).map((c) => c.task.id), []);
        await store.releaseLocks(r.id, 1);
        assert.deepEqual((await claimOn(store, 'A', 3003)).map((c) => c.task.id), [x.id]);
      });

      test('cancelling a completed task is INVALID_TRANSITION and changes nothing; unknown is TASK_NOT_FOUND', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't' }, 1);
        await runOne(store, 'A', 2);
        await store.complete(t.id, 1, done(), 3);
        const before = await store.getTask(t.id);
        const seq = await store.lastEventSeq();
        await rejectsWith(store.cancel(t.id, 'too late', 4), 'INVALID_TRANSITION', 'completed');
        assert.deepEqual(await store.getTask(t.id), before);
        assert.equal(await store.lastEventSeq(), seq);
        await rejectsWith(store.cancel(t.id + 1000, 'x', 5), 'TASK_NOT_FOUND');

        const c = await one(store, { title: 'c' }, 6);
        await store.cancel(c.id, 'once', 7);
        await rejectsWith(store.cancel(c.id, 'twice', 8), 'INVALID_TRANSITION');
      });
    });

    describe('retry and requeueDead', () => {
      test('retry gives a dead task a fresh attempt budget while the attempt number keeps increasing', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't', maxAttempts: 2 }, 1);
        await runOne(store, 'A', 10);
        assert.equal(await store.fail(t.id, 1, failure(), 11), 'queued');
        await runOne(store, 'A', 12);
        assert.equal(await store.fail(t.id, 2, failure(), 13), 'dead');

        const seq = await store.lastEventSeq();
        const back = await store.retry(t.id, 100);
        assert.equal(back.status, 'queued');
        assert.equal(back.finishedAt, null);
        const evs = await eventsAfter(store, seq);
        assert.deepEqual(evs.map((e) => [e.type, e.data.from, e.data.status]), [['task.requeued', 'dead', 'queued']]);

        const c3 = await runOne(store, 'A', 101);
        assert.equal(c3.attempt, 3);
        await rejectsWith(store.complete(t.id, 2, done(), 102), 'STALE_ATTEMPT');
        assert.equal(await store.fail(t.id, 3, failure(), 103), 'queued', 'a fresh budget of 2');
        const c4 = await runOne(store, 'A', 104);
        assert.equal(c4.attempt, 4);
        assert.equal(await store.fail(t.id, 4, failure(), 105), 'dead');
        assert.deepEqual((await store.listAttempts(t.id)).map((a) => a.attempt), [1, 2, 3, 4]);
      }, { random: () => 0 });

      test('retry of a cancelled task queues it; of a live task is INVALID_TRANSITION; of an unknown one TASK_NOT_FOUND', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't' }, 1);
        await runOne(store, 'A', 2);
        await store.cancel(t.id, 'oops', 3);
        assert.equal((await store.retry(t.id, 4)).status, 'queued');
        const c = await runOne(store, 'A', 5);
        assert.equal(c.attempt, 2);
        await rejectsWith(store.retry(t.id, 6), 'INVALID_TRANSITION');
        const q = await one(store, { title: 'q' }, 7);
        await rejectsWith(store.retry(q.id, 8), 'INVALID_TRANSITION');
        await rejectsWith(store.retry(q.id + 1000, 9), 'TASK_NOT_FOUND');
      });

      test('retry of a task whose dependency is dead is INVALID_TRANSITION naming it, until the dependency is retried', async (store) => {
        await agent(store, 'A', []);
        const a = await one(store, { title: 'a', maxAttempts: 1 }, 1);
        const b = await one(store, { title: 'b', dependsOn: [a.id] }, 1);
        await runOne(store, 'A', 2);
        await store.fail(a.id, 1, failure(), 3);
        assert.equal(await status(store, b.id), 'cancelled');
        const seq = await store.lastEventSeq();
        await rejectsWith(store.retry(b.id, 4), 'INVALID_TRANSITION', String(a.id));
        assert.equal(await store.lastEventSeq(), seq);
        assert.equal(await status(store, b.id), 'cancelled');

        assert.equal((await store.retry(a.id, 5)).status, 'queued');
        assert.equal((await store.retry(b.id, 6)).status, 'pending', 'waits for its dependency again');
        const c = await runOne(store, 'A', 7);
        assert.equal(c.task.id, a.id);
        await store.complete(a.id, c.attempt, done(), 8);
        assert.equal(await status(store, b.id), 'queued');
      });

      test('requeueDead requeues every dead task, or those with a capability', async (store) => {
        await agent(store, 'A', ['a', 'b', 'c'], 10);
        const [ta, tb, tac, ok] = await enqueue(
          store,
          [
            { title: 'a', capabilities: ['a'], maxAttempts: 1 },
            { title: 'b', capabilities: ['b'], maxAttempts: 1 },
            { title: 'ac', capabilities: ['a', 'c'], maxAttempts: 1 },
            { title: 'ok' },
          ],
          1,
        );
        await claimOn(store, 'A', 2);
        for (const t of [ta, tb, tac]) assert.equal(await store.fail(t.id, 1, failure(), 3), 'dead');
        await store.complete(ok.id, 1, done(), 3);
        assert.equal((await store.counts()).tasks.dead, 3);

        const seq = await store.lastEventSeq();
        assert.deepEqual(sortNum(await store.requeueDead(4, { capability: 'a' })), sortNum([ta.id, tac.id]));
        assert.equal(await status(store, ta.id), 'queued');
        assert.equal(await status(store, tac.id), 'queued');
        assert.equal(await status(store, tb.id), 'dead');
        assert.equal((await eventsAfter(store, seq, { types: ['task.requeued'] })).length, 2);
        assert.deepEqual(await store.requeueDead(5), [tb.id]);
        assert.deepEqual(await store.requeueDead(6), []);
        const counts = await store.counts();
        assert.equal(counts.tasks.dead, 0);
        assert.equal(counts.tasks.queued, 3);
        assert.equal(counts.tasks.completed, 1);
      });
    });

    // ============================================================ timers
    describe('timers', () => {
      test('promoteReady leaves tasks waiting for dependencies alone', async (store) => {
        const a = await one(store, { title: 'a' }, 1);
        const b = await one(store, { title: 'b', dependsOn: [a.id] }, 1);
        assert.equal(await store.promoteReady(10_000_000), 0);
        assert.equal(await status(store, b.id), 'pending');
      });

      test('expireUnscheduled kills tasks queued past their schedule timeout; timeout 0 never expires', async (store) => {
        const exp = await one(store, { title: 'exp', scheduleTimeoutMs: 1000, capabilities: ['x'] }, 10_000);
        const forever = await one(store, { title: 'forever', scheduleTimeoutMs: 0, capabilities: ['x'] }, 10_000);
        const child = await one(store, { title: 'child', dependsOn: [exp.id] }, 10_000);
        await agent(store, 'A', ['other']);
        const started = await one(store, { title: 'started', scheduleTimeoutMs: 1000, capabilities: ['other'] }, 10_000);
        await runOne(store, 'A', 10_500);

        assert.equal(await store.expireUnscheduled(10_999), 0);
        assert.equal(await status(store, exp.id), 'queued');
        const seq = await store.lastEventSeq();
        assert.equal(await store.expireUnscheduled(11_001), 1);
        const dead = await store.getTask(exp.id);
        assert.equal(dead.status, 'dead');
        assert.match(dead.reason ?? '', /SCHEDULE_TIMEOUT/);
        const evs = await eventsAfter(store, seq);
        assert.ok(evs.some((e) => e.type === 'task.dead' && e.subject === `task:${exp.id}` && e.data.code === 'SCHEDULE_TIMEOUT'));
        const c = await store.getTask(child.id);
        assert.equal(c.status, 'cancelled');
        assert.match(c.reason ?? '', /DEPENDENCY_FAILED/);

        assert.equal(await store.expireUnscheduled(10_000 + 365 * 86_400_000), 0);
        assert.equal(await status(store, forever.id), 'queued');
        assert.equal(await status(store, started.id), 'running', 'a started task does not expire');
      });

      test('reapExpired fails attempts whose lease passed with LEASE_EXPIRED, then retries or buries them', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't', maxAttempts: 2 }, 1);
        const c = await runOne(store, 'A', 1000, 5000);
        assert.equal(c.task.leaseUntil, 6000);
        assert.deepEqual(await store.reapExpired(6000), [], 'the lease is valid until leaseUntil');
        const seq = await store.lastEventSeq();
        const reaped = await store.reapExpired(6001);
        assert.deepEqual(reaped.map((r) => [r.taskId, r.attempt, r.agent, r.leaseUntil]), [[t.id, 1, 'A', 6000]]);
        const after = await store.getTask(t.id);
        assert.equal(after.status, 'queued');
        assert.match(after.error ?? '', /^LEASE_EXPIRED/);
        assert.equal((await store.listAttempts(t.id))[0].errorCode, 'LEASE_EXPIRED');
        const failed = (await eventsAfter(store, seq)).find((e) => e.type === 'task.failed')!;
        assert.equal(failed.data.code, 'LEASE_EXPIRED');
        await rejectsWith(store.complete(t.id, 1, done(), 6002), 'STALE_ATTEMPT');

        await runOne(store, 'A', 7000, 5000);
        assert.deepEqual((await store.reapExpired(12_001)).map((r) => r.attempt), [2]);
        assert.equal(await status(store, t.id), 'dead');
        assert.deepEqual(await store.reapExpired(100_000), []);
      }, { random: () => 0 });

      test('renewLeases extends a running attempt so it is not reaped; a stale attempt renews nothing', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't' }, 1);
        await runOne(store, 'A', 1000, 5000);
        await store.renewLeases([{ taskId: t.id, attempt: 1 }], 20_000);
        assert.deepEqual(await store.reapExpired(10_000), []);
        assert.equal((await store.getTask(t.id)).leaseUntil, 20_000);
        assert.equal((await store.runningAttempts())[0].leaseUntil, 20_000);
        await store.renewLeases([{ taskId: t.id, attempt: 2 }], 99_999).catch(() => undefined);
        assert.equal((await store.getTask(t.id)).leaseUntil, 20_000);
        assert.equal((await store.reapExpired(20_001)).length, 1);
      });
    });

    // ============================================================ agents
    describe('agents', () => {
      test('registerAgent creates, then updates by name; getAgent by name or id; AGENT_NOT_FOUND otherwise', async (store) => {
        const seq = await store.lastEventSeq();
        const a1 = await store.registerAgent(spec('coder', ['py', 'backend'], 2, { workdir: '/tmp/w', role: 'dev' }), 1000);
        assert.ok(Number.isSafeInteger(a1.id) && a1.id > 0);
        assert.equal(a1.name, 'coder');
        assert.equal(a1.role, 'dev');
        assert.deepEqual(a1.capabilities, ['backend', 'py']);
        assert.equal(a1.slots, 2);
        assert.deepEqual(a1.runtime, { kind: 'command', command: ['echo', '{prompt}'] });
        assert.deepEqual(a1.env, { FOO: 'bar' });
        assert.equal(a1.workdir, '/tmp/w');
        assert.deepEqual(a1.limits, { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 });
        assert.equal(a1.status, 'inactive');
        assert.equal(a1.running, 0);
        assert.equal(a1.done, 0);
        assert.equal(a1.failed, 0);
        assert.equal(a1.recentFailures, 0);
        assert.equal(a1.createdAt, 1000);

        const a2 = await store.registerAgent(spec('coder', ['py'], 4, { limits: { timeoutMs: 60_000, memoryMb: 512, contextTokens: 0, costBudgetUsd: 1 } }), 2000);
        assert.equal(a2.id, a1.id);
        assert.deepEqual(a2.capabilities, ['py']);
        assert.equal(a2.slots, 4);
        assert.equal(a2.limits.memoryMb, 512);
        assert.equal(a2.createdAt, 1000);
        assert.equal(a2.updatedAt, 2000);
        assert.equal((await store.listAgents()).length, 1);
        const evs = await eventsAfter(store, seq);
        assert.deepEqual(evs.map((e) => [e.type, e.subject]), [
          ['agent.registered', 'agent:coder'],
          ['agent.registered', 'agent:coder'],
        ]);
        assert.equal(evs[1].data.slots, 4);

        assert.deepEqual(await store.getAgent('coder'), a2);
        assert.deepEqual(await store.getAgent(a1.id), a2);
        await rejectsWith(store.getAgent('nobody'), 'AGENT_NOT_FOUND', 'nobody');
        await rejectsWith(store.getAgent(a1.id + 1000), 'AGENT_NOT_FOUND');
      });

      test('listAgents counts running attempts and shows an active agent with every slot taken as busy', async (store) => {
        await agent(store, 'A', [], 2);
        await store.setAgentStatus('A', 'starting', 1);
        await store.setAgentStatus('A', 'active', 2);
        await agent(store, 'B', ['never'], 1);
        const [t1] = await enqueue(store, [{ title: 't1' }, { title: 't2' }, { title: 't3' }], 3);
        const find = async (n: string): Promise<Agent> => (await store.listAgents()).find((a) => a.name === n)!;
        assert.deepEqual((await store.listAgents()).map((a) => a.name).sort(), ['A', 'B']);
        await claimOn(store, 'A', 4, 1);
        assert.deepEqual([(await find('A')).running, (await find('A')).status], [1, 'active']);
        await claimOn(store, 'A', 5, 1);
        assert.deepEqual([(await find('A')).running, (await find('A')).status], [2, 'busy']);
        assert.equal((await store.getAgent('A')).status, 'busy');
        const counts = await store.counts();
        assert.equal(counts.agents.busy, 1);
        assert.equal(counts.agents.active, 0);
        assert.equal(counts.agents.inactive, 1);
        await store.complete(t1.id, 1, done(), 6);
        assert.deepEqual([(await find('A')).running, (await find('A')).status], [1, 'active']);
        assert.equal((await find('B')).running, 0);
      });

      test('setAgentStatus follows the transition table, with one agent.status event per change', async (store) => {
        await agent(store, 'A', []);
        const seq = await store.lastEventSeq();
        await rejectsWith(store.setAgentStatus('A', 'active', 1), 'INVALID_TRANSITION', 'inactive', 'active');
        assert.equal((await store.getAgent('A')).status, 'inactive');
        assert.equal(await store.lastEventSeq(), seq, 'a refused change appends nothing');
        await store.setAgentStatus('A', 'starting', 2);
        await store.setAgentStatus('A', 'active', 3, 'ready');
        await store.setAgentStatus('A', 'active', 4);
        await store.setAgentStatus('A', 'maintenance', 5);
        await store.setAgentStatus('A', 'active', 6);
        await store.setAgentStatus('A', 'stopped', 7);
        await rejectsWith(store.setAgentStatus('A', 'active', 8), 'INVALID_TRANSITION');
        assert.equal((await store.getAgent('A')).status, 'stopped');
        const evs = await eventsAfter(store, seq);
        assert.deepEqual(evs.map((e) => [e.type, e.subject, e.data.from, e.data.to, e.time]), [
          ['agent.status', 'agent:A', 'inactive', 'starting', 2],
          ['agent.status', 'agent:A', 'starting', 'active', 3],
          ['agent.status', 'agent:A', 'active', 'maintenance', 5],
          ['agent.status', 'agent:A', 'maintenance', 'active', 6],
          ['agent.status', 'agent:A', 'active', 'stopped', 7],
        ]);
        assert.equal(evs[1].data.reason, 'ready');
        await rejectsWith(store.setAgentStatus('ghost', 'starting', 9), 'AGENT_NOT_FOUND');
      });

      test('removeAgent refuses with CONFLICT while the agent runs tasks, unless forced (the attempts fail with AGENT_REMOVED)', async (store) => {
        await agent(store, 'A', [], 2);
        await agent(store, 'B', []);
        const [t1, t2] = await enqueue(store, [{ title: 't1', maxAttempts: 3 }, { title: 't2', maxAttempts: 1 }], 1);
        await claimOn(store, 'A', 2);
        const seq = await store.lastEventSeq();
        await rejectsWith(store.removeAgent('A', 3), 'CONFLICT', 'A');
        assert.equal((await store.getAgent('A')).running, 2);
        assert.equal(await store.lastEventSeq(), seq);

        const removed = await store.removeAgent('A', 4, true);
        assert.equal(removed.name, 'A');
        await rejectsWith(store.getAgent('A'), 'AGENT_NOT_FOUND');
        const r1 = await store.getTask(t1.id);
        assert.equal(r1.status, 'pending');
        assert.match(r1.error ?? '', /^AGENT_REMOVED/);
        assert.equal(await status(store, t2.id), 'dead');
        assert.equal((await store.listAttempts(t1.id))[0].errorCode, 'AGENT_REMOVED');
        assert.deepEqual(await store.runningAttempts(), []);
        const evs = await eventsAfter(store, seq);
        assert.equal(evs.filter((e) => e.type === 'task.failed' && e.data.code === 'AGENT_REMOVED').length, 2);
        assert.deepEqual(evs.filter((e) => e.type === 'agent.removed').map((e) => e.subject), ['agent:A']);
        await rejectsWith(store.complete(t1.id, 1, done(), 5), 'STALE_ATTEMPT');

        const idle = await store.removeAgent('B', 6);
        assert.equal(idle.name, 'B');
        assert.deepEqual(await store.listAgents(), []);
        await rejectsWith(store.removeAgent('B', 7), 'AGENT_NOT_FOUND');
      });
    });

    // ============================================================ events
    describe('events', () => {
      test('each state change appends one event with a strictly increasing seq', async (store) => {
        await agent(store, 'A', []);
        const t = await one(store, { title: 't' }, 1);
        await runOne(store, 'A', 2);
        await store.fail(t.id, 1, failure(), 3);
        const runAt = (await store.getTask(t.id)).runAt;
        await store.promoteReady(runAt);
        await runOne(store, 'A', runAt + 1);
        await store.complete(t.id, 2, done(), runAt + 2);
        const evs = await eventsAfter(store, 0, { subject: `task:${t.id}` });
        assert.deepEqual(evs.map((e) => e.type), ['task.enqueued', 'task.started', 'task.failed', 'task.queued', 'task.started', 'task.completed']);
        assert.deepEqual(evs.map((e) => e.time), [1, 2, 3, runAt, runAt + 1, runAt + 2]);

        // one event per change, counted per operation
        const delta = async (fn: () => Promise<unknown>): Promise<number> => {
          const s = await store.lastEventSeq();
          await fn();
          return (await eventsAfter(store, s)).length;
        };
        assert.equal(await delta(() => enqueue(store, [{ title: 'x' }, { title: 'y' }, { title: 'z' }], 10)), 3);
        assert.equal(await delta(() => claimOn(store, 'A', 11)), 1);
        assert.equal(await delta(() => store.setAgentStatus('A', 'starting', 12)), 1);
        assert.equal(await delta(() => store.registerAgent(spec('B', []), 13)), 1);
        const y = (await store.listTasks({ status: ['queued'] }))[0];
        assert.equal(await delta(() => store.cancel(y.id, 'no', 14)), 1);

        const all = await eventsAfter(store, 0);
        for (let i = 1; i < all.length; i++) assert.ok(all[i].seq > all[i - 1].seq, 'seq strictly increasing');
        assert.equal(await store.lastEventSeq(), all.at(-1)!.seq);
        assert.deepEqual(await store.readEvents(all.at(-1)!.seq, 10), []);
      });

      test('readEvents pages with no gap and no duplicate, with type and subject filters', async (store) => {
        await agent(store, 'A', [], 3);
        const ts = await enqueue(store, Array.from({ length: 7 }, (_, i) => ({ title: `t${i}` })), 1);
        await claimOn(store, 'A', 2);
        for (const t of ts.slice(0, 3)) await store.complete(t.id, 1, done(), 3);
        await claimOn(store, 'A', 4);
        await store.cancel(ts[6].id, 'bye', 5);

        const pageAll = async (limit: number, filter?: { types?: string[]; subject?: string }): Promise<HiveEvent[]> => {
          const out: HiveEvent[] = [];
          let after = 0;
          for (;;) {
            const page = await store.readEvents(after, limit, filter);
            assert.ok(page.length <= limit);
            if (page.length === 0) return out;
            out.push(...page);
            after = page.at(-1)!.seq;
          }
        };
        const all = await eventsAfter(store, 0);
        assert.equal(all.length, 18);
        for (const limit of [1, 3, 7]) assert.deepEqual(await pageAll(limit), all);
        const types = ['task.started', 'task.completed'];
        const typed = all.filter((e) => types.includes(e.type));
        assert.equal(typed.length, 6 + 3);
        assert.deepEqual(await pageAll(2, { types }), typed);
        const subj = `task:${ts[0].id}`;
        const bySubject = all.filter((e) => e.subject === subj);
        assert.deepEqual(bySubject.map((e) => e.type), ['task.enqueued', 'task.started', 'task.completed']);
        assert.deepEqual(await pageAll(1, { subject: subj }), bySubject);
        assert.deepEqual(await pageAll(1, { subject: subj, types: ['task.completed'] }), bySubject.slice(2));
        // reading from the middle
        const mid = all[5].seq;
        assert.deepEqual(await store.readEvents(mid, 4), all.slice(6, 10));
      });
    });

    // ============================================================ observation
    describe('observation', () => {
      test('counts() gives tasks per status, agents per status and queue depth per capability set', async (store) => {
        await agent(store, 'A', ['a', 'b'], 5);
        await store.setAgentStatus('A', 'starting', 1);
        await store.setAgentStatus('A', 'active', 1);
        await agent(store, 'B', ['z']);
        const [run, comp, dead] = await enqueue(
          store,
          [{ title: 'run', capabilities: ['a'] }, { title: 'comp', capabilities: ['a'] }, { title: 'dead', capabilities: ['a'], maxAttempts: 1 }],
          2,
        );
        await claimOn(store, 'A', 3);
        await store.complete(comp.id, 1, done(), 4);
        await store.fail(dead.id, 1, failure(), 4);
        const [, , , , cancelled] = await enqueue(
          store,
          [{ title: 'q1' }, { title: 'q2', capabilities: ['b', 'a'] }, { title: 'q3', capabilities: ['a', 'b'] }, { title: 'p', dependsOn: [run.id] }, { title: 'c' }],
          5,
        );
        await store.cancel(cancelled.id, 'x', 6);
        const counts = await store.counts();
        const tasks = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0]));
        Object.assign(tasks, { running: 1, completed: 1, dead: 1, queued: 3, pending: 1, cancelled: 1 });
        assert.deepEqual(counts.tasks, tasks);
        assert.equal(counts.agents.active, 1);
        assert.equal(counts.agents.inactive, 1);
        assert.equal(Object.values(counts.agents).reduce((a, b) => a + b, 0), 2);
        assert.deepEqual(counts.queueDepth, { '': 1, 'a,b': 2 });
      });

      test('listTasks filters by status, agent and capability, pages by afterId and orders newest first with desc', async (store) => {
        await agent(store, 'A', ['py', 'py3'], 10);
        await agent(store, 'B', ['go'], 10);
        const ts = await enqueue(
          store,
          [
            { title: 'py', capabilities: ['py'] },
            { title: 'py3', capabilities: ['py3'] },
            { title: 'go', capabilities: ['go'] },
            { title: 'pyq', capabilities: ['py'] },
            { title: 'none' },
            { title: 'py+go', capabilities: ['py', 'go'] },
          ],
          1,
        );
        const id = (title: string): number => ts.find((t) => t.title === title)!.id;
        await store.claim([offer(await store.getAgent('A'), 2), offer(await store.getAgent('B'), 1)], 2, LEASE);
        // A took py and py3 (oldest first), B took go
        await store.complete(id('py3'), 1, done(), 3);
        const ids = (xs: Task[]): number[] => xs.map((t) => t.id);

        assert.deepEqual(ids(await store.listTasks({ status: ['running'] })), [id('py'), id('go')]);
        assert.deepEqual(ids(await store.listTasks({ status: ['queued', 'completed'] })), [id('py3'), id('pyq'), id('none'), id('py+go')]);
        assert.deepEqual(ids(await store.listTasks({ agent: 'A' })), [id('py'), id('py3')]);
        assert.deepEqual(ids(await store.listTasks({ agent: 'B', status: ['running'] })), [id('go')]);
        assert.deepEqual(ids(await store.listTasks({ capability: 'py' })), [id('py'), id('pyq'), id('py+go')], 'exact capability, not a prefix');
        assert.deepEqual(ids(await store.listTasks({ capability: 'go', status: ['queued'] })), [id('py+go')]);
        assert.deepEqual(ids(await store.listTasks({ capability: 'nothing' })), []);

        const all = ids(await store.listTasks({}));
        assert.deepEqual(all, ts.map((t) => t.id).sort((a, b) => a - b));
        const paged: number[] = [];
        let after: number | undefined;
        for (;;) {
          const page = await store.listTasks({ afterId: after, limit: 4 });
          if (page.length === 0) break;
          assert.ok(page.length <= 4);
          paged.push(...ids(page));
          after = page.at(-1)!.id;
        }
        assert.deepEqual(paged, all);
        assert.deepEqual(ids(await store.listTasks({ desc: true })), [...all].reverse());
        assert.deepEqual(ids(await store.listTasks({ desc: true, limit: 2 })), [...all].reverse().slice(0, 2));
        assert.deepEqual(ids(await store.listTasks({ limit: 2 })), all.slice(0, 2));
      });

      test('listAttempts gives the history plus the running attempt; runningAttempts lists running ones with their process', async (store) => {
        await agent(store, 'A', []);
        await agent(store, 'B', []);
        const t = await one(store, { title: 't', backoffMs: 0 }, 1);
        await runOne(store, 'A', 100);
        await store.recordProcess(t.id, 1, { pid: 1111, pidStart: 5, logPath: '/logs/1.log' });
        assert.equal(await store.fail(t.id, 1, failure('TASK_FAILED', 'nope', { exitCode: 2, usage: { inputTokens: 7, outputTokens: 3, costUsd: 0.01 } }), 200), 'queued');
        const c2 = await runOne(store, 'B', 300, 10_000);
        await store.recordProcess(t.id, 2, { pid: 4242, pidStart: 777, logPath: '/logs/2.log' });
        const atts = await store.listAttempts(t.id);
        assert.equal(atts.length, 2);
        assert.deepEqual(
          atts.map((a) => [a.attempt, a.agent, a.status, a.startedAt, a.finishedAt, a.errorCode, a.exitCode, a.pid, a.logPath]),
          [
            [1, 'A', 'failed', 100, 200, 'TASK_FAILED', 2, 1111, '/logs/1.log'],
            [2, 'B', 'running', 300, null, null, null, 4242, '/logs/2.log'],
          ],
        );
        assert.equal(atts[0].error, 'nope');
        assert.deepEqual(atts[0].usage, { inputTokens: 7, outputTokens: 3, costUsd: 0.01 });
        assert.equal(atts[1].pidStart, 777);
        assert.deepEqual(await store.runningAttempts(), [{ taskId: t.id, attempt: 2, agent: 'B', pid: 4242, pidStart: 777, leaseUntil: 10_300 }]);
        // a stale process record changes nothing
        await store.recordProcess(t.id, 1, { pid: 9, pidStart: 9, logPath: null }).catch(() => undefined);
        assert.equal((await store.runningAttempts())[0].pid, 4242);

        await store.complete(t.id, c2.attempt, done(), 400);
        assert.deepEqual((await store.listAttempts(t.id)).map((a) => [a.attempt, a.status, a.pid]), [
          [1, 'failed', 1111],
          [2, 'completed', 4242],
        ]);
        assert.deepEqual(await store.runningAttempts(), []);
        await rejectsWith(store.listAttempts(t.id + 1000), 'TASK_NOT_FOUND');
        const fresh = await one(store, { title: 'fresh' }, 500);
        assert.deepEqual(await store.listAttempts(fresh.id), []);
      });
    });

    // ============================================================ nodes
    describe('nodes', () => {
      test('acquireNode refuses with ALREADY_RUNNING while the previous node lives, and replaces a dead one', async (store) => {
        const n1: NodeInfo = { id: 'n1', pid: 100, pidStart: 5, host: 'box' };
        const n2: NodeInfo = { id: 'n2', pid: 200, pidStart: 6, host: 'box' };
        const n3: NodeInfo = { id: 'n3', pid: 300, pidStart: null, host: 'box' };
        const asked: NodeInfo[] = [];
        await store.acquireNode(n1, 1000, () => true);
        const seq = await store.lastEventSeq();
        await rejectsWith(
          store.acquireNode(n2, 2000, (n) => {
            asked.push(n);
            return true;
          }),
          'ALREADY_RUNNING',
          '100',
        );
        assert.deepEqual(asked, [n1], 'isAlive is asked about the previous node');
        assert.equal(await store.lastEventSeq(), seq);

        await store.acquireNode(n2, 3000, () => false);
        const evs = await eventsAfter(store, seq);
        assert.deepEqual(evs.map((e) => [e.type, e.subject]), [
          ['node.lost', 'node:n1'],
          ['node.started', 'node:n2'],
        ]);
        assert.equal(evs[1].data.pid, 200);

        const s1 = await store.lastEventSeq();
        await store.releaseNode('n2', 4000);
        const stopped = await eventsAfter(store, s1);
        assert.deepEqual(stopped.map((e) => [e.type, e.subject]), [['node.stopped', 'node:n2']]);
        const asked3: NodeInfo[] = [];
        await store.acquireNode(n3, 5000, (n) => {
          asked3.push(n);
          return true;
        });
        assert.deepEqual(asked3, [], 'a released node is not asked about');
        const s2 = await store.lastEventSeq();
        await store.releaseNode('n3', 6000);
        await store.releaseNode('n3', 6001);
        assert.equal((await eventsAfter(store, s2)).length, 1, 'releasing twice appends one event');
      });
    });

    // ============================================================ workflows
    describe('workflows', () => {
      const DEFAULTS = DEFAULT_OPTIONS.taskDefaults;
      /** Every capability the example workflow uses. */
      const CAPS = ['planning', 'backend', 'frontend', 'qa', 'review', 'docs'];

      /** Validates a document as the engine does, then stores it through the port. */
      async function define(store: Store, doc: unknown, now = 1): Promise<{ workflow: Workflow; created: boolean }> {
        const { spec, version } = parseWorkflowDefinition(doc);
        return store.defineWorkflow(spec, version, now);
      }
      /** An offer as the engine's supervisor makes it: the agent's capabilities plus `agent:<its name>`. */
      function wfOffer(a: Agent, free: number): SlotOffer {
        return { agentId: a.id, name: a.name, capabilities: new Set([...a.capabilities, `agent:${a.name}`]), free, recentFailures: 0 };
      }
      /** Claims on one agent (default W, the worker holding every capability), as many as `free`. */
      async function claimWf(store: Store, now: number, free = 10_000, agentName = 'W'): Promise<Claim[]> {
        return store.claim([wfOffer(await store.getAgent(agentName), free)], now, LEASE);
      }
      async function worker(store: Store, slots = 10_000): Promise<Agent> {
        return store.registerAgent(spec('W', CAPS, slots), 0);
      }
      const stepOf = (run: WorkflowRun, stepName: string): RunStep => {
        const s = run.steps?.find((x) => x.name === stepName);
        assert.ok(s, `run ${run.id} has no step ${stepName}`);
        return s;
      };
      const statuses = (run: WorkflowRun): Record<string, string> => Object.fromEntries(run.steps!.map((s) => [s.name, s.status]));
      async function taskOfStep(store: Store, runId: number, stepName: string, i = 0): Promise<Task> {
        const ids = stepOf(await store.getRun(runId), stepName).taskIds;
        assert.ok(ids.length > i, `step ${stepName} has ${ids.length} task(s)`);
        return store.getTask(ids[i]);
      }
      const claimOf = (cs: Claim[], stepName: string, item = 0): Claim => {
        const c = cs.filter((x) => x.task.step === stepName)[item];
        assert.ok(c, `no claim for step ${stepName}[${item}] among ${JSON.stringify(cs.map((x) => x.task.step))}`);
        return c;
      };
      const finish = (store: Store, c: Claim, result: unknown, now: number, extra: Partial<Completion> = {}): Promise<void> =>
        store.complete(c.task.id, c.attempt, done(result, { output: `out:${c.task.step}`, ...extra }), now);
      function progress(counts: Partial<Record<StepStatus, number>>): Record<StepStatus, number> {
        return { ...(Object.fromEntries(STEP_STATUSES.map((s) => [s, 0])) as Record<StepStatus, number>), ...counts };
      }
      /** Claims and completes everything the run offers (answering each task with `answer`) until nothing is left to claim. */
      async function drive(store: Store, now: number, answer: (t: Task) => unknown = () => ({ ok: true })): Promise<number> {
        for (;;) {
          const cs = await claimWf(store, ++now);
          if (cs.length === 0) return now;
          now++;
          await Promise.all(cs.map((c) => store.complete(c.task.id, c.attempt, done(answer(c.task), { output: `out:${c.task.step}` }), now)));
        }
      }
      const FEATURE_STEPS = Object.keys(FEATURE.steps);

      // ------------------------------------------------------------ definitions

      test('defineWorkflow: versions are immutable; same content → same version (created false), changed → next version', async (store) => {
        const seq = await store.lastEventSeq();
        const v1 = await define(store, FEATURE, 10);
        assert.equal(v1.created, true);
        assert.equal(v1.workflow.version, 1);
        assert.equal(v1.workflow.name, 'feature');
        assert.equal(v1.workflow.createdAt, 10);
        assert.deepEqual(v1.workflow.steps, parseWorkflowDefinition(FEATURE).spec.steps);
        assert.deepEqual(await store.getWorkflow('feature'), v1.workflow);

        const again = await define(store, FEATURE, 20);
        assert.equal(again.created, false);
        assert.deepEqual(again.workflow, v1.workflow, 'the stored version, createdAt unchanged');
        const defined = await eventsAfter(store, seq, { types: ['workflow.defined'] });
        assert.equal(defined.length, 1, 'no event for an unchanged definition');
        assert.equal(defined[0].subject, 'workflow:feature');

        const changed = { ...FEATURE, description: 'now with docs' };
        const v2 = await define(store, changed, 30);
        assert.deepEqual([v2.created, v2.workflow.version, v2.workflow.description], [true, 2, 'now with docs']);
        assert.equal((await store.getWorkflow('feature')).version, 2, 'latest');
        assert.deepEqual(await store.getWorkflow('feature', 1), v1.workflow, 'older versions stay');
        // back to the v1 content without a version: a new version (only the latest is compared)
        assert.equal((await define(store, FEATURE, 31)).workflow.version, 3);
      });

      test('defineWorkflow with an explicit version: that version; lower than the latest or same version with other content → CONFLICT', async (store) => {
        const v5 = await define(store, { ...FEATURE, version: 5 }, 1);
        assert.deepEqual([v5.created, v5.workflow.version], [true, 5]);
        const same = await define(store, { ...FEATURE, version: 5 }, 2);
        assert.deepEqual([same.created, same.workflow.version, same.workflow.createdAt], [false, 5, 1]);
        const seq = await store.lastEventSeq();
        await rejectsWith(define(store, { ...FEATURE, version: 5, description: 'other' }, 3), 'CONFLICT', 'version 5');
        await rejectsWith(define(store, { ...FEATURE, version: 3, description: 'lower' }, 4), 'CONFLICT', 'version 5');
        assert.equal(await store.lastEventSeq(), seq, 'a refused definition appends nothing');
        assert.equal((await store.getWorkflow('feature')).version, 5);
        assert.equal((await define(store, { ...FEATURE, version: 9, description: 'jump' }, 5)).workflow.version, 9);
        assert.equal((await define(store, { ...FEATURE, description: 'next' }, 6)).workflow.version, 10);
        // an explicit older version with its own content is found again
        assert.equal((await define(store, { ...FEATURE, version: 5 }, 7)).created, false);
      });

      test('getWorkflow: WORKFLOW_NOT_FOUND for an unknown name or version; listWorkflows gives the latest of each with its version count', async (store) => {
        await rejectsWith(store.getWorkflow('feature'), 'WORKFLOW_NOT_FOUND', 'feature');
        assert.deepEqual(await store.listWorkflows(), []);
        await define(store, FEATURE, 1);
        await define(store, { ...FEATURE, description: 'v2' }, 2);
        await define(store, { name: 'alpha', steps: { only: { prompt: 'x' } } }, 3);
        await rejectsWith(store.getWorkflow('feature', 3), 'WORKFLOW_NOT_FOUND', 'feature');
        await rejectsWith(store.getWorkflow('nope'), 'WORKFLOW_NOT_FOUND', 'nope');
        const list = [...(await store.listWorkflows())].sort((a, b) => a.name.localeCompare(b.name));
        assert.deepEqual(list.map((w) => [w.name, w.version, w.versions, w.description]), [
          ['alpha', 1, 1, null],
          ['feature', 2, 2, 'v2'],
        ]);
        assert.deepEqual(Object.keys(list[1].steps), FEATURE_STEPS);
      });

      // ------------------------------------------------------------ runs

      test('createRun creates the run, its steps and only the first-level tasks, in one call', async (store) => {
        await define(store, FEATURE, 1);
        const seq = await store.lastEventSeq();
        const run = await store.createRun('feature', undefined, { spec: 'login page' }, DEFAULTS, 10);
        assert.ok(Number.isSafeInteger(run.id) && run.id > 0);
        assert.deepEqual(
          [run.workflow, run.version, run.status, run.inputs, run.error, run.createdAt, run.updatedAt, run.finishedAt],
          ['feature', 1, 'running', { spec: 'login page', pass: true }, null, 10, 10, null],
        );
        assert.deepEqual(run.progress, progress({ pending: 8, running: 1 }));
        assert.deepEqual(run.usage, NO_USAGE);
        assert.deepEqual(run.steps!.map((s) => s.name), FEATURE_STEPS, 'steps in definition order');
        assert.deepEqual(stepOf(run, 'tests').needs, ['backend', 'frontend']);
        assert.deepEqual(statuses(run), { plan: 'running', backend: 'pending', frontend: 'pending', tests: 'pending', review: 'pending', fix: 'pending', after_fix: 'pending', each_file: 'pending', publish: 'pending' });
        const plan = stepOf(run, 'plan');
        assert.equal(plan.taskIds.length, 1);
        assert.equal(plan.startedAt, 10);
        assert.deepEqual([plan.output, plan.result, plan.reason, plan.items, plan.finishedAt], [null, null, null, 1, null]);
        for (const s of run.steps!.filter((x) => x.name !== 'plan')) assert.deepEqual([s.taskIds, s.items, s.startedAt], [[], null, null], s.name);

        const tasks = await store.listTasks({});
        assert.equal(tasks.length, 1, 'only the first level has tasks');
        const t = tasks[0];
        assert.equal(t.id, plan.taskIds[0]);
        assert.deepEqual([t.run, t.step, t.title, t.prompt, t.status, t.type, t.priority], [run.id, 'plan', 'feature.plan', 'Plan: login page', 'queued', 'task', 'medium']);
        assert.deepEqual(t.capabilities, ['planning']);
        assert.deepEqual(t.retry, DEFAULTS.retry);
        assert.deepEqual(await store.getRun(run.id), run);

        const evs = await eventsAfter(store, seq);
        assert.deepEqual(evs.map((e) => [e.type, e.subject]), [
          ['run.created', `run:${run.id}`],
          ['task.enqueued', `task:${t.id}`],
          ['run.step', `run:${run.id}`],
        ]);
        assert.deepEqual(evs[0].data, { workflow: 'feature', version: 1, steps: 9 });
        assert.deepEqual(evs[2].data, { step: 'plan', status: 'running', tasks: [t.id] });
      });

      test('createRun refuses bad inputs (VALIDATION_FAILED), unknown workflows and versions (WORKFLOW_NOT_FOUND) and creates nothing', async (store) => {
        await define(store, FEATURE, 1);
        await define(store, { ...FEATURE, inputs: { spec: { type: 'string', required: true } }, steps: { only: { prompt: 'v2 {{inputs.spec}}' } } }, 2);
        const seq = await store.lastEventSeq();
        await rejectsWith(store.createRun('feature', undefined, {}, DEFAULTS, 3), 'VALIDATION_FAILED', 'inputs.spec');
        await rejectsWith(store.createRun('feature', 1, { spec: 'x', pass: 'maybe' }, DEFAULTS, 3), 'VALIDATION_FAILED', 'inputs.pass');
        await rejectsWith(store.createRun('feature', undefined, { spec: 'x', extra: 1 }, DEFAULTS, 3), 'VALIDATION_FAILED', 'inputs.extra');
        await rejectsWith(store.createRun('feature', undefined, 'x', DEFAULTS, 3), 'VALIDATION_FAILED');
        await rejectsWith(store.createRun('nope', undefined, {}, DEFAULTS, 3), 'WORKFLOW_NOT_FOUND', 'nope');
        await rejectsWith(store.createRun('feature', 7, { spec: 'x' }, DEFAULTS, 3), 'WORKFLOW_NOT_FOUND', 'version 7');
        assert.equal(await store.lastEventSeq(), seq);
        assert.deepEqual(await store.listRuns({}), []);
        assert.deepEqual(await store.listTasks({}), []);
        await rejectsWith(store.getRun(1), 'WORKFLOW_RUN_NOT_FOUND');

        // a version given explicitly runs that version; none runs the latest
        const old = await store.createRun('feature', 1, { spec: 'x', pass: 'false' }, DEFAULTS, 4);
        assert.deepEqual([old.version, old.steps!.length, old.inputs.pass], [1, 9, false]);
        const latest = await store.createRun('feature', undefined, { spec: 'y' }, DEFAULTS, 5);
        assert.deepEqual([latest.version, latest.steps!.map((s) => s.name)], [2, ['only']]);
        assert.equal((await taskOfStep(store, latest.id, 'only')).prompt, 'v2 y');
      });

      test('the example runs through the port: outputs flow into prompts, `if` skips a branch, for_each fans out 3 and the fan-in waits for all', async (store) => {
        await worker(store);
        await define(store, FEATURE, 1);
        const { id } = await store.createRun('feature', undefined, { spec: 'login' }, DEFAULTS, 10);
        const usage = { inputTokens: 10, outputTokens: 2, costUsd: 0.25 };

        let cs = await claimWf(store, 11);
        assert.deepEqual(cs.map((c) => c.task.step), ['plan']);
        await finish(store, cs[0], { summary: 'S1', files: ['a.ts', 'b.ts', 'c.ts'] }, 12, { usage });
        let run = await store.getRun(id);
        assert.deepEqual(statuses(run), { plan: 'completed', backend: 'running', frontend: 'running', tests: 'pending', review: 'pending', fix: 'pending', after_fix: 'pending', each_file: 'running', publish: 'pending' });
        const plan = stepOf(run, 'plan');
        assert.deepEqual([plan.output, plan.result, plan.finishedAt, plan.agents, plan.usage], ['out:plan', { summary: 'S1', files: ['a.ts', 'b.ts', 'c.ts'] }, 12, ['W'], usage]);
        assert.equal((await taskOfStep(store, id, 'backend')).prompt, 'Implement API per S1');
        assert.equal((await taskOfStep(store, id, 'frontend')).prompt, 'UI for login');
        const items = await Promise.all(stepOf(run, 'each_file').taskIds.map((t) => store.getTask(t)));
        assert.deepEqual(items.map((t) => [t.title, t.prompt, t.step, t.run]), [
          ['feature.each_file[0]', 'Document a.ts (0)', 'each_file', id],
          ['feature.each_file[1]', 'Document b.ts (1)', 'each_file', id],
          ['feature.each_file[2]', 'Document c.ts (2)', 'each_file', id],
        ]);
        assert.equal(stepOf(run, 'each_file').items, 3);

        cs = await claimWf(store, 13);
        assert.deepEqual(cs.map((c) => c.task.step).sort(), ['backend', 'each_file', 'each_file', 'each_file', 'frontend']);
        await finish(store, claimOf(cs, 'backend'), { ok: 1 }, 14);
        assert.equal(stepOf(await store.getRun(id), 'tests').status, 'pending', 'tests waits for frontend too');
        await finish(store, claimOf(cs, 'frontend'), { ok: 2 }, 15);
        assert.equal((await taskOfStep(store, id, 'tests')).prompt, 'pass=true');
        const tc = await claimWf(store, 16);
        assert.deepEqual(tc.map((c) => c.task.step), ['tests']);
        await finish(store, tc[0], { passed: true }, 17);
        run = await store.getRun(id);
        assert.equal(stepOf(run, 'review').status, 'running');
        assert.deepEqual([stepOf(run, 'fix').status, stepOf(run, 'fix').reason, stepOf(run, 'fix').taskIds], ['skipped', 'if: steps.tests.result.passed != true was false', []]);
        assert.deepEqual([stepOf(run, 'after_fix').status, stepOf(run, 'after_fix').reason], ['skipped', 'every step it needs was skipped']);

        const rc = await claimWf(store, 18);
        await finish(store, claimOf(rc, 'review'), { verdict: 'lgtm' }, 19);
        assert.equal(stepOf(await store.getRun(id), 'publish').status, 'pending', 'publish waits for every item');
        // items end out of order; the step's result keeps item order
        await finish(store, claimOf(cs, 'each_file', 2), 'r2', 20, { usage });
        await finish(store, claimOf(cs, 'each_file', 0), 'r0', 21, { usage });
        run = await store.getRun(id);
        assert.deepEqual([stepOf(run, 'each_file').status, stepOf(run, 'publish').status], ['running', 'pending'], '2 of 3 items done: still waiting');
        await finish(store, claimOf(cs, 'each_file', 1), 'r1', 22, { usage });
        run = await store.getRun(id);
        const each = stepOf(run, 'each_file');
        assert.deepEqual([each.status, each.result, each.output, each.finishedAt], ['completed', ['r0', 'r1', 'r2'], 'out:each_file\n\nout:each_file\n\nout:each_file', 22]);
        assert.deepEqual(each.usage, { inputTokens: 30, outputTokens: 6, costUsd: 0.75 });
        assert.equal((await taskOfStep(store, id, 'publish')).prompt, 'Publish 3 docs; review said lgtm');
        assert.equal(run.status, 'running');

        const pc = await claimWf(store, 23);
        await finish(store, claimOf(pc, 'publish'), { ok: true }, 24);
        run = await store.getRun(id);
        assert.deepEqual([run.status, run.error, run.finishedAt], ['completed', null, 24]);
        assert.deepEqual(run.progress, progress({ completed: 7, skipped: 2 }));
        assert.deepEqual(run.usage, { inputTokens: 40, outputTokens: 8, costUsd: 1 });
        assert.deepEqual(await claimWf(store, 25), []);
        const evs = await eventsAfter(store, 0, { subject: `run:${id}` });
        assert.equal(evs[0].type, 'run.created');
        assert.deepEqual([evs.at(-1)!.type, evs.at(-1)!.data], ['run.completed', { durationMs: 14 }]);
        assert.ok(evs.some((e) => e.type === 'run.step' && e.data.step === 'fix' && e.data.status === 'skipped' && e.data.reason === 'if: steps.tests.result.passed != true was false'));
        assert.equal(evs.filter((e) => e.type === 'run.step' && e.data.status === 'completed').length, 7);
        assert.equal(evs.filter((e) => e.type === 'run.step' && e.data.status === 'skipped').length, 2);
      });

      test('run events: created, a step running then completed per step, completed — in order', async (store) => {
        await worker(store);
        await define(store, { name: 'two', steps: { a: { prompt: 'A' }, b: { needs: ['a'], prompt: 'B {{steps.a.output}}' } } }, 1);
        const { id } = await store.createRun('two', undefined, {}, DEFAULTS, 100);
        const end = await drive(store, 100);
        const run = await store.getRun(id);
        assert.equal(run.status, 'completed');
        const [ta, tb] = [stepOf(run, 'a').taskIds[0], stepOf(run, 'b').taskIds[0]];
        assert.equal((await store.getTask(tb)).prompt, 'B out:a');
        const evs = await eventsAfter(store, 0, { subject: `run:${id}` });
        assert.deepEqual(evs.map((e) => [e.type, e.data]), [
          ['run.created', { workflow: 'two', version: 1, steps: 2 }],
          ['run.step', { step: 'a', status: 'running', tasks: [ta] }],
          ['run.step', { step: 'a', status: 'completed' }],
          ['run.step', { step: 'b', status: 'running', tasks: [tb] }],
          ['run.step', { step: 'b', status: 'completed' }],
          ['run.completed', { durationMs: end - 1 - 100 }],
        ]);
      });

      test('`if` false at the root skips the step and everything only it feeds; a run with nothing to run completes in createRun', async (store) => {
        await define(store, {
          name: 'maybe',
          inputs: { go: { type: 'boolean', default: false }, files: { type: 'array', default: [] } },
          steps: { first: { if: 'inputs.go' }, second: { needs: ['first'] }, each: { for_each: 'inputs.files', prompt: '{{item}}' }, after_each: { needs: ['each'], if: 'len(steps.each.result) > 0' } },
        }, 1);
        const seq = await store.lastEventSeq();
        const run = await store.createRun('maybe', undefined, {}, DEFAULTS, 5);
        assert.deepEqual(statuses(run), { first: 'skipped', second: 'skipped', each: 'completed', after_each: 'skipped' });
        assert.deepEqual([run.status, run.finishedAt, run.error], ['completed', 5, null]);
        assert.deepEqual(run.progress, progress({ completed: 1, skipped: 3 }));
        assert.equal(stepOf(run, 'first').reason, 'if: inputs.go was false');
        assert.equal(stepOf(run, 'second').reason, 'every step it needs was skipped');
        assert.equal(stepOf(run, 'after_each').reason, 'if: len(steps.each.result) > 0 was false');
        assert.deepEqual([stepOf(run, 'each').result, stepOf(run, 'each').output, stepOf(run, 'each').taskIds], [[], '', []], 'for_each over [] completes with no task');
        assert.deepEqual(await store.listTasks({}), []);
        const types = (await eventsAfter(store, seq, { subject: `run:${run.id}` })).map((e) => e.type);
        assert.deepEqual(types, ['run.created', 'run.step', 'run.step', 'run.step', 'run.step', 'run.completed']);
        // with go = true the same definition runs its first branch
        const other = await store.createRun('maybe', undefined, { go: 'true', files: ['f'] }, DEFAULTS, 6);
        assert.deepEqual(statuses(other), { first: 'running', second: 'pending', each: 'running', after_each: 'pending' });
      });

      test('a step with one live need runs though another need was skipped; skipped needs read as null', async (store) => {
        await worker(store);
        await define(store, {
          name: 'mixed',
          inputs: { go: { type: 'boolean', default: false } },
          steps: { opt: { if: 'inputs.go' }, base: { prompt: 'b' }, last: { needs: ['opt', 'base'], prompt: '[{{steps.opt.output}}|{{steps.opt.status}}|{{steps.base.output}}]' } },
        }, 1);
        const created = await store.createRun('mixed', undefined, {}, DEFAULTS, 5);
        assert.equal(stepOf(created, 'opt').status, 'skipped');
        assert.equal(stepOf(created, 'last').status, 'pending');
        await drive(store, 5);
        const run = await store.getRun(created.id);
        assert.equal(run.status, 'completed');
        assert.equal((await taskOfStep(store, run.id, 'last')).prompt, '[|skipped|out:base]');
      });

      test('a dead task fails its step; its dependents are cancelled (no tasks); the run fails with the error once the rest ends', async (store) => {
        await worker(store);
        await define(store, { name: 'fragile', steps: { a: { retries: 0 }, b: { needs: ['a'] }, c: { needs: ['b'] }, d: {}, e: { needs: ['d'] } } }, 1);
        const { id } = await store.createRun('fragile', undefined, {}, DEFAULTS, 10);
        const cs = await claimWf(store, 11);
        assert.deepEqual(cs.map((c) => c.task.step), ['a', 'd']);
        const ta = claimOf(cs, 'a').task.id;
        assert.equal(await store.fail(ta, 1, failure('TASK_FAILED', 'boom'), 12), 'dead');
        let run = await store.getRun(id);
        assert.equal(run.status, 'running', 'the independent branch is still open');
        assert.deepEqual([stepOf(run, 'a').status, stepOf(run, 'a').reason], ['failed', `task ${ta} dead: TASK_FAILED: boom`]);
        assert.deepEqual([stepOf(run, 'b').status, stepOf(run, 'b').reason, stepOf(run, 'b').taskIds], ['cancelled', 'DEPENDENCY_FAILED: step a failed', []]);
        assert.deepEqual([stepOf(run, 'c').status, stepOf(run, 'c').reason, stepOf(run, 'c').taskIds], ['cancelled', 'DEPENDENCY_FAILED: step b cancelled', []]);
        assert.equal((await store.listTasks({})).length, 2, 'no task was made for b or c');

        await finish(store, claimOf(cs, 'd'), {}, 13);
        const ec = await claimWf(store, 14);
        assert.deepEqual(ec.map((c) => c.task.step), ['e']);
        await finish(store, ec[0], {}, 15);
        run = await store.getRun(id);
        assert.deepEqual([run.status, run.finishedAt], ['failed', 15]);
        assert.equal(run.error, `step a failed: task ${ta} dead: TASK_FAILED: boom`);
        assert.deepEqual(run.progress, progress({ completed: 2, failed: 1, cancelled: 2 }));
        const last = (await eventsAfter(store, 0, { subject: `run:${id}` })).at(-1)!;
        assert.deepEqual([last.type, last.data.error], ['run.failed', run.error]);
      });

      test('cancelling one task of a run cancels its step, its dependents, and fails the run', async (store) => {
        await define(store, { name: 'pair', steps: { a: {}, b: { needs: ['a'] } } }, 1);
        const { id } = await store.createRun('pair', undefined, {}, DEFAULTS, 1);
        const ta = await taskOfStep(store, id, 'a');
        await store.cancel(ta.id, 'by hand', 2);
        const run = await store.getRun(id);
        assert.deepEqual(statuses(run), { a: 'cancelled', b: 'cancelled' });
        assert.equal(run.status, 'failed');
        assert.match(run.error!, /^step a cancelled: task \d+ cancelled/);
      });

      test('continue_on_failure: the failed step counts as done, dependents see its status, the run completes', async (store) => {
        await worker(store);
        await define(store, { name: 'lenient', steps: { lint: { retries: 0, continue_on_failure: true }, build: { needs: ['lint'], prompt: 'lint was {{steps.lint.status}}' } } }, 1);
        const { id } = await store.createRun('lenient', undefined, {}, DEFAULTS, 1);
        const [c] = await claimWf(store, 2);
        assert.equal(await store.fail(c.task.id, c.attempt, failure('TASK_FAILED', 'style'), 3), 'dead');
        let run = await store.getRun(id);
        assert.deepEqual(statuses(run), { lint: 'failed', build: 'running' });
        assert.equal((await taskOfStep(store, id, 'build')).prompt, 'lint was failed');
        await drive(store, 4);
        run = await store.getRun(id);
        assert.deepEqual([run.status, run.error], ['completed', null]);
        assert.deepEqual(run.progress, progress({ failed: 1, completed: 1 }));
      });

      test('a step pinned to an agent routes through agent:<name>, which only that agent offers', async (store) => {
        await store.registerAgent(spec('A', ['x']), 0);
        await store.registerAgent(spec('B', ['x']), 0);
        await define(store, { name: 'pinned', steps: { one: { caps: ['x'], agent: 'B' }, ghost: { caps: ['x'], agent: 'Z' } } }, 1);
        const { id } = await store.createRun('pinned', undefined, {}, DEFAULTS, 1);
        const one = await taskOfStep(store, id, 'one');
        assert.deepEqual(one.capabilities, ['agent:B', 'x']);
        assert.equal(one.reason, null, 'routable: agent B holds agent:B');
        assert.match((await taskOfStep(store, id, 'ghost')).reason ?? '', /no agent with capabilities \[agent:Z, x\]/);
        assert.deepEqual(await claimWf(store, 2, 5, 'A'), [], 'A does not hold agent:B');
        const cs = await claimWf(store, 3, 5, 'B');
        assert.deepEqual(cs.map((c) => [c.task.id, c.agentName]), [[one.id, 'B']]);
      });

      test("a step's task takes its fields from the step and the rest from the defaults given to createRun, also for steps started later", async (store) => {
        await worker(store);
        await define(store, { name: 'fields', steps: { a: {}, b: { needs: ['a'], priority: 'low', timeout: '5s', retries: 0, title: 'B of run {{run.id}} ({{run.workflow}} v{{run.version}})', type: 'review', locks: ['l2', 'l1'] } } }, 1);
        const defaults = { ...DEFAULTS, priority: 'high' as const, scheduleTimeoutMs: 123_000, retry: { maxAttempts: 7, backoffMs: 10, backoffCapMs: 20 } };
        const { id } = await store.createRun('fields', undefined, {}, defaults, 1);
        const a = await taskOfStep(store, id, 'a');
        assert.deepEqual([a.priority, a.scheduleTimeoutMs, a.retry, a.timeoutMs, a.type, a.title], ['high', 123_000, defaults.retry, 0, 'task', 'fields.a']);
        const [c] = await claimWf(store, 2);
        await finish(store, c, {}, 3);
        const b = await taskOfStep(store, id, 'b');
        assert.deepEqual(
          [b.priority, b.scheduleTimeoutMs, b.retry, b.timeoutMs, b.type, b.title, b.locks],
          ['low', 123_000, { maxAttempts: 1, backoffMs: 10, backoffCapMs: 20 }, 5000, 'review', `B of run ${id} (fields v1)`, ['l1', 'l2']],
        );
      });

      test('a for_each that does not give a list fails its step at once (EXPRESSION_FAILED, no task) and the run with it', async (store) => {
        await define(store, { name: 'badlist', inputs: { files: { type: 'any', default: 'a.ts' } }, steps: { each: { for_each: 'inputs.files', prompt: '{{item}}' }, after: { needs: ['each'] } } }, 1);
        const run = await store.createRun('badlist', undefined, {}, DEFAULTS, 1);
        assert.deepEqual(statuses(run), { each: 'failed', after: 'cancelled' });
        assert.equal(stepOf(run, 'each').reason, 'EXPRESSION_FAILED: for_each: inputs.files gave "a.ts", not a list');
        assert.deepEqual(stepOf(run, 'each').taskIds, []);
        assert.deepEqual([run.status, run.error], ['failed', 'step each failed: EXPRESSION_FAILED: for_each: inputs.files gave "a.ts", not a list']);
        const over = await store.createRun('badlist', undefined, { files: Array.from({ length: WORKFLOW_LIMITS.forEachItems + 1 }, (_, i) => i) }, DEFAULTS, 2);
        assert.equal(over.status, 'failed');
        assert.match(stepOf(over, 'each').reason!, /over the limit/);
        assert.deepEqual(await store.listTasks({}), []);
      });

      test('a task of a run that dies by schedule timeout or an expired lease fails its step like any other death', async (store) => {
        await worker(store);
        await define(store, { name: 'timers', steps: { stuck: { caps: ['nobody'] }, lost: { retries: 0 }, after: { needs: ['stuck'] } } }, 1);
        const { id } = await store.createRun('timers', undefined, {}, { ...DEFAULTS, scheduleTimeoutMs: 1000 }, 10);
        const [c] = await store.claim([wfOffer(await store.getAgent('W'), 5)], 20, 100);
        assert.equal(c.task.step, 'lost');
        assert.deepEqual((await store.reapExpired(200)).map((r) => r.taskId), [c.task.id]);
        let run = await store.getRun(id);
        assert.equal(stepOf(run, 'lost').status, 'failed');
        assert.match(stepOf(run, 'lost').reason!, /dead: LEASE_EXPIRED/);
        assert.equal(run.status, 'running');
        assert.equal(await store.expireUnscheduled(2000), 1);
        run = await store.getRun(id);
        assert.deepEqual(statuses(run), { stuck: 'failed', lost: 'failed', after: 'cancelled' });
        assert.match(stepOf(run, 'stuck').reason!, /dead: SCHEDULE_TIMEOUT/);
        assert.equal(run.status, 'failed');
        assert.match(run.error!, /^step lost failed: task \d+ dead: LEASE_EXPIRED/, 'the first failure is the error');
      });

      // ------------------------------------------------------------ pause and resume

      test('pauseRun holds queued tasks (claim gets nothing); resumeRun releases them', async (store) => {
        await worker(store);
        await define(store, FEATURE, 1);
        const { id } = await store.createRun('feature', undefined, { spec: 's' }, DEFAULTS, 10);
        const plan = await taskOfStep(store, id, 'plan');
        const seq = await store.lastEventSeq();
        const paused = await store.pauseRun(id, 11);
        assert.equal(paused.status, 'paused');
        const held = await store.getTask(plan.id);
        assert.equal(held.status, 'pending');
        assert.match(held.reason!, new RegExp(`held: workflow run ${id} is paused`));
        assert.deepEqual(await claimWf(store, 12), []);
        assert.equal(await store.promoteReady(10_000_000), 0, 'a held task is not promoted');
        assert.equal((await store.getTask(plan.id)).status, 'pending');
        await rejectsWith(store.pauseRun(id, 13), 'INVALID_TRANSITION', 'paused');
        let evs = await eventsAfter(store, seq);
        assert.deepEqual(evs.map((e) => [e.type, e.subject, e.data]), [
          ['task.held', `task:${plan.id}`, { run: id }],
          ['run.paused', `run:${id}`, { heldTasks: 1 }],
        ]);

        const s2 = await store.lastEventSeq();
        const resumed = await store.resumeRun(id, 14);
        assert.equal(resumed.status, 'running');
        const back = await store.getTask(plan.id);
        assert.deepEqual([back.status, back.reason], ['queued', null]);
        evs = await eventsAfter(store, s2, { subject: `run:${id}` });
        assert.deepEqual(evs.map((e) => [e.type, e.data]), [['run.resumed', { releasedTasks: 1 }]]);
        await rejectsWith(store.resumeRun(id, 15), 'INVALID_TRANSITION', 'running');
        const cs = await claimWf(store, 16);
        assert.deepEqual(cs.map((c) => [c.task.id, c.attempt]), [[plan.id, 1]]);
      });

      test('a step whose needs finish while its run is paused is `ready` with no task; resumeRun starts it', async (store) => {
        await worker(store);
        await define(store, FEATURE, 1);
        const { id } = await store.createRun('feature', undefined, { spec: 's' }, DEFAULTS, 10);
        const [pc] = await claimWf(store, 11);
        const p = await store.pauseRun(id, 12);
        assert.equal(p.status, 'paused');
        assert.equal((await store.getTask(pc.task.id)).status, 'running', 'a running task runs on');
        await finish(store, pc, { summary: 'S', files: ['x', 'y'] }, 13);
        let run = await store.getRun(id);
        assert.equal(run.status, 'paused');
        for (const s of ['backend', 'frontend', 'each_file']) {
          assert.equal(stepOf(run, s).status, 'ready', s);
          assert.deepEqual(stepOf(run, s).taskIds, [], s);
        }
        assert.deepEqual(run.progress, progress({ completed: 1, ready: 3, pending: 5 }));
        assert.equal((await store.listTasks({})).length, 1, 'no task made while paused');
        assert.deepEqual(await claimWf(store, 14), []);
        const readyEvents = await eventsAfter(store, 0, { subject: `run:${id}`, types: ['run.step'] });
        assert.ok(readyEvents.some((e) => e.data.step === 'backend' && e.data.status === 'ready' && e.data.reason === 'run paused'));

        run = await store.resumeRun(id, 15);
        assert.equal(run.status, 'running');
        assert.deepEqual([stepOf(run, 'backend').status, stepOf(run, 'frontend').status, stepOf(run, 'each_file').status], ['running', 'running', 'running']);
        assert.equal(stepOf(run, 'each_file').taskIds.length, 2);
        assert.equal((await taskOfStep(store, id, 'backend')).prompt, 'Implement API per S', 'rendered at resume from the upstream output');
        const cs = await claimWf(store, 16);
        assert.deepEqual(cs.map((c) => c.task.step).sort(), ['backend', 'each_file', 'each_file', 'frontend']);
        await drive(store, 17, (t) => (t.step === 'tests' ? { passed: true } : { ok: t.step }));
        assert.equal((await store.getRun(id)).status, 'running', 'claimed tasks above are still running');
        for (const c of cs) await finish(store, c, { ok: c.task.step }, 40);
        await drive(store, 41, (t) => (t.step === 'tests' ? { passed: true } : { ok: t.step }));
        run = await store.getRun(id);
        assert.equal(run.status, 'completed', JSON.stringify(statuses(run)));
      });

      test('a task that fails and retries while its run is paused is held until resume (and then waits out its backoff)', async (store) => {
        await worker(store);
        await define(store, { name: 'retrying', steps: { a: { retries: 2 } } }, 1);
        const { id } = await store.createRun('retrying', undefined, {}, DEFAULTS, 10);
        const [c] = await claimWf(store, 11);
        await store.pauseRun(id, 12);
        const seq = await store.lastEventSeq();
        const outcome = await store.fail(c.task.id, 1, failure(), 100);
        assert.notEqual(outcome, 'dead');
        const t = await store.getTask(c.task.id);
        assert.equal(t.status, 'pending');
        assert.match(t.reason!, /held: workflow run \d+ is paused/);
        assert.equal(t.runAt, 600, 'backoff 1000 × jitter 0.5');
        const held = await eventsAfter(store, seq, { types: ['task.held'] });
        assert.deepEqual(held.map((e) => [e.subject, e.data]), [[`task:${t.id}`, { run: id }]]);
        assert.equal(await store.promoteReady(10_000), 0, 'held past its retry time');
        assert.deepEqual(await claimWf(store, 10_001), []);
        assert.equal(stepOf(await store.getRun(id), 'a').status, 'running');

        // resumed before its retry time: it waits for it, then runs as attempt 2
        const r = await store.resumeRun(id, 300);
        assert.equal(r.status, 'running');
        assert.equal((await store.getTask(t.id)).status, 'pending');
        assert.deepEqual(await claimWf(store, 301), []);
        assert.equal(await store.promoteReady(600), 1);
        const [c2] = await claimWf(store, 601);
        assert.deepEqual([c2.task.id, c2.attempt], [t.id, 2]);
        await finish(store, c2, { ok: true }, 602);
        assert.equal((await store.getRun(id)).status, 'completed');
      });

      test('resuming after the retry time queues a held retry at once', async (store) => {
        await worker(store);
        await define(store, { name: 'retrying', steps: { a: { retries: 1 } } }, 1);
        const { id } = await store.createRun('retrying', undefined, {}, DEFAULTS, 10);
        const [c] = await claimWf(store, 11);
        await store.pauseRun(id, 12);
        await store.fail(c.task.id, 1, failure(), 13);
        assert.equal((await store.getTask(c.task.id)).status, 'pending');
        await store.resumeRun(id, 5000);
        assert.equal((await store.getTask(c.task.id)).status, 'queued');
        const [c2] = await claimWf(store, 5001);
        assert.equal(c2.attempt, 2);
      });

      // ------------------------------------------------------------ cancel

      test('cancelRun returns the running attempts, cancels every open task and step, and ends the run cancelled', async (store) => {
        await worker(store);
        await define(store, FEATURE, 1);
        const { id } = await store.createRun('feature', undefined, { spec: 's' }, DEFAULTS, 10);
        const [pc] = await claimWf(store, 11);
        await finish(store, pc, { summary: 'S', files: ['x', 'y'] }, 12);
        const cs = await claimWf(store, 13, 2);
        assert.equal(cs.length, 2, 'two of the four started tasks run; two stay queued');
        const seq = await store.lastEventSeq();
        const { run, running } = await store.cancelRun(id, 'changed my mind', 20);
        assert.deepEqual(
          [...running].sort((a, b) => a.taskId - b.taskId),
          cs.map((c) => ({ taskId: c.task.id, attempt: c.attempt })).sort((a, b) => a.taskId - b.taskId),
        );
        assert.deepEqual([run.status, run.error, run.finishedAt], ['cancelled', 'cancelled: changed my mind', 20]);
        const st = statuses(run);
        assert.equal(st.plan, 'completed', 'a completed step stays completed');
        for (const s of FEATURE_STEPS.filter((x) => x !== 'plan')) {
          assert.equal(st[s], 'cancelled', s);
          assert.equal(stepOf(run, s).reason, 'run cancelled: changed my mind', s);
        }
        assert.deepEqual(run.progress, progress({ completed: 1, cancelled: 8 }));
        for (const tid of [...stepOf(run, 'backend').taskIds, ...stepOf(run, 'each_file').taskIds]) {
          const t = await store.getTask(tid);
          assert.equal(t.status, 'cancelled');
          assert.match(t.reason!, new RegExp(`workflow run ${id} cancelled: changed my mind`));
        }
        assert.equal((await store.getTask(pc.task.id)).status, 'completed');
        assert.deepEqual(await claimWf(store, 21), []);
        await rejectsWith(store.complete(cs[0].task.id, cs[0].attempt, done(), 22), 'STALE_ATTEMPT');

        const runEvents = await eventsAfter(store, seq, { subject: `run:${id}` });
        assert.equal(runEvents.at(-1)!.type, 'run.cancelled');
        assert.deepEqual(runEvents.at(-1)!.data, { reason: 'changed my mind', steps: 8, killed: 2 });
        assert.equal(runEvents.filter((e) => e.type === 'run.step' && e.data.status === 'cancelled').length, 8);
        assert.ok(!runEvents.some((e) => e.type === 'run.failed'), 'cancelling its tasks does not also fail the run');

        await rejectsWith(store.cancelRun(id, 'again', 23), 'INVALID_TRANSITION', 'cancelled');
        await rejectsWith(store.pauseRun(id, 23), 'INVALID_TRANSITION');
        await rejectsWith(store.resumeRun(id, 23), 'INVALID_TRANSITION');
        await rejectsWith(store.cancelRun(id + 1000, 'x', 23), 'WORKFLOW_RUN_NOT_FOUND');
      });

      test('a cancelled run can be retried: its cancelled tasks (held ones too) run again, completed steps do not', async (store) => {
        await worker(store);
        await define(store, { name: 'pair', steps: { a: {}, b: { needs: ['a'] }, c: {} } }, 1);
        const { id } = await store.createRun('pair', undefined, {}, DEFAULTS, 1);
        const first = await claimWf(store, 2, 1);
        assert.deepEqual(first.map((c) => c.task.step), ['a']);
        await finish(store, first[0], {}, 3);
        await store.pauseRun(id, 4); // b starts paused → ready; c is held
        const { running } = await store.cancelRun(id, 'stop', 5);
        assert.deepEqual(running, []);
        const cancelled = await store.getRun(id);
        assert.deepEqual(statuses(cancelled), { a: 'completed', b: 'cancelled', c: 'cancelled' });
        const tc = await taskOfStep(store, id, 'c');
        assert.equal(tc.status, 'cancelled');

        const retried = await store.retryRun(id, 6);
        assert.equal(retried.status, 'running');
        assert.deepEqual(statuses(retried), { a: 'completed', b: 'running', c: 'running' });
        assert.equal(stepOf(retried, 'c').taskIds[0], tc.id, 'the same task runs again');
        assert.equal((await store.getTask(tc.id)).status, 'queued');
        const cs = await claimWf(store, 7);
        assert.deepEqual(cs.map((c) => c.task.step).sort(), ['b', 'c']);
        for (const c of cs) await finish(store, c, {}, 8);
        const run = await store.getRun(id);
        assert.deepEqual([run.status, run.error, run.finishedAt], ['completed', null, 8]);
        assert.equal((await taskOfStep(store, id, 'a')).attempts, 1);
      });

      // ------------------------------------------------------------ retry

      test('retryRun re-runs only failed and cancelled steps: completed tasks are untouched, the dead task is requeued with attempts continuing', async (store) => {
        await worker(store);
        await define(store, { name: 'flaky', steps: { plan: {}, work: { needs: ['plan'], retries: 1 }, after: { needs: ['work'] }, side: { needs: ['plan'] } } }, 1);
        const { id } = await store.createRun('flaky', undefined, {}, DEFAULTS, 10);
        const [pc] = await claimWf(store, 11);
        await finish(store, pc, { p: 1 }, 12);
        let cs = await claimWf(store, 13);
        await finish(store, claimOf(cs, 'side'), {}, 14);
        const work = claimOf(cs, 'work').task;
        assert.equal(await store.fail(work.id, 1, failure(), 15), 'pending');
        await store.promoteReady(10_000);
        cs = await claimWf(store, 10_001);
        assert.equal(await store.fail(work.id, 2, failure('TASK_FAILED', 'still broken'), 10_002), 'dead');
        let run = await store.getRun(id);
        assert.deepEqual([run.status, statuses(run)], ['failed', { plan: 'completed', work: 'failed', after: 'cancelled', side: 'completed' }]);
        const planBefore = await store.getTask(pc.task.id);

        // a task of a run is retried through its run only
        await rejectsWith(store.retry(work.id, 10_003), 'INVALID_TRANSITION', `workflow run ${id}`);
        await rejectsWith(store.requeueDead(10_003, { ids: [work.id] }), 'INVALID_TRANSITION');
        assert.equal((await store.getTask(work.id)).status, 'dead');
        const plain = await one(store, { title: 'plain', maxAttempts: 1 }, 10_004);
        const [plainClaim] = await claimWf(store, 10_005);
        assert.equal(plainClaim.task.id, plain.id);
        await store.fail(plain.id, 1, failure(), 10_006);
        await rejectsWith(store.requeueDead(10_006, { ids: [plain.id, work.id] }), 'INVALID_TRANSITION');
        assert.equal((await store.getTask(plain.id)).status, 'dead', 'all or nothing');
        assert.deepEqual(await store.requeueDead(10_007), [plain.id], 'requeueDead of all skips the task of a run');
        assert.equal((await store.getTask(work.id)).status, 'dead');
        await store.cancel(plain.id, 'not needed', 10_008);

        await rejectsWith(store.retryRun(id + 1000, 10_009), 'WORKFLOW_RUN_NOT_FOUND');
        const seq = await store.lastEventSeq();
        run = await store.retryRun(id, 10_010);
        assert.deepEqual([run.status, run.error, run.finishedAt], ['running', null, null]);
        assert.deepEqual(statuses(run), { plan: 'completed', work: 'running', after: 'pending', side: 'completed' });
        assert.deepEqual(stepOf(run, 'work').taskIds, [work.id], 'the same task');
        assert.equal(stepOf(run, 'work').reason, null);
        const requeued = await store.getTask(work.id);
        assert.deepEqual([requeued.status, requeued.attempts], ['queued', 2]);
        assert.deepEqual(await store.getTask(pc.task.id), planBefore, 'the completed task is untouched');
        const evs = await eventsAfter(store, seq);
        const retried = evs.find((e) => e.type === 'run.retried')!;
        assert.deepEqual([...(retried.data.steps as string[])].sort(), ['after', 'work']);
        assert.ok(evs.some((e) => e.type === 'task.requeued' && e.subject === `task:${work.id}`));
        await rejectsWith(store.retryRun(id, 10_011), 'INVALID_TRANSITION', 'running');

        cs = await claimWf(store, 10_012);
        assert.deepEqual(cs.map((c) => [c.task.id, c.attempt]), [[work.id, 3]], 'attempt numbers continue');
        assert.equal(await store.fail(work.id, 3, failure(), 10_013), 'pending', 'a fresh attempt budget');
        await store.promoteReady(20_000);
        cs = await claimWf(store, 20_001);
        await finish(store, cs[0], { fixed: true }, 20_002);
        const ac = await claimWf(store, 20_003);
        assert.deepEqual(ac.map((c) => c.task.step), ['after']);
        await finish(store, ac[0], {}, 20_004);
        run = await store.getRun(id);
        assert.deepEqual([run.status, run.error], ['completed', null]);
        assert.deepEqual(run.progress, progress({ completed: 4 }));
        assert.deepEqual((await store.listAttempts(work.id)).map((a) => [a.attempt, a.status]), [[1, 'failed'], [2, 'failed'], [3, 'failed'], [4, 'completed']]);
        await rejectsWith(store.retryRun(id, 20_005), 'INVALID_TRANSITION', 'completed');
        const types = (await eventsAfter(store, 0, { subject: `run:${id}` })).map((e) => e.type);
        assert.deepEqual(types.filter((t) => t.startsWith('run.') && t !== 'run.step'), ['run.created', 'run.failed', 'run.retried', 'run.completed']);
      }, { random: () => 0.5 });

      test('retryRun of a for_each step requeues only its dead items; the completed items keep their results', async (store) => {
        await worker(store);
        await define(store, { name: 'fan', steps: { each: { for_each: "['a', 'b', 'c']", prompt: '{{item}}', retries: 0 }, join: { needs: ['each'], prompt: '{{join(steps.each.result, \",\")}}' } } }, 1);
        const { id } = await store.createRun('fan', undefined, {}, DEFAULTS, 1);
        const cs = await claimWf(store, 2);
        assert.deepEqual(cs.map((c) => c.task.prompt), ['a', 'b', 'c']);
        await finish(store, cs[0], 'A', 3);
        assert.equal(await store.fail(cs[1].task.id, 1, failure(), 4), 'dead');
        assert.equal(stepOf(await store.getRun(id), 'each').status, 'running', 'a step ends when every item has');
        await finish(store, cs[2], 'C', 5);
        let run = await store.getRun(id);
        assert.deepEqual([run.status, statuses(run)], ['failed', { each: 'failed', join: 'cancelled' }]);

        run = await store.retryRun(id, 6);
        assert.deepEqual(stepOf(run, 'each').taskIds, cs.map((c) => c.task.id));
        assert.deepEqual(await Promise.all(cs.map(async (c) => (await store.getTask(c.task.id)).status)), ['completed', 'queued', 'completed']);
        const again = await claimWf(store, 7);
        assert.deepEqual(again.map((c) => [c.task.id, c.attempt]), [[cs[1].task.id, 2]]);
        await finish(store, again[0], 'B', 8);
        run = await store.getRun(id);
        assert.deepEqual(stepOf(run, 'each').result, ['A', 'B', 'C']);
        assert.equal((await taskOfStep(store, id, 'join')).prompt, 'A,B,C');
      });

      it('requeueDead with a limit still finds plain dead tasks behind dead tasks of runs', () => withStore(async (store) => {
        await worker(store);
        await define(store, { name: 'dies', steps: { a: { retries: 0 } } }, 1);
        await store.createRun('dies', undefined, {}, DEFAULTS, 1);
        const [c] = await claimWf(store, 2);
        await store.fail(c.task.id, 1, failure(), 3);
        const plain = await one(store, { title: 'plain', maxAttempts: 1 }, 4);
        await claimWf(store, 5);
        await store.fail(plain.id, 1, failure(), 6);
        assert.deepEqual(await store.requeueDead(7, { limit: 1 }), [plain.id]);
      }));

      // ------------------------------------------------------------ reads

      test('getRun and listRuns: shapes, newest first, filters by status and workflow, pages by beforeId and limit', async (store) => {
        await worker(store);
        await define(store, { name: 'a', steps: { s: { prompt: 'x' } } }, 1);
        await define(store, { name: 'b', steps: { s: { prompt: 'y' } } }, 1);
        const r1 = (await store.createRun('a', undefined, {}, DEFAULTS, 10)).id;
        await drive(store, 10);
        const r2 = (await store.createRun('b', undefined, {}, DEFAULTS, 20)).id;
        const r3 = (await store.createRun('a', undefined, {}, DEFAULTS, 30)).id;
        const r4 = (await store.createRun('a', undefined, {}, DEFAULTS, 40)).id;
        await store.cancelRun(r3, 'no', 41);
        await store.pauseRun(r4, 42);

        const ids = (runs: WorkflowRun[]): number[] => runs.map((r) => r.id);
        const all = await store.listRuns({});
        assert.deepEqual(ids(all), [r4, r3, r2, r1]);
        for (const r of all) {
          assert.equal(r.steps, undefined, 'a list has no steps');
          assert.deepEqual(Object.keys(r).sort(), ['createdAt', 'error', 'finishedAt', 'id', 'inputs', 'progress', 'status', 'updatedAt', 'usage', 'version', 'workflow']);
        }
        assert.deepEqual(all.map((r) => r.status), ['paused', 'cancelled', 'running', 'completed']);
        assert.deepEqual(all.map((r) => r.progress.completed + r.progress.running + r.progress.cancelled + r.progress.ready), [1, 1, 1, 1]);
        const { steps: _ignored, ...summary } = await store.getRun(r1);
        assert.deepEqual(summary, all[3], 'a listed run is the single read without steps');

        assert.deepEqual(ids(await store.listRuns({ status: ['running'] })), [r2]);
        assert.deepEqual(ids(await store.listRuns({ status: ['completed', 'cancelled'] })), [r3, r1]);
        assert.deepEqual(ids(await store.listRuns({ workflow: 'a' })), [r4, r3, r1]);
        assert.deepEqual(ids(await store.listRuns({ workflow: 'nope' })), []);
        assert.deepEqual(ids(await store.listRuns({ workflow: 'a', status: ['paused', 'running'] })), [r4]);
        assert.deepEqual(ids(await store.listRuns({ beforeId: r3 })), [r2, r1]);
        assert.deepEqual(ids(await store.listRuns({ limit: 2 })), [r4, r3]);
        const paged: number[] = [];
        let before: number | undefined;
        for (;;) {
          const page = await store.listRuns({ beforeId: before, limit: 3 });
          if (page.length === 0) break;
          paged.push(...ids(page));
          before = page.at(-1)!.id;
        }
        assert.deepEqual(paged, [r4, r3, r2, r1]);

        const full = await store.getRun(r1);
        assert.deepEqual(Object.keys(full.steps![0]).sort(), ['agents', 'finishedAt', 'items', 'name', 'needs', 'output', 'reason', 'result', 'startedAt', 'status', 'taskIds', 'usage']);
        assert.deepEqual(full.progress, progress({ completed: 1 }));
        assert.equal(full.steps![0].output, 'out:s');
        assert.deepEqual(full.steps![0].result, { ok: true });
      });

      // ------------------------------------------------------------ scale

      test('a 1,000-step run (one root, 899 leaves needing it, a chain of 100) is created in one call and driven to completion', async (store) => {
        await worker(store);
        const steps: Record<string, unknown> = { root: { prompt: 'root' } };
        for (let i = 0; i < 899; i++) steps[`leaf${i}`] = { needs: ['root'], prompt: `leaf ${i} after {{steps.root.output}}` };
        for (let i = 0; i < 100; i++) steps[`c${i}`] = { needs: [i === 0 ? 'root' : `c${i - 1}`], prompt: `chain ${i}` };
        await define(store, { name: 'big', steps }, 1);
        const created = await store.createRun('big', undefined, {}, DEFAULTS, 10);
        assert.equal(created.steps!.length, 1000);
        assert.deepEqual(created.progress, progress({ running: 1, pending: 999 }));
        assert.equal((await store.listTasks({ limit: 10_000 })).length, 1, 'createRun made one task');

        const [rc] = await claimWf(store, 11);
        await finish(store, rc, {}, 12);
        const mid = await store.getRun(created.id);
        assert.deepEqual(mid.progress, progress({ completed: 1, running: 900, pending: 99 }));
        assert.equal((await taskOfStep(store, created.id, 'leaf898')).prompt, 'leaf 898 after out:root');
        await drive(store, 13);
        const run = await store.getRun(created.id);
        assert.equal(run.status, 'completed');
        assert.equal(run.progress.completed, 1000);
        assert.deepEqual(run.progress, progress({ completed: 1000 }));
        const tasks = await store.listTasks({ limit: 10_000 });
        assert.equal(tasks.length, 1000);
        assert.ok(tasks.every((t) => t.status === 'completed' && t.run === created.id));
        // the chain ran in order
        const chain = await Promise.all(Array.from({ length: 100 }, (_, i) => taskOfStep(store, created.id, `c${i}`)));
        for (let i = 1; i < 100; i++) assert.ok(chain[i].startedAt! > chain[i - 1].finishedAt! - 1, `c${i} after c${i - 1}`);
      });
    });
  });
}
