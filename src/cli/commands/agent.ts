import type { Command } from 'commander';
import { fieldError } from '../../core/errors.js';
import { DEFAULT_BRANCH_TEMPLATE, DEFAULT_CLEANUP, workspaceOf } from '../../core/workspace.js';
import { agentFromInput } from '../config.js';
import { collect, parseIntFlag, withClient, globals } from '../context.js';
import { agentJson, agentRow, printJson, table } from '../output.js';

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i < 1) throw fieldError('env', 'expected KEY=VALUE', `--env: expected KEY=VALUE, got ${JSON.stringify(p)}`);
    env[p.slice(0, i)] = p.slice(i + 1);
  }
  return env;
}

export function registerAgentCommands(program: Command): void {
  const agent = program.command('agent').description('register, inspect and remove agents');

  agent
    .command('add <name>')
    .description('register (or update) an agent in the data directory')
    .option('--role <role>', 'free-form role')
    .option('--cap <capability>', 'capability (repeatable)', collect, [])
    .option('--runtime <kind>', 'command | worker | inline | claude-code | codex | gemini | aider', 'command')
    .option('--command <template>', 'command template: {prompt} {workdir} {task.id} {attempt} {agent}')
    .option('--shell', 'command: run the command string through /bin/sh')
    .option('--fn <name>', 'inline function name (runtime inline)')
    .option('--model <model>', 'presets: the model (--model / -m)')
    .option('--permission-mode <mode>', 'presets: claude --permission-mode, codex -s, gemini --approval-mode')
    .option('--max-turns <n>', 'claude-code: --max-turns')
    .option('--extra-arg <arg>', 'presets: an argument added before the prompt (repeatable)', collect, [])
    .option('--binary <path>', 'presets: the executable (default: the tool name on PATH)')
    .option('--tmux', 'run each attempt in a tmux session (hive attach TASK)')
    .option('--slots <n>', 'tasks at once', '1')
    .option('--workdir <dir>', 'working directory')
    .option('--timeout <duration>', 'default per-task timeout')
    .option('--idle-timeout <duration>', 'watchdog: kill after this long without output (0 = off)')
    .option('--exit-grace <duration>', 'watchdog: kill this long after the final result, keeping it (0 = off)')
    .option('--workspace <repo>', 'a git worktree per task of this repository (docs/workspaces.md)')
    .option('--workspace-mode <mode>', 'worktree (default) | shared')
    .option('--base <ref>', 'workspace: the branch or commit worktrees start from')
    .option('--branch <template>', 'workspace: branch name template with {task} (default hive/{agent}/{task})')
    .option('--cleanup <policy>', 'workspace: on_success (default) | always | never')
    .option('--setup <command>', 'workspace: shell command run once per worktree')
    .option('--env <KEY=VALUE>', 'environment variable (repeatable)', collect, [])
    .option('--json', 'print the agent as JSON')
    .action(async (name: string, o, cmd: Command) => {
      const given = <T>(key: string, v: T | undefined): Record<string, T> => (v === undefined ? {} : { [key]: v });
      const wsOnly = (['workspaceMode', 'base', 'branch', 'cleanup', 'setup'] as const).find((k) => o[k] !== undefined);
      if (wsOnly && o.workspace === undefined) throw fieldError(wsOnly === 'workspaceMode' ? 'workspace.mode' : `workspace.${wsOnly}`, 'needs --workspace <repo>');
      const spec = agentFromInput(
        {
          name,
          role: o.role,
          capabilities: o.cap,
          runtime: o.runtime,
          command: o.command,
          fn: o.fn,
          ...given('shell', o.shell),
          ...given('model', o.model),
          ...given('permission_mode', o.permissionMode),
          ...given('max_turns', parseIntFlag(o.maxTurns, 'max-turns', 1, 10_000)),
          ...(o.extraArg.length ? { extra_args: o.extraArg } : {}),
          ...given('binary', o.binary),
          ...given('tmux', o.tmux),
          slots: parseIntFlag(o.slots, 'slots', 1, 1000),
          workdir: o.workdir,
          env: parseEnv(o.env),
          limits: { ...given('timeout', o.timeout), ...given('idle_timeout', o.idleTimeout), ...given('exit_grace', o.exitGrace) },
          ...(o.workspace !== undefined
            ? { workspace: { repo: o.workspace, ...given('mode', o.workspaceMode), ...given('base', o.base), ...given('branch', o.branch), ...given('cleanup', o.cleanup), ...given('setup', o.setup) } }
            : {}),
        },
        process.cwd(),
      );
      await withClient(globals(cmd), async (hive) => {
        const a = await hive.registerAgent(spec);
        if (o.json) printJson(agentJson(a));
        else process.stdout.write(`agent ${a.name} registered (${a.status})\n`);
      });
    });

  agent
    .command('list')
    .description('list agents')
    .option('--json', 'print a JSON array')
    .action(async (o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const agents = await hive.listAgents();
        if (o.json) printJson(agents.map(agentJson));
        else process.stdout.write(agents.length ? `${table(agents.map(agentRow), ['name', 'status', 'runtime', 'slots', 'done', 'failed', 'capabilities'])}\n` : 'no agents\n');
      });
    });

  agent
    .command('show <name>')
    .description('one agent')
    .option('--json', 'print JSON')
    .action(async (name: string, o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const a = await hive.getAgent(name);
        if (o.json) return printJson(agentJson(a));
        const r = a.runtime;
        const ws = workspaceOf(a);
        const rt = r.kind === 'inline' ? `inline ${r.fn}` : r.command !== undefined ? `${r.kind} ${JSON.stringify(r.command)}` : `${r.kind}${r.model ? ` model ${r.model}` : ''}${r.binary ? ` binary ${r.binary}` : ''}`;
        process.stdout.write(
          [
            `agent ${a.name}${a.role ? ` (${a.role})` : ''}`,
            `  status        ${a.status}`,
            `  capabilities  ${a.capabilities.join(', ') || '-'}`,
            `  runtime       ${rt}`,
            `  slots         ${a.running}/${a.slots}`,
            ws
              ? `  workspace     ${ws.mode === 'shared' ? `shared repository ${ws.repo}` : `worktree per task of ${ws.repo} (branch ${ws.branch ?? DEFAULT_BRANCH_TEMPLATE}, base ${ws.base ?? 'its current branch'}, cleanup ${ws.cleanup ?? DEFAULT_CLEANUP})`}`
              : `  workdir       ${a.workdir ?? '(data dir)/work/' + a.name}`,
            `  done/failed   ${a.done}/${a.failed} (recent failures ${a.recentFailures})`,
            `  usage         ${a.usage.inputTokens} in / ${a.usage.outputTokens} out tokens, $${a.usage.costUsd.toFixed(4)}`,
          ].join('\n') + '\n',
        );
      });
    });

  agent
    .command('rm <name>')
    .description('remove an agent (refused while it runs tasks unless --force, which hands them back to the queue)')
    .option('--force', 'remove even while running tasks')
    .action(async (name: string, o, cmd: Command) => {
      await withClient(globals(cmd), async (hive) => {
        const a = await hive.removeAgent(name, Boolean(o.force));
        process.stdout.write(`agent ${a.name} removed\n`);
      });
    });

  for (const [verb, on] of [['pause', true], ['resume', false]] as const) {
    agent
      .command(`${verb} <name>`)
      .description(on ? 'maintenance: take no new tasks (running ones finish)' : 'end maintenance')
      .action(async (name: string, _o, cmd: Command) => {
        await withClient(globals(cmd), async (hive) => {
          const a = await hive.setMaintenance(name, on);
          process.stdout.write(`agent ${a.name} ${a.status}\n`);
        });
      });
  }
}
