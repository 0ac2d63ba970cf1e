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

const subject = (id: number): string => `task:${id}`;

/**
 * Enqueue on SQLite, inside the caller's transaction: refs resolved, a cycle among them refused, tasks
 * inserted dependencies first, idempotency keys honoured, one `task.enqueued` event each.
 */
export function enqueueTasks(db: Db, w: TaskWrites, tasks: NewTask[], now: number): EnqueueResult[] {
  const names = tasks.map((t, i) => t.ref ?? `#${i}`);
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
  const edges = tasks.map((_, i) => refDeps(i));
  const cycle = findCycle(names, (n) => edges[names.indexOf(n)].map((j) => names[j]));
  if (cycle) throw new HiveError('DEPENDENCY_CYCLE', `dependency cycle: ${cycle.join(' -> ')}`, { details: { cycle } });
  const order = topoOrder(names, (n) => edges[names.indexOf(n)].map((j) => names[j])).map((n) => names.indexOf(n));

  const out: EnqueueResult[] = new Array(tasks.length);
  const ids: number[] = new Array(tasks.length);
  const byKey = new Map<string, number>();
  for (const i of order) {
    const t = tasks[i];
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
    const deps = [...new Set(t.dependsOn.map((d) => (typeof d === 'number' ? d : ids[byRef.get(d)!])))];
    const row = insert(db, w, t, deps, now);
    ids[i] = row.id;
    out[i] = { task: toTask(row), created: true };
  }
  return out;
}

function insert(db: Db, w: TaskWrites, t: NewTask, deps: number[], now: number): TaskRow {
  let open = 0;
  let failedDep: { id: number; status: string } | null = null;
  for (const d of deps) {
    const r = db.q('SELECT status FROM tasks WHERE id = ?').get(d) as { status: string } | undefined;
    if (!r) throw new HiveError('DEPENDENCY_NOT_FOUND', `task ${JSON.stringify(t.title)} depends on task ${d}, which does not exist`, { details: { dependency: d } });
    if (r.status !== 'completed') open++;
    if ((r.status === 'dead' || r.status === 'cancelled') && !failedDep) failedDep = { id: d, status: r.status };
  }
  const key = capsKey(t.capabilities);
  let status: Task['status'] = open > 0 ? 'pending' : 'queued';
  let reason = open > 0 ? waitingReason(open) : w.queuedReason(key);
  if (failedDep) {
    status = 'cancelled';
    reason = `DEPENDENCY_FAILED: dependency ${failedDep.id} is ${failedDep.status}`;
  }
  // The row is built here and inserted as is, so the Task returned needs no read-back.
  const row: TaskRow = {
    id: 0, title: t.title, prompt: t.prompt, type: t.type, priority: PRIORITY_RANK[t.priority], caps: key,
    locks: t.locks.length ? JSON.stringify(t.locks) : null, deps: deps.length ? JSON.stringify(deps) : null, deps_pending: open, status,
    attempts: 0, attempt_base: 0, max_attempts: t.retry.maxAttempts, backoff_ms: t.retry.backoffMs, backoff_cap_ms: t.retry.backoffCapMs,
    timeout_ms: t.timeoutMs, schedule_timeout_ms: t.scheduleTimeoutMs, deadline: status === 'queued' && t.scheduleTimeoutMs > 0 ? now + t.scheduleTimeoutMs : null,
    run_at: now, idem_key: t.idempotencyKey ?? null, agent: null, agent_id: null, lease_until: null, pid: null, pid_start: null, log_path: null,
    reason, error: status === 'cancelled' ? reason : null, result: null, output: null, input_tokens: 0, output_tokens: 0, cost_usd: 0,
    metadata: t.metadata && Object.keys(t.metadata).length ? JSON.stringify(t.metadata) : null,
    created_at: now, updated_at: now, started_at: null, finished_at: status === 'cancelled' ? now : null,
  };
  row.id = (db
    .q(`INSERT INTO tasks (title, prompt, type, priority, caps, locks, deps, deps_pending, status, max_attempts, backoff_ms, backoff_cap_ms,
          timeout_ms, schedule_timeout_ms, deadline, run_at, idem_key, reason, error, metadata, created_at, updated_at, finished_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`)
    .get(
      row.title, row.prompt, row.type, row.priority, row.caps, row.locks, row.deps, row.deps_pending, row.status, row.max_attempts, row.backoff_ms, row.backoff_cap_ms,
      row.timeout_ms, row.schedule_timeout_ms, row.deadline, row.run_at, row.idem_key, row.reason, row.error, row.metadata, row.created_at, row.updated_at, row.finished_at,
    ) as { id: number }).id;
  const id = row.id;
  if (deps.length) {
    const st = db.q('INSERT OR IGNORE INTO task_deps (dep_id, task_id) VALUES (?, ?)');
    for (const d of deps) st.run(d, id);
  }
  db.event(now, 'task.enqueued', subject(id), { status: status === 'cancelled' ? 'pending' : status, title: t.title, priority: t.priority, capabilities: t.capabilities, dependsOn: deps });
  if (status === 'cancelled') db.event(now, 'task.cancelled', subject(id), { reason: reason! });
  return row;
}
