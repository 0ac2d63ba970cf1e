import { join } from 'node:path';
import type { AgentSpec } from '../core/store.js';
import type { PresetTool } from '../core/types.js';

/**
 * How to point each coding-agent CLI at a model server: environment, arguments and config files. One source
 * for `hive model-server` (which prints them) and the real-CLI tests (which run them). Checked with Claude Code
 * 2.1.331, Codex CLI 0.169.0 and Gemini CLI 0.61.0 (docs/model-server.md).
 */

export type AgentCli = 'claude' | 'codex' | 'gemini';
export const AGENT_CLIS: readonly AgentCli[] = ['claude', 'codex', 'gemini'];

export interface CliSetup {
  /** Variables to add to the CLI's environment. */
  env: Record<string, string>;
  /** Arguments after the program name, the prompt included. Run with stdin from /dev/null. */
  args: string[];
  /** Files to write before the run (absolute path → content). */
  files: Record<string, string>;
}

/** The environment variable Codex reads the (unused) API key from. */
export const CODEX_KEY_VAR = 'HIVE_MODEL_SERVER_KEY';

export interface CliSetupOptions {
  /** The model server's URL, without a trailing slash. */
  url: string;
  /** A fresh directory for the CLI's own state (config, sessions, caches). */
  home: string;
  prompt: string;
  /**
   * The model to ask for; default: the CLI's own default. The name only matters to the CLI: Codex 0.169 picks
   * its tools by model (its default model offers one JavaScript `exec` tool, "code mode"; `gpt-5.5` offers
   * `apply_patch` and `exec_command`), and the server answers with whichever tools the request offers.
   */
  model?: string;
}

export function cliSetup(cli: AgentCli, { url, home, prompt, model }: CliSetupOptions): CliSetup {
  switch (cli) {
    case 'claude':
      return {
        env: {
          ANTHROPIC_BASE_URL: url,
          ANTHROPIC_API_KEY: 'x',
          CLAUDE_CONFIG_DIR: home,
          // --permission-mode bypassPermissions is refused as root unless the CLI is told it runs in a sandbox
          IS_SANDBOX: '1',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        },
        args: ['-p', prompt, '--output-format', 'stream-json', '--verbose', '--permission-mode', 'bypassPermissions', ...(model ? ['--model', model] : [])],
        files: {},
      };
    case 'codex':
      return {
        env: { CODEX_HOME: home, [CODEX_KEY_VAR]: 'x' },
        // Codex ignores OPENAI_BASE_URL: a provider of our own, selected with model_provider
        args: ['exec', '--json', '-s', 'workspace-write', '--skip-git-repo-check', ...(model ? ['-m', model] : []), ...codexProviderArgs(url), prompt],
        files: {},
      };
    case 'gemini':
      return {
        env: { GEMINI_CLI_HOME: home, GOOGLE_GEMINI_BASE_URL: url, GEMINI_API_KEY: 'x', GEMINI_CLI_TRUST_WORKSPACE: 'true' },
        args: ['-p', prompt, '--output-format', 'stream-json', '--approval-mode', 'yolo', ...(model ? ['-m', model] : [])],
        // without it Gemini CLI asks which authentication to use; GEMINI_CLI_HOME replaces ~ (so ~/.gemini)
        files: { [join(home, '.gemini', 'settings.json')]: `${JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }, null, 2)}\n` },
      };
  }
}

/** Codex's `-c` options that define the provider `hive` (the model server's Responses API) and select it. */
export function codexProviderArgs(url: string): string[] {
  return [
    '-c', 'model_providers.hive.name="hive"',
    '-c', `model_providers.hive.base_url="${url}/v1"`,
    '-c', 'model_providers.hive.wire_api="responses"',
    '-c', `model_providers.hive.env_key="${CODEX_KEY_VAR}"`,
    '-c', 'model_provider="hive"',
  ];
}

/** The preset runtimes that can be pointed at the model server, and the CLI each one runs. Aider cannot (see below). */
export const PRESET_CLIS: Readonly<Partial<Record<PresetTool, AgentCli>>> = { 'claude-code': 'claude', codex: 'codex', gemini: 'gemini' };

/**
 * Variables of an agent's own `env` that could send its CLI to a real model API or account (a key, a base URL,
 * a cloud provider switch): dropped when the agent is pointed at the model server, so a dry run stays offline.
 */
export const MODEL_API_ENV = /^(ANTHROPIC_|CLAUDE_|OPENAI_|AZURE_OPENAI|CODEX_|GEMINI_|GOOGLE_|VERTEX|AWS_|CLOUD_ML_|IS_SANDBOX$)/;

/** The default permission mode of a preset pointed at the model server when the agent sets none: the scripted tools run unattended. */
export const SCRIPTED_PERMISSION_MODE: Readonly<Partial<Record<PresetTool, string>>> = { 'claude-code': 'bypassPermissions', gemini: 'yolo' };

export interface ScriptedAgent {
  /** The agent, its CLI now talking to the model server. */
  spec: AgentSpec;
  /** Files to write before the agent runs (absolute path → content): Gemini CLI's settings. */
  files: Record<string, string>;
}

/**
 * Rewrites a preset agent (claude-code, codex, gemini) so that its real CLI talks to the model server at `url`
 * and keeps its state in `home` (a fresh directory of its own): the variables of cliSetup() are added to the
 * agent's env (after dropping MODEL_API_ENV ones), Codex gets its provider through `-c` options after the
 * agent's extra_args, and an agent without a permission mode gets SCRIPTED_PERMISSION_MODE. Everything else
 * (binary, model, workdir, workspace, limits, slots, capabilities) is kept. Returns null for any other agent:
 * command, worker and inline agents run as they are, and Aider has no model API the server speaks (it talks to
 * Chat Completions through litellm). Used by `hive run --scripted-model` and the real-CLI watchdog tests.
 */
export function scriptedAgent(spec: AgentSpec, opts: { url: string; home: string }): ScriptedAgent | null {
  const rt = spec.runtime;
  const cli = PRESET_CLIS[rt.kind as PresetTool];
  if (!cli || (rt.kind !== 'claude-code' && rt.kind !== 'codex' && rt.kind !== 'gemini')) return null;
  const setup = cliSetup(cli, { url: opts.url, home: opts.home, prompt: '' });
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.env)) if (!MODEL_API_ENV.test(k)) env[k] = v;
  const permissionMode = rt.permissionMode ?? SCRIPTED_PERMISSION_MODE[rt.kind];
  return {
    spec: {
      ...spec,
      env: { ...env, ...setup.env },
      runtime: {
        ...rt,
        ...(permissionMode !== undefined ? { permissionMode } : {}),
        ...(rt.kind === 'codex' ? { extraArgs: [...(rt.extraArgs ?? []), ...codexProviderArgs(opts.url)] } : {}),
      },
    },
    files: setup.files,
  };
}
