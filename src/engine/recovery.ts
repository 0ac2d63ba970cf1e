import { HiveError } from '../core/errors.js';
import type { ProcessControl } from '../core/runtime.js';
import type { Store } from '../core/store.js';
import type { Clock } from '../core/clock.js';
import { ZERO_USAGE } from '../core/types.js';

export interface RecoveryReport {
  /** Attempts that were running under a previous orchestrator and were handed back. */
  reaped: { taskId: number; attempt: number; next: string }[];
  /** Orphaned agent processes that were killed. */
  killed: number[];
}

/**
 * Crash recovery at start, before anything is dispatched. This node holds the data directory (acquireNode),
 * so every attempt still marked running belongs to an orchestrator that died: its process group is killed
 * (found by the pid + start time recorded at spawn, and by the HIVE_DATA_DIR marker every agent process
 * carries, which also covers a crash between spawn and the pid being written), then the attempt is failed
 * with ORCHESTRATOR_LOST and retried (or dead when its attempts are spent).
 */
export async function recover(store: Store, processes: ProcessControl, dataDir: string, graceMs: number, clock: Clock): Promise<RecoveryReport> {
  const killed: number[] = [];
  const running = await store.runningAttempts();
  await Promise.all(
    running.map(async (r) => {
      if (r.pid && processes.isAlive(r.pid, r.pidStart)) {
        killed.push(r.pid);
        await processes.terminateGroup(r.pid, graceMs);
      }
    }),
  );
  for (const pid of processes.findByEnv('HIVE_DATA_DIR', dataDir)) {
    killed.push(pid);
    processes.kill(pid);
  }
  const reaped: RecoveryReport['reaped'] = [];
  for (const r of running) {
    const msg = `the orchestrator running attempt ${r.attempt} died${r.pid ? `; its process ${r.pid} was killed` : ''}`;
    try {
      const next = await store.fail(r.taskId, r.attempt, { code: 'ORCHESTRATOR_LOST', message: msg, exitCode: null, signal: null, usage: ZERO_USAGE, output: null }, clock.now());
      reaped.push({ taskId: r.taskId, attempt: r.attempt, next });
    } catch (err) {
      // settled meanwhile (e.g. cancelled by a CLI): nothing to hand back
      if (!(err instanceof HiveError && (err.code === 'STALE_ATTEMPT' || err.code === 'TASK_NOT_FOUND'))) throw err;
    }
  }
  return { reaped, killed: [...new Set(killed)] };
}
