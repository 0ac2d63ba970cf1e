/**
 * The headless command line of each coding-agent CLI, built from an agent's preset options. Pure. The flags and
 * why each is there: docs/agents.md ("Running the CLIs as agents").
 */
import type { PresetRuntimeSpec, PresetTool } from '../../core/types.js';

/** The executable run when the agent sets no `binary`: looked up on the agent's PATH. */
export const DEFAULT_BINARIES: Readonly<Record<PresetTool, string>> = { 'claude-code': 'claude', codex: 'codex', gemini: 'gemini', aider: 'aider' };

/** `codex exec` runs read-only unless told otherwise; a coding agent needs to write its workdir. */
export const DEFAULT_CODEX_SANDBOX = 'workspace-write';

/**
 * A prompt that starts with `-` would be read as an option by every one of these CLIs; a leading space keeps it
 * an argument (and the models do not care).
 */
function promptArg(prompt: string): string {
  return prompt.startsWith('-') ? ` ${prompt}` : prompt;
}

const opt = (flag: string, value: string | number | undefined): string[] => (value === undefined ? [] : [flag, String(value)]);

/** argv for one run of `spec`'s tool on `prompt`; `resume` is a session id to continue (claude-code and codex only). */
export function presetArgv(spec: PresetRuntimeSpec, prompt: string, resume?: string): string[] {
  const bin = spec.binary ?? DEFAULT_BINARIES[spec.kind];
  const extra = spec.extraArgs ?? [];
  const p = promptArg(prompt);
  switch (spec.kind) {
    case 'claude-code':
      return [
        bin, '-p', p, '--output-format', 'stream-json', '--verbose',
        ...opt('--model', spec.model), ...opt('--permission-mode', spec.permissionMode), ...opt('--max-turns', spec.maxTurns), ...opt('--resume', resume),
        ...extra,
      ];
    case 'codex':
      // options belong to `exec` and go before the `resume` subcommand; stdin is /dev/null (no prompt read from it)
      return [
        bin, 'exec', '--json', ...opt('-m', spec.model), '-s', spec.permissionMode ?? DEFAULT_CODEX_SANDBOX, '--skip-git-repo-check',
        ...extra, ...(resume === undefined ? [] : ['resume', resume]), p,
      ];
    case 'gemini':
      return [bin, '-p', p, '--output-format', 'stream-json', ...opt('--approval-mode', spec.permissionMode), ...opt('-m', spec.model), ...extra];
    case 'aider':
      return [bin, '--message', p, '--yes-always', '--no-stream', '--no-pretty', ...opt('--model', spec.model), ...extra];
  }
}
