import { HiveError } from './errors.js';
import type { AgentStatus } from './types.js';

/**
 * Agent lifecycle: inactive → starting → active ⇄ busy; error, maintenance, shutting_down, stopped.
 * `active` = idle and ready (free slots), `busy` = every slot taken.
 */
export const AGENT_TRANSITIONS: Readonly<Record<AgentStatus, readonly AgentStatus[]>> = {
  inactive: ['starting', 'maintenance', 'stopped', 'error'],
  starting: ['active', 'error', 'shutting_down', 'stopped'],
  active: ['busy', 'maintenance', 'shutting_down', 'error', 'stopped'],
  busy: ['active', 'maintenance', 'shutting_down', 'error', 'stopped'],
  error: ['starting', 'active', 'maintenance', 'shutting_down', 'stopped', 'inactive'],
  maintenance: ['starting', 'active', 'inactive', 'shutting_down', 'stopped'],
  shutting_down: ['stopped', 'inactive'],
  stopped: ['starting', 'inactive', 'maintenance'],
};

export function canAgentTransition(from: AgentStatus, to: AgentStatus): boolean {
  return from === to || AGENT_TRANSITIONS[from].includes(to);
}

export function assertAgentTransition(name: string, from: AgentStatus, to: AgentStatus): void {
  if (!canAgentTransition(from, to)) {
    throw new HiveError('INVALID_TRANSITION', `agent ${name} is ${from}; cannot become ${to}`, { details: { agent: name, from, to } });
  }
}

/** Statuses in which an agent takes new tasks. */
export const DISPATCHABLE: readonly AgentStatus[] = ['active', 'busy'];
