import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnGroup, type GroupEvents, type GroupOptions } from '../child.js';
import { FrameDecoder } from '../frames.js';
import { findProcessesWithEnv, killProcessGroup } from '../process.js';
import { decodeWire, encodeWire, WIRE, type SpawnRequest } from './wire.js';

const HELPER = fileURLToPath(new URL('./main.js', import.meta.url));

interface Launch {
  events: GroupEvents;
  /** The program's environment: its attempt's variables find it if the helper dies before reporting its pid. */
  env: Record<string, string>;
  pid: number | null;
  exited: boolean;
}

/** The attempt's variables (engine/scheduler.ts) that together name one program of one Hive process. */
const MARK_VARS = ['HIVE_DATA_DIR', 'HIVE_TASK_ID', 'HIVE_ATTEMPT'];

/**
 * The orchestrator's side of the spawner helper (main.ts): a LaunchGroup that has the helper start the
 * program and turns its frames back into GroupEvents, exactly those spawnGroup gives, `started` (with the
 * pid's start time) included. The helper is started on the first launch and kept while the process lives;
 * it does not keep the event loop alive while nothing runs.
 *
 * If the helper dies while programs run (killed by someone), their process groups are killed and their
 * attempts end as killed by SIGKILL, with a stderr line saying why; the next launch starts a new helper. A
 * program it forked but had not yet reported is found by its attempt's variables (HIVE_DATA_DIR,
 * HIVE_TASK_ID, HIVE_ATTEMPT) and killed too; its launch fails.
 */
export class Spawner {
  private child: ChildProcess | null = null;
  private readonly launches = new Map<number, Launch>();
  private nextId = 1;

  /** The helper's pid, while it runs (tests, diagnostics). */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  readonly launch = (argv: readonly string[], opts: GroupOptions, events: GroupEvents): void => {
    // a program that reads stdin (worker agents) is long-lived: the direct spawn costs it nothing
    if (opts.stdin) {
      spawnGroup(argv, opts, events);
      return;
    }
    const child = this.helper();
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_fffe ? 1 : this.nextId + 1;
    this.launches.set(id, { events, env: opts.env, pid: null, exited: false });
    if (this.launches.size === 1) this.ref(true);
    const req: SpawnRequest = { argv, cwd: opts.cwd, env: opts.env };
    child.stdin!.write(encodeWire(WIRE.spawn, id, JSON.stringify(req)));
  };

  private helper(): ChildProcess {
    if (this.child !== null) return this.child;
    // Only PATH: the helper needs nothing else, and every program gets its environment from its request.
    // Detached (its own session): a Ctrl-C or hangup meant for the orchestrator's process group must not
    // kill the helper, and with it the programs a graceful stop is draining.
    const child = spawn(process.execPath, [HELPER], { stdio: ['pipe', 'pipe', 'inherit'], env: { PATH: process.env.PATH ?? '' }, detached: true });
    this.child = child;
    const decoder = new FrameDecoder();
    child.stdout!.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) this.onFrame(f.type, f.payload);
    });
    child.stdin!.on('error', () => {}); // the helper died: its 'close' settles the launches
    child.on('error', (err) => this.onGone(child, `could not be started: ${err.message}`));
    // 'close', not 'exit': every frame it wrote has been read by then
    child.on('close', (code, signal) => this.onGone(child, signal === null ? `exited with code ${code}` : `was killed by ${signal}`));
    return child;
  }

  private onFrame(type: number, payload: Buffer): void {
    const { id, body } = decodeWire(payload);
    const l = this.launches.get(id);
    if (l === undefined) return;
    switch (type) {
      case WIRE.started: {
        const { pid, start } = JSON.parse(body.toString('utf8')) as { pid: number; start: number | null };
        l.pid = pid;
        l.events.started?.(pid, start);
        return;
      }
      case WIRE.stdout:
        return l.events.stdout(body);
      case WIRE.stderr:
        return l.events.stderr(body);
      case WIRE.exit: {
        const { code, signal } = JSON.parse(body.toString('utf8')) as { code: number | null; signal: NodeJS.Signals | null };
        l.exited = true;
        return l.events.exit(code, signal);
      }
      case WIRE.closed:
        this.done(id);
        return l.events.closed();
      case WIRE.failed:
        this.done(id);
        return l.events.failed(body.toString('utf8'));
    }
  }

  private done(id: number): void {
    this.launches.delete(id);
    if (this.launches.size === 0) this.ref(false);
  }

  /** Keep the event loop alive while programs run, and only then. */
  private ref(on: boolean): void {
    const c = this.child;
    if (c === null) return;
    // stdin and stdout are net.Sockets over pipes, which have ref/unref; the typings say only Writable/Readable
    for (const h of [c, c.stdin, c.stdout] as unknown as { ref(): void; unref(): void }[]) {
      if (on) h.ref();
      else h.unref();
    }
  }

  private onGone(child: ChildProcess, how: string): void {
    if (this.child !== child) return; // a helper already replaced (or this one already settled)
    this.child = null;
    const launches = [...this.launches.values()];
    this.launches.clear();
    for (const l of launches) {
      if (l.pid === null) {
        // it may have forked the program and died before saying so
        const killed = killUnreported(l.env);
        l.events.failed(`the spawner process ${how} before the program was reported started${killed ? '; the program was found and killed' : ''}`);
        continue;
      }
      if (l.exited) {
        l.events.stderr(Buffer.from(`hive: the spawner process ${how} before the program's output was complete\n`));
      } else {
        // its exit status is lost with the helper: make sure nothing of it goes on running unwatched
        killProcessGroup(l.pid, 'SIGKILL');
        l.events.stderr(Buffer.from(`hive: the spawner process ${how}; the program's process group was killed\n`));
        l.events.exit(null, 'SIGKILL');
      }
      l.events.closed();
    }
  }
}

/**
 * SIGKILLs the processes (and the groups they lead) whose environment holds all of `env`'s MARK_VARS; returns
 * how many. A program without all of them (not an attempt's) cannot be told apart: nothing is killed.
 */
function killUnreported(env: Record<string, string>): number {
  if (MARK_VARS.some((k) => env[k] === undefined)) return 0;
  const [first, ...rest] = MARK_VARS;
  const found = findProcessesWithEnv(first, env[first], rest.map((k) => `${k}=${env[k]}`));
  for (const pid of found) {
    if (!killProcessGroup(pid, 'SIGKILL')) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  return found.length;
}

/** The one spawner of this process. */
export const spawner = new Spawner();
