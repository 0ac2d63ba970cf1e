import { Command, CommanderError } from 'commander';
import { HiveError, toHiveError } from '../core/errors.js';
import { registerAgentCommands } from './commands/agent.js';
import { registerAttach } from './commands/attach.js';
import { registerDemo } from './commands/demo.js';
import { registerDlqCommands } from './commands/dlq.js';
import { registerEvents } from './commands/events.js';
import { registerModelServer } from './commands/model-server.js';
import { registerRun } from './commands/run.js';
import { registerStatus } from './commands/status.js';
import { registerTaskCommands } from './commands/task.js';
import { registerTokenCommands } from './commands/token.js';
import { registerUp } from './commands/up.js';
import { registerWorkflowCommands } from './commands/workflow.js';
import { registerWorktreeCommands } from './commands/worktree.js';

/** `hive`: parse, dispatch, print `error CODE: message` and exit non-zero on failure. Commands hold no logic. */
export function buildProgram(): Command {
  const program = new Command('hive')
    .description('Hive: one orchestrator for a fleet of AI coding agents')
    .version('0.1.0', '-V', 'print the version (also --version before the command)')
    .option('--data <dir>', 'data directory (default ./.hive; env HIVE_DATA)')
    .option('--config <file>', 'configuration file (default ./hive.yaml; env HIVE_CONFIG)')
    .option('--durability <mode>', 'full (fsync every commit) or normal (env HIVE_DURABILITY)')
    .option('--server <url>', 'talk to a hive up over HTTP instead of opening the data directory (env HIVE_SERVER)')
    .option('--token <token>', 'bearer token for --server (env HIVE_TOKEN)')
    .showHelpAfterError(false)
    .exitOverride();
  // commander's own error lines are replaced by our `error CODE: message`; help still prints
  const quiet = { outputError: (): void => undefined };
  program.configureOutput(quiet);
  registerUp(program);
  registerDemo(program);
  registerAgentCommands(program);
  registerTaskCommands(program);
  registerAttach(program);
  registerDlqCommands(program);
  registerWorkflowCommands(program);
  registerStatus(program);
  registerEvents(program);
  registerTokenCommands(program);
  registerWorktreeCommands(program);
  registerModelServer(program);
  registerRun(program);
  for (const c of program.commands) {
    c.exitOverride();
    c.configureOutput(quiet);
    for (const s of c.commands) {
      s.exitOverride();
      s.configureOutput(quiet);
    }
  }
  return program;
}

/**
 * `--version` before the command is the root's `-V`; after it, it belongs to the command (`hive workflow show
 * NAME --version 2`). Commander would otherwise let the root take a known option anywhere on the line.
 */
function versionFlag(argv: string[], commands: string[]): string[] {
  const at = argv.findIndex((a, i) => i >= 2 && commands.includes(a));
  return argv.map((a, i) => (a === '--version' && i >= 2 && (at === -1 || i < at) ? '-V' : a));
}

export async function main(argv: string[]): Promise<number> {
  try {
    const program = buildProgram();
    await program.parseAsync(versionFlag(argv, program.commands.map((c) => c.name())));
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'commander.help') return 1; // a command group without its subcommand: usage was printed
      const message = err.message.replace(/^error: /, '');
      process.stderr.write(`error VALIDATION_FAILED: ${message}\n`);
      return 2;
    }
    const e = toHiveError(err);
    process.stderr.write(`error ${e.code}: ${e.message}\n`);
    if (e.code === 'INTERNAL' && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return e instanceof HiveError && e.code === 'VALIDATION_FAILED' ? 2 : 1;
  }
}

const code = await main(process.argv);
// Long-running commands (up, demo) finish their own work before returning; exit now so no timer keeps us.
process.exit(code);
