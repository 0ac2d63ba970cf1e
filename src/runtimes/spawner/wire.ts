/**
 * The spawner's wire (docs/architecture.md, "The spawner"): frames (runtimes/frames.ts: a type byte, a
 * 4-byte big-endian length, the payload) on the helper's stdin and stdout. Every payload starts with the
 * launch id (4 bytes, big-endian), so the output of many programs shares one pipe. The output codes are the
 * tmux pane program's (tmux/frames.ts), with `exit` and `closed` apart.
 */
export const WIRE = {
  /** Runtime → helper: start a program; body: JSON SpawnRequest. */
  spawn: 0x53, // 'S'
  /** Helper → runtime: it runs; body: JSON `{ pid, start }` (start: /proc start time, read before the exit is reaped). */
  started: 0x73, // 's'
  /** It could not be started; body: the reason (text). Nothing else follows for this id. */
  failed: 0x66, // 'f'
  /** Bytes it wrote to stdout. */
  stdout: 0x6f, // 'o'
  /** Bytes it wrote to stderr. */
  stderr: 0x65, // 'e'
  /** The leader exited; body: JSON `{ code, signal }`. Output may still follow. */
  exit: 0x78, // 'x'
  /** All its output was delivered; the last frame for this id. */
  closed: 0x63, // 'c'
} as const;

export interface SpawnRequest {
  argv: readonly string[];
  cwd: string;
  env: Record<string, string>;
}

const HEADER = 9;

/** One frame whose payload is the launch id and then `body`, built with a single copy of the body. */
export function encodeWire(type: number, id: number, body: Buffer | string = ''): Buffer {
  const len = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const frame = Buffer.allocUnsafe(HEADER + len);
  frame[0] = type;
  frame.writeUInt32BE(4 + len, 1);
  frame.writeUInt32BE(id, 5);
  if (typeof body === 'string') frame.write(body, HEADER, 'utf8');
  else body.copy(frame, HEADER);
  return frame;
}

/** The launch id and the body of a frame's payload. */
export function decodeWire(payload: Buffer): { id: number; body: Buffer } {
  return { id: payload.readUInt32BE(0), body: payload.subarray(4) };
}
