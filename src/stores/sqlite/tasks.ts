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
export const SQL_EXPIRE = `SELECT id, reason, schedule_timeout_ms, run_id, step FROM tasks INDEXED BY tasks_deadline WHERE status = 'queued' AND deadline IS NOT NULL AND deadline <= ? LIMIT 1000`;
/** Running attempts whose lease expired: (now). */
export const SQL_REAP = `SELECT id, attempts, agent, pid, pid_start, lease_until FROM tasks INDEXED BY tasks_lease WHERE status = 'running' AND lease_until < ? LIMIT 1000`;
/** Dependents of a task: (dep id). */
export const SQL_DEPENDENTS = 'SELECT task_id FROM task_deps WHERE dep_id = ?';
/** Fence read of a completion (the columns it needs), also the stale-report check: (task id). */
export const SQL_STALE_CHECK = 'SELECT attempts, status, agent, agent_id, started_at, locks, pid, log_path, run_id, step, last_seq, dependents FROM tasks WHERE id = ?';
/**
 * Completion, fenced by the attempt number: (result, output, exit code, now, now, input, output tokens, cost, seq of
 * its event, task id, attempt). No RETURNING: SQLite builds RETURNING rows through a temporary table, which
 * doubled the statement's cost; the fence read above gives the same columns for less.
 */
export const SQL_COMPLETE = `UPDATE tasks SET status = 'completed', result = ?, output = ?, exit_code = ?, finished_at = ?, updated_at = ?, lease_until = NULL, reason = NULL,
            input_tokens = input_tokens + ?, output_tokens = output_tokens + ?, cost_usd = cost_usd + ?, last_seq = ?
          WHERE id = ? AND status = 'running' AND attempts = ?`;

/** SQL_COMPLETE for an attempt this store started, when the row still has the claim's `last_seq` and `dependents`: (…, last seq, dependents). */
export const SQL_COMPLETE_STARTED = `${SQL_COMPLETE} AND last_seq = ? AND dependents = ?`;

/** What the claim of a running attempt knew of its task row (TaskWrites.noteStarted). */
export interface Started {
  attempt: number;
  agent: string;
  agentId: number;
  startedAt: number;
  locks: string | null;
  runId: number | null;
  step: string | null;
  /** The seq of its `task.started` event. */
  lastSeq: number;
  dependents: number;
}

/** Started entries kept at most (one per attempt running here; more means some ended elsewhere). */
const MAX_STARTED = 100_000;

/** Errors of reports refused by their fence before they wrote anything (see SqliteStore.write). */
export const REFUSED_BEFORE_WRITING = new WeakSet<object>();

/**
 * Task state changes on SQLite. Every public method runs inside a transaction opened by SqliteStore and
 * appends its events there. Methods that find a stale attempt write only the `task.stale_report` event,
 * then throw, so the group commit can refuse that one report and keep the others.
 */
/** How the tasks of workflow runs report back (stores/sqlite/runs.ts), inside the same transaction. */
export interface RunHooks {
  /** A task of a run reached completed, dead or cancelled. */
  taskEnded(runId: number, step: string, now: number): void;
  /** A task of a run failed and goes back to the queue (held if its run is paused). */
  taskRetrying(taskId: number, runId: number, now: number): void;
}

export class TaskWrites {
  runs: RunHooks | null = null;
  private tallies = new Map<number, Tally>();
  private agentCaps: ReadonlySet<string>[] | null = null;
  private readonly servedKeys = new Map<string, boolean>();
  /** Attempts this store started and has not seen end, by task id (see complete()). */
  private readonly started = new Map<number, Started>();

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

  /** Whether some registered agent holds every capability of the key (remembered per key until the agents are read again). */
  served(key: string): boolean {
    if (!this.agentCaps) {
      const rows = this.db.q('SELECT name, caps FROM agents').all() as { name: string; caps: string }[];
      this.agentCaps = rows.map((r) => new Set([...capsFromKey(r.caps), `agent:${r.name}`]));
      this.servedKeys.clear();
    }
    let ok = this.servedKeys.get(key);
    if (ok === undefined) {
      const caps = capsFromKey(key);
      ok = this.agentCaps.some((a) => holdsAll(a, caps));
      this.servedKeys.set(key, ok);
    }
    return ok;
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

  /**
   * Refuses a report from an attempt that no longer holds the task; the store logs `task.stale_report` (see
   * SqliteStore.write). Call it only from a report's fence, before the report has written anything: its error
   * is marked so, and the group commit then needs no savepoint to undo that report.
   */
  private stale(taskId: number, attempt: number, r: { attempts: number; status: string } | undefined): never {
    const err = r
      ? new HiveError('STALE_ATTEMPT', `attempt ${attempt} of task ${taskId} no longer holds it (task is ${r.status}, current attempt ${r.attempts})`, {
          details: { taskId, attempt, current: r.attempts, status: r.status },
        })
      : new HiveError('TASK_NOT_FOUND', `no task with id ${taskId}`, { details: { taskId } });
    REFUSED_BEFORE_WRITING.add(err);
    throw err;
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
    if (this.started.get(taskId)?.attempt === attempt) this.started.delete(taskId);
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

  /** Remembers what the claim of an attempt knew (claim.ts), so its completion can skip the fence read. */
  noteStarted(taskId: number, s: Started): void {
    if (this.started.size >= MAX_STARTED) this.started.clear(); // entries of attempts that ended elsewhere; the read path covers any miss
    this.started.set(taskId, s);
  }

  /**
   * `resultJson`: the result already serialised by the caller (null when there is none).
   * A task's first attempt that completes writes no `attempts` row: the task row holds everything that row
   * would (agent, times, process, exit code, and the usage, which is that attempt's alone); listAttempts
   * derives it. Failed and cancelled attempts, and a completion after earlier attempts, write their row.
   *
   * When this store started the attempt, it knows the task row's columns that this needs (`started`): the
   * UPDATE then also checks that `last_seq` and `dependents` are still what the claim saw (every other column
   * used is fixed while the attempt holds the task). If they are not, or nothing is known, the fence read
   * supplies them.
   */
  complete(taskId: number, attempt: number, done: Completion, resultJson: string | null, now: number): void {
    const u = done.usage;
    const s = this.started.get(taskId);
    if (s !== undefined && s.attempt === attempt) {
      this.started.delete(taskId);
      // a completion with a note (HUNG_AFTER_RESULT) writes its attempt row: the path below
      if (attempt === 1 && !done.note) {
        const seq = this.db.taskEvent(now, 'task.completed', taskId, `{"attempt":${attempt},"agent":${JSON.stringify(s.agent)},"durationMs":${now - s.startedAt}}`, s.lastSeq);
        const n = this.db.q(SQL_COMPLETE_STARTED).run(resultJson, done.output, done.exitCode, now, now, u.inputTokens, u.outputTokens, u.costUsd, seq, taskId, attempt, s.lastSeq, s.dependents).changes;
        if (n === 1) {
          this.completed(taskId, now, u, s.agentId, s.locks, s.dependents, s.runId, s.step);
          return;
        }
        this.db.dropEvent(seq); // changed since the claim (or stale): the fence read decides
      }
    }
    type Fence = [number, string, string, number, number, string | null, number | null, string | null, number | null, string | null, number | null, number];
    const r = this.db.qa(SQL_STALE_CHECK).get(taskId) as Fence | undefined;
    if (!r || r[0] !== attempt || r[1] !== 'running') this.stale(taskId, attempt, r && { attempts: r[0], status: r[1] });
    const [, , agent, agentId, startedAt, locks, pid, logPath, runId, step, lastSeq, dependents] = r;
    const seq = this.db.taskEvent(now, 'task.completed', taskId, `{"attempt":${attempt},"agent":${JSON.stringify(agent)},"durationMs":${now - startedAt}}`, lastSeq);
    this.db.q(SQL_COMPLETE).run(resultJson, done.output, done.exitCode, now, now, u.inputTokens, u.outputTokens, u.costUsd, seq, taskId, attempt);
    if (attempt > 1 || done.note) {
      this.insertAttempt(taskId, attempt, { agent, started_at: startedAt, pid, log_path: logPath }, 'completed', now, { exitCode: done.exitCode, usage: u, code: done.note?.code ?? null, message: done.note?.message ?? null });
    }
    this.completed(taskId, now, u, agentId, locks, dependents, runId, step);
  }

  /** The rest of a completion, after its UPDATE and event. */
  private completed(taskId: number, now: number, u: Usage, agentId: number, locks: string | null, dependents: number, runId: number | null, step: string | null): void {
    if (locks) this.releaseLocks(taskId, locks, now, false);
    this.tally(agentId, true, u);
    if (dependents) this.releaseDependents(taskId, now);
    if (runId !== null) this.runs?.taskEnded(runId, step!, now);
  }

  /** `linger`: the attempt's process may still be running (reaped, agent removed): keep its locks a while. */
  fail(taskId: number, attempt: number, f: Failure, now: number, linger = false): FailOutcome {
    if (this.started.get(taskId)?.attempt === attempt) this.started.delete(taskId);
    const a = this.db.qa(`SELECT ${TASK_COLUMNS} FROM tasks WHERE id = ?`).get(taskId) as unknown[] | undefined;
    const r = a && taskRowFromArray(a);
    if (!r || r.status !== 'running' || r.attempts !== attempt) this.stale(taskId, attempt, r);
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
      if (r.run_id !== null) this.runs?.taskEnded(r.run_id, r.step!, now);
    } else if (r.run_id !== null) this.runs?.taskRetrying(taskId, r.run_id, now);
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

  makeQueued(id: number, caps: string, scheduleTimeoutMs: number, now: number, why: string): void {
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
    this.started.delete(taskId);
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
      .q(`UPDATE tasks SET status = 'cancelled', reason = ?, error = ?, lease_until = NULL, deadline = NULL, deps_pending = deps_pending - held, held = 0, finished_at = ?, updated_at = ? WHERE id = ?`)
      .run(reason, `CANCELLED: ${reason}`, now, now, taskId);
    this.db.event(now, 'task.cancelled', subject(taskId), r.status === 'running' ? { reason, attempt: r.attempts } : { reason });
    this.cancelDependents(taskId, 'cancelled', now);
    if (r.run_id !== null) this.runs?.taskEnded(r.run_id, r.step!, now);
    return before;
  }

  /** `byRun`: the task's workflow run retries it (a user retries the run, not one of its tasks). */
  retry(taskId: number, now: number, byRun = false): Task {
    const r = this.getRow(taskId);
    if (!RETRYABLE.includes(r.status)) {
      throw new HiveError('INVALID_TRANSITION', `task ${taskId} is ${r.status}; only dead or cancelled tasks can be retried`, { details: { taskId, status: r.status } });
    }
    if (r.run_id !== null && !byRun) {
      throw new HiveError('INVALID_TRANSITION', `task ${taskId} belongs to workflow run ${r.run_id} (step ${r.step}); retry the run instead: hive workflow retry ${r.run_id}`, { details: { taskId, runId: r.run_id, step: r.step } });
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

  /** Requeues up to `limit` dead tasks, oldest first, skipping those retry() refuses (a task of a workflow run, a dead dependency). */
  requeueDead(now: number, capability: string | undefined, limit: number): number[] {
    const out: number[] = [];
    let after = 0;
    while (out.length < limit) {
      const rows = this.db.q(`SELECT id, caps FROM tasks WHERE status = 'dead' AND id > ? ORDER BY id LIMIT 500`).all(after) as { id: number; caps: string }[];
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
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
      run_id: number | null;
      step: string | null;
    }[];
    for (const r of rows) {
      const reason = `SCHEDULE_TIMEOUT: not started within ${formatDuration(r.schedule_timeout_ms)} (${r.reason ?? 'every capable agent stayed busy'})`;
      this.db.q(`UPDATE tasks SET status = 'dead', reason = ?, error = ?, deadline = NULL, finished_at = ?, updated_at = ? WHERE id = ?`).run(reason, reason, now, now, r.id);
      this.db.event(now, 'task.dead', subject(r.id), { code: 'SCHEDULE_TIMEOUT', reason });
      this.cancelDependents(r.id, 'dead', now);
      if (r.run_id !== null) this.runs?.taskEnded(r.run_id, r.step!, now);
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
