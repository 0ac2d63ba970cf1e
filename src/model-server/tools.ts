import { isAbsolute, join } from 'node:path';
import type { ToolCall } from './script.js';

/**
 * Maps the script's neutral tool calls (`write_file {path, content}`, `run_shell {command}`) to the tool each
 * CLI really offers, looking at the tools the request advertises. Any other name is passed through unchanged.
 */

/** Claude Code: `Write {file_path, content}` (the path must be absolute) and `Bash {command}`. */
export function anthropicToolCall(call: ToolCall, workdir: string | null): { name: string; input: Record<string, unknown> } {
  if (call.name === 'write_file') {
    const path = String(call.args.path);
    return { name: 'Write', input: { file_path: workdir && !isAbsolute(path) ? join(workdir, path) : path, content: call.args.content } };
  }
  if (call.name === 'run_shell') return { name: 'Bash', input: { command: call.args.command, description: 'Run a scripted command' } };
  return { name: call.name, input: call.args };
}

/** Gemini CLI: `write_file {file_path, content}` and `run_shell_command {command}`. */
export function geminiToolCall(call: ToolCall): { name: string; args: Record<string, unknown> } {
  if (call.name === 'write_file') return { name: 'write_file', args: { file_path: call.args.path, content: call.args.content } };
  if (call.name === 'run_shell') return { name: 'run_shell_command', args: { command: call.args.command } };
  return { name: call.name, args: call.args };
}

/** A Responses API tool call: a JSON `function_call` or a freeform `custom_tool_call`. */
export type OpenAiToolCall = { kind: 'function'; name: string; arguments: string } | { kind: 'custom'; name: string; input: string };

/**
 * Codex CLI. What Codex offers depends on its model: with a model it knows to use freeform patches (gpt-5.5 in
 * Codex 0.169) a custom `apply_patch` tool and an `exec_command {cmd}` function; older versions had
 * `shell {command: argv}` or `shell_command {command}`; its code-mode models offer only a custom `exec` tool
 * that runs JavaScript calling `tools.apply_patch(...)` and `tools.exec_command(...)`. `offered` maps each
 * offered tool name to its type (`function` or `custom`).
 */
export function openAiToolCall(call: ToolCall, offered: Map<string, string>): OpenAiToolCall {
  if (call.name === 'write_file') {
    const patch = addFilePatch(String(call.args.path), String(call.args.content));
    if (offered.get('apply_patch') === 'custom') return { kind: 'custom', name: 'apply_patch', input: patch };
    if (offered.get('apply_patch') === 'function') return { kind: 'function', name: 'apply_patch', arguments: JSON.stringify({ input: patch }) };
    if (offered.has('exec') && !offered.has('exec_command') && !offered.has('shell_command') && !offered.has('shell')) {
      return { kind: 'custom', name: 'exec', input: `text(await tools.apply_patch(${JSON.stringify(patch)}));\n` };
    }
    return shellCall(`cat > ${shellQuote(String(call.args.path))} <<'HIVE_EOF'\n${String(call.args.content).replace(/\n$/, '')}\nHIVE_EOF`, offered);
  }
  if (call.name === 'run_shell') return shellCall(String(call.args.command), offered);
  return offered.get(call.name) === 'custom'
    ? { kind: 'custom', name: call.name, input: typeof call.args.input === 'string' ? call.args.input : JSON.stringify(call.args) }
    : { kind: 'function', name: call.name, arguments: JSON.stringify(call.args) };
}

function shellCall(command: string, offered: Map<string, string>): OpenAiToolCall {
  if (offered.has('exec_command')) return { kind: 'function', name: 'exec_command', arguments: JSON.stringify({ cmd: command }) };
  if (offered.has('shell_command')) return { kind: 'function', name: 'shell_command', arguments: JSON.stringify({ command }) };
  if (offered.has('shell')) return { kind: 'function', name: 'shell', arguments: JSON.stringify({ command: ['bash', '-lc', command] }) };
  if (offered.has('exec')) return { kind: 'custom', name: 'exec', input: `text(await tools.exec_command({ cmd: ${JSON.stringify(command)} }));\n` };
  return { kind: 'function', name: 'exec_command', arguments: JSON.stringify({ cmd: command }) };
}

/** An apply_patch `*** Add File:` hunk: every line of the content prefixed with `+` (the file ends with a newline). */
export function addFilePatch(path: string, content: string): string {
  const lines = content.replace(/\n$/, '').split('\n');
  return `*** Begin Patch\n*** Add File: ${path}\n${lines.map((l) => `+${l}`).join('\n')}\n*** End Patch\n`;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
