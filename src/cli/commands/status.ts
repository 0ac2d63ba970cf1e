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
        const spent = agents
          .filter((a) => a.usage.inputTokens + a.usage.outputTokens > 0 || a.usage.costUsd > 0)
          .map((a) => ({ agent: a.name, done: a.done, failed: a.failed, input: a.usage.inputTokens, output: a.usage.outputTokens, cost: `$${a.usage.costUsd.toFixed(4)}` }));
        process.stdout.write(
          [
            `data    ${hive.where}`,
            `tasks   ${nz(s.tasks)}`,
            `agents  ${nz(s.agents)}`,
            `usage   ${usage.inputTokens} in / ${usage.outputTokens} out tokens, $${usage.costUsd.toFixed(4)}`,
            ...(spent.length ? ['', table(spent, ['agent', 'done', 'failed', 'input', 'output', 'cost'])] : []),
            ...(depth.length ? ['', table(depth, ['capabilities', 'queued'])] : []),
          ].join('\n') + '\n',
        );
      });
    });
}
