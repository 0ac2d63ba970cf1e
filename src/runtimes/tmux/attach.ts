import { HiveError } from '../../core/errors.js';
import type { Agent, Task } from '../../core/types.js';
import { runTmux } from './launch.js';
import { tmuxAttachArgv, tmuxSessionName, tmuxSocketPath } from './names.js';

/** What `hive attach TASK` runs: the tmux command attaching a terminal to the running attempt's session. */
export interface AttachTarget {
  socket: string;
  session: string;
  argv: string[];
}

/**
 * The tmux session of a task's running attempt on the data directory `dataDir`, checked to exist.
 * INVALID_TRANSITION when the task is not running; NOT_FOUND when its agent does not run in tmux or the
 * session is gone (the attempt just ended).
 */
export async function attachTarget(task: Task, agent: Agent | null, dataDir: string, env: Record<string, string>): Promise<AttachTarget> {
  if (task.status !== 'running' || task.agent === null) {
    throw new HiveError('INVALID_TRANSITION', `task ${task.id} is ${task.status}, not running: there is no agent to watch (its log: hive task logs ${task.id})`, { details: { status: task.status } });
  }
  if (agent === null || agent.runtime.kind === 'worker' || agent.runtime.kind === 'inline' || agent.runtime.tmux !== true) {
    throw new HiveError('NOT_FOUND', `task ${task.id} runs on agent ${task.agent}, which does not run in tmux: set tmux: true on it in hive.yaml (or follow it with hive task logs ${task.id} -f)`);
  }
  const socket = tmuxSocketPath(dataDir);
  const session = tmuxSessionName(agent.name, task.id, task.attempts);
  try {
    await runTmux(['-S', socket, 'has-session', '-t', `=${session}`], env);
  } catch (err) {
    throw new HiveError('NOT_FOUND', `no tmux session ${session} on ${socket} (attempt ${task.attempts} of task ${task.id} may have just ended): ${(err as Error).message}`, { cause: err });
  }
  return { socket, session, argv: tmuxAttachArgv(socket, session) };
}
