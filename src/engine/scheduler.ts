import { HiveError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { ResolvedOptions } from '../core/options.js';
import type { RunOutcome, RuntimeEvent } from '../core/runtime.js';
import type { Claim, Store } from '../core/store.js';
import { ZERO_USAGE, type Usage } from '../core/types.js';
import { execKey, type Execution, type Supervisor } from './supervisor.js';

/** Where an attempt's stdout/stderr go: `<data>/logs/<task>/<attempt>.log` (the CLI reads the same path). */
export function attemptLogPath(dataDir: string, taskId: number, attempt: number): string {
  return `${dataDir}/logs/${taskId}/${attempt}.log`;
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
    const exec: Execution = { taskId: c.task.id, attempt: c.attempt, agent: h, controller: new AbortController(), usage: ZERO_USAGE, result: undefined, startedAt: now, progress: null, logPath };
    h.running.set(execKey(c.task.id, c.attempt), exec);
    const dataDir = this.options.dataDir;
    let promise: Promise<RunOutcome>;
    try {
      promise = h.runtime.run(
        {
          task: c.task,
          attempt: c.attempt,
          agent: a,
          workdir: a.workdir ?? `${dataDir}/work/${a.name}`,
          logPath,
          timeoutMs: c.task.timeoutMs || a.limits.timeoutMs || this.options.taskDefaults.timeoutMs,
          env: { HIVE_TASK_ID: String(c.task.id), HIVE_ATTEMPT: String(c.attempt), HIVE_AGENT: a.name, HIVE_DATA_DIR: dataDir },
          signal: exec.controller.signal,
        },
        (e) => this.onRuntimeEvent(exec, e),
      );
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
    exec.agent.running.delete(execKey(exec.taskId, exec.attempt));
    this.wake(); // before the report, so the next claim's transaction carries it (group commit)
    const reason = exec.controller.signal.aborted ? exec.controller.signal.reason : undefined;
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
          .complete(taskId, attempt, { result: o.result !== undefined ? o.result : streamed, output: o.output ?? null, usage, exitCode: o.exitCode }, now)
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
        e.controller.abort(reason);
        found = true;
      }
    }
    return found;
  }

  running(): Execution[] {
    return [...this.supervisor.executions()];
  }
}
