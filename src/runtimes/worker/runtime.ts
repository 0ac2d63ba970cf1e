import { HiveError, type ErrorCode } from '../../core/errors.js';
import type { AgentRuntime, RunOutcome, RunRequest, RuntimeEvent, RuntimeHost, RuntimeSettings } from '../../core/runtime.js';
import type { Agent } from '../../core/types.js';
import { compileCommand, type CommandTemplate } from '../command/template.js';
import { abortOutcome, failure } from '../outcomes.js';
import { attemptKey, WorkerAttempt, type AttemptOwner } from './attempt.js';
import { WorkerConnection } from './connection.js';
import { PROTOCOL_VERSION, type HiveMessage, type WorkerMessage } from './protocol.js';

export const DEFAULT_HEARTBEAT_MS = 5_000;
/** A worker silent for this many heartbeat intervals is presumed hung. */
const MISSED_HEARTBEATS = 3;
const RESTART_BASE_MS = 100;
const RESTART_CAP_MS = 30_000;

type State = 'idle' | 'starting' | 'ready' | 'restarting' | 'stopping' | 'stopped';

/**
 * The `worker` runtime: one long-lived process per agent speaking the worker protocol, several attempts in
 * flight at once. start() resolves on the worker's `ready`. After that the runtime keeps a worker up by itself:
 * if the process exits, or is silent for 3 heartbeat intervals (then killed), the attempts it held settle with
 * WORKER_EXITED or HEARTBEAT_LOST, the host hears `error`, and the worker is restarted with exponential
 * backoff; the host hears `active` when it is ready again. Attempts that arrive meanwhile wait for it.
 */
export class WorkerRuntime implements AgentRuntime, AttemptOwner {
  readonly kind = 'worker';
  readonly killGraceMs: number;
  private readonly heartbeatMs: number;
  private readonly template: CommandTemplate | HiveError;
  private readonly env: Record<string, string>;
  private readonly cwd: string;
  private state: State = 'idle';
  private conn: WorkerConnection | null = null;
  /** Why the current process is being killed, when we kill it. */
  private killedFor: { code: ErrorCode; message: string } | null = null;
  private readonly attempts = new Map<string, WorkerAttempt>();
  private watchdog: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private crashes = 0;
  private starting: { resolve: () => void; reject: (err: HiveError) => void } | null = null;
  private onGone: (() => void) | null = null;

  constructor(
    private readonly agent: Agent,
    private readonly host: RuntimeHost,
    settings: RuntimeSettings,
  ) {
    const spec = agent.runtime;
    if (spec.kind !== 'worker') throw new HiveError('RUNTIME_UNKNOWN', `agent ${agent.name} has a ${spec.kind} runtime, not worker`);
    this.killGraceMs = settings.killGraceMs;
    this.heartbeatMs = spec.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.cwd = agent.workdir ?? process.cwd();
    this.env = { ...settings.baseEnv, ...agent.env, HIVE_AGENT: agent.name, HIVE_HEARTBEAT_MS: String(this.heartbeatMs) };
    try {
      this.template = compileCommand(spec.command);
    } catch (err) {
      this.template = new HiveError('SPAWN_FAILED', `agent ${agent.name}: ${(err as Error).message}`, { cause: err });
    }
  }

  start(): Promise<void> {
    if (this.template instanceof HiveError) return Promise.reject(this.template);
    if (this.state === 'ready') return Promise.resolve();
    if (this.state !== 'idle' && this.state !== 'stopped') {
      return Promise.reject(new HiveError('INVALID_TRANSITION', `worker agent ${this.agent.name} is ${this.state}`));
    }
    this.state = 'starting';
    return new Promise((resolve, reject) => {
      this.starting = { resolve, reject };
      this.launch();
    });
  }

  run(req: RunRequest, emit: (e: RuntimeEvent) => void): Promise<RunOutcome> {
    if (req.abort.aborted) return Promise.resolve(abortOutcome(req.abort.reason));
    if (this.state === 'idle') return Promise.resolve(failure('SPAWN_FAILED', `worker agent ${this.agent.name} is not running: start() was not called or failed`));
    if (this.state === 'stopping' || this.state === 'stopped') return Promise.resolve(failure('SHUTDOWN', `worker agent ${this.agent.name} is stopping`));
    return new Promise((resolve) => {
      const a = new WorkerAttempt(req, emit, this, resolve);
      this.attempts.set(a.key, a);
      if (this.state === 'ready') a.dispatch(this.conn!);
    });
  }

  async stop(graceMs: number): Promise<void> {
    if (this.state === 'idle' || this.state === 'stopped') return;
    this.state = 'stopping';
    clearTimeout(this.restartTimer);
    const conn = this.conn;
    if (conn !== null) {
      const gone = new Promise<void>((resolve) => (this.onGone = resolve));
      conn.send({ type: 'shutdown' });
      const timer = setTimeout(() => this.kill('SHUTDOWN', 'the worker did not exit after shutdown', 'SIGTERM'), graceMs);
      const force = setTimeout(() => conn.kill('SIGKILL'), graceMs + this.killGraceMs);
      await gone;
      clearTimeout(timer);
      clearTimeout(force);
    }
    for (const a of [...this.attempts.values()]) a.lost('SHUTDOWN', `worker agent ${this.agent.name} stopped`, { code: null, signal: null });
    this.state = 'stopped';
  }

  send(message: HiveMessage): void {
    this.conn?.send(message);
  }

  release(a: WorkerAttempt): void {
    this.attempts.delete(a.key);
  }

  private launch(): void {
    const template = this.template as CommandTemplate;
    this.killedFor = null;
    const conn = new WorkerConnection(template.argv({ agent: this.agent.name, workdir: this.cwd }), this.cwd, this.env, {
      message: (m) => this.onMessage(m),
      stray: (stream, line) => {
        for (const a of this.attempts.values()) if (a.sent) a.logLine(stream, line);
      },
      gone: (exit) => this.onExit(conn, exit),
    });
    this.conn = conn;
    if (conn.pid === undefined) return; // gone() follows with the spawn error
    const limit = MISSED_HEARTBEATS * this.heartbeatMs;
    this.watchdog = setInterval(() => {
      if (Date.now() - conn.lastSeen > limit) this.kill('HEARTBEAT_LOST', `the worker sent nothing for ${limit} ms (heartbeatMs ${this.heartbeatMs}); it was killed`, 'SIGKILL');
    }, this.heartbeatMs);
    this.watchdog.unref();
  }

  private kill(code: ErrorCode, message: string, signal: NodeJS.Signals): void {
    this.killedFor ??= { code, message };
    this.conn?.kill(signal);
  }

  private onMessage(m: WorkerMessage): void {
    if (m.type === 'heartbeat') return;
    if (m.type === 'ready') {
      this.onReady(m.v);
      return;
    }
    const a = this.attempts.get(attemptKey(m.id, m.attempt));
    if (a === undefined) return; // a late message for an attempt that already settled
    if (m.type === 'result') this.crashes = 0;
    a.onMessage(m);
  }

  private onReady(version: number): void {
    if (this.state === 'ready' || this.state === 'stopping') return;
    if (version !== PROTOCOL_VERSION) {
      this.kill('SPAWN_FAILED', `the worker speaks protocol v${version}; this Hive speaks v${PROTOCOL_VERSION}`, 'SIGKILL');
      return;
    }
    const restarted = this.state === 'restarting';
    this.state = 'ready';
    this.starting?.resolve();
    this.starting = null;
    if (restarted) this.host.onAgentStatus('active');
    for (const a of this.attempts.values()) if (!a.sent) a.dispatch(this.conn!);
  }

  private onExit(conn: WorkerConnection, exit: { code: number | null; signal: string | null; error: string | null; lastStderr: string }): void {
    clearInterval(this.watchdog);
    this.conn = null;
    const reason = this.killedFor ?? { code: 'WORKER_EXITED' as const, message: describeExit(conn.pid, exit) };
    for (const a of [...this.attempts.values()]) if (a.sent) a.lost(reason.code, reason.message, exit);
    if (this.state === 'stopping') {
      this.starting?.reject(new HiveError('SHUTDOWN', `worker agent ${this.agent.name} was stopped before it became ready`));
      this.starting = null;
      this.onGone?.();
      return;
    }
    if (this.state === 'starting') {
      this.state = 'idle';
      const message = `worker agent ${this.agent.name} did not become ready: ${reason.message}`;
      this.starting?.reject(new HiveError('SPAWN_FAILED', message));
      this.starting = null;
      for (const a of [...this.attempts.values()]) a.lost('SPAWN_FAILED', message, exit);
      return;
    }
    // ready or restarting: keep a worker up
    this.state = 'restarting';
    this.host.onAgentStatus('error', reason.message);
    const delay = Math.min(RESTART_CAP_MS, RESTART_BASE_MS * 2 ** this.crashes++);
    this.restartTimer = setTimeout(() => this.launch(), delay);
  }
}

function describeExit(pid: number | undefined, exit: { code: number | null; signal: string | null; error: string | null; lastStderr: string }): string {
  if (exit.error !== null) return exit.error;
  const how = exit.signal !== null ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  return `the worker (pid ${pid}) ${how}${exit.lastStderr === '' ? '' : `: ${exit.lastStderr}`}`;
}
