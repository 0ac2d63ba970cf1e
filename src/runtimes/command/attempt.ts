import type { ErrorCode } from '../../core/errors.js';
import type { RunOutcome, RunRequest, RuntimeEvent, RuntimeSettings } from '../../core/runtime.js';
import { spawnGroup, type LaunchGroup } from '../child.js';
import { spawner } from '../spawner/client.js';
import { ensureDir } from '../../fs/dirs.js';
import { LogFile } from '../log-file.js';
import { abortOutcome, abortReason, failure } from '../outcomes.js';
import { killProcessGroup, readPidStart, terminateGroup } from '../process.js';
import { IdleWatch, type WatchdogLimits } from '../watchdog.js';

/**
 * How an attempt ended, for AttemptOutput.finish: `exited` by itself (an exit code, or a signal Hive did not
 * send), `stopped` by Hive (timeout, idle timeout, abort: the attempt fails with that code), or `kept`: killed
 * after its terminal event (exit grace), so the result it reported stands.
 */
export type EndedHow = 'exited' | 'stopped' | 'kept';

/** What a program's output means: events while it runs (log lines included), its outcome when it ends. */
export interface AttemptOutput {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** Delivers what is buffered and sums up. For `stopped`, the caller replaces ok/code/error. */
  finish(exitCode: number | null, signal: NodeJS.Signals | null, how: EndedHow): RunOutcome;
}

/** One attempt of a process agent (a `command` agent or a preset), ready to start. */
export interface AttemptPlan {
  argv: readonly string[];
  /** settings.baseEnv + agent.env; the attempt's own env goes on top. */
  env: Record<string, string>;
  settings: RuntimeSettings;
  watch: WatchdogLimits;
  /** How the program is started: by settings.spawner by default; the tmux launcher for `tmux: true` agents. */
  launch?: LaunchGroup;
  /** The attempt's output reader: it reports the program's final result, and work resumed after one. */
  output(emit: (e: RuntimeEvent) => void, signals: OutputSignals): AttemptOutput;
}

export interface OutputSignals {
  /** The program reported its final result: from now on it has the exit grace to exit. */
  terminal(): void;
  /** It went on working after all (a Codex turn after a completed one): no exit grace, the idle watch again. */
  working(): void;
}

/**
 * One run of a program: spawn it as a process group in the attempt's workdir, stream its output, stop it on
 * timeout, idle timeout or abort (SIGTERM, SIGKILL after the grace), stop it and keep its result when it
 * outlives its terminal event by the exit grace, and once the leader exits SIGKILL whatever is left of the
 * group so background children never outlive the attempt. Resolves once, never rejects.
 */
export function runProcessAttempt(plan: AttemptPlan, req: RunRequest, emit: (e: RuntimeEvent) => void): Promise<RunOutcome> {
  if (req.abort.aborted) return Promise.resolve(abortOutcome(req.abort.reason));
  return new Promise((resolve) => new ProcessAttempt(plan, req, emit, resolve));
}

type Stop = { code: ErrorCode; message: string; keep: boolean };

class ProcessAttempt {
  private readonly output: AttemptOutput;
  private readonly log: LogFile | null;
  /** The process group leader, once the program runs. */
  private pid: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private grace: NodeJS.Timeout | undefined;
  private idle: IdleWatch | null = null;
  private terminalAt: number | null = null;
  private stopped: Stop | null = null;
  private terminating: Promise<void> | null = null;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(
    private readonly plan: AttemptPlan,
    private readonly req: RunRequest,
    private readonly emit: (e: RuntimeEvent) => void,
    private readonly resolve: (o: RunOutcome) => void,
  ) {
    this.output = plan.output(emit, { terminal: () => this.onTerminal(), working: () => this.onWorking() });
    this.log = req.logPath === null ? null : new LogFile(req.logPath, (line) => emit({ type: 'log', stream: 'stderr', line }));
    try {
      ensureDir(req.workdir);
    } catch (err) {
      this.settle(failure('SPAWN_FAILED', `cannot create the workdir ${req.workdir}: ${(err as Error).message}`));
      return;
    }
    (plan.launch ?? (plan.settings.spawner === 'direct' ? spawnGroup : spawner.launch))(
      plan.argv,
      { cwd: req.workdir, env: { ...plan.env, ...req.env }, stdin: false },
      {
        stdout: (chunk) => {
          this.idle?.touch();
          this.log?.write(chunk);
          this.output.stdout(chunk);
        },
        stderr: (chunk) => {
          this.idle?.touch();
          this.log?.write(chunk);
          this.output.stderr(chunk);
        },
        started: (pid, pidStart) => this.onStarted(pid, pidStart),
        exit: (code, signal) => this.onExit(code, signal),
        closed: () => this.onClosed(),
        failed: (message) => this.settle(failure('SPAWN_FAILED', message)),
      },
    );
  }

  private onStarted(pid: number, pidStart: number | null | undefined): void {
    this.pid = pid;
    this.emit({ type: 'started', pid, pidStart: pidStart === undefined ? readPidStart(pid) : pidStart });
    if (this.req.timeoutMs > 0) this.timer = setTimeout(() => this.onTimeout(), this.req.timeoutMs);
    this.watchIdle();
    // a launcher that starts the program asynchronously (tmux) may report it after an abort
    if (this.req.abort.aborted) this.onAbort();
    else this.req.abort.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private watchIdle(): void {
    const { idleMs } = this.plan.watch;
    if (idleMs > 0) this.idle = new IdleWatch(idleMs, () => this.stop('IDLE_TIMEOUT', `no output for ${idleMs} ms (idle timeout); the process group was killed`));
  }

  private readonly onAbort = (): void => {
    const { code, message } = abortReason(this.req.abort.reason);
    this.stop(code, message);
  };

  private onTimeout(): void {
    const message = `timed out after ${this.req.timeoutMs} ms`;
    if (this.terminalAt === null) return this.stop('TIMEOUT', message);
    // it had reported its result: keep it, as the exit grace would have
    this.stop('HUNG_AFTER_RESULT', `${message}, ${Math.round(performance.now() - this.terminalAt)} ms after its result; the process group was killed and the result kept`, true);
  }

  /** The program reported its final result: from now on it has the exit grace to exit. */
  private onTerminal(): void {
    if (this.terminalAt !== null || this.exit !== null || this.stopped !== null) return;
    this.terminalAt = performance.now();
    this.idle?.stop();
    const graceMs = this.plan.watch.exitGraceMs;
    if (graceMs > 0) {
      this.grace = setTimeout(
        () => this.stop('HUNG_AFTER_RESULT', `still running ${graceMs} ms after its result (exit grace); the process group was killed and the result kept`, true),
        graceMs,
      );
    }
  }

  private onWorking(): void {
    if (this.terminalAt === null || this.exit !== null || this.stopped !== null) return;
    this.terminalAt = null;
    clearTimeout(this.grace);
    if (this.pid !== null) this.watchIdle();
  }

  private stop(code: ErrorCode, message: string, keep = false): void {
    if (this.stopped !== null || this.exit !== null || this.pid === null) return;
    this.stopped = { code, message, keep };
    this.clearTimers();
    if (keep) {
      // The store has no place for a code on a completed attempt yet (see docs/errors.md): say it in the log.
      const line = `hive: ${code}: ${message}`;
      this.log?.write(`\n${line}\n`);
      this.emit({ type: 'log', stream: 'stderr', line });
    }
    this.terminating = terminateGroup(this.pid, this.plan.settings.killGraceMs);
  }

  private clearTimers(): void {
    clearTimeout(this.timer);
    clearTimeout(this.grace);
    this.idle?.stop();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal };
    this.clearTimers();
    this.req.abort.signal.removeEventListener('abort', this.onAbort);
    // When stopping, terminateGroup gives the rest of the group its grace; otherwise nothing may outlive the leader.
    if (this.terminating === null && this.pid !== null) killProcessGroup(this.pid, 'SIGKILL');
  }

  private onClosed(): void {
    if (this.terminating === null) this.settle(this.outcome());
    else void this.terminating.then(() => this.settle(this.outcome()));
  }

  private outcome(): RunOutcome {
    const { code, signal } = this.exit!;
    const s = this.stopped;
    const how: EndedHow = s === null ? 'exited' : s.keep ? 'kept' : 'stopped';
    const o = this.output.finish(code, signal, how);
    if (s === null) return o;
    if (!s.keep) return { ...o, ok: false, code: s.code, error: s.message };
    // kept: a successful result carries the note; an error result stays the failure it reported
    return o.ok ? { ...o, code: s.code, error: s.message } : { ...o, error: `${o.error ?? 'failed'} (${s.code}: ${s.message})` };
  }

  private settle(outcome: RunOutcome): void {
    this.log?.close();
    this.resolve(outcome);
  }
}
