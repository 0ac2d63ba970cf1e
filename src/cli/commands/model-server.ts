import type { Command } from 'commander';
import { fieldError } from '../../core/errors.js';
import { AGENT_CLIS, cliSetup, createModelServer, loadScript, type AgentCli } from '../../model-server/index.js';
import { parseIntFlag } from '../context.js';

const NAMES: Record<AgentCli, string> = { claude: 'Claude Code', codex: 'Codex CLI', gemini: 'Gemini CLI' };

/** Quotes a word for sh; `$DIR…` stays expandable. */
function sh(word: string): string {
  if (/^[\w./:=@,+%-]+$/.test(word)) return word;
  if (/^\$DIR[\w./-]*$/.test(word)) return `"${word}"`;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The lines that point each CLI at the server, with `$DIR` for a fresh directory of the CLI's own. */
export function clientInstructions(url: string): string {
  const out: string[] = ['', 'Point a CLI at it (DIR=$(mktemp -d) first: a fresh directory for its state):'];
  for (const cli of AGENT_CLIS) {
    const s = cliSetup(cli, { url, home: '$DIR', prompt: 'PROMPT' });
    out.push(`  ${NAMES[cli]}:`);
    for (const [file, content] of Object.entries(s.files)) out.push(`    mkdir -p ${sh(file.replace(/\/[^/]+$/, ''))} && echo ${sh(content.replace(/\s+/g, ''))} > ${sh(file)}`);
    const env = Object.entries(s.env).map(([k, v]) => `${k}=${sh(v)}`);
    out.push(`    ${env.join(' ')} \\`, `      ${cli} ${s.args.map(sh).join(' ')} < /dev/null`);
  }
  return `${out.join('\n')}\n`;
}

export function registerModelServer(program: Command): void {
  program
    .command('model-server')
    .description('serve a scripted model (Anthropic, OpenAI Responses and Gemini APIs) for running coding-agent CLIs offline (docs/model-server.md)')
    .requiredOption('--script <file>', 'the turns to replay (YAML or JSON)')
    .option('--port <port>', 'port, 0 = any free one (default 0)', '0')
    .option('--host <host>', 'address to listen on (default 127.0.0.1)', '127.0.0.1')
    .option('--quiet', 'no line per request')
    .action(async (o) => {
      const port = parseIntFlag(o.port, 'port', 0, 65_535)!;
      if (!o.host) throw fieldError('host', 'expected an address such as 127.0.0.1');
      const script = loadScript(o.script);
      const server = await createModelServer({
        script,
        host: o.host,
        port,
        log: o.quiet ? undefined : (line) => process.stdout.write(`${new Date().toISOString().slice(11, 23)} ${line}\n`),
      });
      process.stdout.write(
        `model server on ${server.url}\n` +
          `script ${o.script}: ${script.turns.length} turn(s), one cursor ${script.cursor === 'global' ? 'for all requests' : 'per conversation'}, then "${script.done}"\n` +
          clientInstructions(server.url) +
          '\n',
      );
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      await server.close();
      process.stdout.write('model server stopped\n');
    });
}
