import type { ErrorCode } from '../../core/errors.js';
import type { RunOutcome, RunRequest, RuntimeEvent } from '../../core/runtime.js';
import { LogFile } from '../log-file.js';
import { abortReason, failure, usageFromWire } from '../outcomes.js';
import type { WorkerConnection } from './connection.js';
import type { AttemptMessage, HiveMessage } from './protocol.js';

/** What an attempt needs from the runtime that owns it. */
export interface AttemptOwner {
  readonly killGraceMs: number;
  send(message: HiveMessage): void;
  /** The attempt settled: forget it. */
  release(attempt: WorkerAttempt): void;
}

export function attemptKey(id: number, attempt: number): string {
  return `${id}:${attempt}`;
}

/**
 * One attempt handed to a worker: sent as a `task` once the worker is ready, settled by its `result`, by the
 * worker's death, or by a cancel (abort or timeout) that the worker gets killGraceMs to answer. Once cancelled,
 * the abort's code is the outcome whatever the worker answers.
 */
export class WorkerAttempt {
  readonly key: string;
  /** Whether the task was written to the worker. */
  sent = false;
  private readonly log: LogFile | null;
  private timer: NodeJS.Timeout | undefined;
  private cancelled: { code: ErrorCode; message: string } | null = null;
  private settled = false;

  constructor(
    private readonly req: RunRequest,
    private readonly emit: (e: RuntimeEvent) => void,
    private readonly owner: AttemptOwner,
    private readonly resolve: (o: RunOutcome) => void,
  ) {
    this.key = attemptKey(req.task.id, req.attempt);
    this.log = req.logPath === null ? null : new LogFile(req.logPath, (line) => emit({ type: 'log', stream: 'stderr', line }));
    if (req.timeoutMs > 0) this.timer = setTimeout(() => this.cancel('TIMEOUT', `timed out after ${req.timeoutMs} ms`), req.timeoutMs);
    req.abort.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  dispatch(conn: WorkerConnection): void {
    const { task, attempt, workdir, timeoutMs, env } = this.req;
    this.sent = true;
    conn.send({ type: 'task', id: task.id, attempt, title: task.title, prompt: task.prompt, taskType: task.type, metadata: task.metadata, workdir, timeoutMs, env });
    this.emit({ type: 'started', pid: conn.pid, pidStart: conn.pidStart });
  }

  onMessage(m: AttemptMessage): void {
    switch (m.type) {
      case 'progress':
        this.emit({ type: 'progress', pct: m.pct, message: m.message });
        break;
      case 'log':
        this.logLine(m.stream ?? 'stdout', m.line);
        break;
      case 'usage': {
        const usage = usageFromWire(m as unknown as Record<string, unknown>);
        if (usage !== null) this.emit({ type: 'usage', usage });
        break;
      }
      case 'result':
        if (m.ok) this.settle({ ok: true, exitCode: null, signal: null, result: m.result });
        else this.settle(failure('TASK_FAILED', m.error ?? 'the worker reported a failure without a message'));
        break;
    }
  }

  /** Output the worker did not attribute to an attempt (stderr, malformed lines): each attempt in flight logs it. */
  logLine(stream: 'stdout' | 'stderr', line: string): void {
    this.log?.write(`${line}\n`);
    this.emit({ type: 'log', stream, line });
  }

  /** The worker died (or was killed) holding this attempt. */
  lost(code: ErrorCode, message: string, exit: { code: number | null; signal: string | null }): void {
    this.settle({ ok: false, exitCode: exit.code, signal: exit.signal, code, error: message });
  }

  cancel(code: ErrorCode, message: string): void {
    if (this.cancelled !== null || this.settled) return;
    this.cancelled = { code, message };
    if (!this.sent) {
      this.settle(failure(code, message));
      return;
    }
    this.owner.send({ type: 'cancel', id: this.req.task.id, attempt: this.req.attempt, reason: code });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.settle(failure(code, message)), this.owner.killGraceMs);
  }

  private readonly onAbort = (): void => {
    const { code, message } = abortReason(this.req.abort.reason);
    this.cancel(code, message);
  };

  private settle(outcome: RunOutcome): void {
    if (this.settled) return;
    this.settled = true;
    clearTimeout(this.timer);
    this.req.abort.signal.removeEventListener('abort', this.onAbort);
    this.owner.release(this);
    const final = this.cancelled === null ? outcome : { ...outcome, ok: false, code: this.cancelled.code, error: this.cancelled.message };
    this.log?.close();
    this.resolve(final);
  }
}
