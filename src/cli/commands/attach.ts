import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { fieldError, HiveError } from '../../core/errors.js';
import { shellQuote } from '../../runtimes/command/template.js';
import { attachTarget } from '../../runtimes/tmux/attach.js';
import { globals, parseId, withClient } from '../context.js';

/** `hive attach TASK`: a terminal on the tmux session of a running task (agents with `tmux: true`; docs/tmux.md). */
export function registerAttach(program: Command): void {
  program
    .command('attach <task>')
    .description("watch a running task's agent in its tmux session, read-only (agents with tmux: true; detach with Ctrl-b d)")
    .option('--print', 'print the tmux command instead of running it')
    .action(async (id: string, o: { print?: boolean }, cmd: Command) => {
      const flags = globals(cmd);
      if (flags.server || process.env.HIVE_SERVER) throw fieldError('server', 'hive attach runs tmux on the machine of the hive up: use it there, on the data directory, without --server (or HIVE_SERVER)');
      const taskId = parseId(id);
      // the user's environment, for tmux, minus TMUX: attaching from inside another tmux is what was asked for
      const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && e[0] !== 'TMUX'));
      const target = await withClient(flags, async (client) => {
        const task = await client.getTask(taskId);
        const agent = task.agent === null ? null : await client.getAgent(task.agent).catch(() => null);
        return attachTarget(task, agent, client.where, env);
      });
      if (o.print) {
        process.stdout.write(`${target.argv.map((a) => (/^[A-Za-z0-9_/.,:=@%+-]+$/.test(a) ? a : shellQuote(a))).join(' ')}\n`);
        return;
      }
      const r = spawnSync(target.argv[0], target.argv.slice(1), { stdio: 'inherit', env });
      if (r.error) throw new HiveError('SPAWN_FAILED', `cannot run tmux: ${r.error.message}`, { cause: r.error });
      process.exitCode = r.status ?? 1;
    });
}
