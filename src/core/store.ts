import type { Agent, AgentLimits, AgentStatus, Attempt, HiveEvent, Priority, RetryPolicy, RuntimeSpec, Task, TaskStatus, Usage } from './types.js';
import type { SlotOffer } from './routing.js';
import type { TaskDefaults } from './options.js';
import type { RunFilter, Workflow, WorkflowRun, WorkflowSpec } from './workflow.js';
import type { WorkspaceSpec } from './workspace.js';

/**
 * The Store port: every method is one transaction in domain verbs, and every state change appends its
 * event rows in that same transaction. Adapters: stores/sqlite (the default); stores/postgres later.
 * The contract suite in test/contract/store.suite.ts runs unchanged against every adapter.
 */

export interface NewTask {
  /** Client-side reference, so tasks submitted together can depend on each other (`dependsOn: ['ref']`). */
  ref?: string;
  title: string;
  prompt: string;
  type: string;
  priority: Priority;
  capabilities: string[];
  /** Existing task ids, or refs of tasks in the same call. */
  dependsOn: (number | string)[];
  locks: string[];
  retry: RetryPolicy;
  timeoutMs: number;
  scheduleTimeoutMs: number;
  idempotencyKey?: string | null;
  metadata?: Record<string, unknown>;
  /** Set by the store for the tasks of a workflow step. */
  run?: { id: number; step: string; item: number | null };
}

export interface EnqueueResult {
  task: Task;
  /** false when the idempotency key matched an existing task (which is returned unchanged). */
  created: boolean;
}

export interface Claim {
  task: Task;
  attempt: number;
  agentId: number;
  agentName: string;
}

export interface ProcessInfo {
  pid: number;
  pidStart: number | null;
  logPath: string | null;
}

export interface Completion {
  result: unknown;
  output: string | null;
  usage: Usage;
  exitCode: number | null;
  /**
   * A note on the successful attempt, for its errorCode/error (HUNG_AFTER_RESULT: the program had to be killed
   * after its result). Optional for adapters: the SQLite adapter does not record it yet.
   */
  note?: { code: string; message: string };
}

export interface Failure {
  /** Error code: TASK_FAILED, TIMEOUT, LEASE_EXPIRED, ... */
  code: string;
  message: string;
  exitCode: number | null;
  signal: string | null;
  usage: Usage;
  output: string | null;
  /** When true the task is not retried (e.g. the input itself is bad). */
  final?: boolean;
}

export type FailOutcome = 'queued' | 'pending' | 'dead';

export interface RunningAttempt {
  taskId: number;
  attempt: number;
  agent: string;
  pid: number | null;
  pidStart: number | null;
  leaseUntil: number;
}

export interface TaskFilter {
  status?: TaskStatus[];
  agent?: string;
  capability?: string;
  /** Return tasks with id > afterId (cursor), ordered by id. */
  afterId?: number;
  limit?: number;
  /** Newest first instead of oldest first. */
  desc?: boolean;
}

export interface AgentSpec {
  name: string;
  role: string;
  capabilities: string[];
  runtime: RuntimeSpec;
  slots: number;
  env: Record<string, string>;
  workdir: string | null;
  limits: AgentLimits;
  /**
   * A git workspace (core/workspace.ts): a worktree per task, or the repository shared by one writer. Absent:
   * the one kept in `runtime.workspace`, where the store keeps it (the agents table has no column for it yet).
   */
  workspace?: WorkspaceSpec | null;
}

export interface StatusCounts {
  tasks: Record<TaskStatus, number>;
  agents: Record<AgentStatus, number>;
  /** Queued tasks per capability set key ('' = none required). */
  queueDepth: Record<string, number>;
}

export const TOKEN_ROLES = ['admin', 'operator', 'viewer'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

export interface TokenInfo {
  id: number;
  role: TokenRole;
  name: string;
  createdAt: number;
  revokedAt: number | null;
}

export interface NodeInfo {
  id: string;
  pid: number;
  pidStart: number | null;
  host: string;
}

export interface Store {
  /** Applies pending migrations. Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  // ---- tasks
  enqueue(tasks: NewTask[], now: number): Promise<EnqueueResult[]>;
  getTask(id: number): Promise<Task>;
  listTasks(filter: TaskFilter): Promise<Task[]>;
  listAttempts(taskId: number): Promise<Attempt[]>;
  /** Assigns ready tasks to the offered free slots (capability routing, priority, FIFO, locks), starting one attempt each. */
  claim(offers: SlotOffer[], now: number, leaseMs: number): Promise<Claim[]>;
  recordProcess(taskId: number, attempt: number, info: ProcessInfo): Promise<void>;
  /** Group-committed. Throws STALE_ATTEMPT when `attempt` no longer holds the task. */
  complete(taskId: number, attempt: number, done: Completion, now: number): Promise<void>;
  /** Group-committed. Retries with backoff while attempts remain, else dead. Throws STALE_ATTEMPT. */
  fail(taskId: number, attempt: number, failure: Failure, now: number): Promise<FailOutcome>;
  renewLeases(attempts: { taskId: number; attempt: number }[], leaseUntil: number): Promise<void>;
  /**
   * An attempt ended from outside (cancel, lease reaped, agent removed) keeps its locks while its process may
   * still run, for a linger time set by the adapter; the engine calls this once that process is dead.
   */
  releaseLocks(taskId: number, attempt: number): Promise<void>;
  /** Fails running attempts whose lease expired (LEASE_EXPIRED); returns them. */
  reapExpired(now: number): Promise<RunningAttempt[]>;
  /** Pending tasks whose dependencies completed and whose retry time passed become queued. */
  promoteReady(now: number): Promise<number>;
  /** Queued tasks past their schedule timeout become dead (SCHEDULE_TIMEOUT). */
  expireUnscheduled(now: number): Promise<number>;
  /**
   * Cancels a pending, queued or running task (and, transitively, its dependents). Returns the task as it was
   * before. A running attempt's locks stay held until releaseLocks (or the linger time).
   */
  cancel(taskId: number, reason: string, now: number): Promise<Task>;
  /** Sends a dead or cancelled task back to the queue with a fresh attempt budget. */
  retry(taskId: number, now: number): Promise<Task>;
  /**
   * Requeues dead tasks: the `ids` given (all or nothing: INVALID_TRANSITION if one is not dead or depends on a
   * dead/cancelled task), else every dead task, optionally only those with a capability. Returns their ids.
   */
  requeueDead(now: number, filter?: { ids?: number[]; capability?: string; limit?: number }): Promise<number[]>;
  runningAttempts(): Promise<RunningAttempt[]>;

  // ---- agents
  /** Creates or updates (by name) an agent definition. */
  registerAgent(spec: AgentSpec, now: number): Promise<Agent>;
  getAgent(nameOrId: string | number): Promise<Agent>;
  listAgents(): Promise<Agent[]>;
  /** Refuses (CONFLICT) while the agent has running attempts unless `force`. */
  removeAgent(nameOrId: string | number, now: number, force?: boolean): Promise<Agent>;
  setAgentStatus(name: string, status: AgentStatus, now: number, reason?: string): Promise<void>;

  // ---- observation
  readEvents(afterSeq: number, limit: number, filter?: { types?: string[]; subject?: string }): Promise<HiveEvent[]>;
  lastEventSeq(): Promise<number>;
  /** Appends an event that records no state change of its own (e.g. `hook.failed`). */
  recordEvent(type: string, subject: string, data: Record<string, unknown>, now: number): Promise<void>;
  counts(): Promise<StatusCounts>;
  /** True when another connection (another process) committed a change since the last call. */
  changedElsewhere(): Promise<boolean>;

  // ---- API tokens (the secret never reaches the store, only its hash)
  createToken(hash: string, role: TokenRole, name: string, now: number): Promise<TokenInfo>;
  /** The live (not revoked) token with this hash, or null. */
  findToken(hash: string): Promise<TokenInfo | null>;
  /** TOKEN_NOT_FOUND when no live token has this id. */
  revokeToken(id: number, now: number): Promise<TokenInfo>;
  listTokens(): Promise<TokenInfo[]>;

  // ---- workflows (definitions are immutable versions; a run advances in the transaction that ends each of its tasks)
  /** Stores a definition (see WorkflowDefs.define for versions); `created` false when it matched an existing version. */
  defineWorkflow(spec: WorkflowSpec, version: number | null, now: number): Promise<{ workflow: Workflow; created: boolean }>;
  /** The given version, or the latest; WORKFLOW_NOT_FOUND. */
  getWorkflow(name: string, version?: number): Promise<Workflow>;
  /** The latest version of each workflow. */
  listWorkflows(): Promise<(Workflow & { versions: number })[]>;
  /** Validates the inputs, creates the run, its steps and the tasks of every step without needs, in one transaction. */
  createRun(name: string, version: number | undefined, inputs: unknown, defaults: TaskDefaults, now: number): Promise<WorkflowRun>;
  /** With its steps. WORKFLOW_RUN_NOT_FOUND. */
  getRun(id: number): Promise<WorkflowRun>;
  /** Newest first, without steps. */
  listRuns(filter: RunFilter): Promise<WorkflowRun[]>;
  /** No new step or task of the run starts (queued tasks are held); running ones finish. */
  pauseRun(id: number, now: number): Promise<WorkflowRun>;
  resumeRun(id: number, now: number): Promise<WorkflowRun>;
  /** Cancels every open task and step; returns the attempts that were running (the engine kills them). */
  cancelRun(id: number, reason: string, now: number): Promise<{ run: WorkflowRun; running: { taskId: number; attempt: number }[] }>;
  /** A failed or cancelled run runs its failed and cancelled steps again; completed steps are not re-run. */
  retryRun(id: number, now: number): Promise<WorkflowRun>;

  // ---- nodes (one orchestrator per SQLite data dir)
  /** Registers this orchestrator; refuses with ALREADY_RUNNING while `isAlive(previous)` says the last one lives. */
  acquireNode(node: NodeInfo, now: number, isAlive: (n: NodeInfo) => boolean): Promise<void>;
  releaseNode(nodeId: string, now: number): Promise<void>;
}
