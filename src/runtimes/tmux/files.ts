import { fileURLToPath } from 'node:url';

/** The files of an attempt's private directory (mode 0700, removed when the attempt ends). */
export const SPEC_FILE = 'spec.json';
export const STREAM_FILE = 'stream';

/** What the pane program runs: written 0600 by the runtime, deleted by the pane program once read. */
export interface PaneSpec {
  argv: string[];
  cwd: string;
  /** The agent's whole environment: nothing of the tmux server's is added. */
  env: Record<string, string>;
}

/** The compiled pane program, next to this file. */
export const PANE_PROGRAM = fileURLToPath(new URL('./pane.js', import.meta.url));
