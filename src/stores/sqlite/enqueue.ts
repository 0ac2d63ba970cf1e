import { HiveError } from '../../core/errors.js';
import { findCycle, topoOrder } from '../../core/dag.js';
import { capsKey } from '../../core/routing.js';
import type { EnqueueResult, NewTask } from '../../core/store.js';
import { PRIORITY_RANK, type Task } from '../../core/types.js';
import type { Db } from './db.js';
import { toTask, type TaskRow } from './rows.js';
import type { TaskWrites } from './tasks.js';

export function waitingReason(open: number): string {
  return `waiting for ${open} ${open === 1 ? 'dependency' : 'dependencies'}`;
}


/**
 * Enqueue on SQLite, inside the caller's transaction: refs resolved, a cycle among them refused, tasks
 * inserted dependencies first, idempotency keys honoured, one `task.enqueued` event each.
 */
export function enqueueTasks(db: Db, w: TaskWrites, tasks: NewTask[], now: number): EnqueueResult[] {
  const byRef = new Map<string, number>();
  tasks.forEach((t, i) => {
    if (t.ref === undefined) return;
    if (byRef.has(t.ref)) throw new HiveError('VALIDATION_FAILED', `ref ${JSON.stringify(t.ref)} is used by two tasks`, { details: { issues: [{ path: `tasks.${i}.ref`, message: 'duplicate ref' }] } });
    byRef.set(t.ref, i);
  });
  const refDeps = (i: number): number[] =>
    tasks[i].dependsOn.filter((d): d is string => typeof d === 'string').map((d) => {
      const j = byRef.get(d);
      if (j === undefined) throw new HiveError('DEPENDENCY_NOT_FOUND', `task ${JSON.stringify(tasks[i].title)} depends on ${JSON.stringify(d)}, which is neither a task id nor the ref of a task in this request`, { details: { index: i, dependency: d } });
      return j;
    });
  const edges = tasks.map((t, i) => (t.dependsOn.length === 0 ? NONE : refDeps(i)));
  let order: number[];
  if (edges.every((e) => e.length === 0)) order = tasks.map((_, i) => i); // no refs among them: no cycle, input order
  else {
    const names = tasks.map((t, i) => t.ref ?? `#${i}`);
    const index = new Map<string, number>();
    names.forEach((n, i) => index.has(n) || index.set(n, i));
    const next = (n: string): string[] => edges[index.get(n)!].map((j) => names[j]);
    const cycle = findCycle(names, next);
    if (cycle) throw new HiveError('DEPENDENCY_CYCLE', `dependency cycle: ${cycle.join(' -> ')}`, { details: { cycle } });
    order = topoOrder(names, next).map((n) => index.get(n)!);
  }

  const out: EnqueueResult[] = new Array(tasks.length);
  const ids: number[] = new Array(tasks.length);
  const byKey = new Map<string, number>();
  // plain tasks wait here and are inserted together (one statement per PLAIN_CHUNK); anything else first
  // flushes them, so ids keep following `order`
  const plain: { i: number; row: TaskRow; t: NewTask }[] = [];
  const flushPlain = (): void => {
    if (plain.length === 0) return;
    insertPlain(db, plain, now);
    for (const p of plain) {
      ids[p.i] = p.row.id;
      out[p.i] = { task: toTask(p.row), created: true };
    }
    plain.length = 0;
  };
  for (const i of order) {
    const t = tasks[i];
    if (t.dependsOn.length === 0 && !t.idempotencyKey && t.locks.length === 0 && t.run === undefined) {
      const row = build(db, w, t, NONE, 0, null, now);
      if (isPlain(row)) {
        plain.push({ i, row, t });
        if (plain.length === PLAIN_CHUNK) flushPlain();
        continue;
      }
    }
    flushPlain();
    if (t.idempotencyKey) {
      const seen = byKey.get(t.idempotencyKey);
      const existing = seen !== undefined ? ids[seen] : (db.q('SELECT id FROM tasks WHERE idem_key = ?').get(t.idempotencyKey) as { id: number } | undefined)?.id;
      if (existing !== undefined) {
        ids[i] = existing;
        out[i] = { task: toTask(w.getRow(existing)), created: false };
        continue;
      }
      byKey.set(t.idempotencyKey, i);
    }
    const deps = t.dependsOn.length === 0 ? NONE : [...new Set(t.dependsOn.map((d) => (typeof d === 'number' ? d : ids[byRef.get(d)!])))];
    const row = insertOne(db, w, t, deps, now);
    ids[i] = row.id;
    out[i] = { task: toTask(row), created: true };
  }
  flushPlain();
  return out;
}

/** Plain tasks inserted by one multi-row INSERT at most. */
const PLAIN_CHUNK = 16;
/** The columns of a plain task that are not left to their defaults. */
const PLAIN_COLUMNS = 'title, prompt, type, priority, caps, status, max_attempts, backoff_ms, backoff_cap_ms, timeout_ms, schedule_timeout_ms, deadline, run_at, created_at, updated_at, last_seq';
const NONE: number[] = [];

/** A plain task: queued, no locks, dependencies, key, reason, metadata or run; every other column keeps its default. */
function isPlain(row: TaskRow): boolean {
  return row.status === 'queued' && row.locks === null && row.deps === null && row.idem_key === null && row.reason === null && row.metadata === null && row.run_id === null;
}

/** The `task.enqueued` event's data: the text JSON.stringify({ status, title, priority, capabilities, dependsOn }) gives, built directly. */
function enqueuedJson(status: string, t: NewTask, deps: number[]): string {
  return `{"status":"${status}","title":${JSON.stringify(t.title)},"priority":${JSON.stringify(t.priority)},"capabilities":${t.capabilities.length ? JSON.stringify(t.capabilities) : '[]'},"dependsOn":${deps.length ? JSON.stringify(deps) : '[]'}}`;
}

/**
 * Inserts plain tasks with one statement per PLAIN_CHUNK rows (fewer statements and bound values than one
 * INSERT each): SQLite gives the rows of one INSERT consecutive rowids, the last of which the run returns.
 * Each gets its `task.enqueued` event, whose seq becomes its `last_seq`.
 */
function insertPlain(db: Db, batch: { row: TaskRow; t: NewTask }[], now: number): void {
  for (let at = 0; at < batch.length; at += PLAIN_CHUNK) {
    const part = batch.slice(at, at + PLAIN_CHUNK);
    const first = db.peekSeq();
    const args: unknown[] = [];
    part.forEach(({ row }, k) => args.push(row.title, row.prompt, row.type, row.priority, row.caps, 'queued', row.max_attempts, row.backoff_ms, row.backoff_cap_ms, row.timeout_ms, row.schedule_timeout_ms, row.deadline, now, now, now, first + k));
    const values = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';
    const last = Number(db.q(`INSERT INTO tasks (${PLAIN_COLUMNS}) VALUES ${part.length === 1 ? values : Array(part.length).fill(values).join(', ')}`).run(args).lastInsertRowid);
    part.forEach(({ row, t }, k) => {
      row.id = last - part.length + 1 + k;
      const seq = db.taskEvent(now, 'task.enqueued', row.id, enqueuedJson('queued', t, NONE), null);
      if (seq !== first + k) throw new Error(`enqueue: event seq ${seq}, expected ${first + k}`);
    });
  }
}

/** The row of a new task (id 0 until inserted). `open`: its dependencies not completed; `failedDep`: one that is dead or cancelled. */
function build(db: Db, w: TaskWrites, t: NewTask, deps: number[], open: number, failedDep: { id: number; status: string } | null, now: number): TaskRow {
  const key = t.capabilities.length === 0 ? '' : capsKey(t.capabilities);
  let status: Task['status'] = open > 0 ? 'pending' : 'queued';
  let reason = open > 0 ? waitingReason(open) : w.queuedReason(key);
  if (failedDep) {
    status = 'cancelled';
    reason = `DEPENDENCY_FAILED: dependency ${failedDep.id} is ${failedDep.status}`;
  }
  // The row is built here and inserted as is, so the Task returned needs no read-back.
  return {
    id: 0, title: t.title, prompt: t.prompt, type: t.type, priority: PRIORITY_RANK[t.priority], caps: key,
    locks: t.locks.length ? JSON.stringify(t.locks) : null, deps: deps.length ? JSON.stringify(deps) : null, deps_pending: open, status,
    attempts: 0, attempt_base: 0, max_attempts: t.retry.maxAttempts, backoff_ms: t.retry.backoffMs, backoff_cap_ms: t.retry.backoffCapMs,
    timeout_ms: t.timeoutMs, schedule_timeout_ms: t.scheduleTimeoutMs, deadline: status === 'queued' && t.scheduleTimeoutMs > 0 ? now + t.scheduleTimeoutMs : null,
    run_at: now, idem_key: t.idempotencyKey ?? null, agent: null, agent_id: null, lease_until: null, pid: null, pid_start: null, log_path: null,
    reason, error: status === 'cancelled' ? reason : null, result: null, output: null, input_tokens: 0, output_tokens: 0, cost_usd: 0,
    metadata: t.metadata && Object.keys(t.metadata).length ? JSON.stringify(t.metadata) : null,
    created_at: now, updated_at: now, started_at: null, finished_at: status === 'cancelled' ? now : null, run_id: t.run?.id ?? null, step: t.run?.step ?? null, exit_code: null,
  };
}

/** Inserts one task that is not plain: its dependencies checked and recorded, its events appended. */
function insertOne(db: Db, w: TaskWrites, t: NewTask, deps: number[], now: number): TaskRow {
  let open = 0;
  let failedDep: { id: number; status: string } | null = null;
  for (const d of deps) {
    const r = db.q('SELECT status FROM tasks WHERE id = ?').get(d) as { status: string } | undefined;
    if (!r) throw new HiveError('DEPENDENCY_NOT_FOUND', `task ${JSON.stringify(t.title)} depends on task ${d}, which does not exist`, { details: { dependency: d } });
    if (r.status !== 'completed') open++;
    if ((r.status === 'dead' || r.status === 'cancelled') && !failedDep) failedDep = { id: d, status: r.status };
  }
  const row = build(db, w, t, deps, open, failedDep, now);
  const status = row.status;
  // The task's events get the next seqs (its chain: `last_seq` is the latest, see Db). No RETURNING (SQLite
  // builds its rows through a temporary table): the new rowid comes with the run.
  const firstSeq = db.peekSeq();
  const lastSeq = status === 'cancelled' ? firstSeq + 1 : firstSeq;
  const res = db
    .q(`INSERT INTO tasks (title, prompt, type, priority, caps, locks, deps, deps_pending, status, max_attempts, backoff_ms, backoff_cap_ms,
          timeout_ms, schedule_timeout_ms, deadline, run_at, idem_key, reason, error, metadata, created_at, updated_at, finished_at, run_id, step, item, last_seq)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
    .run(
      row.title, row.prompt, row.type, row.priority, row.caps, row.locks, row.deps, row.deps_pending, row.status, row.max_attempts, row.backoff_ms, row.backoff_cap_ms,
      row.timeout_ms, row.schedule_timeout_ms, row.deadline, row.run_at, row.idem_key, row.reason, row.error, row.metadata, row.created_at, row.updated_at, row.finished_at, row.run_id, row.step, t.run?.item ?? null, lastSeq,
    );
  row.id = Number(res.lastInsertRowid);
  const id = row.id;
  if (deps.length) {
    const st = db.q('INSERT OR IGNORE INTO task_deps (dep_id, task_id) VALUES (?, ?)');
    // `dependents` spares the completion of a task that has none its look-up in task_deps
    const flag = db.q('UPDATE tasks SET dependents = 1 WHERE id = ? AND dependents = 0');
    for (const d of deps) {
      st.run(d, id);
      flag.run(d);
    }
  }
  const seq = db.taskEvent(now, 'task.enqueued', id, enqueuedJson(status === 'cancelled' ? 'pending' : status, t, deps), null);
  if (status === 'cancelled') db.taskEvent(now, 'task.cancelled', id, JSON.stringify({ reason: row.reason! }), seq);
  if (seq !== firstSeq) throw new Error(`enqueue: event seq ${seq}, expected ${firstSeq}`);
  return row;
}
