import { performance } from 'node:perf_hooks';
import type { Agent } from '../core/types.js';

/**
 * The per-agent watchdogs of process agents (`command` and the presets), beside the attempt timeout:
 * - idle timeout: no stdout/stderr output for that long → the process group is killed, IDLE_TIMEOUT;
 * - exit grace: still running that long after its terminal event → killed, the result kept, HUNG_AFTER_RESULT.
 * Defaults and rules: docs/failure-modes.md ("Watchdogs").
 */

/** Presets: a coding agent that prints nothing for 10 minutes is stuck (they stream every tool call). */
export const DEFAULT_PRESET_IDLE_TIMEOUT_MS = 10 * 60_000;
/** Both: a program that has reported its result gets 30 s to exit. */
export const DEFAULT_EXIT_GRACE_MS = 30_000;

export interface WatchdogLimits {
  /** 0 = off. */
  idleMs: number;
  /** 0 = off (wait for the exit, bounded only by the timeout). */
  exitGraceMs: number;
}

/** The agent's limits, or the defaults: idle timeout 10 min for presets and off for `command` agents, exit grace 30 s. */
export function watchdogLimits(agent: Agent, preset: boolean): WatchdogLimits {
  return {
    idleMs: agent.limits.idleTimeoutMs ?? (preset ? DEFAULT_PRESET_IDLE_TIMEOUT_MS : 0),
    exitGraceMs: agent.limits.exitGraceMs ?? DEFAULT_EXIT_GRACE_MS,
  };
}

/**
 * Calls `onIdle` once when `touch()` was not called for `ms`. `touch()` only stores a time, so a chatty program
 * costs no timer churn: the one timer re-arms itself for the remaining quiet time when it fires early.
 */
export class IdleWatch {
  private last = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number,
    private readonly onIdle: () => void,
  ) {
    if (ms > 0) this.arm(ms);
  }

  touch(): void {
    this.last = performance.now();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(delay: number): void {
    this.timer = setTimeout(() => {
      const quiet = performance.now() - this.last;
      if (quiet >= this.ms - 1) {
        this.timer = undefined;
        this.onIdle();
      } else this.arm(this.ms - quiet);
    }, Math.max(1, Math.ceil(delay)));
  }
}
