import { execFile } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, watch, writeFileSync, type FSWatcher } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { GroupEvents, GroupOptions, LaunchGroup } from '../child.js';
import { isProcessAlive, readPidStart } from '../process.js';
import { PANE_PROGRAM, SPEC_FILE, STREAM_FILE, type PaneSpec } from './files.js';
import { FRAME, FrameDecoder, type Frame } from './frames.js';
import { fallbackSocketDir } from './names.js';

/** Where an attempt runs: the tmux server's socket and the session's name. */
export interface TmuxTarget {
  socket: string;
  session: string;
  /**
   * The environment of the tmux client, and so of the tmux server it may start: the allow-listed base
   * environment with HIVE_DATA_DIR (crash recovery finds the server by it), never an agent's own `env`.
   */
  clientEnv: Record<string, string>;
  /** The directory the attempt's private directory goes in (`<data dir>/tmux`). */
  stateDir: string;
}

/** The pane's size: wide enough for the JSON lines of the presets to stay readable. */
const COLUMNS = 200;
const ROWS = 50;
/** How often the pane's process is checked while no frame arrives (the frame file is also watched). */
const POLL_MS = 100;
const TMUX_TIMEOUT_MS = 10_000;
const READ_BYTES = 64 * 1024;

/**
 * A launcher that runs the program in a new detached tmux session (see docs/tmux.md): `tmux -S SOCKET -f
 * /dev/null new-session -d -s SESSION -x 200 -y 50 -c WORKDIR -- node pane.js DIR`. The pane program starts
 * the agent with exactly the given environment and relays its output; this side tails DIR/stream and reports
 * the same events as spawnGroup. `started` names the pane's process: the leader of the agent's group.
 */
export function tmuxLauncher(target: TmuxTarget): LaunchGroup {
  return (argv, opts, events) => {
    void new TmuxAttempt(target, argv, opts, events).run();
  };
}

/** Runs `tmux ARGS` with the client environment; resolves with stdout, rejects with tmux's own message. */
export function runTmux(args: readonly string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('tmux', args, { env, timeout: TMUX_TIMEOUT_MS, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new Error('tmux is not installed or not on PATH (Debian/Ubuntu: apt-get install tmux)'));
      reject(new Error(stderr.trim() || err.message));
    });
  });
}

class TmuxAttempt {
  private dir = '';
  private pid: number | null = null;
  private pidStart: number | null = null;
  private fd: number | null = null;
  private offset = 0;
  private readonly decoder = new FrameDecoder();
  private watcher: FSWatcher | null = null;
  private poll: NodeJS.Timeout | undefined;
  private started = false;
  private ended = false;

  constructor(
    private readonly target: TmuxTarget,
    private readonly argv: readonly string[],
    private readonly opts: GroupOptions,
    private readonly events: GroupEvents,
  ) {}

  async run(): Promise<void> {
    try {
      mkdirSync(this.target.stateDir, { recursive: true, mode: 0o700 });
      this.dir = mkdtempSync(join(this.target.stateDir, `${this.target.session}-`));
      const spec: PaneSpec = { argv: [...this.argv], cwd: this.opts.cwd, env: this.opts.env };
      writeFileSync(join(this.dir, SPEC_FILE), JSON.stringify(spec), { mode: 0o600 });
      const stream = join(this.dir, STREAM_FILE);
      writeFileSync(stream, '', { mode: 0o600 });
      // opened before the pane starts: the pane program removes the directory when it is done
      this.fd = openSync(stream, 'r');
      ensureSocketDir(this.target.socket);
    } catch (err) {
      return this.fail(`cannot prepare the tmux session: ${(err as Error).message}`);
    }
    try {
      this.watcher = watch(join(this.dir, STREAM_FILE), () => this.read());
      this.watcher.on('error', () => {});
    } catch {
      // no inotify watch left: the poll reads too
    }
    let pid: number;
    try {
      pid = await this.newSession();
    } catch (err) {
      return this.fail(`cannot start tmux session ${this.target.session} on ${this.target.socket}: ${(err as Error).message}`);
    }
    if (this.ended) return;
    this.pid = pid;
    this.pidStart = readPidStart(pid);
    this.poll = setInterval(() => this.check(), POLL_MS);
    this.read();
  }

  /** new-session, once more after a moment when the server was just exiting (its last session ended) or a stale session holds the name. */
  private async newSession(): Promise<number> {
    const args = [
      '-S', this.target.socket, '-f', '/dev/null',
      'new-session', '-d', '-P', '-F', '#{pane_pid}', '-s', this.target.session, '-x', String(COLUMNS), '-y', String(ROWS), '-c', this.opts.cwd,
      '--', process.execPath, PANE_PROGRAM, this.dir,
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        const out = await runTmux(args, this.target.clientEnv);
        const pid = Number(out.trim());
        if (!Number.isInteger(pid) || pid <= 1) throw new Error(`tmux printed no pane pid (${JSON.stringify(out.trim())})`);
        return pid;
      } catch (err) {
        const message = (err as Error).message;
        if (attempt >= 3 || message.startsWith('tmux is not installed')) throw err;
        // a session left by an attempt of a crashed orchestrator: it runs nothing of ours any more
        if (message.includes('duplicate session')) await this.killSession();
        else await sleep(50 * attempt);
      }
    }
  }

  /** Reads every complete frame written so far. */
  private read(): void {
    if (this.fd === null || this.ended || this.pid === null) return;
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_BYTES);
      let n: number;
      try {
        n = readSync(this.fd, buf, 0, READ_BYTES, this.offset);
      } catch {
        return;
      }
      if (n === 0) return;
      this.offset += n;
      for (const frame of this.decoder.push(buf.subarray(0, n))) {
        this.onFrame(frame);
        if (this.ended) return;
      }
    }
  }

  private onFrame(f: Frame): void {
    switch (f.type) {
      case FRAME.failed:
        return void this.fail(f.payload.toString('utf8'));
      case FRAME.started:
        return this.onStarted();
      case FRAME.stdout:
        this.onStarted();
        return this.events.stdout(f.payload);
      case FRAME.stderr:
        this.onStarted();
        return this.events.stderr(f.payload);
      case FRAME.exit: {
        this.onStarted();
        const { code, signal } = JSON.parse(f.payload.toString('utf8')) as { code: number | null; signal: NodeJS.Signals | null };
        return void this.end(code, signal);
      }
    }
  }

  private onStarted(): void {
    if (this.started) return;
    this.started = true;
    this.events.started?.(this.pid!);
  }

  /** The pane's process is gone without an exit frame: killed with its group (SIGKILL), or it never started the agent. */
  private check(): void {
    this.read();
    if (this.ended || isProcessAlive(this.pid!, this.pidStart)) return;
    this.read(); // what it wrote before it died
    if (this.ended) return;
    if (!this.started) void this.fail('the tmux pane exited before the agent started');
    else void this.end(null, 'SIGKILL');
  }

  private stopReading(): void {
    this.ended = true;
    clearInterval(this.poll);
    this.watcher?.close();
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private async end(code: number | null, signal: NodeJS.Signals | null): Promise<void> {
    this.stopReading();
    this.events.exit(code, signal);
    await this.cleanUp();
    this.events.closed();
  }

  private async fail(message: string): Promise<void> {
    this.stopReading();
    if (this.pid !== null) await this.cleanUp();
    else this.removeDir();
    this.events.failed(message);
  }

  /** The session goes with the attempt (normally it closed with its pane already), then the private directory. */
  private async cleanUp(): Promise<void> {
    await this.killSession();
    this.removeDir();
  }

  private async killSession(): Promise<void> {
    try {
      await runTmux(['-S', this.target.socket, 'kill-session', '-t', `=${this.target.session}`], this.target.clientEnv);
    } catch {
      // gone already (or the server with it)
    }
  }

  private removeDir(): void {
    if (this.dir !== '') rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The socket's directory: the data directory exists; the /tmp fallback is created 0700 and must be ours. */
function ensureSocketDir(socket: string): void {
  const dir = dirname(socket);
  if (dir !== fallbackSocketDir()) {
    mkdirSync(dir, { recursive: true });
    return;
  }
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if (process.getuid && st.uid !== process.getuid()) throw new Error(`${dir} belongs to another user`);
}
