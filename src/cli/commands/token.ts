import type { Command } from 'commander';
import { fieldError } from '../../core/errors.js';
import { TOKEN_ROLES, type TokenRole } from '../../core/store.js';
import { parseId, withClient, globals } from '../context.js';
import { printJson, table } from '../output.js';

export function registerTokenCommands(program: Command): void {
  const token = program.command('token').description('API tokens for the HTTP API (stored hashed; a secret is shown once)');

  token
    .command('create')
    .description('create a token and print its secret (the only time it is shown)')
    .requiredOption('--role <role>', 'admin | operator | viewer')
    .option('--name <name>', 'a label', '')
    .option('--json', 'print JSON')
    .action(async (o, cmd: Command) => {
      if (!TOKEN_ROLES.includes(o.role)) throw fieldError('role', `expected one of ${TOKEN_ROLES.join(', ')}, got ${JSON.stringify(o.role)}`);
      await withClient(globals(cmd), async (hive) => {
        const { token: secret, info } = await hive.createToken(o.role as TokenRole, o.name);
        if (o.json) printJson({ ...info, token: secret });
        else process.stdout.write(`${secret}\n`);
      });
    });

  token
    .command('list')
    .description('list tokens (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const tokens = await hive.listTokens();
        if (o.json) printJson(tokens);
        else process.stdout.write(tokens.length ? `${table(tokens.map((t) => ({ ...t, createdAt: new Date(t.createdAt).toISOString(), revokedAt: t.revokedAt ? new Date(t.revokedAt).toISOString() : null })), ['id', 'role', 'name', 'createdAt', 'revokedAt'])}\n` : 'no tokens\n');
      });
    });

  token
    .command('revoke <id>')
    .description('revoke a token')
    .action(async (id: string, _o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const t = await hive.revokeToken(parseId(id, 'token id'));
        process.stdout.write(`token ${t.id} revoked\n`);
      });
    });
}
