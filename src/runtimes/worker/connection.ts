import type { ChildProcess } from 'node:child_process';
import { spawnGroup } from '../child.js';
import { LineSplitter } from '../lines.js';
import { killProcessGroup, readPidStart } from '../process.js';
import { encode, parseWorkerMessage, type HiveMessage, type WorkerMessage } from './protocol.js';

export interface ConnectionEvents {
  message(m: WorkerMessage): void;
  /** A stdout line that is not a protocol message, or any stderr line. */
  stray(stream: 'stdout' | 'stderr', line: string): void;
  /** The process is gone and its output fully read (or it never started: `error` says why). Called once. */
  gone(exit: { code: number | null; signal: string | null; error: string | null; lastStderr: string }): void;
}

/**
 * One worker process: spawned as its own process group, stdout parsed into protocol messages, stdin written
 * with them. Any stdout line counts as a sign of life (`lastSeen`); the runtime decides what silence means.
 */
export class WorkerConnection {
  readonly pid: number | undefined;
  readonly pidStart: number | null = null;
  lastSeen = Date.now();
  private readonly child: ChildProcess | null;
  private lastStderr = '';
  private exit: { code: number | null; signal: string | null } = { code: null, signal: null };

  constructor(argv: readonly string[], cwd: string, env: Record<string, string>, events: ConnectionEvents) {
    const stdout = new LineSplitter((line) => {
      this.lastSeen = Date.now();
      const m = parseWorkerMessage(line);
      if (m === null) events.stray('stdout', line);
      else events.message(m);
    });
    const stderr = new LineSplitter((line) => {
      if (line.trim() !== '') this.lastStderr = line.trim();
      events.stray('stderr', line);
    });
    this.child = spawnGroup(argv, { cwd, env, stdin: true }, {
      stdout: (chunk) => stdout.push(chunk),
      stderr: (chunk) => stderr.push(chunk),
      exit: (code, signal) => {
        this.exit = { code, signal };
        // The worker's own children must not outlive it.
        killProcessGroup(this.pid!, 'SIGKILL');
      },
      closed: () => {
        stdout.end();
        stderr.end();
        events.gone({ ...this.exit, error: null, lastStderr: this.lastStderr });
      },
      failed: (error) => events.gone({ code: null, signal: null, error, lastStderr: '' }),
    });
    this.pid = this.child?.pid;
    if (this.pid !== undefined) this.pidStart = readPidStart(this.pid);
  }

  send(message: HiveMessage): void {
    const stdin = this.child?.stdin;
    if (stdin && stdin.writable) stdin.write(encode(message));
  }

  /** Signals the whole group (no-op once it is gone). */
  kill(signal: NodeJS.Signals): void {
    if (this.pid !== undefined) killProcessGroup(this.pid, signal);
  }
}
