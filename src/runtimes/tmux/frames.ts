/**
 * The one file through which the pane program (pane.ts, inside tmux) tells the runtime what the agent does.
 * Each record is a frame: one type byte, a 4-byte big-endian payload length, the payload. The pane program
 * appends frames with one write each; the runtime tails the file and decodes them in order, so stdout and
 * stderr bytes arrive exactly as the agent wrote them, and the exit frame comes after all of its output.
 */

export const FRAME = {
  /** The agent process started; payload: its pid (decimal text). */
  started: 0x73, // 's'
  /** It could not be started; payload: the reason (text). */
  failed: 0x66, // 'f'
  /** Bytes it wrote to stdout. */
  stdout: 0x6f, // 'o'
  /** Bytes it wrote to stderr. */
  stderr: 0x65, // 'e'
  /** It exited and its output is complete; payload: JSON `{ code, signal }`. */
  exit: 0x78, // 'x'
} as const;

export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export interface Frame {
  type: number;
  payload: Buffer;
}

const HEADER = 5;

export function encodeFrame(type: FrameType, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const frame = Buffer.allocUnsafe(HEADER + body.length);
  frame[0] = type;
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, HEADER);
  return frame;
}

/** Turns the bytes of the frame file, read in pieces of any size, back into frames. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = Buffer.concat([this.buf, chunk]); // a copy: the caller may reuse `chunk`
    const frames: Frame[] = [];
    let at = 0;
    while (this.buf.length - at >= HEADER) {
      const len = this.buf.readUInt32BE(at + 1);
      if (this.buf.length - at - HEADER < len) break;
      frames.push({ type: this.buf[at], payload: this.buf.subarray(at + HEADER, at + HEADER + len) });
      at += HEADER + len;
    }
    // copy the partial rest: the frames handed out keep views into the old buffer
    this.buf = at === 0 ? this.buf : Buffer.from(this.buf.subarray(at));
    return frames;
  }
}
