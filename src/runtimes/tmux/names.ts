import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * Where the tmux sessions of `tmux: true` agents live, computed the same way by the runtime and by
 * `hive attach`: one private tmux server per data directory, on the socket `<data dir>/tmux.sock` (never the
 * user's own tmux server), and one session per attempt, `hive-<agent>-<task>-<attempt>`.
 */

/** A Unix socket path holds at most 107 bytes on Linux; beyond this a data directory's socket moves to /tmp. */
const MAX_SOCKET_BYTES = 100;

/**
 * The socket of a data directory's tmux server: `<dataDir>/tmux.sock`, or, when that path is too long for a
 * Unix socket, `/tmp/hive-tmux-<uid>/<hash of the data directory>.sock`. Without a data directory (a runtime
 * used outside an orchestrator), `/tmp/hive-tmux-<uid>/default.sock`.
 */
export function tmuxSocketPath(dataDir: string | undefined): string {
  if (dataDir !== undefined && dataDir !== '') {
    const inside = join(dataDir, 'tmux.sock');
    if (Buffer.byteLength(inside) <= MAX_SOCKET_BYTES) return inside;
  }
  const name = dataDir ? createHash('sha256').update(dataDir).digest('hex').slice(0, 16) : 'default';
  return join(fallbackSocketDir(), `${name}.sock`);
}

/** The directory of the fallback sockets (created 0700 by the runtime). */
export function fallbackSocketDir(): string {
  return `/tmp/hive-tmux-${process.getuid?.() ?? 'user'}`;
}

/**
 * The session of one attempt. tmux turns `.` and `:` in a session name into `_`, so an agent name's dots are
 * written as `_` here already (the name then reads back as given).
 */
export function tmuxSessionName(agent: string, taskId: number, attempt: number): string {
  return `hive-${agent.replace(/[.:]/g, '_')}-${taskId}-${attempt}`;
}

/**
 * The tmux command that attaches a terminal to a session: read-only (`-r`: keys other than detach, `Ctrl-b d`,
 * are ignored, so a stray Ctrl-C cannot kill the agent), `=` for an exact name match.
 */
export function tmuxAttachArgv(socket: string, session: string): string[] {
  return ['tmux', '-S', socket, 'attach-session', '-r', '-t', `=${session}`];
}
