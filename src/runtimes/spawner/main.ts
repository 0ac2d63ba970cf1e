/**
 * The spawner helper: `node main.js`, started by the runtimes (spawner/client.ts) once per Hive process. It
 * starts the programs of process agents for the orchestrator and relays what they do as frames (wire.ts).
 *
 * Why a separate process: Node's spawn() forks the calling process and waits until the child has exec'd, on the
 * calling thread. For the orchestrator (a large heap, a busy event loop) that took most of its CPU with short
 * commands; here the fork is of a small process and runs beside the orchestrator on another core.
 *
 * It runs each program exactly as spawnGroup does in the orchestrator (own process group, stdin /dev/null, the
 * given environment, same error messages). It never signals a program: the orchestrator kills by process
 * group itself. When more than HIGH_WATER bytes wait to go to the orchestrator (it fell behind), the helper
 * stops reading its programs' pipes until they have drained, so the programs block as they would on a direct
 * pipe and nothing grows without bound. When its stdin ends (the orchestrator exited or died) it exits at
 * once and leaves the programs running, as a dead orchestrator would: crash recovery finds and kills them by
 * their marker.
 */
import type { Readable } from 'node:stream';
import { spawnGroup } from '../child.js';
import { FrameDecoder } from '../frames.js';
import { readPidStart } from '../process.js';
import { decodeWire, encodeWire, WIRE, type SpawnRequest } from './wire.js';

const HIGH_WATER = 1 << 20;

const out = process.stdout;
/** The programs' stdout and stderr, paused together while `out` is over HIGH_WATER. */
const pipes = new Set<Readable>();
let paused = false;
let corked = false;

function send(type: number, id: number, body?: Buffer | string): void {
  if (!corked) {
    // the frames of one callback (a chunk, an exit and a close) go out in one write
    corked = true;
    out.cork();
    process.nextTick(() => {
      corked = false;
      out.uncork();
    });
  }
  out.write(encodeWire(type, id, body));
  if (!paused && out.writableLength > HIGH_WATER) {
    paused = true;
    for (const p of pipes) p.pause();
    out.once('drain', () => {
      paused = false;
      for (const p of pipes) p.resume();
    });
  }
}

function start(id: number, req: SpawnRequest): void {
  const child = spawnGroup(
    req.argv,
    { cwd: req.cwd, env: req.env, stdin: false },
    {
      started: (pid) => send(WIRE.started, id, JSON.stringify({ pid, start: readPidStart(pid) })),
      stdout: (chunk) => send(WIRE.stdout, id, chunk),
      stderr: (chunk) => send(WIRE.stderr, id, chunk),
      exit: (code, signal) => send(WIRE.exit, id, JSON.stringify({ code, signal })),
      closed: () => {
        if (child) for (const p of [child.stdout, child.stderr]) if (p) pipes.delete(p);
        send(WIRE.closed, id);
      },
      failed: (message) => send(WIRE.failed, id, message),
    },
  );
  if (child === null) return;
  for (const p of [child.stdout, child.stderr]) {
    if (p === null) continue;
    pipes.add(p);
    if (paused) p.pause();
  }
}

const decoder = new FrameDecoder();
process.stdin.on('data', (chunk: Buffer) => {
  for (const frame of decoder.push(chunk)) {
    if (frame.type !== WIRE.spawn) continue;
    const { id, body } = decodeWire(frame.payload);
    let req: SpawnRequest;
    try {
      req = JSON.parse(body.toString('utf8')) as SpawnRequest;
    } catch (err) {
      send(WIRE.failed, id, `the spawner could not read the request: ${(err as Error).message}`);
      continue;
    }
    start(id, req);
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
// the orchestrator is gone: nothing to tell
out.on('error', () => process.exit(0));
