import { encodeFrame } from '../frames.js';

/**
 * The spawner's wire (docs/architecture.md, "The spawner"): frames (runtimes/frames.ts) on the helper's
 * stdin and stdout. Every payload starts with the launch id (4 bytes, big-endian), so the output of many
 * programs shares one pipe.
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
  argv: string[];
  cwd: string;
  env: Record<string, string>;
}

export function encodeWire(type: number, id: number, body: Buffer | string = ''): Buffer {
  const data = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  const payload = Buffer.allocUnsafe(4 + data.length);
  payload.writeUInt32BE(id, 0);
  data.copy(payload, 4);
  return encodeFrame(type, payload);
}

/** The launch id and the body of a frame's payload. */
export function decodeWire(payload: Buffer): { id: number; body: Buffer } {
  return { id: payload.readUInt32BE(0), body: payload.subarray(4) };
}
