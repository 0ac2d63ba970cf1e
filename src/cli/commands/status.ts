import type { Command } from 'commander';
import { withClient, globals } from '../context.js';
import { printJson, table } from '../output.js';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('counts of tasks by status, agents by status, queue depth per capability set')
    .option('--json', 'print JSON')
    .action(async (o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const s = await hive.status();
        const agents = await hive.listAgents();
        const usage = agents.reduce((u, a) => ({ inputTokens: u.inputTokens + a.usage.inputTokens, outputTokens: u.outputTokens + a.usage.outputTokens, costUsd: u.costUsd + a.usage.costUsd }), { inputTokens: 0, outputTokens: 0, costUsd: 0 });
        if (o.json) return printJson({ ...s, usage, dataDir: hive.where });
        const nz = (r: Record<string, number>): string => Object.entries(r).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
        const depth = Object.entries(s.queueDepth).map(([caps, n]) => ({ capabilities: caps || '(none)', queued: n }));
        process.stdout.write(
          [
            `data    ${hive.where}`,
            `tasks   ${nz(s.tasks)}`,
            `agents  ${nz(s.agents)}`,
            `usage   ${usage.inputTokens} in / ${usage.outputTokens} out tokens, $${usage.costUsd.toFixed(4)}`,
            ...(depth.length ? ['', table(depth, ['capabilities', 'queued'])] : []),
          ].join('\n') + '\n',
        );
      });
    });
}
