import type { RuntimeFactory } from '../core/runtime.js';
import { PRESET_TOOLS } from '../core/types.js';
import { createCommandRuntime } from './command/index.js';
import { createInlineRuntime, type InlineFn } from './inline/index.js';
import { createPresetRuntime } from './presets/runtime.js';
import { createWorkerRuntime } from './worker/index.js';

/** The built-in runtimes by kind; `inlineFns` are the functions `inline` agents may name. */
export function defaultRuntimes(inlineFns: Record<string, InlineFn> = {}): Record<string, RuntimeFactory> {
  return {
    command: createCommandRuntime,
    worker: createWorkerRuntime,
    inline: createInlineRuntime(inlineFns),
    // the coding-agent CLIs: claude-code, codex, gemini, aider
    ...Object.fromEntries(PRESET_TOOLS.map((tool) => [tool, createPresetRuntime])),
  };
}
