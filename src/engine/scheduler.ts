import { HiveError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { ResolvedOptions } from '../core/options.js';
import type { RunOutcome, RunRequest, RuntimeEvent } from '../core/runtime.js';
import type { Claim, Store } from '../core/store.js';
import { ZERO_USAGE, type Usage } from '../core/types.js';
import { LazyAbort } from '../core/abort.js';
import { withWorkspaceResult, workspaceOf, type WorkspacePort } from '../core/workspace.js';
import { execKey, type Execution, type Supervisor } from './supervisor.js';

/**
 * Where an attempt's stdout/stderr go: `<data>/logs/<task ÷ 1000>/<task>.<attempt>.log` (the CLI and the API
 * read the same path). A thousand tasks share a directory: a directory per task cost a mkdir per task, and
 * creating a directory waits for the journal behind SQLite's fsyncs (~10% of the rate of `/bin/true` tasks).
 */
export function attemptLogPath(dataDir: string, taskId: number, attempt: number): string {
  return `${dataDir}/logs/${Math.floor(taskId / 1000)}/${taskId}.${attempt}.log`;
}

/** Live, in-memory signals of running attempts (log lines, progress): not state, so not in the event log. */
export type LiveListener = (taskId: number, attempt: number, e: RuntimeEvent) => void;

export interface SchedulerStats {
  claimed: number;
  completed: number;
  failed: number;
}

/** Abort codes after which the store already knows the attempt is over, so no report is sent. */
const SETTLED_ELSEWHERE = new Set(['CANCELLED', 'LEASE_EXPIRED', 'AGENT_REMOVED']);

function addUsage(a: Usage, b: Partial<Usage> | undefined): Usage {
  if (!b) return a;
  return { inputTokens: a.inputTokens + (b.inputTokens ?? 0), outputTokens: a.outputTokens + (b.outputTokens ?? 0), costUsd: a.costUsd + (b.costUsd ?? 0) };
}

/**
 * The scheduler: matches ready tasks to free agent slots. A tick claims for every free slot in one store
 * call (which also commits the reports queued since the last one), then launches each claimed attempt on
 * its agent's runtime. Ticks run on the next turn of the event loop after anything that may free a slot
 * or make a task ready, never more than one at a time.
 */
export class Scheduler {
  readonly stats: SchedulerStats = { claimed: 0, completed: 0, failed: 0 };
  private scheduled = false;
  private ticking = false;
  private again = false;
  paused = true;
  readonly live = new Set<LiveListener>();

  constructor(
    private readonly store: Store,
    private readonly supervisor: Supervisor,
    private readonly options: ResolvedOptions,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
    private readonly afterWrite: () => void,
    /** Git workspaces of agents that have one (null: no agent gets one). */
    private readonly workspaces: WorkspacePort | null = null,
  ) {}

  wake(): void {
    if (this.scheduled || this.paused) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.tick();
    });
  }

  private async tick(): Promise<void> {
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = true;
    try {
      do {
        this.again = false;
        if (this.paused) break;
        const offers = this.supervisor.offers();
        if (offers.length === 0) break;
        const claims = await this.store.claim(offers, this.clock.now(), this.options.leaseMs);
        this.stats.claimed += claims.length;
        for (const c of claims) this.launch(c);
        if (claims.length) this.afterWrite();
      } while (this.again);
    } catch (err) {
      this.onError(err);
    } finally {
      this.ticking = false;
    }
  }

  private launch(c: Claim): void {
    const h = this.supervisor.get(c.agentId);
    const now = this.clock.now();
    if (!h) {
      // The agent went away between the offer and the claim: hand the attempt back.
      this.report(c.task.id, c.attempt, { ok: false, exitCode: null, signal: null, code: 'AGENT_REMOVED', error: `agent ${c.agentName} is no longer running here` }, ZERO_USAGE, undefined);
      return;
    }
    const a = h.agent;
    const logPath = a.runtime.kind === 'inline' ? null : attemptLogPath(this.options.dataDir, c.task.id, c.attempt);
    const exec: Execution = { taskId: c.task.id, attempt: c.attempt, agent: h, abort: new LazyAbort(), usage: ZERO_USAGE, result: undefined, startedAt: now, progress: null, logPath };
    h.running.set(execKey(c.task.id, c.attempt), exec);
    const dataDir = this.options.dataDir;
    const req: RunRequest = {
      task: c.task,
      attempt: c.attempt,
      agent: a,
      workdir: a.workdir ?? `${dataDir}/work/${a.name}`,
      logPath,
      ...(logPath !== null && c.attempt > 1 ? { previousLogPaths: Array.from({ length: c.attempt - 1 }, (_, i) => attemptLogPath(dataDir, c.task.id, c.attempt - 1 - i)) } : {}),
      timeoutMs: c.task.timeoutMs || a.limits.timeoutMs || this.options.taskDefaults.timeoutMs,
      env: { HIVE_TASK_ID: String(c.task.id), HIVE_ATTEMPT: String(c.attempt), HIVE_AGENT: a.name, HIVE_DATA_DIR: dataDir },
      abort: exec.abort,
    };
    if (this.workspaces && workspaceOf(a)) {
      // the task's git worktree (or the shared repository) first: a failure fails the attempt (WORKSPACE_FAILED)
      this.workspaces.prepare({ agent: a, task: c.task, attempt: c.attempt, logPath, env: req.env, timeoutMs: req.timeoutMs, signal: exec.abort.signal }).then(
        (prep) => {
          exec.workspace = prep;
          this.run(exec, { ...req, workdir: prep.workdir, env: { ...req.env, ...prep.env } });
        },
        (err: unknown) => {
          const e = err instanceof HiveError ? err : new HiveError('WORKSPACE_FAILED', (err as Error)?.message ?? String(err));
          this.finish(exec, { ok: false, exitCode: null, signal: null, code: e.code, error: e.message });
        },
      );
      return;
    }
    this.run(exec, req);
  }

  /** Runs a launched attempt on its agent's runtime; its outcome goes to finish(). */
  private run(exec: Execution, req: RunRequest): void {
    const h = exec.agent;
    const a = req.agent;
    let promise: Promise<RunOutcome>;
    try {
      promise = h.runtime.run(req, (e) => this.onRuntimeEvent(exec, e));
    } catch (err) {
      promise = Promise.resolve({ ok: false, exitCode: null, signal: null, code: 'INTERNAL', error: `runtime ${a.runtime.kind} threw: ${(err as Error).message}` });
    }
    promise.then(
      (outcome) => this.finish(exec, outcome),
      (err: unknown) => this.finish(exec, { ok: false, exitCode: null, signal: null, code: 'INTERNAL', error: `runtime ${a.runtime.kind} failed: ${(err as Error)?.message ?? err}` }),
    );
  }

  private onRuntimeEvent(exec: Execution, e: RuntimeEvent): void {
    switch (e.type) {
      case 'started':
        if (e.pid) {
          this.store.recordProcess(exec.taskId, exec.attempt, { pid: e.pid, pidStart: e.pidStart ?? null, logPath: exec.logPath }).catch(this.onError);
        }
        break;
      case 'usage':
        exec.usage = addUsage(exec.usage, e.usage);
        break;
      case 'progress':
        exec.progress = { pct: e.pct, message: e.message };
        break;
      case 'result':
        exec.result = e.value;
        break;
      default:
        break;
    }
    if (this.live.size) {
      for (const l of this.live) {
        try {
          l(exec.taskId, exec.attempt, e);
        } catch (err) {
          this.onError(err);
        }
      }
    }
  }

  private finish(exec: Execution, outcome: RunOutcome): void {
    const prep = exec.workspace;
    if (prep && this.workspaces) {
      // branch, diff stat and cleanup before the slot is free (a shared repository has one writer)
      exec.workspace = undefined;
      const ok = outcome.ok && !exec.abort.aborted;
      this.workspaces.finish(prep, ok).then(
        (report) => this.finish(exec, ok ? { ...outcome, result: withWorkspaceResult(outcome.result !== undefined ? outcome.result : exec.result, report) } : outcome),
        (err: unknown) => {
          this.onError(err);
          this.finish(exec, outcome);
        },
      );
      return;
    }
    exec.agent.running.delete(execKey(exec.taskId, exec.attempt));
    this.wake(); // before the report, so the next claim's transaction carries it (group commit)
    const reason = exec.abort.reason;
    const abortCode = reason instanceof HiveError ? reason.code : undefined;
    if (abortCode && SETTLED_ELSEWHERE.has(abortCode)) {
      // the store ended this attempt already; its process is dead now, so its locks can go
      this.store.releaseLocks(exec.taskId, exec.attempt).catch(this.onError);
      return;
    }
    const usage = outcome.usage ? addUsage(ZERO_USAGE, outcome.usage) : exec.usage;
    this.report(exec.taskId, exec.attempt, outcome, usage, exec.result);
  }

  private report(taskId: number, attempt: number, o: RunOutcome, usage: Usage, streamed: unknown): void {
    const now = this.clock.now();
    const fail = (code: string, message: string): Promise<'failed'> =>
      this.store.fail(taskId, attempt, { code, message, exitCode: o.exitCode, signal: o.signal, usage, output: o.output ?? null }, now).then(() => 'failed');
    const outcome: Promise<'completed' | 'failed'> = o.ok
      ? this.store
          .complete(taskId, attempt, { result: o.result !== undefined ? o.result : streamed, output: o.output ?? null, usage, exitCode: o.exitCode, ...(o.code ? { note: { code: o.code, message: o.error ?? '' } } : {}) }, now)
          .then(
            () => 'completed' as const,
            // a result that is not JSON fails the attempt instead
            (err: unknown) => {
              if (err instanceof HiveError && err.code === 'VALIDATION_FAILED') return fail('TASK_FAILED', err.message);
              throw err;
            },
          )
      : fail(o.code ?? 'TASK_FAILED', o.error ?? (o.signal ? `killed by ${o.signal}` : `exit code ${o.exitCode}`));
    outcome.then(
      (how) => {
        this.stats[how]++;
        this.afterWrite();
      },
      (err: unknown) => {
        if (!(err instanceof HiveError && (err.code === 'STALE_ATTEMPT' || err.code === 'TASK_NOT_FOUND'))) this.onError(err);
      },
    );
  }

  /** Aborts local attempts of a task (all, or the given one): cancel, lease lost. Returns whether any ran here. */
  abort(taskId: number, reason: HiveError, attempt?: number): boolean {
    let found = false;
    for (const e of this.supervisor.executions()) {
      if (e.taskId === taskId && (attempt === undefined || e.attempt === attempt)) {
        e.abort.abort(reason);
        found = true;
      }
    }
    return found;
  }

  running(): Execution[] {
    return [...this.supervisor.executions()];
  }
}
