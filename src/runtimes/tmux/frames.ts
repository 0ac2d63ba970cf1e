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

export { encodeFrame, FrameDecoder, type Frame } from '../frames.js';
