import { PRIORITIES, type Agent, type Attempt, type HiveEvent, type Task } from '../../core/types.js';
import { capsFromKey } from '../../core/routing.js';

/** Row shapes as SQLite returns them, and their mapping to domain objects. */
export interface TaskRow {
  id: number;
  title: string;
  prompt: string;
  type: string;
  priority: number;
  caps: string;
  locks: string | null;
  deps: string | null;
  deps_pending: number;
  status: Task['status'];
  attempts: number;
  attempt_base: number;
  max_attempts: number;
  backoff_ms: number;
  backoff_cap_ms: number;
  timeout_ms: number;
  schedule_timeout_ms: number;
  deadline: number | null;
  run_at: number;
  idem_key: string | null;
  agent: string | null;
  agent_id: number | null;
  lease_until: number | null;
  pid: number | null;
  pid_start: number | null;
  log_path: string | null;
  reason: string | null;
  error: string | null;
  result: string | null;
  output: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  metadata: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  run_id: number | null;
  step: string | null;
  /** Exit code of the attempt that completed the task (0004). */
  exit_code: number | null;
}

/** Task columns in a fixed order: statements that read whole tasks select these in raw (array) mode and map
 * them with taskRowFromArray, which is much cheaper than letting the driver build an object per row. */
export const TASK_COLUMNS = 'id, title, prompt, type, priority, caps, locks, deps, deps_pending, status, attempts, attempt_base, max_attempts, backoff_ms, backoff_cap_ms, timeout_ms, schedule_timeout_ms, deadline, run_at, idem_key, agent, agent_id, lease_until, pid, pid_start, log_path, reason, error, result, output, input_tokens, output_tokens, cost_usd, metadata, created_at, updated_at, started_at, finished_at, run_id, step, exit_code';

export function taskRowFromArray(a: unknown[]): TaskRow {
  return {
    id: a[0] as TaskRow['id'],
    title: a[1] as TaskRow['title'],
    prompt: a[2] as TaskRow['prompt'],
    type: a[3] as TaskRow['type'],
    priority: a[4] as TaskRow['priority'],
    caps: a[5] as TaskRow['caps'],
    locks: a[6] as TaskRow['locks'],
    deps: a[7] as TaskRow['deps'],
    deps_pending: a[8] as TaskRow['deps_pending'],
    status: a[9] as TaskRow['status'],
    attempts: a[10] as TaskRow['attempts'],
    attempt_base: a[11] as TaskRow['attempt_base'],
    max_attempts: a[12] as TaskRow['max_attempts'],
    backoff_ms: a[13] as TaskRow['backoff_ms'],
    backoff_cap_ms: a[14] as TaskRow['backoff_cap_ms'],
    timeout_ms: a[15] as TaskRow['timeout_ms'],
    schedule_timeout_ms: a[16] as TaskRow['schedule_timeout_ms'],
    deadline: a[17] as TaskRow['deadline'],
    run_at: a[18] as TaskRow['run_at'],
    idem_key: a[19] as TaskRow['idem_key'],
    agent: a[20] as TaskRow['agent'],
    agent_id: a[21] as TaskRow['agent_id'],
    lease_until: a[22] as TaskRow['lease_until'],
    pid: a[23] as TaskRow['pid'],
    pid_start: a[24] as TaskRow['pid_start'],
    log_path: a[25] as TaskRow['log_path'],
    reason: a[26] as TaskRow['reason'],
    error: a[27] as TaskRow['error'],
    result: a[28] as TaskRow['result'],
    output: a[29] as TaskRow['output'],
    input_tokens: a[30] as TaskRow['input_tokens'],
    output_tokens: a[31] as TaskRow['output_tokens'],
    cost_usd: a[32] as TaskRow['cost_usd'],
    metadata: a[33] as TaskRow['metadata'],
    created_at: a[34] as TaskRow['created_at'],
    updated_at: a[35] as TaskRow['updated_at'],
    started_at: a[36] as TaskRow['started_at'],
    finished_at: a[37] as TaskRow['finished_at'],
    run_id: a[38] as TaskRow['run_id'],
    step: a[39] as TaskRow['step'],
    exit_code: a[40] as TaskRow['exit_code'],
  };
}

const EMPTY: readonly never[] = Object.freeze([]) as readonly never[];

export function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

export function toTask(r: TaskRow): Task {
  return {
    id: r.id,
    title: r.title,
    prompt: r.prompt,
    type: r.type,
    priority: PRIORITIES[r.priority],
    capabilities: capsFromKey(r.caps),
    dependsOn: r.deps ? (JSON.parse(r.deps) as number[]) : (EMPTY as unknown as number[]),
    locks: r.locks ? (JSON.parse(r.locks) as string[]) : (EMPTY as unknown as string[]),
    status: r.status,
    attempts: r.attempts,
    retry: { maxAttempts: r.max_attempts, backoffMs: r.backoff_ms, backoffCapMs: r.backoff_cap_ms },
    timeoutMs: r.timeout_ms,
    scheduleTimeoutMs: r.schedule_timeout_ms,
    idempotencyKey: r.idem_key,
    agent: r.agent,
    reason: r.reason,
    error: r.error,
    result: parseJson(r.result),
    output: r.output,
    usage: { inputTokens: r.input_tokens, outputTokens: r.output_tokens, costUsd: r.cost_usd },
    metadata: r.metadata ? (JSON.parse(r.metadata) as Record<string, unknown>) : {},
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    runAt: r.run_at,
    leaseUntil: r.lease_until,
    run: r.run_id,
    step: r.step,
  };
}

export interface AttemptRow {
  task_id: number;
  attempt: number;
  agent: string;
  status: Attempt['status'];
  started_at: number;
  finished_at: number | null;
  exit_code: number | null;
  signal: string | null;
  error_code: string | null;
  error: string | null;
  pid: number | null;
  pid_start?: number | null;
  log_path: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export function toAttempt(r: AttemptRow): Attempt {
  return {
    taskId: r.task_id,
    attempt: r.attempt,
    agent: r.agent,
    status: r.status,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    exitCode: r.exit_code,
    signal: r.signal,
    errorCode: r.error_code,
    error: r.error,
    pid: r.pid,
    pidStart: r.pid_start ?? null,
    logPath: r.log_path,
    usage: { inputTokens: r.input_tokens, outputTokens: r.output_tokens, costUsd: r.cost_usd },
  };
}

export interface AgentRow {
  id: number;
  name: string;
  role: string;
  caps: string;
  runtime: string;
  slots: number;
  env: string;
  workdir: string | null;
  limits: string;
  status: Agent['status'];
  done: number;
  failed: number;
  recent_failures: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  heartbeat_at: number | null;
  created_at: number;
  updated_at: number;
}

export function toAgent(r: AgentRow, running: number): Agent {
  // `busy` is derived: an active agent with every slot taken.
  const status = r.status === 'active' && running >= r.slots ? 'busy' : r.status;
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    capabilities: capsFromKey(r.caps),
    runtime: JSON.parse(r.runtime),
    slots: r.slots,
    env: JSON.parse(r.env),
    workdir: r.workdir,
    limits: JSON.parse(r.limits),
    status,
    running,
    done: r.done,
    failed: r.failed,
    recentFailures: r.recent_failures,
    usage: { inputTokens: r.input_tokens, outputTokens: r.output_tokens, costUsd: r.cost_usd },
    heartbeatAt: r.heartbeat_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export function toEvent(r: { seq: number; time: number; type: string; subject: string; data: string }): HiveEvent {
  return { seq: r.seq, time: r.time, type: r.type, subject: r.subject, data: JSON.parse(r.data) };
}
