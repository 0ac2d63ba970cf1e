/**
 * Frames: how Hive's own helper programs (the tmux pane program, the spawner) pass an agent's output and fate
 * back to the runtime over one byte stream. Each frame is one type byte, a 4-byte big-endian payload length,
 * the payload; stdout and stderr bytes travel exactly as the agent wrote them.
 */

export interface Frame {
  type: number;
  payload: Buffer;
}

const HEADER = 5;

export function encodeFrame(type: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const frame = Buffer.allocUnsafe(HEADER + body.length);
  frame[0] = type;
  frame.writeUInt32BE(body.length, 1);
  body.copy(frame, HEADER);
  return frame;
}

/** Turns a byte stream, read in pieces of any size, back into frames. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]); // a copy: the caller may reuse `chunk`
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
