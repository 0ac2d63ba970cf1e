import { HiveError } from '../../core/errors.js';
import { CANCELLABLE, RETRYABLE } from '../../core/task-state.js';
import { backoffDelay } from '../../core/retry.js';
import { capsFromKey, holdsAll, unroutableReason } from '../../core/routing.js';
import type { Completion, EnqueueResult, Failure, FailOutcome, NewTask, RunningAttempt } from '../../core/store.js';
import { ZERO_USAGE, type Task, type Usage } from '../../core/types.js';
import { formatDuration } from '../../core/duration.js';
import type { Db } from './db.js';
import { TASK_COLUMNS, taskRowFromArray, toTask, type TaskRow } from './rows.js';
import { enqueueTasks, waitingReason } from './enqueue.js';

/** Per-agent counters gathered during one transaction and written once at its end. */
interface Tally {
  done: number;
  failed: number;
  /** Failures since the last success in this transaction; `reset` when a success happened. */
  recent: number;
  reset: boolean;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

const subject = (id: number): string => `task:${id}`;

// Hot-path statements, exported for the query-plan test (test/stores/sqlite-specific.test.ts). INDEXED BY pins
// the timer queries to their partial indexes: without statistics the planner could pick a broader index
// and reads every pending/queued/running task on each tick.
/** Pending tasks due now: (now). */
export const SQL_PROMOTE = `SELECT id, caps, schedule_timeout_ms FROM tasks INDEXED BY tasks_due WHERE status = 'pending' AND deps_pending = 0 AND run_at <= ? LIMIT 1000`;
/** Queued tasks past their schedule deadline: (now). */
export const SQL_EXPIRE = `SELECT id, reason, schedule_timeout_ms FROM tasks INDEXED BY tasks_deadline WHERE status = 'queued' AND deadline IS NOT NULL AND deadline <= ? LIMIT 1000`;
/** Running attempts whose lease expired: (now). */
export const SQL_REAP = `SELECT id, attempts, agent, pid, pid_start, lease_until FROM tasks INDEXED BY tasks_lease WHERE status = 'running' AND lease_until < ? LIMIT 1000`;
/** Dependents of a task: (dep id). */
export const SQL_DEPENDENTS = 'SELECT task_id FROM task_deps WHERE dep_id = ?';
/** Stale-report check: (task id). */
export const SQL_STALE_CHECK = 'SELECT attempts, status FROM tasks WHERE id = ?';
/** Completion, fenced by the attempt number: (result, output, now, now, input, output tokens, cost, task id, attempt). */
export const SQL_COMPLETE = `UPDATE tasks SET status = 'completed', result = ?, output = ?, finished_at = ?, updated_at = ?, lease_until = NULL, reason = NULL,
            input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, cost_usd = cost_usd + ?
          WHERE id = ? AND status = 'running' AND attempts = ? RETURNING agent, agent_id, started_at, locks, pid, log_path`;

/**
 * Task state changes on SQLite. Every public method runs inside a transaction opened by SqliteStore and
 * appends its events there. Methods that find a stale attempt write only the `task.stale_report` event,
 * then throw, so the group commit can refuse that one report and keep the others.
 */
export class TaskWrites {
  private tallies = new Map<number, Tally>();
  private agentCaps: ReadonlySet<string>[] | null = null;

  constructor(
    private readonly db: Db,
    private readonly random: () => number,
    private readonly lockLingerMs: number,
  ) {}

  /** Called at the start of every write transaction. */
  begin(): void {
    this.agentCaps = null;
    this.tallies.clear();
  }

  /** Called at the end of every write transaction: agent counters, once per agent. */
  end(now: number): void {
    if (this.tallies.size === 0) return;
    const st = this.db.q(`UPDATE agents SET done = done + ?, failed = failed + ?,
      recent_failures = CASE WHEN ? THEN ? ELSE recent_failures + ? END,
      input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, cost_usd = cost_usd + ?, updated_at = ? WHERE id = ?`);
    for (const [id, t] of this.tallies) st.run(t.done, t.failed, t.reset ? 1 : 0, t.recent, t.recent, t.inputTokens, t.outputTokens, t.costUsd, now, id);
    this.tallies.clear();
  }

  private tally(agentId: number | null, ok: boolean, usage: Usage): void {
    if (agentId === null) return;
    let t = this.tallies.get(agentId);
    if (!t) this.tallies.set(agentId, (t = { done: 0, failed: 0, recent: 0, reset: false, inputTokens: 0, outputTokens: 0, costUsd: 0 }));
    if (ok) {
      t.done++;
      t.recent = 0;
      t.reset = true;
    } else {
      t.failed++;
      t.recent++;
    }
    t.inputTokens += usage.inputTokens;
    t.outputTokens += usage.outputTokens;
    t.costUsd += usage.costUsd;
  }

  /** Whether some registered agent holds every capability of the key. */
  served(key: string): boolean {
    if (!this.agentCaps) {
      const rows = this.db.q('SELECT caps FROM agents').all() as { caps: string }[];
      this.agentCaps = rows.map((r) => new Set(capsFromKey(r.caps)));
    }
    const caps = capsFromKey(key);
    return this.agentCaps.some((a) => holdsAll(a, caps));
  }

  /** The reason a queued task of this capability set shows: null, or `no agent with capabilities [...]`. */
  queuedReason(key: string): string | null {
    return this.served(key) ? null : unroutableReason(capsFromKey(key));
  }

  getRow(id: number): TaskRow {
    const a = this.db.qa(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ?`).get(id) as unknown[] | undefined;
    const r = a && taskRowFromArray(a);
    if (!r) throw new HiveError('TASK_NOT_FOUND', `no task with id ${id}`, { details: { taskId: id } });
    return r;
  }

  enqueue(tasks: NewTask[], now: number): EnqueueResult[] {
    return enqueueTasks(this.db, this, tasks, now);
  }

  // ---------------------------------------------------------------- attempt reports

  /** Refuses a report from an attempt that no longer holds the task; the store logs `task.stale_report` (see SqliteStore.write). */
  private stale(taskId: number, attempt: number): never {
    const r = this.db.q(SQL_STALE_CHECK).get(taskId) as { attempts: number; status: string } | undefined;
    if (!r) throw new HiveError('TASK_NOT_FOUND', `no task with id ${taskId}`, { details: { taskId } });
    throw new HiveError('STALE_ATTEMPT', `attempt ${attempt} of task ${taskId} no longer holds it (task is ${r.status}, current attempt ${r.attempts})`, {
      details: { taskId, attempt, current: r.attempts, status: r.status },
    });
  }

  /** The event of a refused report, written outside the refused report's savepoint. */
  staleReport(err: HiveError, now: number): void {
    const d = err.details as { taskId: number; attempt: number; current: number };
    this.db.event(now, 'task.stale_report', subject(d.taskId), { attempt: d.attempt, current: d.current });
  }

  /**
   * Ends a task's hold on its locks: at once when its process is known to be gone, else after lockLingerMs
   * (an aborted process may still be dying; releaseAttemptLocks ends the hold as soon as it is dead).
   */
  private releaseLocks(taskId: number, locks: string | null, now: number, linger: boolean): void {
    if (!locks) return;
    if (linger) this.db.q('UPDATE locks SET until = ? WHERE task_id = ?').run(now + this.lockLingerMs, taskId);
    else this.db.q('DELETE FROM locks WHERE task_id = ?').run(taskId);
  }

  releaseAttemptLocks(taskId: number, attempt: number): void {
    this.db.q('DELETE FROM locks WHERE task_id = ? AND attempt = ?').run(taskId, attempt);
  }

  recordProcess(taskId: number, attempt: number, pid: number, pidStart: number | null, logPath: string | null): void {
    this.db.q(`UPDATE tasks SET pid = ?, pid_start = ?, log_path = ? WHERE id = ? AND attempts = ? AND status = 'running'`).run(pid, pidStart, logPath, taskId, attempt);
  }

  renewLease(taskId: number, attempt: number, until: number): void {
    this.db.q(`UPDATE tasks SET lease_until = ? WHERE id = ? AND attempts = ? AND status = 'running'`).run(until, taskId, attempt);
  }

  private insertAttempt(taskId: number, attempt: number, r: { agent: string | null; started_at: number | null; pid: number | null; log_path: string | null }, status: string, now: number, f: { exitCode: number | null; signal?: string | null; code?: string | null; message?: string | null; usage: Usage }): void {
    this.db
      .q(`INSERT OR REPLACE INTO attempts (task_id, attempt, agent, status, started_at, finished_at, exit_code, signal, error_code, error, pid, log_path, input_tokens, output_tokens, cost_usd)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(taskId, attempt, r.agent ?? '', status, r.started_at ?? now, now, f.exitCode, f.signal ?? null, f.code ?? null, f.message ?? null, r.pid, r.log_path, f.usage.inputTokens, f.usage.outputTokens, f.usage.costUsd);
  }

  /** `resultJson`: the result already serialised by the caller (null when there is none). */
  complete(taskId: number, attempt: number, done: Completion, resultJson: string | null, now: number): void {
    const r = this.db
      .q(SQL_COMPLETE)
      .get(resultJson, done.output, now, now, done.usage.inputTokens, done.usage.outputTokens, done.usage.costUsd, taskId, attempt) as
      | { agent: string; agent_id: number; started_at: number; locks: string | null; pid: number | null; log_path: string | null }
      | undefined;
    if (!r) this.stale(taskId, attempt);
    this.insertAttempt(taskId, attempt, r, 'completed', now, { exitCode: done.exitCode, usage: done.usage });
    this.releaseLocks(taskId, r.locks, now, false);
    this.db.event(now, 'task.completed', subject(taskId), { attempt, agent: r.agent, durationMs: now - r.started_at });
    this.tally(r.agent_id, true, done.usage);
    this.releaseDependents(taskId, now);
  }

  /** `linger`: the attempt's process may still be running (reaped, agent removed): keep its locks a while. */
  fail(taskId: number, attempt: number, f: Failure, now: number, linger = false): FailOutcome {
    const a = this.db.qa(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ?`).get(taskId) as unknown[] | undefined;
    const r = a && taskRowFromArray(a);
    if (!r || r.status !== 'running' || r.attempts !== attempt) this.stale(taskId, attempt);
    const used = r.attempts - r.attempt_base;
    let next: FailOutcome = 'dead';
    let delay = 0;
    if (!f.final && used < r.max_attempts) {
      delay = backoffDelay({ maxAttempts: r.max_attempts, backoffMs: r.backoff_ms, backoffCapMs: r.backoff_cap_ms }, used, this.random);
      next = delay > 0 ? 'pending' : 'queued';
    }
    const error = `${f.code}: ${f.message}`;
    const reason =
      next === 'dead'
        ? `${error} (after ${used} ${used === 1 ? 'attempt' : 'attempts'})`
        : next === 'pending'
          ? `retry ${used + 1}/${r.max_attempts} in ${formatDuration(delay)}`
          : this.queuedReason(r.caps);
    this.db
      .q(`UPDATE tasks SET status = ?, error = ?, reason = ?, output = COALESCE(?, output), lease_until = NULL, run_at = ?, deadline = ?, finished_at = ?, updated_at = ?,
            input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, cost_usd = cost_usd + ? WHERE id = ?`)
      .run(next, error, reason, f.output, now + delay, next === 'queued' && r.schedule_timeout_ms > 0 ? now + r.schedule_timeout_ms : null, next === 'dead' ? now : null, now,
        f.usage.inputTokens, f.usage.outputTokens, f.usage.costUsd, taskId);
    this.insertAttempt(taskId, attempt, r, 'failed', now, { exitCode: f.exitCode, signal: f.signal, code: f.code, message: f.message, usage: f.usage });
    this.releaseLocks(taskId, r.locks, now, linger);
    this.db.event(now, 'task.failed', subject(taskId), { attempt, agent: r.agent, code: f.code, error: f.message, next, ...(next === 'pending' ? { runAt: now + delay } : {}) });
    this.tally(r.agent_id, false, f.usage);
    if (next === 'dead') {
      this.db.event(now, 'task.dead', subject(taskId), { code: f.code, reason });
      this.cancelDependents(taskId, 'dead', now);
    }
    return next;
  }

  // ---------------------------------------------------------------- dependencies

  private releaseDependents(taskId: number, now: number): void {
    const deps = this.db.q(SQL_DEPENDENTS).all(taskId) as { task_id: number }[];
    for (const { task_id } of deps) {
      const r = this.db.q('UPDATE tasks SET deps_pending = deps_pending - 1, updated_at = ? WHERE id = ? RETURNING status, deps_pending, run_at, caps, schedule_timeout_ms').get(now, task_id) as
        | { status: string; deps_pending: number; run_at: number; caps: string; schedule_timeout_ms: number }
        | undefined;
      if (!r || r.status !== 'pending') continue;
      if (r.deps_pending === 0 && r.run_at <= now) this.makeQueued(task_id, r.caps, r.schedule_timeout_ms, now, 'dependencies completed');
      else if (r.deps_pending > 0) this.db.q('UPDATE tasks SET reason = ? WHERE id = ?').run(waitingReason(r.deps_pending), task_id);
    }
  }

  private makeQueued(id: number, caps: string, scheduleTimeoutMs: number, now: number, why: string): void {
    this.db
      .q(`UPDATE tasks SET status = 'queued', reason = ?, deadline = ?, updated_at = ? WHERE id = ? AND status = 'pending'`)
      .run(this.queuedReason(caps), scheduleTimeoutMs > 0 ? now + scheduleTimeoutMs : null, now, id);
    this.db.event(now, 'task.queued', subject(id), { reason: why });
  }

  /** Cancels, transitively, every pending dependent of a task that ended dead or cancelled. */
  private cancelDependents(rootId: number, how: 'dead' | 'cancelled', now: number): void {
    const stack: [number, string][] = [[rootId, how]];
    while (stack.length) {
      const [id, status] = stack.pop()!;
      const reason = `DEPENDENCY_FAILED: dependency ${id} is ${status}`;
      for (const { task_id } of this.db.q(SQL_DEPENDENTS).all(id) as { task_id: number }[]) {
        const hit = this.db
          .q(`UPDATE tasks SET status = 'cancelled', reason = ?, error = ?, deadline = NULL, finished_at = ?, updated_at = ? WHERE id = ? AND status IN ('pending', 'queued') RETURNING id`)
          .get(reason, reason, now, now, task_id);
        if (!hit) continue;
        this.db.event(now, 'task.cancelled', subject(task_id), { reason });
        stack.push([task_id, 'cancelled']);
      }
    }
  }

  // ---------------------------------------------------------------- user actions and timers

  cancel(taskId: number, reason: string, now: number): Task {
    const r = this.getRow(taskId);
    if (!CANCELLABLE.includes(r.status)) {
      throw new HiveError('INVALID_TRANSITION', `task ${taskId} is ${r.status}; only pending, queued or running tasks can be cancelled`, { details: { taskId, status: r.status } });
    }
    const before = toTask(r);
    if (r.status === 'running') {
      this.insertAttempt(taskId, r.attempts, r, 'cancelled', now, { exitCode: null, code: 'CANCELLED', message: reason, usage: ZERO_USAGE });
      this.releaseLocks(taskId, r.locks, now, true); // its process is still being killed
    }
    this.db
      .q(`UPDATE tasks SET status = 'cancelled', reason = ?, error = ?, lease_until = NULL, deadline = NULL, finished_at = ?, updated_at = ? WHERE id = ?`)
      .run(reason, `CANCELLED: ${reason}`, now, now, taskId);
    this.db.event(now, 'task.cancelled', subject(taskId), r.status === 'running' ? { reason, attempt: r.attempts } : { reason });
    this.cancelDependents(taskId, 'cancelled', now);
    return before;
  }

  retry(taskId: number, now: number): Task {
    const r = this.getRow(taskId);
    if (!RETRYABLE.includes(r.status)) {
      throw new HiveError('INVALID_TRANSITION', `task ${taskId} is ${r.status}; only dead or cancelled tasks can be retried`, { details: { taskId, status: r.status } });
    }
    if (r.deps) {
      for (const d of JSON.parse(r.deps) as number[]) {
        const dep = this.db.q('SELECT status FROM tasks WHERE id = ?').get(d) as { status: string } | undefined;
        if (dep && (dep.status === 'dead' || dep.status === 'cancelled')) {
          throw new HiveError('INVALID_TRANSITION', `task ${taskId} depends on task ${d}, which is ${dep.status}; retry task ${d} first`, { details: { taskId, dependency: d, status: dep.status } });
        }
      }
    }
    const next = r.deps_pending > 0 ? 'pending' : 'queued';
    const reason = next === 'pending' ? waitingReason(r.deps_pending) : this.queuedReason(r.caps);
    this.db
      .q(`UPDATE tasks SET status = ?, attempt_base = attempts, reason = ?, run_at = ?, deadline = ?, finished_at = NULL, updated_at = ? WHERE id = ?`)
      .run(next, reason, now, next === 'queued' && r.schedule_timeout_ms > 0 ? now + r.schedule_timeout_ms : null, now, taskId);
    this.db.event(now, 'task.requeued', subject(taskId), { from: r.status, status: next });
    return toTask(this.getRow(taskId));
  }

  /** Requeues exactly these dead tasks, or (throwing, so the transaction rolls back) none of them. */
  requeueIds(ids: number[], now: number): number[] {
    for (const id of ids) {
      const r = this.getRow(id);
      if (r.status !== 'dead') throw new HiveError('INVALID_TRANSITION', `task ${id} is ${r.status}, not dead; nothing was requeued`, { details: { taskId: id, status: r.status } });
      this.retry(id, now);
    }
    return ids;
  }

  requeueDead(now: number, capability: string | undefined, limit: number): number[] {
    const rows = this.db.q(`SELECT id, caps FROM tasks WHERE status = 'dead' ORDER BY id LIMIT ?`).all(capability ? 1_000_000 : limit) as { id: number; caps: string }[];
    const out: number[] = [];
    for (const r of rows) {
      if (out.length >= limit) break;
      if (capability && !capsFromKey(r.caps).includes(capability)) continue;
      try {
        this.retry(r.id, now);
        out.push(r.id);
      } catch (err) {
        if (!(err instanceof HiveError) || err.code !== 'INVALID_TRANSITION') throw err;
      }
    }
    return out;
  }

  promoteReady(now: number): number {
    const rows = this.db.q(SQL_PROMOTE).all(now) as {
      id: number;
      caps: string;
      schedule_timeout_ms: number;
    }[];
    for (const r of rows) this.makeQueued(r.id, r.caps, r.schedule_timeout_ms, now, 'retry time reached');
    return rows.length;
  }

  expireUnscheduled(now: number): number {
    const rows = this.db.q(SQL_EXPIRE).all(now) as {
      id: number;
      reason: string | null;
      schedule_timeout_ms: number;
    }[];
    for (const r of rows) {
      const reason = `SCHEDULE_TIMEOUT: not started within ${formatDuration(r.schedule_timeout_ms)} (${r.reason ?? 'every capable agent stayed busy'})`;
      this.db.q(`UPDATE tasks SET status = 'dead', reason = ?, error = ?, deadline = NULL, finished_at = ?, updated_at = ? WHERE id = ?`).run(reason, reason, now, now, r.id);
      this.db.event(now, 'task.dead', subject(r.id), { code: 'SCHEDULE_TIMEOUT', reason });
      this.cancelDependents(r.id, 'dead', now);
    }
    return rows.length;
  }

  reapExpired(now: number): RunningAttempt[] {
    const rows = this.db.q(SQL_REAP).all(now) as {
      id: number;
      attempts: number;
      agent: string;
      pid: number | null;
      pid_start: number | null;
      lease_until: number;
    }[];
    for (const r of rows) {
      this.fail(r.id, r.attempts, { code: 'LEASE_EXPIRED', message: `lease expired ${now - r.lease_until}ms ago (no renewal from agent ${r.agent})`, exitCode: null, signal: null, usage: ZERO_USAGE, output: null }, now, true);
    }
    return rows.map((r) => ({ taskId: r.id, attempt: r.attempts, agent: r.agent, pid: r.pid, pidStart: r.pid_start, leaseUntil: r.lease_until }));
  }

  /** After agents change: clear or set the `no agent with capabilities` reason on queued tasks, per capability set. */
  refreshUnroutable(queuedKeys: string[]): void {
    this.agentCaps = null;
    for (const key of queuedKeys) {
      const reason = this.queuedReason(key);
      if (reason === null) this.db.q(`UPDATE tasks SET reason = NULL WHERE status = 'queued' AND caps = ? AND reason LIKE 'no agent with capabilities%'`).run(key);
      else this.db.q(`UPDATE tasks SET reason = ? WHERE status = 'queued' AND caps = ? AND reason IS NOT ?`).run(reason, key, reason);
    }
  }
}
