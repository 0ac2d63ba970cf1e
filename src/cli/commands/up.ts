import type { Command } from 'commander';
import { openHive, type GlobalFlags } from '../context.js';
import { describeEvent } from '../output.js';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run the orchestrator on the data directory until SIGINT/SIGTERM (the first drains, a second forces)')
    .option('--quiet', 'no line per state change')
    .action(async (o, cmd: Command) => {
      const { hive, config } = await openHive(cmd.optsWithGlobals() as GlobalFlags);
      try {
        const report = await hive.start({ agents: config.agents });
        const agents = await hive.listAgents();
        process.stdout.write(
          `hive up: data ${hive.options.dataDir}, config ${config.file ?? '(none)'}, ${agents.length} agent(s); ` +
            `recovered ${report.reaped.length} attempt(s), killed ${report.killed.length} orphan process(es); pid ${process.pid}\n`,
        );
        if (!o.quiet) await hive.subscribe((e) => process.stdout.write(`${describeEvent(e)}\n`));
        await new Promise<void>((resolve) => {
          let signals = 0;
          const onSignal = (sig: string): void => {
            signals++;
            if (signals === 1) {
              process.stdout.write(`hive up: ${sig}, draining (up to ${hive.options.drainMs}ms; send again to force)\n`);
              hive.stop().then(resolve, resolve);
            } else {
              process.stdout.write(`hive up: ${sig} again, stopping now\n`);
              hive.stop({ drainMs: 0 }).then(resolve, resolve);
              setTimeout(resolve, hive.options.killGraceMs + 3_000).unref();
            }
          };
          process.on('SIGINT', onSignal);
          process.on('SIGTERM', onSignal);
        });
        process.stdout.write('hive up: stopped\n');
      } finally {
        await hive.store.close();
      }
    });
}
