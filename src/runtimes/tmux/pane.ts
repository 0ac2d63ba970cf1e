/**
 * The program tmux runs in an attempt's pane: `node pane.js DIR`. It is the pane's process, so the leader of
 * the process group the agent runs in (the pid the runtime reports). It reads the attempt's spec from
 * DIR/spec.json (argv, cwd and the exact environment; deleted once read: it may hold secrets), starts the
 * agent in its own group with stdin on /dev/null and stdout/stderr on pipes, and copies every chunk both to
 * the pane (what a person who attaches sees) and, as frames, to DIR/stream (what the runtime reads). When the
 * agent exits it writes the exit frame and ends; the pane, and with it the session, closes.
 *
 * It ignores SIGTERM, SIGINT and SIGQUIT: those reach the whole group (a kill by Hive, a Ctrl-C in the pane),
 * and the pane program must outlive the agent to report how it ended. SIGKILL ends both. SIGHUP comes to the
 * pane program alone, when the session is killed (`tmux kill-session`, `kill-server`): it passes it on to the
 * group, and kills the agent if it is still there after a grace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { spawnErrorMessage } from '../outcomes.js';
import { encodeFrame, FRAME, type FrameType } from './frames.js';
import { SPEC_FILE, STREAM_FILE, type PaneSpec } from './files.js';

/** As in child.ts: after the agent exits, how long a background child may keep its pipes open. */
const STDIO_CLOSE_GRACE_MS = 200;
/** After the session was killed, how long the agent has to exit on its SIGHUP before SIGKILL. */
const HANGUP_GRACE_MS = 5_000;

const dir = process.argv[2] ?? '.';
const stream = openSync(join(dir, STREAM_FILE), 'a');
const send = (type: FrameType, payload: Buffer | string): void => {
  writeSync(stream, encodeFrame(type, payload));
};
/** Best effort: the pane may be gone (the session was killed) while the agent still runs. */
const show = (out: NodeJS.WriteStream, chunk: Buffer): void => {
  try {
    out.write(chunk);
  } catch {
    // EIO after the terminal closed
  }
};
process.stdout.on('error', () => {});
process.stderr.on('error', () => {});
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT'] as const) process.on(signal, () => {});

/** The runtime holds the frame file open: once the last frame is written the directory can go. */
const done = (): void => rmSync(dir, { recursive: true, force: true });

function fail(message: string): never {
  send(FRAME.failed, message);
  done();
  show(process.stderr, Buffer.from(`hive: ${message}\n`));
  process.exit(1);
}

let spec: PaneSpec;
try {
  spec = JSON.parse(readFileSync(join(dir, SPEC_FILE), 'utf8')) as PaneSpec;
  rmSync(join(dir, SPEC_FILE), { force: true });
} catch (err) {
  fail(`cannot read the attempt's spec in ${dir}: ${(err as Error).message}`);
}

let child: ChildProcess;
try {
  child = spawn(spec.argv[0], spec.argv.slice(1), { cwd: spec.cwd, env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
} catch (err) {
  fail(spawnErrorMessage(spec.argv[0], err)); // E2BIG, a NUL byte: thrown synchronously
}

let exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
let finished = false;
const finish = (): void => {
  if (finished || exit === null) return;
  finished = true;
  child.stdout!.destroy();
  child.stderr!.destroy();
  send(FRAME.exit, JSON.stringify(exit));
  done();
  process.exit(0);
};

child.once('spawn', () => send(FRAME.started, String(child.pid)));
child.once('error', (err) => {
  if (child.pid === undefined) fail(spawnErrorMessage(spec.argv[0], err)); // ENOENT, EACCES, a missing cwd
});
child.stdout!.on('data', (chunk: Buffer) => {
  send(FRAME.stdout, chunk);
  show(process.stdout, chunk);
});
child.stderr!.on('data', (chunk: Buffer) => {
  send(FRAME.stderr, chunk);
  show(process.stderr, chunk);
});
child.once('exit', (code, signal) => {
  exit = { code, signal };
  setTimeout(finish, STDIO_CLOSE_GRACE_MS);
});
child.once('close', finish);

let hungUp = false;
process.on('SIGHUP', () => {
  if (hungUp) return; // our own, passed on to the group
  hungUp = true;
  try {
    process.kill(-process.pid, 'SIGHUP');
  } catch {
    child.kill('SIGHUP'); // not a group leader after all
  }
  setTimeout(() => child.kill('SIGKILL'), HANGUP_GRACE_MS).unref();
});
