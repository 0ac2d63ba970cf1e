/**
 * The typed event map: every event the store appends, one doc comment each. The event log is the one
 * source for live progress, the (later) SSE stream, metrics and audit. `subject` is `task:ID`, `agent:NAME`, `run:ID` or `workflow:NAME`.
 */
export interface EventMap {
  /** A task was accepted (status pending or queued). */
  'task.enqueued': { status: 'pending' | 'queued'; title: string; priority: string; capabilities: string[]; dependsOn: number[] };
  /** A pending task became ready (dependencies completed or retry time reached). */
  'task.queued': { reason?: string };
  /** An attempt started on an agent; `attempt` is the fencing token. */
  'task.started': { attempt: number; agent: string };
  /** The attempt succeeded. */
  'task.completed': { attempt: number; agent: string; durationMs: number };
  /** The attempt failed; `next` says what happens: retry now (queued), later (pending, at runAt) or dead. */
  'task.failed': { attempt: number; agent: string; code: string; error: string; next: 'queued' | 'pending' | 'dead'; runAt?: number };
  /** The task entered the dead-letter queue. */
  'task.dead': { code: string; reason: string };
  /** The task was cancelled (by a user, or because a dependency ended dead/cancelled). */
  'task.cancelled': { reason: string; attempt?: number };
  /** A dead or cancelled task was sent back to the queue by a user. */
  'task.requeued': { from: string; status: 'pending' | 'queued' };
  /** A queued or pending task of a paused workflow run was held back (it becomes queued again on resume). */
  'task.held': { run: number };
  /** A report from a stale attempt was refused. */
  'task.stale_report': { attempt: number; current: number };
  /** An agent was registered or its definition changed. */
  'agent.registered': { capabilities: string[]; runtime: string; slots: number };
  /** An agent's status changed. */
  'agent.status': { from: string; to: string; reason?: string };
  /** An agent was removed. */
  'agent.removed': Record<string, never>;
  /** A workflow definition was stored as a new version (subject `workflow:NAME`). */
  'workflow.defined': { version: number; steps: number };
  /** A workflow run was created (subject `run:ID`). */
  'run.created': { workflow: string; version: number; steps: number };
  /** A step of a run changed status: ready (held by a pause), running (with its task ids), or a final one. */
  'run.step': { step: string; status: string; reason?: string; tasks?: number[] };
  'run.paused': { heldTasks: number };
  'run.resumed': { releasedTasks: number };
  /** A failed or cancelled run runs these steps again. */
  'run.retried': { steps: string[] };
  'run.completed': { durationMs: number };
  'run.failed': { error: string | null; durationMs: number };
  'run.cancelled': { reason: string; steps: number; killed: number };
  /** A status hook (command or webhook) failed, timed out or was dropped; `hook` is its index in the list. */
  'hook.failed': { hook: number; kind: 'command' | 'webhook'; event: string; seq: number; error: string };
  /** An orchestrator node started or stopped on this store. */
  'node.started': { pid: number; host: string };
  /** An API token was created or revoked (the secret is never logged). */
  'token.created': { role: string; name: string };
  'token.revoked': { role: string };
  /** A node found the previous one dead (crashed) when it started. */
  'node.lost': { pid: number };
  'node.stopped': { pid: number };
}

export type EventType = keyof EventMap;
