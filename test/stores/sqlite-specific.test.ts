/** What only the SQLite adapter promises: migrations, pragmas, the file surviving a restart, two processes on one file, query plans. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { DEFAULT_OPTIONS } from '../../src/core/options.js';
import type { AgentSpec, Completion, Failure } from '../../src/core/store.js';
import { resolveTaskInput, type TaskInput } from '../../src/core/task-input.js';
import { SQL_CLAIM_NEXT_PAGE, SQL_CLAIM_PAGE, SQL_QUEUED_KEYS } from '../../src/stores/sqlite/claim.js';
import { listMigrations, schemaVersion } from '../../src/stores/sqlite/migrate.js';
import { openSqliteStore, SqliteStore } from '../../src/stores/sqlite/store.js';
import { SQL_COMPLETE, SQL_COMPLETE_STARTED, SQL_DEPENDENTS, SQL_EXPIRE, SQL_PROMOTE, SQL_REAP, SQL_STALE_CHECK } from '../../src/stores/sqlite/tasks.js';

const NO_USAGE = { inputTokens: 0, outputTokens: 0, costUsd: 0 };
const input = (t: TaskInput) => resolveTaskInput(t, DEFAULT_OPTIONS.taskDefaults);
const spec = (name: string, capabilities: string[], slots: number): AgentSpec => ({
  name,
  role: '',
  capabilities,
  runtime: { kind: 'command', command: 'true' },
  slots,
  env: {},
  workdir: null,
  limits: { timeoutMs: 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 },
});
const done: Completion = { result: { ok: true }, output: null, usage: NO_USAGE, exitCode: 0 };
const failure: Failure = { code: 'TASK_FAILED', message: 'exit 1', exitCode: 1, signal: null, usage: NO_USAGE, output: null };

async function claimAll(store: SqliteStore, agentName: string, now: number, free?: number) {
  const a = await store.getAgent(agentName);
  return store.claim([{ agentId: a.id, name: a.name, capabilities: new Set(a.capabilities), free: free ?? a.slots - a.running, recentFailures: 0 }], now, 30_000);
}

describe('SQLite store: specifics', () => {
  let dir: string;
  let file: string;
  const open: SqliteStore[] = [];
  const openStore = async (opts: Parameters<typeof openSqliteStore>[1] = {}): Promise<SqliteStore> => {
    const s = await openSqliteStore(file, opts);
    open.push(s);
    return s;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hive-sqlite-specific-'));
    file = join(dir, 'data', 'hive.db');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) await s.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('applies the numbered migrations once, records them in PRAGMA user_version, and migrating again is a no-op', async () => {
    const migrations = listMigrations();
    assert.ok(migrations.length >= 1);
    migrations.forEach((m, i) => {
      assert.match(m.name, /^\d{4}_[a-z0-9_]+\.sql$/);
      if (i > 0) assert.ok(m.version > migrations[i - 1].version, 'versions increase');
    });
    const latest = migrations.at(-1)!.version;

    const bare = new SqliteStore(file);
    open.push(bare);
    assert.equal(bare.db.raw.pragma('user_version', { simple: true }), 0, 'nothing before migrate()');
    await bare.migrate();
    assert.equal(schemaVersion(bare.db), latest);
    const tables = (bare.db.raw.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    for (const t of ['agents', 'attempts', 'events', 'locks', 'nodes', 'task_deps', 'tasks']) assert.ok(tables.includes(t), `table ${t}`);
    const objects = (): number => (bare.db.raw.prepare('SELECT COUNT(*) AS n FROM sqlite_master').get() as { n: number }).n;
    const before = objects();

    const [r] = await bare.enqueue([input({ title: 'keep me' })], 1);
    await bare.migrate();
    await bare.migrate();
    assert.equal(schemaVersion(bare.db), latest);
    assert.equal(objects(), before);
    assert.equal((await bare.getTask(r.task.id)).title, 'keep me');

    // another instance (another process) on the migrated file migrates nothing
    const second = await openStore();
    assert.equal(schemaVersion(second.db), latest);
    assert.equal((await second.getTask(r.task.id)).title, 'keep me');
  });

  it('refuses a file from a newer Hive (schema version above the latest migration) with STORE_UNAVAILABLE', async () => {
    const s = await openStore();
    s.db.raw.pragma(`user_version = ${listMigrations().at(-1)!.version + 1}`);
    await assert.rejects(s.migrate(), (e: { code?: string; message: string }) => e.code === 'STORE_UNAVAILABLE' && /newer/.test(e.message));
  });

  it('an unusable path is STORE_UNAVAILABLE naming the path', async () => {
    const bad = join('/dev/null', 'not-a-dir', 'hive.db');
    await assert.rejects(openSqliteStore(bad), (e: { code?: string; message: string }) => e.code === 'STORE_UNAVAILABLE' && e.message.includes(bad));
  });

  it('a report issued before a claim rides in the claim’s transaction (the freed lock is seen at once)', async () => {
    const s = await openStore();
    await s.registerAgent(spec('A', [], 1), 1);
    const [t1, t2] = (await s.enqueue([input({ title: 't1', locks: ['L'] }), input({ title: 't2', locks: ['L'] })], 2)).map((r) => r.task);
    await claimAll(s, 'A', 3);
    const report = s.complete(t1.id, 1, done, 4);
    const a = await s.getAgent('A');
    // the offer says one free slot, as an engine would offer right after the attempt ended
    const claims = await s.claim([{ agentId: a.id, name: 'A', capabilities: new Set(), free: 1, recentFailures: 0 }], 5, 30_000);
    await report;
    assert.deepEqual(claims.map((c) => c.task.id), [t2.id]);
    const evs = (await s.readEvents(0, 100)).filter((e) => e.type === 'task.completed' || e.type === 'task.started').map((e) => `${e.type}:${e.subject}`);
    assert.deepEqual(evs, [`task.started:task:${t1.id}`, `task.completed:task:${t1.id}`, `task.started:task:${t2.id}`]);
  });

  it('runs in WAL with synchronous FULL by default, NORMAL with durability "normal", and a busy timeout', async () => {
    const full = await openStore();
    assert.equal(full.db.raw.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(full.db.raw.pragma('synchronous', { simple: true }), 2, 'FULL');
    assert.ok((full.db.raw.pragma('busy_timeout', { simple: true }) as number) >= 1000);
    const normal = await openStore({ durability: 'normal' });
    assert.equal(normal.db.raw.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(normal.db.raw.pragma('synchronous', { simple: true }), 1, 'NORMAL');
  });

  it('keeps everything across close and reopen, including reports still waiting for their group commit', async () => {
    const a = await openStore();
    await a.registerAgent(spec('A', ['py'], 3), 1);
    const ts = (await a.enqueue([input({ title: 'one', capabilities: ['py'] }), input({ title: 'two' }), input({ title: 'three', dependsOn: [] }), input({ title: 'later', priority: 'low' })], 2)).map((r) => r.task);
    const claims = await claimAll(a, 'A', 3);
    assert.equal(claims.length, 3);
    await a.complete(ts[0].id, 1, done, 4);
    // issued, not awaited: close() must commit it
    const pendingReport = a.complete(ts[1].id, 1, done, 5);
    const eventsBefore = await a.readEvents(0, 10_000);
    const countsBefore = await a.counts();
    await a.close();
    await pendingReport;
    open.splice(open.indexOf(a), 1);

    const b = await openStore();
    assert.equal((await b.getTask(ts[0].id)).status, 'completed');
    assert.equal((await b.getTask(ts[1].id)).status, 'completed');
    const running = await b.getTask(ts[2].id);
    assert.equal(running.status, 'running');
    assert.equal(running.leaseUntil, 3 + 30_000);
    assert.deepEqual((await b.runningAttempts()).map((r) => [r.taskId, r.attempt]), [[ts[2].id, 1]]);
    assert.equal((await b.getTask(ts[3].id)).status, 'queued');
    const eventsAfter = await b.readEvents(0, 10_000);
    assert.deepEqual(eventsAfter.slice(0, eventsBefore.length), eventsBefore);
    assert.deepEqual(eventsAfter.slice(eventsBefore.length).map((e) => e.type), ['task.completed']);
    const countsAfter = await b.counts();
    assert.equal(countsAfter.tasks.completed, countsBefore.tasks.completed + 1);
    assert.equal((await b.getAgent('A')).done, 2);
    // the fencing token survives too
    await assert.rejects(b.complete(ts[2].id, 2, done, 6), { code: 'STALE_ATTEMPT' });
    await b.complete(ts[2].id, 1, done, 7);
  });

  it('two instances on one file (the CLI and `hive up`) see each other’s writes, and changedElsewhere() reports the other’s commits', async () => {
    const up = await openStore();
    const cli = await openStore();
    assert.equal(await up.changedElsewhere(), false, 'first call only takes a baseline');
    assert.equal(await cli.changedElsewhere(), false);

    const [t] = (await cli.enqueue([input({ title: 'from the CLI' })], 1)).map((r) => r.task);
    assert.equal(await cli.changedElsewhere(), false, 'its own commit is not "elsewhere"');
    assert.equal(await up.changedElsewhere(), true);
    assert.equal(await up.changedElsewhere(), false, 'reported once');
    assert.equal((await up.getTask(t.id)).title, 'from the CLI');

    await up.registerAgent(spec('A', [], 1), 2);
    const [c] = await claimAll(up, 'A', 3);
    assert.equal(c.task.id, t.id);
    assert.equal(await cli.changedElsewhere(), true);
    assert.equal((await cli.getTask(t.id)).status, 'running');
    assert.equal((await cli.getAgent('A')).running, 1);

    // a user cancels from the CLI; the orchestrator's report is then stale
    await cli.cancel(t.id, 'from the CLI', 4);
    assert.equal(await up.changedElsewhere(), true);
    await assert.rejects(up.complete(t.id, 1, done, 5), { code: 'STALE_ATTEMPT' });
    assert.equal((await cli.getTask(t.id)).status, 'cancelled');

    // group-committed reports from one instance are visible to the other
    const [t2] = (await cli.enqueue([input({ title: 'second', maxAttempts: 1 })], 6)).map((r) => r.task);
    await claimAll(up, 'A', 7);
    await up.fail(t2.id, 1, failure, 8);
    assert.equal((await cli.getTask(t2.id)).status, 'dead');
    assert.equal(await cli.lastEventSeq(), await up.lastEventSeq());
  });

  describe('query plans of the hot path', () => {
    const LOCK_LOOKUP = /SEARCH held USING PRIMARY KEY \(name=\?\)/;
    const PLANS: { name: string; sql: string; args: unknown[]; index: RegExp; noSort?: boolean; also?: RegExp }[] = [
      { name: 'distinct capability sets of queued tasks', sql: SQL_QUEUED_KEYS, args: [], index: /USING COVERING INDEX tasks_ready/, noSort: true },
      { name: 'claim candidates of one capability set', sql: SQL_CLAIM_PAGE, args: ['a,b', 1, 20], index: /USING INDEX tasks_ready \(caps=\?\)/, noSort: true, also: LOCK_LOOKUP },
      { name: 'claim candidates, next keyset page', sql: SQL_CLAIM_NEXT_PAGE, args: ['a,b', 1, 50, 1, 20], index: /USING INDEX tasks_ready \(caps=\? AND/, noSort: true, also: LOCK_LOOKUP },
      { name: 'promote due pending tasks', sql: SQL_PROMOTE, args: [10_000], index: /USING INDEX tasks_due/ },
      { name: 'expire unscheduled queued tasks', sql: SQL_EXPIRE, args: [10_000], index: /USING INDEX tasks_deadline/ },
      { name: 'reap expired leases', sql: SQL_REAP, args: [10_000], index: /USING INDEX tasks_lease/ },
      { name: 'dependents of a task', sql: SQL_DEPENDENTS, args: [3], index: /SEARCH task_deps USING PRIMARY KEY \(dep_id=\?\)/ },
      { name: 'stale-report check', sql: SQL_STALE_CHECK, args: [3], index: /SEARCH tasks USING INTEGER PRIMARY KEY \(rowid=\?\)/ },
      { name: 'fenced completion', sql: SQL_COMPLETE, args: ['{}', null, 0, 1, 1, 0, 0, 0, 9, 3, 1], index: /SEARCH tasks USING INTEGER PRIMARY KEY \(rowid=\?\)/ },
      { name: 'fenced completion of an attempt started by this store', sql: SQL_COMPLETE_STARTED, args: ['{}', null, 0, 1, 1, 0, 0, 0, 9, 3, 1, 8, 0], index: /SEARCH tasks USING INTEGER PRIMARY KEY \(rowid=\?\)/ },
    ];

    async function populate(store: SqliteStore): Promise<void> {
      await store.registerAgent(spec('A', ['a', 'b', 'c'], 40), 1);
      const caps = [[], ['a'], ['a', 'b'], ['c'], ['zz']];
      const batch = Array.from({ length: 400 }, (_, i) =>
        input({ title: `t${i}`, capabilities: caps[i % caps.length], priority: (['critical', 'high', 'medium', 'low'] as const)[i % 4], locks: i % 7 === 0 ? [`l${i % 3}`] : [], scheduleTimeoutMs: i % 2 ? 60_000 : 0 }),
      );
      const ts = (await store.enqueue(batch, 2)).map((r) => r.task);
      await store.enqueue(ts.slice(0, 50).map((t, i) => input({ title: `dep${i}`, dependsOn: [t.id] })), 3);
      const claims = await claimAll(store, 'A', 4);
      for (const c of claims.slice(0, 10)) await store.complete(c.task.id, c.attempt, done, 5);
      for (const c of claims.slice(10, 20)) await store.fail(c.task.id, c.attempt, failure, 5);
    }

    function planOf(store: SqliteStore, sql: string, args: unknown[]): string[] {
      return (store.db.raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail);
    }

    function check(store: SqliteStore, when: string): void {
      for (const p of PLANS) {
        const plan = planOf(store, p.sql, p.args);
        const text = `${p.name} (${when}):\n  ${plan.join('\n  ')}`;
        assert.ok(!plan.some((d) => /^SCAN tasks\b/.test(d) && !/USING (COVERING )?INDEX tasks_ready/.test(d)), `full scan of tasks in ${text}`);
        assert.ok(!plan.some((d) => /tasks_status/.test(d)), `${text}\n  uses tasks_status instead of its partial index`);
        assert.ok(plan.some((d) => p.index.test(d)), `${text}\n  should match ${p.index}`);
        if (p.also) assert.ok(plan.some((d) => p.also!.test(d)), `${text}\n  should match ${p.also}`);
        if (p.noSort) assert.ok(!plan.some((d) => /TEMP B-TREE/.test(d)), `${text}\n  sorts instead of reading the index in order`);
      }
    }

    it('never scans the tasks table: each hot-path statement uses its partial index or the primary key', async () => {
      const store = await openStore();
      await populate(store);
      const counts = await store.counts();
      assert.ok(counts.tasks.queued > 100 && counts.tasks.pending > 0 && counts.tasks.running > 0 && counts.tasks.completed > 0);
      check(store, 'no statistics');
      store.db.raw.exec('ANALYZE');
      check(store, 'after ANALYZE');
    });

    it('the statements the plans were checked for are the ones the store runs', async () => {
      const store = await openStore();
      await populate(store);
      await store.promoteReady(10_000);
      await store.expireUnscheduled(10_000);
      await store.reapExpired(10_000);
      await store.complete(1, 99, done, 10_000).catch(() => undefined);
      // an attempt this instance did not start is completed through the fence read (another instance started it)
      const other = await openStore();
      const [running] = await other.runningAttempts();
      await other.complete(running.taskId, running.attempt, done, 10_000);
      // Db caches one prepared statement per SQL text it has run (array-mode ones under `raw:` + the text, one-column ones under `pluck:`).
      const caches = [store, other].map((s) => (s.db as unknown as { stmts: Map<string, unknown> }).stmts);
      assert.ok(caches.every((c) => c instanceof Map), 'Db keeps its statement cache in `stmts`');
      const ran = (sql: string): boolean => caches.some((c) => c.has(sql) || c.has(`raw:${sql}`) || c.has(`pluck:${sql}`));
      for (const p of PLANS) if (p.sql !== SQL_CLAIM_NEXT_PAGE) assert.ok(ran(p.sql), `${p.name} was run`);
    });
  });
});
