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
