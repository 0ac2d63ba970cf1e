import type { Agent, Attempt, Task } from './types.js';

/**
 * The JSON shapes of tasks and agents that the CLI's --json and the HTTP API both print, and their way
 * back to domain objects (the CLI as a remote client reads them).
 */

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const ms = (s: string | null): number | null => (s === null ? null : Date.parse(s));

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
    type: t.type,
    capabilities: t.capabilities,
    dependsOn: t.dependsOn,
    locks: t.locks,
    retry: t.retry,
    timeoutMs: t.timeoutMs,
    scheduleTimeoutMs: t.scheduleTimeoutMs,
    idempotencyKey: t.idempotencyKey,
    result: t.result,
    output: t.output,
    usage: t.usage,
    metadata: t.metadata,
    createdAt: iso(t.createdAt)!,
    updatedAt: iso(t.updatedAt)!,
    startedAt: iso(t.startedAt),
    finishedAt: iso(t.finishedAt),
    runAt: iso(t.runAt)!,
    leaseUntil: iso(t.leaseUntil),
    durationMs: t.startedAt && t.finishedAt ? t.finishedAt - t.startedAt : null,
    run: t.run,
    step: t.step,
  };
}

export type TaskJson = ReturnType<typeof taskJson>;

/** The inverse of taskJson (the prompt travels apart: only `GET /tasks/{id}` carries it). */
export function taskFromJson(j: TaskJson & { prompt?: string }): Task {
  return {
    id: j.id,
    title: j.title,
    prompt: j.prompt ?? '',
    type: j.type,
    priority: j.priority,
    capabilities: j.capabilities,
    dependsOn: j.dependsOn,
    locks: j.locks,
    status: j.status,
    attempts: j.attempts,
    retry: j.retry,
    timeoutMs: j.timeoutMs,
    scheduleTimeoutMs: j.scheduleTimeoutMs,
    idempotencyKey: j.idempotencyKey,
    agent: j.agent,
    reason: j.reason,
    error: j.error,
    result: j.result,
    output: j.output,
    usage: j.usage,
    metadata: j.metadata,
    createdAt: ms(j.createdAt)!,
    updatedAt: ms(j.updatedAt)!,
    startedAt: ms(j.startedAt),
    finishedAt: ms(j.finishedAt),
    runAt: ms(j.runAt)!,
    leaseUntil: ms(j.leaseUntil),
    run: j.run ?? null,
    step: j.step ?? null,
  };
}

export type AgentJson = Omit<Agent, 'createdAt' | 'updatedAt'> & { createdAt: string; updatedAt: string };

/** An agent as JSON, times as ISO strings. */
export function agentJson(a: Agent): AgentJson {
  return { ...a, createdAt: iso(a.createdAt)!, updatedAt: iso(a.updatedAt)! };
}

/** The inverse of agentJson, with keys in the domain order (so both CLI modes print alike). */
export function agentFromJson(j: AgentJson): Agent {
  return {
    id: j.id,
    name: j.name,
    role: j.role,
    capabilities: j.capabilities,
    runtime: j.runtime,
    slots: j.slots,
    env: j.env,
    workdir: j.workdir,
    limits: j.limits,
    status: j.status,
    running: j.running,
    done: j.done,
    failed: j.failed,
    recentFailures: j.recentFailures,
    usage: j.usage,
    heartbeatAt: j.heartbeatAt,
    createdAt: ms(j.createdAt)!,
    updatedAt: ms(j.updatedAt)!,
  };
}

/** An attempt read back from JSON, with its keys in the domain order (so both CLI modes print alike). */
export function attemptFromJson(j: Attempt): Attempt {
  return {
    taskId: j.taskId,
    attempt: j.attempt,
    agent: j.agent,
    status: j.status,
    startedAt: j.startedAt,
    finishedAt: j.finishedAt,
    exitCode: j.exitCode,
    signal: j.signal,
    errorCode: j.errorCode,
    error: j.error,
    pid: j.pid,
    pidStart: j.pidStart,
    logPath: j.logPath,
    usage: j.usage,
  };
}
