import { HiveError } from '../../core/errors.js';
import type { AgentRuntime, RunOutcome, RunRequest, RuntimeEvent, RuntimeFactory } from '../../core/runtime.js';
import type { Task } from '../../core/types.js';
import { abortOutcome, failure } from '../outcomes.js';

export interface InlineContext {
  attempt: number;
  /** Aborted on cancel, lease loss, shutdown or timeout; `reason` is a HiveError naming why. */
  signal: AbortSignal;
  /** Reports progress, usage (increments), log lines or a streamed result, like any runtime. */
  emit(e: RuntimeEvent): void;
}

/** An in-process agent: the returned value is the result, a thrown error a failure (TASK_FAILED, or a HiveError's own code). */
export type InlineFn = (task: Task, ctx: InlineContext) => unknown;

const STARTED: RuntimeEvent = Object.freeze({ type: 'started' });

function success(result: unknown): RunOutcome {
  return { ok: true, exitCode: null, signal: null, result };
}

function thrown(err: unknown): RunOutcome {
  if (err instanceof HiveError) return failure(err.code, err.message);
  return failure('TASK_FAILED', err instanceof Error ? err.message : String(err));
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof (v as PromiseLike<unknown>).then === 'function';
}

/** Settles with the function's outcome, or with the abort's as soon as `signal` aborts (the function is not waited for). */
function race(pending: PromiseLike<unknown>, signal: AbortSignal): Promise<RunOutcome> {
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(abortOutcome(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    pending.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(success(v));
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        resolve(thrown(err));
      },
    );
  });
}

/**
 * Runs a function in the orchestrator's process. This is the hot path of the throughput benchmark, so a call
 * with no timeout allocates only its context, and a synchronous function's outcome is built without any
 * listener, timer or AbortSignal.
 */
class InlineRuntime implements AgentRuntime {
  readonly kind = 'inline';

  constructor(
    private readonly fn: InlineFn | undefined,
    private readonly missing: string,
  ) {}

  start(): Promise<void> {
    return this.fn === undefined ? Promise.reject(new HiveError('SPAWN_FAILED', this.missing)) : Promise.resolve();
  }

  run(req: RunRequest, emit: (e: RuntimeEvent) => void): Promise<RunOutcome> {
    const fn = this.fn;
    if (fn === undefined) return Promise.resolve(failure('SPAWN_FAILED', this.missing));
    const abort = req.abort;
    if (abort.aborted) return Promise.resolve(abortOutcome(abort.reason));
    emit(STARTED);
    if (req.timeoutMs > 0) return this.runWithTimeout(fn, req, emit);
    let value: unknown;
    try {
      // the signal is read (and so made) only by a function that asks for it
      value = fn(req.task, {
        attempt: req.attempt,
        get signal() {
          return abort.signal;
        },
        emit,
      });
    } catch (err) {
      return Promise.resolve(thrown(err));
    }
    return isThenable(value) ? race(value, abort.signal) : Promise.resolve(success(value));
  }

  /** The function sees one signal that aborts on the caller's abort or on the timeout, whichever comes first. */
  private async runWithTimeout(fn: InlineFn, req: RunRequest, emit: (e: RuntimeEvent) => void): Promise<RunOutcome> {
    const ctl = new AbortController();
    const forward = (): void => ctl.abort(req.abort.reason);
    req.abort.signal.addEventListener('abort', forward, { once: true });
    const timer = setTimeout(() => ctl.abort(new HiveError('TIMEOUT', `timed out after ${req.timeoutMs} ms`)), req.timeoutMs);
    try {
      const value = fn(req.task, { attempt: req.attempt, signal: ctl.signal, emit });
      return isThenable(value) ? await race(value, ctl.signal) : success(value);
    } catch (err) {
      return thrown(err);
    } finally {
      clearTimeout(timer);
      req.abort.signal.removeEventListener('abort', forward);
    }
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }
}

/** The `inline` runtime factory over a table of functions; an agent names its function with `runtime.fn`. */
export function createInlineRuntime(fns: Record<string, InlineFn>): RuntimeFactory {
  return (agent) => {
    const spec = agent.runtime;
    if (spec.kind !== 'inline') throw new HiveError('RUNTIME_UNKNOWN', `agent ${agent.name} has a ${spec.kind} runtime, not inline`);
    const fn = Object.hasOwn(fns, spec.fn) ? fns[spec.fn] : undefined;
    const known = Object.keys(fns).join(', ') || 'none';
    return new InlineRuntime(fn, `agent ${agent.name}: no inline function named ${JSON.stringify(spec.fn)} (known: ${known})`);
  };
}
