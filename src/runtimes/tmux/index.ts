/**
 * `tmux: true` for `command` agents and the presets: each attempt runs in its own detached tmux session on a
 * private tmux server, so a person can `hive attach TASK` and watch it, while Hive still reads its stdout and
 * stderr byte for byte (log, stream parsers, watchdogs). See docs/tmux.md.
 */
import { join } from 'node:path';
import { HiveError } from '../../core/errors.js';
import type { RunRequest, RuntimeSettings } from '../../core/runtime.js';
import type { LaunchGroup } from '../child.js';
import { runTmux, tmuxLauncher } from './launch.js';
import { fallbackSocketDir, tmuxSessionName, tmuxSocketPath } from './names.js';

export { tmuxAttachArgv, tmuxSessionName, tmuxSocketPath } from './names.js';
export { runTmux } from './launch.js';

/** The data directory an attempt belongs to (every agent process carries it as HIVE_DATA_DIR). */
function dataDirOf(req: RunRequest, settings: RuntimeSettings): string | undefined {
  return req.env.HIVE_DATA_DIR ?? settings.baseEnv.HIVE_DATA_DIR;
}

/** The launcher of one attempt: session `hive-<agent>-<task>-<attempt>` on the data directory's tmux server. */
export function tmuxLaunchFor(req: RunRequest, settings: RuntimeSettings): LaunchGroup {
  const dataDir = dataDirOf(req, settings);
  return tmuxLauncher({
    socket: tmuxSocketPath(dataDir),
    session: tmuxSessionName(req.agent.name, req.task.id, req.attempt),
    clientEnv: { ...settings.baseEnv, ...(dataDir !== undefined ? { HIVE_DATA_DIR: dataDir } : {}) },
    stateDir: dataDir !== undefined && dataDir !== '' ? join(dataDir, 'tmux') : fallbackSocketDir(),
  });
}

/** start() of a `tmux: true` agent: SPAWN_FAILED (the agent goes to error) when tmux cannot run. */
export async function checkTmux(agent: string, env: Record<string, string>): Promise<void> {
  try {
    await runTmux(['-V'], env);
  } catch (err) {
    throw new HiveError('SPAWN_FAILED', `agent ${agent} has tmux: true, but ${(err as Error).message}`, { cause: err });
  }
}
