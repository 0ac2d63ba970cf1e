/**
 * The worker protocol (docs/worker-protocol.md): one JSON object per line, Hive → worker on the worker's
 * stdin, worker → Hive on its stdout. Shared by the worker runtime and the SDK; no streams or processes here.
 */

export const PROTOCOL_VERSION = 1;

// Hive → worker

export interface TaskMessage {
  type: 'task';
  id: number;
  attempt: number;
  title: string;
  prompt: string;
  /** The task's `type` (named so it does not clash with the message type). */
  taskType: string;
  metadata: Record<string, unknown>;
  /** Absolute working directory of the attempt. */
  workdir: string;
  /** 0 = none; Hive sends `cancel` when it runs out. */
  timeoutMs: number;
  /** HIVE_TASK_ID, HIVE_ATTEMPT, HIVE_AGENT, ...: for programs the worker starts for the task. */
  env: Record<string, string>;
}

export interface CancelMessage {
  type: 'cancel';
  id: number;
  attempt: number;
  /** Why: CANCELLED, TIMEOUT, SHUTDOWN, LEASE_EXPIRED, ... */
  reason: string;
}

export interface ShutdownMessage {
  type: 'shutdown';
}

export type HiveMessage = TaskMessage | CancelMessage | ShutdownMessage;

// worker → Hive

export interface ReadyMessage {
  type: 'ready';
  v: number;
}

export interface HeartbeatMessage {
  type: 'heartbeat';
}

export interface ProgressMessage {
  type: 'progress';
  id: number;
  attempt: number;
  pct?: number;
  message?: string;
}

export interface LogMessage {
  type: 'log';
  id: number;
  attempt: number;
  line: string;
  stream?: 'stdout' | 'stderr';
}

export interface UsageMessage {
  type: 'usage';
  id: number;
  attempt: number;
  input_tokens?: number;
  output_tokens?: number;
  cost_usd?: number;
}

export interface ResultMessage {
  type: 'result';
  id: number;
  attempt: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export type AttemptMessage = ProgressMessage | LogMessage | UsageMessage | ResultMessage;
export type WorkerMessage = ReadyMessage | HeartbeatMessage | AttemptMessage;

type Obj = Record<string, unknown>;

function parseObject(line: string): Obj | null {
  if (line.trimStart()[0] !== '{') return null;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : null;
  } catch {
    return null;
  }
}

const isInt = (v: unknown): v is number => Number.isInteger(v);
const optional = (v: unknown, type: 'string' | 'number'): boolean => v === undefined || typeof v === type;

/** A worker's line as a message, or null when it is not a well-formed one (the caller logs and ignores it). */
export function parseWorkerMessage(line: string): WorkerMessage | null {
  const m = parseObject(line);
  if (m === null) return null;
  if (m.type === 'ready') return isInt(m.v) ? (m as unknown as ReadyMessage) : null;
  if (m.type === 'heartbeat') return m as unknown as HeartbeatMessage;
  if (!isInt(m.id) || !isInt(m.attempt)) return null;
  switch (m.type) {
    case 'progress':
      return optional(m.pct, 'number') && optional(m.message, 'string') ? (m as unknown as ProgressMessage) : null;
    case 'log':
      return typeof m.line === 'string' && (m.stream === undefined || m.stream === 'stdout' || m.stream === 'stderr')
        ? (m as unknown as LogMessage)
        : null;
    case 'usage':
      return optional(m.input_tokens, 'number') && optional(m.output_tokens, 'number') && optional(m.cost_usd, 'number')
        ? (m as unknown as UsageMessage)
        : null;
    case 'result':
      return typeof m.ok === 'boolean' && optional(m.error, 'string') ? (m as unknown as ResultMessage) : null;
    default:
      return null;
  }
}

/** A line from Hive as a message, or null when it is not one this version knows. */
export function parseHiveMessage(line: string): HiveMessage | null {
  const m = parseObject(line);
  if (m === null) return null;
  if (m.type === 'shutdown') return { type: 'shutdown' };
  if (!isInt(m.id) || !isInt(m.attempt)) return null;
  if (m.type === 'cancel') return { type: 'cancel', id: m.id, attempt: m.attempt, reason: typeof m.reason === 'string' ? m.reason : 'CANCELLED' };
  if (m.type !== 'task' || typeof m.prompt !== 'string') return null;
  return {
    type: 'task',
    id: m.id,
    attempt: m.attempt,
    title: typeof m.title === 'string' ? m.title : '',
    prompt: m.prompt,
    taskType: typeof m.taskType === 'string' ? m.taskType : '',
    metadata: m.metadata !== null && typeof m.metadata === 'object' ? (m.metadata as Record<string, unknown>) : {},
    workdir: typeof m.workdir === 'string' ? m.workdir : process.cwd(),
    timeoutMs: typeof m.timeoutMs === 'number' ? m.timeoutMs : 0,
    env: m.env !== null && typeof m.env === 'object' ? (m.env as Record<string, string>) : {},
  };
}

export function encode(message: HiveMessage | WorkerMessage): string {
  return `${JSON.stringify(message)}\n`;
}
