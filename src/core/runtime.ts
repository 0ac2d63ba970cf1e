import type { Agent, Task, Usage } from './types.js';
import type { AttemptAbort } from './abort.js';

/**
 * The AgentRuntime port: turns one attempt of a task into a running program and reports what it does.
 * Every runtime (inline, command, worker, and the coding-agent presets built on command) reports the same
 * normalised events, so the engine never knows which one it drives.
 */

export type RuntimeEvent =
  /** The program is running; pid + pidStart identify its process group leader (absent in-process). */
  | { type: 'started'; pid?: number; pidStart?: number | null }
  | { type: 'log'; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'progress'; pct?: number; message?: string }
  | { type: 'usage'; usage: Partial<Usage> }
  | { type: 'result'; value: unknown }
  | { type: 'heartbeat' };

/** The `finished` event: how the attempt ended. */
export interface RunOutcome {
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  /**
   * Error code when !ok: TASK_FAILED, TIMEOUT, IDLE_TIMEOUT, CANCELLED, SPAWN_FAILED, WORKER_EXITED, ...
   * When ok, a note on a successful attempt (HUNG_AFTER_RESULT), with `error` explaining it.
   */
  code?: string;
  error?: string;
  result?: unknown;
  /** Text output: the stdout tail when the program printed no JSON result. */
  output?: string;
  usage?: Partial<Usage>;
}

export interface RunRequest {
  task: Task;
  attempt: number;
  agent: Agent;
  /** Absolute working directory of the attempt. */
  workdir: string;
  /** Where the attempt's stdout/stderr go (null: the runtime keeps no log). */
  logPath: string | null;
  /** Log files of this task's earlier attempts, newest first (a preset finds the session to resume there). */
  previousLogPaths?: string[];
  /** Effective run timeout in ms (0 = none). */
  timeoutMs: number;
  /** Extra environment: HIVE_TASK_ID, HIVE_ATTEMPT, HIVE_AGENT, ... */
  env: Record<string, string>;
  /** Aborted on cancel, lease loss or shutdown; `abort.reason` is a HiveError naming why. */
  abort: AttemptAbort;
}

export interface RuntimeHost {
  /** The runtime's own health (a worker process exited, came back, ...). */
  onAgentStatus(status: 'active' | 'error', reason?: string): void;
}

export interface AgentRuntime {
  readonly kind: string;
  /** Starts long-lived resources (a worker process). Resolves when the agent can take tasks. */
  start(): Promise<void>;
  /** Runs one attempt; resolves with its outcome (never rejects for a task-level failure). */
  run(req: RunRequest, emit: (e: RuntimeEvent) => void): Promise<RunOutcome>;
  /** Stops long-lived resources. Running attempts were aborted before this is called. */
  stop(graceMs: number): Promise<void>;
}

/** Engine-wide settings a runtime needs (resolved once; see core/options.ts). */
export interface RuntimeSettings {
  /** After SIGTERM, how long a process group gets before SIGKILL. */
  killGraceMs: number;
  /** Bytes of stdout kept as output when a program prints no JSON result. */
  outputTailBytes: number;
  /** Environment every agent process starts from (already filtered by the caller), before agent env and HIVE_* vars. */
  baseEnv: Record<string, string>;
  /** Model prices (USD per million tokens) over the built-in table, for tools that print no cost (hive.yaml `prices`). */
  prices?: PriceOverrides;
  /**
   * Who forks the programs of process agents: `helper` (default), a small helper process beside the
   * orchestrator; `direct`, the orchestrator itself (docs/architecture.md, "The spawner").
   */
  spawner?: SpawnerMode;
}

export type SpawnerMode = 'helper' | 'direct';

/** USD per million tokens for one model; a missing cacheRead/cacheWrite costs as input. */
export type PriceOverrides = Record<string, { input?: number; output?: number; cacheRead?: number; cacheWrite?: number }>;

export type RuntimeFactory = (agent: Agent, host: RuntimeHost, settings: RuntimeSettings) => AgentRuntime;

/** Process control the engine needs for crash recovery (implemented in runtimes/process.ts). */
export interface ProcessControl {
  /** pid exists and, when pidStart is given, started at that time (guards against pid reuse). */
  isAlive(pid: number, pidStart: number | null): boolean;
  /** SIGTERM to the process group, SIGKILL after graceMs. */
  terminateGroup(pid: number, graceMs: number): Promise<void>;
  /** Pids of processes whose environment holds NAME=VALUE (agent processes carry HIVE_DATA_DIR). */
  findByEnv(name: string, value: string): number[];
  /** SIGKILL one process. */
  kill(pid: number): void;
}
