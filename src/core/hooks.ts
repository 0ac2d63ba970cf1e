import type { HiveEvent } from './types.js';

/**
 * Status hooks: a shell command or a webhook that runs on task, agent and workflow-run state changes. The
 * engine (engine/hooks.ts) reads the event log, turns each event into a HookCall with this pure mapping,
 * and hands the calls to a HookExecutor (hooks/executor.ts). A hook never blocks or fails the engine: a
 * failing one is logged as a `hook.failed` event.
 */

export interface HookSpec {
  /** Shell command (`/bin/sh -c`), run with the HIVE_* variables below. */
  command?: string;
  /** URL that gets a POST with the JSON payload. */
  webhook?: string;
  /** Event types to run on; `task.*` style prefixes allowed. Empty: DEFAULT_HOOK_EVENTS. */
  events: string[];
  /** Only for these agents (hooks set on an agent in hive.yaml); empty: any. */
  agents: string[];
  /** Kill the command / abort the request after this long. */
  timeoutMs: number;
}

/** The events hooks run on when a hook names none: every task, agent and run state change. */
export const DEFAULT_HOOK_EVENTS: readonly string[] = Object.freeze([
  'task.enqueued', 'task.queued', 'task.held', 'task.started', 'task.completed', 'task.failed', 'task.dead', 'task.cancelled', 'task.requeued',
  'agent.status', 'run.created', 'run.paused', 'run.resumed', 'run.retried', 'run.completed', 'run.failed', 'run.cancelled',
]);

export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

/** What a hook is told about one event. */
export interface HookPayload {
  event: string;
  seq: number;
  time: string;
  subject: string;
  taskId: number | null;
  runId: number | null;
  agent: string | null;
  oldStatus: string | null;
  newStatus: string | null;
  worktree: string | null;
  branch: string | null;
  data: Record<string, unknown>;
}

export interface HookCall {
  hook: HookSpec;
  /** Index of the hook in its list (names it in hook.failed). */
  index: number;
  payload: HookPayload;
  /** HIVE_EVENT, HIVE_TASK_ID, HIVE_AGENT, HIVE_OLD_STATUS, HIVE_NEW_STATUS, HIVE_WORKTREE, HIVE_BRANCH, HIVE_RUN_ID, HIVE_EVENT_JSON. */
  env: Record<string, string>;
}

export interface HookExecutor {
  /** Runs one call to its end (or its timeout); resolves with the failure, or null when it succeeded. Never rejects. */
  run(call: HookCall, signal: AbortSignal): Promise<string | null>;
}

export function hookWants(spec: HookSpec, type: string): boolean {
  const list = spec.events.length ? spec.events : DEFAULT_HOOK_EVENTS;
  return list.some((p) => p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

/** The status change an event records: [old, new], either null when the event does not say. */
export function statusChange(e: HiveEvent): [string | null, string | null] {
  const d = e.data as Record<string, unknown>;
  const s = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  switch (e.type) {
    case 'task.enqueued':
      return [null, s(d.status)];
    case 'task.queued':
      return ['pending', 'queued'];
    case 'task.held':
      return [null, 'pending'];
    case 'task.started':
      return ['queued', 'running'];
    case 'task.completed':
      return ['running', 'completed'];
    case 'task.failed':
      return ['running', s(d.next)];
    case 'task.dead':
      return [d.code === 'SCHEDULE_TIMEOUT' ? 'queued' : 'running', 'dead'];
    case 'task.cancelled':
      return [d.attempt !== undefined ? 'running' : null, 'cancelled'];
    case 'task.requeued':
      return [s(d.from), s(d.status)];
    case 'agent.status':
      return [s(d.from), s(d.to)];
    case 'run.created':
    case 'run.resumed':
    case 'run.retried':
      return [null, 'running'];
    case 'run.paused':
      return ['running', 'paused'];
    case 'run.completed':
    case 'run.failed':
    case 'run.cancelled':
      return [null, e.type.slice(4)];
    default:
      return [null, null];
  }
}

/** The payload of an event; `agent` comes from the event, else from `agentOf` (the task's agent). */
export function hookPayload(e: HiveEvent, agentOf: string | null, place: { worktree: string | null; branch: string | null } = { worktree: null, branch: null }): HookPayload {
  const [oldStatus, newStatus] = statusChange(e);
  const [kind, id] = [e.subject.slice(0, e.subject.indexOf(':')), e.subject.slice(e.subject.indexOf(':') + 1)];
  const d = e.data as Record<string, unknown>;
  const agent = kind === 'agent' ? id : typeof d.agent === 'string' ? d.agent : agentOf;
  return {
    event: e.type,
    seq: e.seq,
    time: new Date(e.time).toISOString(),
    subject: e.subject,
    taskId: kind === 'task' ? Number(id) : null,
    runId: kind === 'run' ? Number(id) : null,
    agent,
    oldStatus,
    newStatus,
    worktree: place.worktree,
    branch: place.branch,
    data: d,
  };
}

export function hookEnv(p: HookPayload): Record<string, string> {
  return {
    HIVE_EVENT: p.event,
    HIVE_TASK_ID: p.taskId === null ? '' : String(p.taskId),
    HIVE_RUN_ID: p.runId === null ? '' : String(p.runId),
    HIVE_AGENT: p.agent ?? '',
    HIVE_OLD_STATUS: p.oldStatus ?? '',
    HIVE_NEW_STATUS: p.newStatus ?? '',
    HIVE_WORKTREE: p.worktree ?? '',
    HIVE_BRANCH: p.branch ?? '',
    HIVE_EVENT_JSON: JSON.stringify(p),
  };
}

/** The calls one event makes: every hook that wants its type and (for agent hooks) its agent. `place`: the task's worktree and branch. */
export function hookCalls(specs: readonly HookSpec[], e: HiveEvent, agentOf: string | null, place?: { worktree: string | null; branch: string | null }): HookCall[] {
  const out: HookCall[] = [];
  let payload: HookPayload | null = null;
  specs.forEach((hook, index) => {
    if (!hookWants(hook, e.type)) return;
    payload ??= hookPayload(e, agentOf, place);
    if (hook.agents.length && (payload.agent === null || !hook.agents.includes(payload.agent))) return;
    out.push({ hook, index, payload, env: hookEnv(payload) });
  });
  return out;
}
