import type { Command } from 'commander';
import { collect, parseIntFlag, withHive, type GlobalFlags } from '../context.js';
import { describeEvent, printJson } from '../output.js';

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('read the event log (every state change, in order)')
    .option('--after <seq>', 'only events after this sequence number', '0')
    .option('--limit <n>', 'at most n events (default 100)')
    .option('--type <type>', 'only this event type (repeatable)', collect, [])
    .option('--task <id>', 'only events of this task')
    .option('--json', 'print a JSON array')
    .action(async (o, cmd: Command) => {
      await withHive(cmd.optsWithGlobals() as GlobalFlags, async (hive) => {
        const events = await hive.events(parseIntFlag(o.after, 'after', 0, Number.MAX_SAFE_INTEGER) ?? 0, parseIntFlag(o.limit, 'limit', 1, 10_000) ?? 100, {
          types: o.type,
          subject: o.task ? `task:${parseIntFlag(o.task, 'task', 1, Number.MAX_SAFE_INTEGER)}` : undefined,
        });
        if (o.json) printJson(events);
        else for (const e of events) process.stdout.write(`${String(e.seq).padStart(6)} ${describeEvent(e)}\n`);
      });
    });
}
