import { HiveError, fieldError } from './errors.js';
import { TASK_STATUSES, type TaskStatus } from './types.js';

/**
 * Task lifecycle as a transition table. `failed` is momentary: in the same transaction the task goes on to
 * `queued` (retry now), `pending` (retry after backoff) or `dead` (no attempts left).
 *
 *   pending ──▶ queued ──▶ running ──▶ completed
 *      ▲  │        │  │        │
 *      │  │        │  │        ├──▶ failed ──▶ queued | pending | dead
 *      │  ▼        ▼  ▼        ▼
 *      └─ cancelled  dead    cancelled          dead | cancelled ──(retry/requeue)──▶ queued | pending
 */
export const TASK_TRANSITIONS: Readonly<Record<TaskStatus, readonly TaskStatus[]>> = {
  pending: ['queued', 'cancelled'],
  queued: ['running', 'cancelled', 'dead', 'pending'], // pending: held while its workflow run is paused
  running: ['completed', 'failed', 'cancelled'],
  failed: ['queued', 'pending', 'dead'],
  completed: [],
  dead: ['queued', 'pending'],
  cancelled: ['queued', 'pending'],
};

export const TERMINAL_TASK_STATUSES: readonly TaskStatus[] = ['completed', 'dead', 'cancelled'];

export function canTransition(from: TaskStatus, to: TaskStatus): boolean {
  return TASK_TRANSITIONS[from].includes(to);
}

export function assertTaskTransition(taskId: number, from: TaskStatus, to: TaskStatus, action: string = `move it to ${to}`): void {
  if (!canTransition(from, to)) {
    throw new HiveError('INVALID_TRANSITION', `task ${taskId} is ${from}; cannot ${action} (allowed from ${from}: ${TASK_TRANSITIONS[from].join(', ') || 'nothing, it is final'})`, {
      details: { taskId, from, to },
    });
  }
}

/** Statuses from which each user action is allowed. */
export const CANCELLABLE: readonly TaskStatus[] = ['pending', 'queued', 'running'];
export const RETRYABLE: readonly TaskStatus[] = ['dead', 'cancelled'];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL_TASK_STATUSES.includes(status);
}

/** Parses a comma-separated list of task statuses (a CLI flag, a query parameter); VALIDATION_FAILED names `field`. */
export function parseStatusList(text: string | undefined, field: string): TaskStatus[] | undefined {
  if (!text) return undefined;
  const list = text.split(',').map((s) => s.trim());
  for (const s of list) {
    if (!TASK_STATUSES.includes(s as TaskStatus)) throw fieldError(field, `expected one or more of ${TASK_STATUSES.join(', ')}, got ${JSON.stringify(s.slice(0, 40))}`);
  }
  return list as TaskStatus[];
}
