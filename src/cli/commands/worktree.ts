import type { Command } from 'commander';
import { fieldError } from '../../core/errors.js';
import type { WorktreeStatus } from '../../core/workspace.js';
import { globals, withHive, type GlobalFlags } from '../context.js';
import { printJson, table } from '../output.js';

/** `hive worktree` reads the disk where the worktrees are: it works on the data directory, not over HTTP. */
function localOnly(flags: GlobalFlags): GlobalFlags {
  if (flags.server || process.env.HIVE_SERVER) {
    throw fieldError('server', 'not available over HTTP', 'hive worktree works on the data directory and the worktrees on this machine; run it there without --server (and with HIVE_SERVER unset)');
  }
  return flags;
}

function row(w: WorktreeStatus): Record<string, unknown> {
  return {
    task: w.taskId ?? '-',
    status: w.taskStatus ?? (w.taskId === null ? '-' : 'unknown'),
    live: w.live ? 'yes' : 'no',
    agent: w.agent ?? '-',
    branch: w.branch ?? '-',
    path: w.broken ? `${w.path} (${w.broken})` : w.path,
  };
}

const COLUMNS = ['task', 'status', 'live', 'agent', 'branch', 'path'];

export function registerWorktreeCommands(program: Command): void {
  const wt = program.command('worktree').description("agents' git worktrees (workspace mode worktree): list them, remove the orphans");

  wt.command('list')
    .description("Hive's worktrees under the worktree roots, each with its task's status and whether the task is live")
    .option('--json', 'print a JSON array')
    .action(async (o, cmd: Command) => {
      await withHive(localOnly(globals(cmd)), async (hive) => {
        const list = await hive.worktrees();
        if (o.json) printJson(list);
        else process.stdout.write(list.length ? `${table(list.map(row), COLUMNS)}\n` : 'no worktrees\n');
      });
    });

  wt.command('prune')
    .description('remove the worktrees whose task is final (completed, dead, cancelled) or unknown; their branches stay')
    .option('--dry-run', 'only print what would be removed')
    .option('--json', 'print the removed (or, with --dry-run, the removable) worktrees as a JSON array')
    .action(async (o, cmd: Command) => {
      await withHive(localOnly(globals(cmd)), async (hive) => {
        const pruned = await hive.pruneWorktrees({ dryRun: Boolean(o.dryRun) });
        if (o.json) return printJson(pruned);
        const verb = o.dryRun ? 'would remove' : 'removed';
        process.stdout.write(pruned.length ? `${table(pruned.map(row), COLUMNS)}\n${verb} ${pruned.length} worktree(s)\n` : 'no orphaned worktrees\n');
      });
    });
}
