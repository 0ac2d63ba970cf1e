/**
 * The SQLite store's lighter writes (migration 0004): task event chains instead of a subject index entry per
 * event, no attempt row for a first attempt that completes, events inserted in batches at commit, and group
 * commits without a savepoint per report unless one is needed. What the port promises must not change.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_OPTIONS } from '../../src/core/options.js';
import type { AgentSpec, Completion } from '../../src/core/store.js';
import { resolveTaskInput, type TaskInput } from '../../src/core/task-input.js';
import { parseWorkflowDefinition } from '../../src/core/workflow-def.js';
import { listMigrations, schemaVersion } from '../../src/stores/sqlite/migrate.js';
import { openSqliteStore, SqliteStore } from '../../src/stores/sqlite/store.js';
import { tempDir } from '../helpers/hive.js';

const input = (t: TaskInput) => resolveTaskInput(t, DEFAULT_OPTIONS.taskDefaults);
const spec = (name: string, slots = 4): AgentSpec => ({
  name, role: '', capabilities: [], runtime: { kind: 'command', command: 'true' }, slots, env: {}, workdir: null,
  limits: { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 },
});
const done = (extra: Partial<Completion> = {}): Completion => ({ result: { ok: true }, output: 'out', usage: { inputTokens: 0, outputTokens: 0, costUsd: 0 }, exitCode: 0, ...extra });

async function claimOn(store: SqliteStore, name: string, now: number, free = 4) {
  const a = await store.getAgent(name);
  return store.claim([{ agentId: a.id, name, capabilities: new Set([`agent:${name}`]), free, recentFailures: 0 }], now, 30_000);
}

async function withStore(fn: (store: SqliteStore, file: string) => Promise<void>): Promise<void> {
  const t = tempDir();
  const file = join(t.dir, 'hive.db');
  const store = await openSqliteStore(file);
  try {
    await fn(store, file);
  } finally {
    await store.close();
    t.cleanup();
  }
}

describe('SQLite store: lighter writes (0004)', () => {
  it('a first attempt that completes writes no attempt row; listAttempts derives it from the task; later attempts keep their rows', async () => {
    await withStore(async (store) => {
      await store.registerAgent(spec('A'), 1);
      const [t1, t2] = (await store.enqueue([input({ title: 'once' }), input({ title: 'twice', backoffMs: 0 })], 2)).map((r) => r.task);
      await claimOn(store, 'A', 1000);
      await store.recordProcess(t1.id, 1, { pid: 321, pidStart: 7, logPath: '/logs/1.log' });
      const usage = { inputTokens: 10, outputTokens: 5, costUsd: 0.125 };
      await store.complete(t1.id, 1, done({ usage, exitCode: 0 }), 4000);
      assert.equal((store.db.raw.prepare('SELECT COUNT(*) AS n FROM attempts WHERE task_id = ?').get(t1.id) as { n: number }).n, 0);
      assert.deepEqual(await store.listAttempts(t1.id), [
        { taskId: t1.id, attempt: 1, agent: 'A', status: 'completed', startedAt: 1000, finishedAt: 4000, exitCode: 0, signal: null, errorCode: null, error: null, pid: 321, pidStart: null, logPath: '/logs/1.log', usage },
      ]);

      assert.equal(await store.fail(t2.id, 1, { code: 'TASK_FAILED', message: 'no', exitCode: 1, signal: null, usage: { inputTokens: 1, outputTokens: 1, costUsd: 0.01 }, output: null }, 5000), 'queued');
      await claimOn(store, 'A', 6000);
      await store.complete(t2.id, 2, done({ usage, exitCode: null }), 7000);
      const atts = await store.listAttempts(t2.id);
      assert.deepEqual(atts.map((a) => [a.attempt, a.status, a.startedAt, a.finishedAt, a.exitCode, a.usage.inputTokens]), [
        [1, 'failed', 1000, 5000, 1, 1],
        [2, 'completed', 6000, 7000, null, 10],
      ]);
      assert.equal((store.db.raw.prepare('SELECT COUNT(*) AS n FROM attempts WHERE task_id = ?').get(t2.id) as { n: number }).n, 2);
    });
  });

  it("a task's events form a chain, other events its own index: subject reads find every one, in order, paged and typed", async () => {
    await withStore(async (store) => {
      await store.registerAgent(spec('A'), 1);
      const [t, u] = (await store.enqueue([input({ title: 't' }), input({ title: 'u' })], 2)).map((r) => r.task);
      await claimOn(store, 'A', 3);
      await store.recordEvent('hook.failed', `task:${t.id}`, { hook: 'x' }, 4); // an event of the task written outside its state changes
      await store.recordEvent('hook.failed', 'task:999999', { hook: 'y' }, 4); // a task subject without its task
      await store.complete(u.id, 1, done(), 5);
      await store.complete(t.id, 1, done(), 6);
      const all = await store.readEvents(0, 10_000);
      for (const subject of [`task:${t.id}`, `task:${u.id}`, 'task:999999', 'agent:A', 'task:0', 'task:01']) {
        const expected = all.filter((e) => e.subject === subject);
        assert.deepEqual(await store.readEvents(0, 10_000, { subject }), expected, subject);
        const paged = [];
        for (let after = 0; ; ) {
          const page = await store.readEvents(after, 1, { subject });
          if (!page.length) break;
          paged.push(...page);
          after = page[0].seq;
        }
        assert.deepEqual(paged, expected, `${subject}, one at a time`);
        assert.deepEqual(await store.readEvents(0, 10_000, { subject, types: ['task.completed', 'hook.failed'] }), expected.filter((e) => e.type === 'task.completed' || e.type === 'hook.failed'));
      }
      assert.deepEqual((await store.readEvents(0, 100, { subject: `task:${t.id}` })).map((e) => e.type), ['task.enqueued', 'task.started', 'hook.failed', 'task.completed']);
      assert.deepEqual((await store.readEvents(0, 100, { subject: 'task:999999' })).map((e) => e.type), ['hook.failed']);
      // seqs are dense: every event got MAX(seq) + 1 in its transaction
      assert.deepEqual(all.map((e) => e.seq), all.map((_, i) => i + 1));
      // the subject reads just run never scan the events table: the partial index, or rowid look-ups along a chain
      const sqls = [...(store.db as unknown as { stmts: Map<string, unknown> }).stmts.keys()].filter((k) => k.includes('FROM events WHERE subject = ?'));
      assert.ok(sqls.length >= 2);
      for (const sql of sqls) {
        const n = (sql.match(/\?/g) ?? []).length;
        const plan = (store.db.raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...Array.from({ length: n }, (_, i) => (i === 0 && sql.startsWith('WITH') ? 1 : 'x'))) as { detail: string }[]).map((r) => r.detail);
        assert.ok(plan.some((d) => /USING INDEX events_unchained/.test(d)), plan.join('\n'));
        assert.ok(!plan.some((d) => /^SCAN events\b/.test(d)), plan.join('\n'));
      }
    });
  });

  it('one claim for two agents (their started events interleave) keeps every task chain right', async () => {
    await withStore(async (store) => {
      const a = await store.registerAgent(spec('A', 2), 1);
      const b = await store.registerAgent(spec('B', 2), 1);
      const ts = (await store.enqueue([1, 2, 3, 4].map((i) => input({ title: `t${i}` })), 2)).map((r) => r.task);
      const offer = (x: typeof a) => ({ agentId: x.id, name: x.name, capabilities: new Set([`agent:${x.name}`]), free: 2, recentFailures: 0 });
      const claims = await store.claim([offer(a), offer(b)], 3, 30_000);
      assert.deepEqual(claims.map((c) => c.agentName), ['A', 'B', 'A', 'B'], 'routing alternates: the most free slots first');
      for (const c of claims) await store.complete(c.task.id, c.attempt, done(), 4);
      const all = await store.readEvents(0, 100);
      for (const t of ts) {
        const mine = all.filter((e) => e.subject === `task:${t.id}`);
        assert.deepEqual(mine.map((e) => e.type), ['task.enqueued', 'task.started', 'task.completed']);
        assert.deepEqual(await store.readEvents(0, 100, { subject: `task:${t.id}` }), mine);
      }
    });
  });

  it('a completion sees what changed since its claim: a dependent enqueued meanwhile is released, a stale report refused', async () => {
    await withStore(async (store) => {
      await store.registerAgent(spec('A'), 1);
      const [a, x] = (await store.enqueue([input({ title: 'a' }), input({ title: 'x' })], 2)).map((r) => r.task);
      await claimOn(store, 'A', 3);
      const [b] = (await store.enqueue([input({ title: 'b', dependsOn: [a.id] })], 4)).map((r) => r.task);
      assert.equal((await store.getTask(b.id)).status, 'pending');
      await store.complete(a.id, 1, done(), 5);
      assert.equal((await store.getTask(b.id)).status, 'queued');
      assert.deepEqual((await store.readEvents(0, 100, { subject: `task:${b.id}` })).map((e) => e.type), ['task.enqueued', 'task.queued']);

      await store.cancel(x.id, 'changed my mind', 6); // from this instance: its claim is forgotten
      await assert.rejects(store.complete(x.id, 1, done(), 7), { code: 'STALE_ATTEMPT' });
      const other = await openSqliteStore(store.path);
      try {
        const [c] = await claimOn(store, 'A', 8);
        assert.equal(c.task.id, b.id);
        await other.cancel(b.id, 'from another process', 9); // this instance still remembers the claim
        await assert.rejects(store.complete(b.id, 1, done(), 10), { code: 'STALE_ATTEMPT' });
        assert.equal((await store.getTask(b.id)).status, 'cancelled');
        assert.deepEqual((await store.readEvents(0, 100, { subject: `task:${b.id}` })).map((e) => e.type), ['task.enqueued', 'task.queued', 'task.started', 'task.cancelled', 'task.stale_report']);
      } finally {
        await other.close();
      }
    });
  });

  it('a report that throws (not a fence refusal) is undone alone: its savepoint-free first try is redone with savepoints', async () => {
    await withStore(async (store) => {
      await store.registerAgent(spec('A'), 1);
      const [a, b, c] = (await store.enqueue([input({ title: 'a' }), input({ title: 'b' }), input({ title: 'c' })], 2)).map((r) => r.task);
      await claimOn(store, 'A', 3, 2);
      const writes = (store as unknown as { tasks: { tally: (id: number | null, ok: boolean, u: { inputTokens: number }) => void } }).tasks;
      const tally = writes.tally.bind(writes);
      writes.tally = (id, ok, u) => {
        if (u.inputTokens === 13) throw new Error('boom');
        tally(id, ok, u);
      };
      let savepoints = 0;
      const sp = store.db.savepoint.bind(store.db);
      store.db.savepoint = <T>(f: () => T): T => (savepoints++, sp(f));

      const stale = store.complete(a.id, 2, done(), 4); // a fence refusal: no redo needed
      const ok = store.complete(a.id, 1, done(), 4);
      const claims = await claimOn(store, 'A', 5, 1);
      await assert.rejects(stale, { code: 'STALE_ATTEMPT' });
      await ok;
      assert.equal(savepoints, 0, 'no savepoint when nothing throws but a fence');
      assert.deepEqual(claims.map((x) => x.task.id), [c.id]);

      const seq = await store.lastEventSeq();
      const bad = store.complete(b.id, 1, done({ usage: { inputTokens: 13, outputTokens: 0, costUsd: 0 } }), 6);
      const good = store.complete(c.id, 1, done(), 6);
      await assert.rejects(bad, /boom/);
      await good;
      assert.ok(savepoints > 0, 'redone with savepoints');
      assert.equal((await store.getTask(b.id)).status, 'running', 'the throwing report changed nothing');
      assert.equal((await store.getTask(c.id)).status, 'completed');
      const evs = await store.readEvents(seq, 100);
      assert.deepEqual(evs.map((e) => [e.type, e.subject, e.seq]), [['task.completed', `task:${c.id}`, seq + 1]]);
      assert.deepEqual((await store.readEvents(0, 100, { subject: `task:${b.id}` })).map((e) => e.type), ['task.enqueued', 'task.started']);
      writes.tally = tally;
      await store.complete(b.id, 1, done(), 7);
      assert.deepEqual((await store.readEvents(0, 100, { subject: `task:${b.id}` })).map((e) => e.type), ['task.enqueued', 'task.started', 'task.completed']);
      assert.equal((await store.getAgent('A')).done, 3);
    });
  });

  it('events written in a savepoint that is rolled back (a run whose advance throws) are dropped with it', async () => {
    await withStore(async (store) => {
      const a = await store.registerAgent(spec('w'), 1);
      const { spec: wf } = parseWorkflowDefinition({ name: 'wf', steps: { one: {}, two: { needs: ['one'] } } });
      await store.defineWorkflow(wf, null, 1);
      const run = await store.createRun('wf', undefined, {}, DEFAULT_OPTIONS.taskDefaults, 2);
      const [c] = await store.claim([{ agentId: a.id, name: 'w', capabilities: new Set(['agent:w']), free: 4, recentFailures: 0 }], 3, 30_000);
      const runs = (store as unknown as { runs: { advance: (...args: unknown[]) => void; db: { event: (now: number, type: string, subject: string, data: object) => number } } }).runs;
      runs.advance = function (): void {
        this.db.event(4, 'run.step', `run:${run.id}`, { phantom: true });
        this.db.event(4, 'task.phantom', `task:${c.task.id}`, {});
        throw new Error('bug while advancing');
      };
      await store.complete(c.task.id, c.attempt, done(), 4);
      assert.equal((await store.getTask(c.task.id)).status, 'completed');
      const all = await store.readEvents(0, 1000);
      assert.ok(!all.some((e) => e.type === 'task.phantom' || (e.data as { phantom?: boolean }).phantom), 'no event of the undone work');
      assert.equal(all.at(-1)!.type, 'run.failed');
      assert.deepEqual(all.map((e) => e.seq), all.map((_, i) => i + 1));
      assert.deepEqual((await store.readEvents(0, 100, { subject: `task:${c.task.id}` })).map((e) => e.type), ['task.enqueued', 'task.started', 'task.completed']);
    });
  });

  it('migrates a store written before 0004: old events join their task chains, old attempt rows stay, new writes continue the chains', async () => {
    const t = tempDir();
    const file = join(t.dir, 'hive.db');
    try {
      // a version-3 store with a history, written the way 0001-0003 Hive wrote it
      const old = new SqliteStore(file);
      for (const m of listMigrations().filter((m) => m.version <= 3)) {
        old.db.raw.exec(m.sql);
        old.db.raw.pragma(`user_version = ${m.version}`);
      }
      const raw = old.db.raw;
      raw.prepare(`INSERT INTO agents (name, caps, runtime, slots, status, created_at, updated_at) VALUES ('A', '', '{"kind":"command","command":"true"}', 2, 'active', 1, 1)`).run();
      const task = raw.prepare(`INSERT INTO tasks (title, priority, status, attempts, max_attempts, backoff_ms, backoff_cap_ms, agent, agent_id, started_at, finished_at, created_at, updated_at)
        VALUES (?, 2, ?, ?, 3, 0, 0, 'A', 1, 10, ?, 1, 1)`);
      const done1 = Number(task.run('done', 'completed', 1, 20).lastInsertRowid);
      const queued = Number(task.run('queued', 'queued', 0, null).lastInsertRowid);
      raw.prepare(`INSERT INTO attempts (task_id, attempt, agent, status, started_at, finished_at, exit_code) VALUES (?, 1, 'A', 'completed', 10, 20, 0)`).run(done1);
      const ev = raw.prepare('INSERT INTO events (time, type, subject, data) VALUES (?, ?, ?, ?)');
      ev.run(1, 'task.enqueued', `task:${done1}`, '{}');
      ev.run(1, 'task.enqueued', `task:${queued}`, '{}');
      ev.run(1, 'agent.status', 'agent:A', '{}');
      ev.run(10, 'task.started', `task:${done1}`, '{"attempt":1}');
      ev.run(11, 'hook.failed', 'task:4242', '{}');
      ev.run(20, 'task.completed', `task:${done1}`, '{"attempt":1}');
      await old.close();

      const store = await openSqliteStore(file);
      try {
        assert.equal(schemaVersion(store.db), listMigrations().at(-1)!.version);
        const all = await store.readEvents(0, 100);
        for (const subject of [`task:${done1}`, `task:${queued}`, 'agent:A', 'task:4242']) {
          assert.deepEqual(await store.readEvents(0, 100, { subject }), all.filter((e) => e.subject === subject), subject);
        }
        assert.deepEqual((await store.listAttempts(done1)).map((a) => [a.attempt, a.status, a.exitCode]), [[1, 'completed', 0]]);
        const indexes = (store.db.raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events'`).all() as { name: string }[]).map((r) => r.name);
        assert.deepEqual(indexes, ['events_unchained']);

        const [c] = await claimOn(store, 'A', 30, 2);
        assert.equal(c.task.id, queued);
        await store.complete(queued, 1, done(), 40);
        assert.deepEqual((await store.readEvents(0, 100, { subject: `task:${queued}` })).map((e) => e.type), ['task.enqueued', 'task.started', 'task.completed']);
        assert.deepEqual((await store.readEvents(0, 100, { subject: `task:${done1}` })).map((e) => e.type), ['task.enqueued', 'task.started', 'task.completed']);
      } finally {
        await store.close();
      }
    } finally {
      t.cleanup();
    }
  });
});
