/**
 * Terminology
 * - Task: one unit of work (a prompt or input) for one agent. Identified by an integer id.
 * - Attempt: one try at a task on one agent. Its number is the task's fencing token: a report from any
 *   attempt other than the current one is refused (STALE_ATTEMPT).
 * - Lease: a running attempt's claim on its task, valid until `leaseUntil`; renewed while the attempt runs,
 *   reaped when it expires.
 * - Agent: a program that runs tasks (via a runtime), with capabilities and a number of slots.
 * - Capability: a string an agent holds; a task runs only on an agent holding all its required capabilities.
 * - Lock: a resource name; two tasks that list a common lock never run at once.
 * - Event: an append-only record of a state change, in the same transaction as the change.
 */

export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
/** Smaller rank runs first. */
export const PRIORITY_RANK: Record<Priority, number> = { critical: 0, high: 1, medium: 2, low: 3 };

export const TASK_STATUSES = ['pending', 'queued', 'running', 'completed', 'failed', 'dead', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const AGENT_STATUSES = [
  'inactive',
  'starting',
  'active',
  'busy',
  'error',
  'maintenance',
  'shutting_down',
  'stopped',
] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export interface RetryPolicy {
  /** Total attempts allowed, first one included. */
  maxAttempts: number;
  /** Backoff base in ms: attempt n waits up to base * 2^(n-1), capped, with full jitter. */
  backoffMs: number;
  backoffCapMs: number;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

export interface Task {
  id: number;
  title: string;
  prompt: string;
  type: string;
  priority: Priority;
  capabilities: string[];
  dependsOn: number[];
  locks: string[];
  status: TaskStatus;
  /** Attempts started so far (= the current attempt number while running). */
  attempts: number;
  retry: RetryPolicy;
  /** Per-attempt run timeout in ms (0 = the agent's limit or none). */
  timeoutMs: number;
  /** How long the task may wait in `queued` before it is declared dead (0 = forever). */
  scheduleTimeoutMs: number;
  idempotencyKey: string | null;
  /** Name of the agent of the current or last attempt. */
  agent: string | null;
  /** Why the task waits (pending/queued) or why it ended (dead/cancelled). */
  reason: string | null;
  /** Last error, as `CODE: message`. */
  error: string | null;
  result: unknown;
  /** Final text output (stdout tail when no JSON result). */
  output: string | null;
  usage: Usage;
  metadata: Record<string, unknown>;
  createdAt: number;
  updatedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  /** When a pending task becomes due (retry backoff). */
  runAt: number;
  leaseUntil: number | null;
  /** The workflow run and step this task belongs to (null for a plain task). */
  run: number | null;
  step: string | null;
}

export type AttemptStatus = 'running' | 'completed' | 'failed' | 'cancelled';

export interface Attempt {
  taskId: number;
  attempt: number;
  agent: string;
  status: AttemptStatus;
  startedAt: number;
  finishedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  /** Error code when the attempt did not succeed (TIMEOUT, TASK_FAILED, ...). */
  errorCode: string | null;
  error: string | null;
  pid: number | null;
  /** Process start time (clock ticks since boot, /proc/PID/stat field 22): pid + start time identify a process. */
  pidStart: number | null;
  logPath: string | null;
  usage: Usage;
}

/** The coding-agent CLIs Hive knows how to run headless (runtime kinds of their own; see docs/agents.md). */
export const PRESET_TOOLS = ['claude-code', 'codex', 'gemini', 'aider'] as const;
export type PresetTool = (typeof PRESET_TOOLS)[number];

/**
 * A preset agent: Hive builds the tool's headless command line itself, parses its stream for progress, usage
 * and cost, and runs it like a `command` agent (process group, log, timeout, watchdogs).
 */
export interface PresetRuntimeSpec {
  kind: PresetTool;
  /** `--model` / `-m`; also the model the cost is estimated with when the tool prints no USD. */
  model?: string;
  /** Appended after Hive's own options (before the prompt). */
  extraArgs?: string[];
  /** claude-code `--permission-mode`, codex `-s` (sandbox; default workspace-write), gemini `--approval-mode`; not for aider. */
  permissionMode?: string;
  /** claude-code only: `--max-turns`. */
  maxTurns?: number;
  /** The executable (a path, or a name looked up on the agent's PATH); default the tool's own name. */
  binary?: string;
  /** Run each attempt in its own tmux session, for `hive attach` (docs/tmux.md). */
  tmux?: boolean;
  /** Never set: a preset builds its own command line (declared so code reading `runtime.command` of a non-inline agent gets undefined). */
  command?: undefined;
}

export type RuntimeSpec =
  | { kind: 'command'; command: string | string[]; shell?: boolean; /** each attempt in its own tmux session (docs/tmux.md) */ tmux?: boolean }
  | { kind: 'worker'; command: string | string[]; heartbeatMs?: number }
  | { kind: 'inline'; fn: string }
  | PresetRuntimeSpec;

export interface AgentLimits {
  /** Default per-task timeout for tasks that set none, ms (0 = none). */
  timeoutMs: number;
  memoryMb: number;
  contextTokens: number;
  costBudgetUsd: number;
  /**
   * Watchdog: no stdout/stderr output for this long kills the attempt (IDLE_TIMEOUT), ms; 0 = off. Absent: 10 min
   * for presets, off for `command` agents. Not used by `worker` (heartbeats) or `inline` agents.
   */
  idleTimeoutMs?: number;
  /**
   * Watchdog: a program still running this long after its terminal event (a preset's final result, a command's
   * `{"hive":"done"}` line) is killed and its result kept (HUNG_AFTER_RESULT), ms; 0 = wait. Absent: 30 s.
   */
  exitGraceMs?: number;
}

export interface Agent {
  id: number;
  name: string;
  role: string;
  capabilities: string[];
  runtime: RuntimeSpec;
  slots: number;
  env: Record<string, string>;
  workdir: string | null;
  limits: AgentLimits;
  status: AgentStatus;
  /** Attempts currently running on the agent. */
  running: number;
  done: number;
  failed: number;
  /** Failures since the last success (used by routing, reset on success). */
  recentFailures: number;
  usage: Usage;
  heartbeatAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface HiveEvent {
  seq: number;
  time: number;
  type: string;
  /** `task:ID`, `agent:NAME`, ... */
  subject: string;
  data: Record<string, unknown>;
}

export const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, costUsd: 0 });
