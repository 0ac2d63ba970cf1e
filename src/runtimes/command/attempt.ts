import type { ChildProcess } from 'node:child_process';
import type { ErrorCode } from '../../core/errors.js';
import type { RunOutcome, RunRequest, RuntimeEvent, RuntimeSettings } from '../../core/runtime.js';
import { spawnGroup } from '../child.js';
import { ensureDir } from '../../fs/dirs.js';
import { LogFile } from '../log-file.js';
import { abortOutcome, abortReason, failure } from '../outcomes.js';
import { killProcessGroup, readPidStart, terminateGroup } from '../process.js';
import { CommandOutput } from './output.js';
import type { CommandTemplate, TemplateVars } from './template.js';

/** What an agent's command runtime prepares once and every attempt shares. */
export interface PreparedCommand {
  template: CommandTemplate;
  /** settings.baseEnv + agent.env; the attempt's own env goes on top. */
  env: Record<string, string>;
  settings: RuntimeSettings;
}

/**
 * One run of a command: spawn it as a process group in the attempt's workdir, stream its output, stop it on
 * timeout or abort (SIGTERM, SIGKILL after the grace), and once the leader exits SIGKILL whatever is left of
 * the group so background children never outlive the attempt. Resolves once, never rejects.
 */
export function runCommandAttempt(cmd: PreparedCommand, req: RunRequest, emit: (e: RuntimeEvent) => void): Promise<RunOutcome> {
  if (req.signal.aborted) return Promise.resolve(abortOutcome(req.signal.reason));
  return new Promise((resolve) => new CommandAttempt(cmd, req, emit, resolve));
}

class CommandAttempt {
  private readonly output: CommandOutput;
  private readonly log: LogFile | null;
  private child: ChildProcess | null = null;
  private timer: NodeJS.Timeout | undefined;
  private stopped: { code: ErrorCode; message: string } | null = null;
  private terminating: Promise<void> | null = null;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(
    private readonly cmd: PreparedCommand,
    private readonly req: RunRequest,
    emit: (e: RuntimeEvent) => void,
    private readonly resolve: (o: RunOutcome) => void,
  ) {
    this.output = new CommandOutput(emit, cmd.settings.outputTailBytes);
    this.log = req.logPath === null ? null : new LogFile(req.logPath, (line) => emit({ type: 'log', stream: 'stderr', line }));
    const argv = cmd.template.argv(cmd.template.dynamic ? varsOf(req) : {});
    try {
      ensureDir(req.workdir);
    } catch (err) {
      this.settle(failure('SPAWN_FAILED', `cannot create the workdir ${req.workdir}: ${(err as Error).message}`));
      return;
    }
    this.child = spawnGroup(
      argv,
      { cwd: req.workdir, env: { ...cmd.env, ...req.env }, stdin: false },
      {
        stdout: (chunk) => {
          this.log?.write(chunk);
          this.output.stdout(chunk);
        },
        stderr: (chunk) => {
          this.log?.write(chunk);
          this.output.stderr(chunk);
        },
        exit: (code, signal) => this.onExit(code, signal),
        closed: () => this.onClosed(),
        failed: (message) => this.settle(failure('SPAWN_FAILED', message)),
      },
    );
    const pid = this.child?.pid;
    if (pid === undefined) return;
    emit({ type: 'started', pid, pidStart: readPidStart(pid) });
    if (req.timeoutMs > 0) this.timer = setTimeout(() => this.stop('TIMEOUT', `timed out after ${req.timeoutMs} ms`), req.timeoutMs);
    req.signal.addEventListener('abort', this.onAbort, { once: true });
  }

  private readonly onAbort = (): void => {
    const { code, message } = abortReason(this.req.signal.reason);
    this.stop(code, message);
  };

  private stop(code: ErrorCode, message: string): void {
    if (this.stopped !== null || this.exit !== null) return;
    this.stopped = { code, message };
    this.terminating = terminateGroup(this.child!.pid!, this.cmd.settings.killGraceMs);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exit = { code, signal };
    clearTimeout(this.timer);
    this.req.signal.removeEventListener('abort', this.onAbort);
    // When stopping, terminateGroup gives the rest of the group its grace; otherwise nothing may outlive the leader.
    if (this.terminating === null) killProcessGroup(this.child!.pid!, 'SIGKILL');
  }

  private onClosed(): void {
    if (this.terminating === null) this.settle(this.outcome());
    else void this.terminating.then(() => this.settle(this.outcome()));
  }

  private outcome(): RunOutcome {
    const { code, signal } = this.exit!;
    const out = this.output.finish();
    const base = { exitCode: code, signal, result: out.result, output: out.output };
    const detail = out.lastStderr === '' ? '' : `: ${out.lastStderr}`;
    if (this.stopped !== null) return { ...base, ok: false, code: this.stopped.code, error: this.stopped.message };
    if (code === 0) return { ...base, ok: true };
    if (signal !== null) return { ...base, ok: false, code: 'TASK_FAILED', error: `killed by ${signal}${detail}` };
    if (this.cmd.template.shell && (code === 126 || code === 127)) {
      // The shell's way of saying it could not find (127) or execute (126) the program.
      return { ...base, ok: false, code: 'SPAWN_FAILED', error: `the shell could not start the command (exit code ${code})${detail}` };
    }
    return { ...base, ok: false, code: 'TASK_FAILED', error: `exit code ${code}${detail}` };
  }

  private settle(outcome: RunOutcome): void {
    this.log?.close();
    this.resolve(outcome);
  }
}

function varsOf(req: RunRequest): TemplateVars {
  return {
    prompt: req.task.prompt,
    workdir: req.workdir,
    'task.id': String(req.task.id),
    'task.title': req.task.title,
    attempt: String(req.attempt),
    agent: req.agent.name,
  };
}
