/**
 * An attempt's abort (cancel, lease lost, shutdown, agent removed). Runtimes that wait on it read `signal`,
 * a real AbortSignal; a synchronous check reads `aborted` and `reason`. The AbortController behind `signal`
 * is made on first read: an in-process attempt that never waits costs no AbortController (about 4 µs and
 * an EventTarget of garbage each, a sixth of a no-op task's budget at 40,000 tasks/s).
 */
export interface AttemptAbort {
  /** True once the attempt is aborted. */
  readonly aborted: boolean;
  /** Why, once aborted: a HiveError naming the code (CANCELLED, LEASE_EXPIRED, SHUTDOWN, ...). */
  readonly reason: unknown;
  /** Aborts with `reason` when the attempt is aborted. */
  readonly signal: AbortSignal;
}

/** The engine's side of an AttemptAbort: the one that aborts. */
export class LazyAbort implements AttemptAbort {
  private controller: AbortController | null = null;
  private why: unknown = undefined;
  private done = false;

  get aborted(): boolean {
    return this.done;
  }

  get reason(): unknown {
    return this.why;
  }

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.done) this.controller.abort(this.why);
    }
    return this.controller.signal;
  }

  /** Aborts once; later calls keep the first reason. */
  abort(reason: unknown): void {
    if (this.done) return;
    this.done = true;
    this.why = reason;
    this.controller?.abort(reason);
  }
}

