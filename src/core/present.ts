import type { Agent, Task } from './types.js';

/** The JSON shapes of tasks and agents that the CLI's --json and the HTTP API both print. */

/** A task as JSON: stable keys first, times as ISO strings. */
export function taskJson(t: Task) {
  return {
    id: t.id,
    title: t.title,
    status: t.status,
    priority: t.priority,
    attempts: t.attempts,
    agent: t.agent,
    error: t.error,
    reason: t.reason,
    capabilities: t.capabilities,
    dependsOn: t.dependsOn,
    locks: t.locks,
    result: t.result,
    output: t.output,
    usage: t.usage,
    createdAt: new Date(t.createdAt).toISOString(),
    startedAt: t.startedAt ? new Date(t.startedAt).toISOString() : null,
    finishedAt: t.finishedAt ? new Date(t.finishedAt).toISOString() : null,
    durationMs: t.startedAt && t.finishedAt ? t.finishedAt - t.startedAt : null,
  };
}

export type TaskJson = ReturnType<typeof taskJson>;

/** An agent as JSON, times as ISO strings. */
export function agentJson(a: Agent): Omit<Agent, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string } {
  return { ...a, createdAt: new Date(a.createdAt).toISOString(), updatedAt: new Date(a.updatedAt).toISOString() };
}

