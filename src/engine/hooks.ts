import type { Clock } from '../core/clock.js';
import { hookCalls, hookWants, type HookCall, type HookExecutor, type HookSpec } from '../core/hooks.js';
import type { Store } from '../core/store.js';
import type { HiveEvent } from '../core/types.js';

/** How many hook calls run at once, and how many may wait before new ones are dropped (and logged). */
export const HOOK_CONCURRENCY = 4;
export const HOOK_QUEUE_LIMIT = 10_000;

/**
 * Runs status hooks for the running orchestrator: it follows the event log from the moment it starts
 * (events made by other processes included), turns each event into hook calls (core/hooks.ts) and runs
 * them through the executor, at most HOOK_CONCURRENCY at once. Nothing here blocks the engine or can fail
 * it: a hook that fails, times out or is dropped is logged as a `hook.failed` event.
 */
export class HookService {
  private unsubscribe: (() => void) | null = null;
  private readonly queue: HookCall[] = [];
  private readonly active = new Set<Promise<void>>();
  private controller = new AbortController();

  constructor(
    private readonly specs: readonly HookSpec[],
    private readonly executor: HookExecutor,
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly onError: (err: unknown) => void,
    /** Where a task of an agent works (its git worktree and branch), for the payload; null when it has no workspace. */
    private readonly placeOf: (agent: string, taskId: number) => { worktree: string; branch: string | null } | null = () => null,
  ) {}

  get enabled(): boolean {
    return this.specs.length > 0;
  }

  async start(subscribe: (listener: (e: HiveEvent) => void) => Promise<() => void>): Promise<void> {
    if (!this.enabled || this.unsubscribe) return;
    this.controller = new AbortController();
    this.unsubscribe = await subscribe((e) => this.onEvent(e));
  }

  /** Stops taking events; running calls get until `graceMs`, then are aborted. */
  async stop(graceMs: number): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    this.queue.length = 0;
    const timer = setTimeout(() => this.controller.abort(), graceMs);
    await Promise.all(this.active);
    clearTimeout(timer);
  }

  private onEvent(e: HiveEvent): void {
    if (e.type.startsWith('hook.') || !this.specs.some((h) => hookWants(h, e.type))) return;
    const d = e.data as { agent?: unknown };
    const taskId = e.subject.startsWith('task:') ? Number(e.subject.slice(5)) : null;
    const place = (agent: string | null): { worktree: string | null; branch: string | null } | undefined => (taskId !== null && agent !== null ? (this.placeOf(agent, taskId) ?? undefined) : undefined);
    if (taskId !== null && typeof d.agent !== 'string') {
      // the event does not name the agent: the task row does (the agent of its current or last attempt)
      this.store.getTask(taskId).then(
        (t) => this.enqueue(hookCalls(this.specs, e, t.agent, place(t.agent))),
        () => this.enqueue(hookCalls(this.specs, e, null)),
      );
    } else this.enqueue(hookCalls(this.specs, e, null, place(typeof d.agent === 'string' ? d.agent : null)));
  }

  private enqueue(calls: HookCall[]): void {
    for (const c of calls) {
      if (this.queue.length >= HOOK_QUEUE_LIMIT) this.failed(c, `dropped: ${HOOK_QUEUE_LIMIT} hook calls already waiting`);
      else this.queue.push(c);
    }
    this.drain();
  }

  private drain(): void {
    while (this.active.size < HOOK_CONCURRENCY && this.queue.length) {
      const call = this.queue.shift()!;
      const p: Promise<void> = this.executor
        .run(call, this.controller.signal)
        .then((problem) => (problem === null ? undefined : this.failed(call, problem)))
        .catch(this.onError)
        .finally(() => {
          this.active.delete(p);
          this.drain();
        });
      this.active.add(p);
    }
  }

  private failed(call: HookCall, error: string): void {
    const data = { hook: call.index, kind: call.hook.command !== undefined ? 'command' : 'webhook', event: call.payload.event, seq: call.payload.seq, error: error.slice(0, 1000) };
    this.store.recordEvent('hook.failed', call.payload.subject, data, this.clock.now()).catch(this.onError);
  }
}
