import type { Command } from 'commander';
import { fieldError } from '../../core/errors.js';
import { serve, type Served } from '../../http/server.js';
import { checkWorkflows, fromWorkflow, loadConfig } from '../config.js';
import { collect, openHive, parseIntFlag, globals } from '../context.js';
import { describeEvent } from '../output.js';

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('run the orchestrator on the data directory until SIGINT/SIGTERM (the first drains, a second forces)')
    .option('--quiet', 'no line per state change')
    .option('--host <host>', 'HTTP API address (env HIVE_HOST; default 127.0.0.1)')
    .option('--port <port>', 'HTTP API port, 0 = any free one (env HIVE_PORT; default 4477)')
    .option('--allow-host <name>', 'another hostname the Host header may name (repeatable)', collect, [])
    .action(async (o, cmd: Command) => {
      if ((globals(cmd)).server) throw fieldError('server', 'hive up runs the orchestrator here; --server is for the other commands');
      const host: string = o.host || process.env.HIVE_HOST || '127.0.0.1';
      const port = parseIntFlag(o.port || process.env.HIVE_PORT || '4477', 'port', 0, 65_535)!;
      const loaded = loadConfig(globals(cmd), process.env);
      checkWorkflows(loaded.workflows); // a bad definition refuses the start before anything is opened
      const { hive, config } = await openHive(globals(cmd), {}, loaded);
      let served: Served | null = null;
      try {
        const report = await hive.start({ agents: config.agents });
        // signals are handled from here on, before anything is printed: a SIGTERM right after the first line drains too
        const stopped = new Promise<void>((resolve) => {
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
        const defined: string[] = [];
        for (const w of config.workflows) {
          const { workflow, created } = await hive.workflows.define(w.doc).catch((err: unknown) => Promise.reject(fromWorkflow(w, err)));
          defined.push(`hive up: workflow ${workflow.name} version ${workflow.version} ${created ? 'created' : 'unchanged'}\n`);
        }
        served = await serve(hive, { host, port, allowHosts: o.allowHost });
        const agents = await hive.listAgents();
        process.stdout.write(
          `hive up: data ${hive.options.dataDir}, config ${config.file ?? '(none)'}, ${agents.length} agent(s); ` +
            `recovered ${report.reaped.length} attempt(s), killed ${report.killed.length} orphan process(es); pid ${process.pid}\n` +
            `hive up: API on ${served.url}/api/v1 (docs: ${served.url}/api/v1/openapi.json)\n` +
            (served.adminTokenFile ? `hive up: admin token written to ${served.adminTokenFile} (mode 0600)\n` : '') +
            defined.join('') +
            served.warnings.map((w) => `hive up: warning: ${w}\n`).join(''),
        );
        if (!o.quiet) await hive.subscribe((e) => process.stdout.write(`${describeEvent(e)}\n`));
        await stopped;
        process.stdout.write('hive up: stopped\n');
      } finally {
        await served?.app.close();
        await hive.close({ drainMs: 0 });
      }
    });
}
