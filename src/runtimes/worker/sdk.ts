import { createInterface } from 'node:readline';
import type { Usage } from '../../core/types.js';
import { encode, parseHiveMessage, PROTOCOL_VERSION, type TaskMessage, type WorkerMessage } from './protocol.js';

/**
 * The worker SDK (`import { runWorker } from 'hive/worker'`): a worker agent in a few lines.
 *
 *   runWorker(async (task, ctx) => {
 *     ctx.progress(50, 'half way');
 *     ctx.usage({ inputTokens: 1200, outputTokens: 300, costUsd: 0.004 });
 *     return { ok: true, result: { summary: `did ${task.title}` } };
 *   });
 *
 * It speaks the protocol of docs/worker-protocol.md on stdin/stdout: sends `ready` and a heartbeat every
 * heartbeatMs, runs tasks concurrently, turns a thrown error into `ok: false`, aborts `ctx.signal` when Hive
 * cancels, and exits when Hive sends `shutdown` or closes stdin. Keep the event loop free: a handler that
 * blocks it for 3 heartbeat intervals stops the heartbeats, and Hive kills the worker (HEARTBEAT_LOST).
 */

export type WorkerTask = Omit<TaskMessage, 'type'>;

export interface WorkerContext {
  readonly attempt: number;
  /** Aborted when Hive cancels the attempt (cancel, timeout, shutdown); the reason's message names why. */
  readonly signal: AbortSignal;
  progress(pct?: number, message?: string): void;
  log(line: string, stream?: 'stdout' | 'stderr'): void;
  /** Usage since the last report (Hive adds the reports up). */
  usage(usage: Partial<Usage>): void;
}

/** What a handler returns. Returning nothing means `{ ok: true }`; any other value is taken as the result. */
export type TaskReply = { ok: true; result?: unknown } | { ok: false; error: string };

export type WorkerHandler = (task: WorkerTask, ctx: WorkerContext) => TaskReply | void | Promise<TaskReply | void>;

export interface RunWorkerOptions {
  /** Heartbeat interval; default HIVE_HEARTBEAT_MS (set by Hive from the agent's heartbeatMs), else 5000. */
  heartbeatMs?: number;
  /** Default process.stdin / process.stdout. */
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
  /** Call process.exit(0) when done; default: true when using the process's own stdin. */
  exit?: boolean;
}

/** How long handlers get to settle after shutdown before the worker exits anyway. */
const SHUTDOWN_GRACE_MS = 5_000;

function toReply(value: unknown): TaskReply {
  if (value === undefined) return { ok: true };
  if (value !== null && typeof value === 'object' && typeof (value as { ok?: unknown }).ok === 'boolean') {
    const v = value as { ok: boolean; result?: unknown; error?: unknown };
    return v.ok ? { ok: true, result: v.result } : { ok: false, error: typeof v.error === 'string' ? v.error : 'failed' };
  }
  return { ok: true, result: value };
}

/** Serves tasks until Hive says shutdown or closes stdin; resolves once the handlers in flight settled. */
export function runWorker(handler: WorkerHandler, opts: RunWorkerOptions = {}): Promise<void> {
  const input = opts.input ?? process.stdin;
  const output = opts.output ?? process.stdout;
  const exit = opts.exit ?? input === process.stdin;
  const heartbeatMs = opts.heartbeatMs ?? (Number(process.env.HIVE_HEARTBEAT_MS) || 5_000);
  const running = new Map<string, { ctl: AbortController; done: Promise<void> }>();
  const send = (m: WorkerMessage): void => void output.write(encode(m));

  const start = (task: WorkerTask): void => {
    const { id, attempt } = task;
    const key = `${id}:${attempt}`;
    if (running.has(key)) return; // a duplicate delivery of an attempt already running
    const ctl = new AbortController();
    const ctx: WorkerContext = {
      attempt,
      signal: ctl.signal,
      progress: (pct, message) => send({ type: 'progress', id, attempt, pct, message }),
      log: (line, stream = 'stdout') => send({ type: 'log', id, attempt, line, stream }),
      usage: (u) => send({ type: 'usage', id, attempt, input_tokens: u.inputTokens, output_tokens: u.outputTokens, cost_usd: u.costUsd }),
    };
    const entry = { ctl, done: Promise.resolve() };
    running.set(key, entry);
    entry.done = (async () => {
      let reply: TaskReply;
      try {
        reply = toReply(await handler(task, ctx));
      } catch (err) {
        reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
      }
      running.delete(key);
      send({ type: 'result', id, attempt, ...reply });
    })();
  };

  return new Promise((resolve) => {
    const lines = createInterface({ input, crlfDelay: Infinity });
    const heartbeat = setInterval(() => send({ type: 'heartbeat' }), heartbeatMs);
    let closing = false;
    const finish = async (): Promise<void> => {
      if (closing) return;
      closing = true;
      lines.close();
      for (const { ctl } of running.values()) ctl.abort(new Error('cancelled by Hive: SHUTDOWN'));
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...running.values()].map((r) => r.done)),
        new Promise((r) => (grace = setTimeout(r, SHUTDOWN_GRACE_MS))),
      ]);
      clearTimeout(grace);
      clearInterval(heartbeat);
      resolve();
      if (exit) process.exit(0);
    };
    lines.on('line', (line) => {
      const m = parseHiveMessage(line);
      if (m === null) return; // not for this protocol version: ignore rather than die
      if (m.type === 'shutdown') void finish();
      else if (m.type === 'cancel') running.get(`${m.id}:${m.attempt}`)?.ctl.abort(new Error(`cancelled by Hive: ${m.reason}`));
      else if (!closing) start({ id: m.id, attempt: m.attempt, title: m.title, prompt: m.prompt, taskType: m.taskType, metadata: m.metadata, workdir: m.workdir, timeoutMs: m.timeoutMs, env: m.env });
    });
    lines.on('close', () => void finish());
    // Hive is gone when its end of our stdout breaks: nobody to serve.
    output.on('error', () => void finish());
    send({ type: 'ready', v: PROTOCOL_VERSION });
  });
}
