import { spawn, type ChildProcess } from 'node:child_process';
import { spawnErrorMessage } from './outcomes.js';

/**
 * After the leader exits, how long its stdout/stderr may stay open before we stop reading. A process that left
 * the group (setsid) can hold the pipes forever; everything the leader wrote has arrived well within this.
 */
const STDIO_CLOSE_GRACE_MS = 200;

export interface GroupEvents {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /**
   * The program runs; `pid` leads its process group. spawnGroup calls it before it returns. `pidStart` is the
   * pid's start time when the launcher read it (a short program may be gone by the time the runtime looks).
   */
  started?(pid: number, pidStart?: number | null): void;
  /** The leader exited; some of its output may still be in the pipes. */
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  /** All output was delivered (stdio closed, or the close grace ran out). Called once, after `exit`. */
  closed(): void;
  /** The program could not be started; nothing else is called. */
  failed(message: string): void;
}

export interface GroupOptions {
  cwd: string;
  env: Record<string, string>;
  /** Pipe stdin (worker protocol) or connect it to /dev/null. */
  stdin: boolean;
}

/**
 * Starts argv[0] as the leader of a new process group, so the whole tree it starts can be signalled at once.
 * Returns the child, or null when it could not be started (`events.failed` then follows asynchronously, so the
 * caller always finishes its own setup first).
 */
export function spawnGroup(argv: readonly string[], opts: GroupOptions, events: GroupEvents): ChildProcess | null {
  let child: ChildProcess;
  try {
    child = spawn(argv[0], argv.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    // E2BIG, NUL bytes in an argument, ...: thrown synchronously
    const message = spawnErrorMessage(argv[0], err);
    queueMicrotask(() => events.failed(message));
    return null;
  }
  if (child.pid === undefined) {
    // ENOENT, EACCES, a missing cwd: reported as 'error' on the next tick
    child.once('error', (err) => events.failed(spawnErrorMessage(argv[0], err)));
    return null;
  }
  const stdout = child.stdout!;
  const stderr = child.stderr!;
  stdout.on('data', (chunk: Buffer) => events.stdout(chunk));
  stderr.on('data', (chunk: Buffer) => events.stderr(chunk));
  let closed = false;
  let grace: NodeJS.Timeout | undefined;
  const close = (): void => {
    if (closed) return;
    closed = true;
    clearTimeout(grace);
    events.closed();
  };
  child.once('exit', (code, signal) => {
    events.exit(code, signal);
    if (!closed) {
      grace = setTimeout(() => {
        stdout.destroy();
        stderr.destroy();
        close();
      }, STDIO_CLOSE_GRACE_MS);
    }
  });
  child.once('close', close);
  // Once started, only signalling can fail, and we signal by pid; a broken stdin shows up as the exit.
  child.on('error', () => {});
  child.stdin?.on('error', () => {});
  events.started?.(child.pid);
  return child;
}

/**
 * How an attempt's program is started: spawnGroup, the spawner helper (runtimes/spawner, the default for process
 * agents) or the tmux runtime's launcher (runtimes/tmux). All report the same events, `started` included.
 */
export type LaunchGroup = (argv: readonly string[], opts: GroupOptions, events: GroupEvents) => void;
