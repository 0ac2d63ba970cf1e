import type { Command } from 'commander';
import { collect, parseIntFlag, withClient, globals } from '../context.js';
import { fieldError } from '../../core/errors.js';
import { describeEvent, printJson } from '../output.js';

export function registerEvents(program: Command): void {
  program
    .command('events')
    .description('read the event log (every state change, in order)')
    .option('--after <seq>', 'only events after this sequence number', '0')
    .option('--limit <n>', 'at most n events (default 100)')
    .option('--type <type>', 'only this event type (repeatable)', collect, [])
    .option('--task <id>', 'only events of this task')
    .option('--run <id>', 'only the run.* events of this workflow run')
    .option('--json', 'print a JSON array (with --follow: one JSON object per line)')
    .option('-f, --follow', 'keep printing new events until interrupted (starts at the end unless --after is given)')
    .action(async (o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const limit = parseIntFlag(o.limit, 'limit', 1, 10_000) ?? 100;
        if (o.task && o.run) throw fieldError('--run', 'give --task or --run, not both');
        const subject = o.task ? `task:${parseIntFlag(o.task, 'task', 1, Number.MAX_SAFE_INTEGER)}` : o.run ? `run:${parseIntFlag(o.run, 'run', 1, Number.MAX_SAFE_INTEGER)}` : undefined;
        const filter = { types: o.type, subject };
        let after = parseIntFlag(o.after, 'after', 0, Number.MAX_SAFE_INTEGER) ?? 0;
        if (!o.follow) {
          const events = await hive.events(after, limit, filter);
          if (o.json) printJson(events);
          else for (const e of events) process.stdout.write(`${String(e.seq).padStart(6)} ${describeEvent(e)}\n`);
          return;
        }
        if (cmd.getOptionValueSource('after') === 'default') after = await hive.lastEventSeq();
        let stop = false;
        process.once('SIGINT', () => (stop = true));
        process.once('SIGTERM', () => (stop = true));
        while (!stop) {
          const page = await hive.events(after, 1000, filter);
          for (const e of page) process.stdout.write(o.json ? `${JSON.stringify(e)}\n` : `${String(e.seq).padStart(6)} ${describeEvent(e)}\n`);
          after = page.at(-1)?.seq ?? after;
          if (page.length < 1000) await new Promise((r) => setTimeout(r, 200));
        }
      });
    });
}
