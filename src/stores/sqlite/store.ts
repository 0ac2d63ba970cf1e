import { HiveError } from '../../core/errors.js';
import type { SlotOffer } from '../../core/routing.js';
import type {
  AgentSpec,
  Claim,
  Completion,
  EnqueueResult,
  Failure,
  FailOutcome,
  NewTask,
  NodeInfo,
  ProcessInfo,
  RunningAttempt,
  StatusCounts,
  Store,
  TaskFilter,
  TokenInfo,
  TokenRole,
} from '../../core/store.js';
import { AGENT_STATUSES, TASK_STATUSES, ZERO_USAGE, type Agent, type AgentStatus, type Attempt, type HiveEvent, type Task } from '../../core/types.js';
import { AgentWrites } from './agents.js';
import { claim, queuedKeys } from './claim.js';
import { Db, taskIdOf } from './db.js';
import { migrate } from './migrate.js';
import { TASK_COLUMNS, taskRowFromArray, toAttempt, toEvent, toTask, type AttemptRow } from './rows.js';
import { REFUSED_BEFORE_WRITING, TaskWrites, type Started } from './tasks.js';
import { RunWrites } from './runs.js';
import { RunViews } from './run-views.js';
import { WorkflowDefs } from './workflows.js';
import type { TaskDefaults } from '../../core/options.js';
import type { RunFilter, Workflow, WorkflowRun, WorkflowSpec } from '../../core/workflow.js';

const EVENT_COLUMNS = 'seq, time, type, subject, data';

/** Thrown inside a write transaction to roll it back and run it again with a savepoint per report. */
const REDO = Symbol('redo with savepoints');

/** How long a lazy report may wait for another transaction before it is committed on its own. */
const LAZY_FLUSH_MS = 50;

interface QueuedOp {
  apply: () => unknown;
  resolve: (v: any) => void;
  reject: (e: unknown) => void;
}

export interface SqliteStoreOptions {
  durability?: 'full' | 'normal';
  /** Randomness for backoff jitter (tests pass a fixed one). */
  random?: () => number;
  /** How long the locks of an attempt aborted from outside (cancel, reap, forced removal) stay held unless released sooner. */
  lockLingerMs?: number;
}

/**
 * The Store port on one SQLite file (better-sqlite3; WAL; synchronous FULL by default).
 *
 * Group commit: attempt reports (complete, fail, recordProcess, renewLeases) are queued and written together
 * in one transaction on the next turn of the event loop, or inside the next claim's transaction, whichever
 * comes first; each caller's promise settles after that commit. A stale report is refused on its own
 * without failing the others.
 */
export class SqliteStore implements Store {
  readonly db: Db;
  private readonly tasks: TaskWrites;
  private readonly agents: AgentWrites;
  private readonly defs: WorkflowDefs;
  private readonly runs: RunWrites;
  private readonly runViews: RunViews;
  private queue: QueuedOp[] = [];
  private flushTimer: NodeJS.Immediate | null = null;
  private lazyTimer: NodeJS.Timeout | null = null;
  private dataVersion = -1;
  private closed = false;
  private readonly noteStarted: (taskId: number, s: Started) => void;

  constructor(readonly path: string, opts: SqliteStoreOptions = {}) {
    this.db = new Db(path, opts.durability ?? 'full');
    this.tasks = new TaskWrites(this.db, opts.random ?? Math.random, opts.lockLingerMs ?? 10_000);
    this.agents = new AgentWrites(this.db);
    this.defs = new WorkflowDefs(this.db);
    this.runs = new RunWrites(this.db, this.tasks, this.defs);
    this.runViews = new RunViews(this.db, this.defs);
    this.tasks.runs = this.runs;
    this.noteStarted = (taskId, s) => this.tasks.noteStarted(taskId, s);
  }

  async migrate(): Promise<void> {
    migrate(this.db);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.db.close();
  }

  /**
   * One write transaction: queued reports first, then `fn`, then agent counters. When reports ride along,
   * `fn`'s own refusal (a HiveError) does not undo them.
   *
   * Each report must be undoable on its own: whatever one of them throws undoes only that one. That used to
   * cost a savepoint per report (two statements each); now the transaction first runs without savepoints, and
   * only if a report or `fn` throws something other than a fence refusal (which has written nothing, see
   * TaskWrites.stale) is it rolled back and run again with a savepoint per report and one for `fn`.
   */
  private write<T>(now: number, fn: () => T): T {
    if (this.closed) throw new HiveError('STORE_UNAVAILABLE', 'the store is closed');
    const ops = this.queue;
    this.queue = [];
    if (this.flushTimer) {
      // these reports ride in this transaction; a later report schedules its own flush
      clearImmediate(this.flushTimer);
      this.flushTimer = null;
    }
    if (this.lazyTimer) {
      clearTimeout(this.lazyTimer);
      this.lazyTimer = null;
    }
    try {
      try {
        return this.commit(now, ops, fn, false);
      } catch (err) {
        if (err !== REDO) throw err;
      }
      return this.commit(now, ops, fn, true);
    } catch (err) {
      for (const op of ops) op.reject(err);
      throw err;
    }
  }

  /** The transaction of write(); `careful`: a savepoint per report and for `fn` (else REDO is thrown when one is needed). */
  private commit<T>(now: number, ops: QueuedOp[], fn: () => T, careful: boolean): T {
    const settled: [QueuedOp, boolean, unknown][] = [];
    const out = this.db.tx((): { ok: true; value: T } | { ok: false; error: unknown } => {
      this.tasks.begin();
      for (const op of ops) {
        try {
          settled.push([op, true, careful ? this.db.savepoint(op.apply) : op.apply()]);
        } catch (err) {
          if (!careful && !(typeof err === 'object' && err !== null && REFUSED_BEFORE_WRITING.has(err))) throw REDO;
          if (err instanceof HiveError && err.code === 'STALE_ATTEMPT') this.tasks.staleReport(err, now);
          settled.push([op, false, err]);
        }
      }
      let r: { ok: true; value: T } | { ok: false; error: unknown };
      if (ops.length === 0) r = { ok: true, value: fn() };
      else if (!careful) {
        try {
          r = { ok: true, value: fn() };
        } catch {
          throw REDO;
        }
      } else {
        try {
          r = { ok: true, value: this.db.savepoint(fn) };
        } catch (error) {
          r = { ok: false, error };
        }
      }
      this.tasks.end(now);
      return r;
    });
    for (const [op, ok, v] of settled) (ok ? op.resolve : op.reject)(v);
    if (!out.ok) throw out.error;
    return out.value;
  }

  private flush(): void {
    this.flushTimer = null;
    if (this.lazyTimer) clearTimeout(this.lazyTimer);
    this.lazyTimer = null;
    if (this.queue.length === 0 || this.closed) return;
    try {
      this.write(Date.now(), () => undefined);
    } catch {
      // every queued op was rejected with the error
    }
  }

  /**
   * Queues a report for the next write transaction. An urgent one (an attempt's end) is flushed on the next
   * turn of the event loop at the latest; a lazy one (a pid, a lease renewal) waits up to LAZY_FLUSH_MS for a
   * transaction to ride in, so it rarely costs a commit of its own.
   */
  private defer<T>(apply: () => T, lazy = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new HiveError('STORE_UNAVAILABLE', 'the store is closed'));
      this.queue.push({ apply, resolve, reject });
      if (!lazy && this.lazyTimer) {
        clearTimeout(this.lazyTimer);
        this.lazyTimer = null;
      }
      if (lazy) {
        if (!this.flushTimer) this.lazyTimer ??= setTimeout(() => this.flush(), LAZY_FLUSH_MS);
      } else this.flushTimer ??= setImmediate(() => this.flush());
    });
  }

  // ------------------------------------------------------------------ tasks

  async enqueue(tasks: NewTask[], now: number): Promise<EnqueueResult[]> {
    return this.write(now, () => this.tasks.enqueue(tasks, now));
  }

  async getTask(id: number): Promise<Task> {
    return toTask(this.tasks.getRow(id));
  }

  async listTasks(f: TaskFilter): Promise<Task[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.status?.length) {
      where.push(`status IN (${f.status.map(() => '?').join(', ')})`);
      args.push(...f.status);
    }
    if (f.agent) {
      where.push('agent = ?');
      args.push(f.agent);
    }
    if (f.capability) {
      where.push(`(',' || caps || ',') LIKE ?`);
      args.push(`%,${f.capability.replace(/[%_]/g, '')},%`);
    }
    if (f.afterId !== undefined) {
      where.push(f.desc ? 'id < ?' : 'id > ?');
      args.push(f.afterId);
    }
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 10_000);
    const sql = `SELECT ${TASK_COLUMNS} FROM tasks ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${f.desc ? 'DESC' : 'ASC'} LIMIT ${limit}`;
    return (this.db.qa(sql).all(...args) as unknown[][]).map((a) => toTask(taskRowFromArray(a)));
  }

  async listAttempts(taskId: number): Promise<Attempt[]> {
    const t = this.tasks.getRow(taskId);
    const done = (this.db.q('SELECT * FROM attempts WHERE task_id = ? ORDER BY attempt').all(taskId) as AttemptRow[]).map(toAttempt);
    if (t.status === 'running') {
      done.push(toAttempt({
        task_id: t.id, attempt: t.attempts, agent: t.agent ?? '', status: 'running', started_at: t.started_at ?? t.updated_at, finished_at: null,
        exit_code: null, signal: null, error_code: null, error: null, pid: t.pid, pid_start: t.pid_start, log_path: t.log_path, input_tokens: 0, output_tokens: 0, cost_usd: 0,
      }));
    } else if (t.status === 'completed' && t.attempts > 0 && done.at(-1)?.attempt !== t.attempts) {
      // a first attempt that completed has no row of its own: the task row is its record (TaskWrites.complete)
      done.push(toAttempt({
        task_id: t.id, attempt: t.attempts, agent: t.agent ?? '', status: 'completed', started_at: t.started_at ?? t.updated_at, finished_at: t.finished_at,
        exit_code: t.exit_code, signal: null, error_code: null, error: null, pid: t.pid, log_path: t.log_path, input_tokens: t.input_tokens, output_tokens: t.output_tokens, cost_usd: t.cost_usd,
      }));
    }
    return done;
  }

  async claim(offers: SlotOffer[], now: number, leaseMs: number): Promise<Claim[]> {
    return this.write(now, () => claim(this.db, offers, now, leaseMs, this.noteStarted));
  }

  recordProcess(taskId: number, attempt: number, info: ProcessInfo): Promise<void> {
    return this.defer(() => this.tasks.recordProcess(taskId, attempt, info.pid, info.pidStart, info.logPath), true);
  }

  complete(taskId: number, attempt: number, done: Completion, now: number): Promise<void> {
    let json: string | null;
    try {
      json = done.result === undefined ? null : JSON.stringify(done.result);
    } catch (err) {
      return Promise.reject(new HiveError('VALIDATION_FAILED', `the result of task ${taskId} is not JSON: ${(err as Error).message}`, { details: { issues: [{ path: 'result', message: 'not serialisable as JSON' }] } }));
    }
    return this.defer(() => this.tasks.complete(taskId, attempt, done, json ?? null, now));
  }

  fail(taskId: number, attempt: number, failure: Failure, now: number): Promise<FailOutcome> {
    return this.defer(() => this.tasks.fail(taskId, attempt, failure, now));
  }

  releaseLocks(taskId: number, attempt: number): Promise<void> {
    return this.defer(() => this.tasks.releaseAttemptLocks(taskId, attempt));
  }

  renewLeases(attempts: { taskId: number; attempt: number }[], leaseUntil: number): Promise<void> {
    return this.defer(() => {
      for (const a of attempts) this.tasks.renewLease(a.taskId, a.attempt, leaseUntil);
    }, true);
  }

  async reapExpired(now: number): Promise<RunningAttempt[]> {
    return this.write(now, () => this.tasks.reapExpired(now));
  }

  async promoteReady(now: number): Promise<number> {
    return this.write(now, () => this.tasks.promoteReady(now));
  }

  async expireUnscheduled(now: number): Promise<number> {
    return this.write(now, () => this.tasks.expireUnscheduled(now));
  }

  async cancel(taskId: number, reason: string, now: number): Promise<Task> {
    return this.write(now, () => this.tasks.cancel(taskId, reason, now));
  }

  async retry(taskId: number, now: number): Promise<Task> {
    return this.write(now, () => this.tasks.retry(taskId, now));
  }

  async requeueDead(now: number, filter: { ids?: number[]; capability?: string; limit?: number } = {}): Promise<number[]> {
    if (filter.ids) return this.write(now, () => this.tasks.requeueIds(filter.ids!, now));
    return this.write(now, () => this.tasks.requeueDead(now, filter.capability, filter.limit ?? 10_000));
  }

  async runningAttempts(): Promise<RunningAttempt[]> {
    // INDEXED BY: ORDER BY id would otherwise make the planner scan the whole table in rowid order (it runs at every start)
    const rows = this.db.q(`SELECT id, attempts, agent, pid, pid_start, lease_until FROM tasks INDEXED BY tasks_lease WHERE status = 'running' ORDER BY id`).all() as {
      id: number; attempts: number; agent: string; pid: number | null; pid_start: number | null; lease_until: number;
    }[];
    return rows.map((r) => ({ taskId: r.id, attempt: r.attempts, agent: r.agent, pid: r.pid, pidStart: r.pid_start, leaseUntil: r.lease_until }));
  }

  // ------------------------------------------------------------------ agents

  async registerAgent(spec: AgentSpec, now: number): Promise<Agent> {
    return this.write(now, () => {
      const a = this.agents.register(spec, now);
      this.tasks.refreshUnroutable(queuedKeys(this.db));
      return a;
    });
  }

  async getAgent(nameOrId: string | number): Promise<Agent> {
    return this.agents.get(nameOrId);
  }

  async listAgents(): Promise<Agent[]> {
    return this.agents.list();
  }

  async removeAgent(nameOrId: string | number, now: number, force = false): Promise<Agent> {
    return this.write(now, () => {
      const before = this.agents.get(nameOrId);
      const running = this.agents.runningOf(before.id);
      if (running.length && !force) {
        throw new HiveError('CONFLICT', `agent ${before.name} is running ${running.length} task(s) (${running.map((r) => r.id).join(', ')}); wait for them, cancel them, or force the removal`, {
          details: { agent: before.name, running: running.map((r) => r.id) },
        });
      }
      for (const r of running) {
        this.tasks.fail(r.id, r.attempts, { code: 'AGENT_REMOVED', message: `agent ${before.name} was removed`, exitCode: null, signal: null, usage: ZERO_USAGE, output: null }, now, true);
      }
      this.agents.remove(this.agents.row(before.id), now);
      this.tasks.refreshUnroutable(queuedKeys(this.db));
      return before;
    });
  }

  async setAgentStatus(name: string, status: AgentStatus, now: number, reason?: string): Promise<void> {
    this.write(now, () => this.agents.setStatus(name, status, now, reason));
  }

  // ------------------------------------------------------------------ workflows

  async defineWorkflow(spec: WorkflowSpec, version: number | null, now: number): Promise<{ workflow: Workflow; created: boolean }> {
    return this.write(now, () => this.defs.define(spec, version, now));
  }

  async getWorkflow(name: string, version?: number): Promise<Workflow> {
    return this.defs.get(name, version);
  }

  async listWorkflows(): Promise<(Workflow & { versions: number })[]> {
    return this.defs.list();
  }

  async createRun(name: string, version: number | undefined, inputs: unknown, defaults: TaskDefaults, now: number): Promise<WorkflowRun> {
    return this.write(now, () => this.runViews.get(this.runs.create(name, version, inputs, defaults, now)));
  }

  async getRun(id: number): Promise<WorkflowRun> {
    return this.runViews.get(id);
  }

  async listRuns(filter: RunFilter): Promise<WorkflowRun[]> {
    return this.runViews.list(filter);
  }

  async pauseRun(id: number, now: number): Promise<WorkflowRun> {
    return this.write(now, () => (this.runs.pause(id, now), this.runViews.get(id)));
  }

  async resumeRun(id: number, now: number): Promise<WorkflowRun> {
    return this.write(now, () => (this.runs.resume(id, now), this.runViews.get(id)));
  }

  async cancelRun(id: number, reason: string, now: number): Promise<{ run: WorkflowRun; running: { taskId: number; attempt: number }[] }> {
    return this.write(now, () => {
      const running = this.runs.cancel(id, reason, now);
      return { run: this.runViews.get(id), running };
    });
  }

  async retryRun(id: number, now: number): Promise<WorkflowRun> {
    return this.write(now, () => (this.runs.retry(id, now), this.runViews.get(id)));
  }

  // ------------------------------------------------------------------ observation

  async readEvents(afterSeq: number, limit: number, filter: { types?: string[]; subject?: string } = {}): Promise<HiveEvent[]> {
    const max = Math.min(Math.max(limit, 1), 10_000);
    const types = filter.types?.length ? ` AND type IN (${filter.types.map(() => '?').join(', ')})` : '';
    const typeArgs = filter.types?.length ? filter.types : [];
    let rows: Parameters<typeof toEvent>[0][];
    if (filter.subject === undefined || filter.subject === '') {
      rows = this.db.q(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ?${types} ORDER BY seq LIMIT ?`).all(afterSeq, ...typeArgs, max) as typeof rows;
    } else {
      const taskId = taskIdOf(filter.subject);
      // events outside any task chain, by the partial index; for a task, its chain too, walked from the newest
      // event back to the first one after `afterSeq`
      const unchained = `SELECT ${EVENT_COLUMNS} FROM events WHERE subject = ? AND prev IS NULL AND seq > ?${types}`;
      rows = (taskId === null
        ? this.db.q(`${unchained} ORDER BY seq LIMIT ?`).all(filter.subject, afterSeq, ...typeArgs, max)
        : this.db.q(`WITH RECURSIVE chain(seq) AS (
              SELECT last_seq FROM tasks WHERE id = ? AND last_seq > ?
              UNION ALL
              SELECT e.prev FROM events AS e JOIN chain ON e.seq = chain.seq WHERE e.prev > ?
            )
            SELECT ${EVENT_COLUMNS} FROM events WHERE seq IN (SELECT seq FROM chain)${types}
            UNION ALL ${unchained} ORDER BY seq LIMIT ?`).all(taskId, afterSeq, afterSeq, ...typeArgs, filter.subject, afterSeq, ...typeArgs, max)) as typeof rows;
    }
    return rows.map(toEvent);
  }

  async recordEvent(type: string, subject: string, data: Record<string, unknown>, now: number): Promise<void> {
    this.write(now, () => this.db.event(now, type, subject, data));
  }

  async lastEventSeq(): Promise<number> {
    return (this.db.q('SELECT COALESCE(MAX(seq), 0) AS s FROM events').get() as { s: number }).s;
  }

  async counts(): Promise<StatusCounts> {
    const tasks = Object.fromEntries(TASK_STATUSES.map((s) => [s, 0])) as StatusCounts['tasks'];
    for (const r of this.db.q('SELECT status, COUNT(*) AS n FROM tasks GROUP BY status').all() as { status: Task['status']; n: number }[]) tasks[r.status] = r.n;
    const agents = Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0])) as StatusCounts['agents'];
    for (const a of this.agents.list()) agents[a.status]++;
    const queueDepth: Record<string, number> = {};
    for (const r of this.db.q(`SELECT caps, COUNT(*) AS n FROM tasks WHERE status = 'queued' GROUP BY caps`).all() as { caps: string; n: number }[]) queueDepth[r.caps] = r.n;
    return { tasks, agents, queueDepth };
  }

  async changedElsewhere(): Promise<boolean> {
    const v = this.db.raw.pragma('data_version', { simple: true }) as number;
    const changed = this.dataVersion !== -1 && v !== this.dataVersion;
    this.dataVersion = v;
    return changed;
  }

  // ------------------------------------------------------------------ tokens

  async createToken(hash: string, role: TokenRole, name: string, now: number): Promise<TokenInfo> {
    return this.write(now, () => {
      const r = this.db.q('INSERT INTO tokens (hash, role, name, created_at) VALUES (?, ?, ?, ?) RETURNING *').get(hash, role, name, now) as TokenRow;
      this.db.event(now, 'token.created', `token:${r.id}`, { role, name });
      return toToken(r);
    });
  }

  async findToken(hash: string): Promise<TokenInfo | null> {
    const r = this.db.q('SELECT * FROM tokens WHERE hash = ? AND revoked_at IS NULL').get(hash) as TokenRow | undefined;
    return r ? toToken(r) : null;
  }

  async revokeToken(id: number, now: number): Promise<TokenInfo> {
    return this.write(now, () => {
      const r = this.db.q('UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING *').get(now, id) as TokenRow | undefined;
      if (!r) throw new HiveError('TOKEN_NOT_FOUND', `no live token with id ${id}`, { details: { tokenId: id } });
      this.db.event(now, 'token.revoked', `token:${id}`, { role: r.role });
      return toToken(r);
    });
  }

  async listTokens(): Promise<TokenInfo[]> {
    return (this.db.q('SELECT * FROM tokens ORDER BY id').all() as TokenRow[]).map(toToken);
  }

  // ------------------------------------------------------------------ nodes

  async acquireNode(node: NodeInfo, now: number, isAlive: (n: NodeInfo) => boolean): Promise<void> {
    this.write(now, () => {
      const rows = this.db.q('SELECT id, pid, pid_start, host FROM nodes WHERE stopped_at IS NULL').all() as { id: string; pid: number; pid_start: number | null; host: string }[];
      for (const r of rows) {
        const prev: NodeInfo = { id: r.id, pid: r.pid, pidStart: r.pid_start, host: r.host };
        if (r.id !== node.id && isAlive(prev)) {
          throw new HiveError('ALREADY_RUNNING', `another orchestrator (pid ${r.pid} on ${r.host}) is running on this data directory; stop it first or use another --data`, { details: { pid: r.pid, host: r.host } });
        }
        this.db.q('UPDATE nodes SET stopped_at = ? WHERE id = ?').run(now, r.id);
        this.db.event(now, 'node.lost', `node:${r.id}`, { pid: r.pid });
      }
      this.db.q('INSERT OR REPLACE INTO nodes (id, pid, pid_start, host, started_at, stopped_at) VALUES (?, ?, ?, ?, ?, NULL)').run(node.id, node.pid, node.pidStart, node.host, now);
      this.db.event(now, 'node.started', `node:${node.id}`, { pid: node.pid, host: node.host });
    });
  }

  async releaseNode(nodeId: string, now: number): Promise<void> {
    this.write(now, () => {
      const r = this.db.q('UPDATE nodes SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL RETURNING pid').get(now, nodeId) as { pid: number } | undefined;
      if (r) this.db.event(now, 'node.stopped', `node:${nodeId}`, { pid: r.pid });
    });
  }
}

interface TokenRow {
  id: number;
  role: TokenRole;
  name: string;
  created_at: number;
  revoked_at: number | null;
}

const toToken = (r: TokenRow): TokenInfo => ({ id: r.id, role: r.role, name: r.name, createdAt: r.created_at, revokedAt: r.revoked_at });

/** Opens (and migrates) the store in a data directory: `<dataDir>/hive.db`. */
export async function openSqliteStore(path: string, opts: SqliteStoreOptions = {}): Promise<SqliteStore> {
  const store = new SqliteStore(path, opts);
  await store.migrate();
  return store;
}
