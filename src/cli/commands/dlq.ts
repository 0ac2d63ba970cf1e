import type { Command } from 'commander';
import { fieldError } from '../../core/errors.js';
import { parseId, parseIntFlag, withClient, globals } from '../context.js';
import { printJson, table, taskJson, taskRow } from '../output.js';

export function registerDlqCommands(program: Command): void {
  const dlq = program.command('dlq').description('the dead-letter queue: tasks that ran out of attempts');

  dlq
    .command('list')
    .description('list dead tasks')
    .option('--limit <n>', 'at most n tasks (default 100)')
    .option('--json', 'print a JSON array')
    .action(async (o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const tasks = await hive.listTasks({ status: ['dead'], limit: parseIntFlag(o.limit, 'limit', 1, 10_000) });
        if (o.json) printJson(tasks.map(taskJson));
        else process.stdout.write(tasks.length ? `${table(tasks.map(taskRow), ['id', 'priority', 'attempts', 'agent', 'title', 'note'])}\n` : 'the dead-letter queue is empty\n');
      });
    });

  dlq
    .command('requeue [ids...]')
    .description('send dead tasks back to the queue: the ids given, or --all')
    .option('--all', 'every dead task')
    .option('--cap <capability>', 'with --all: only tasks requiring this capability')
    .option('--json', 'print the requeued ids as JSON')
    .action(async (ids: string[], o, cmd: Command) => {
      if (!o.all && ids.length === 0) throw fieldError('ids', 'required unless --all', 'give task ids or --all');
      if (o.cap && !o.all) throw fieldError('cap', 'only with --all', '--cap goes with --all');
      if (o.all && ids.length) throw fieldError('ids', 'not allowed with --all', 'give task ids or --all, not both');
      await withClient(globals(cmd), async (hive) => {
        const done = o.all ? await hive.requeueDead({ capability: o.cap }) : await hive.requeueDead({ ids: ids.map((i) => parseId(i)) });
        if (o.json) printJson({ requeued: done });
        else process.stdout.write(`requeued ${done.length} task(s)${done.length ? `: ${done.join(', ')}` : ''}\n`);
      });
    });
}
