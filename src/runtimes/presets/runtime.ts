/**
 * The preset runtimes `claude-code`, `codex`, `gemini` and `aider`: each attempt runs the tool's headless command
 * line (invocation.ts) through the process machinery of the `command` runtime (process group, log file, timeout,
 * abort, watchdogs) and reads its stdout with the tool's stream parser (output.ts). See docs/agents.md.
 */
import { HiveError } from '../../core/errors.js';
import type { PriceOverrides } from '../../core/runtime.js';
import type { AgentRuntime, RunOutcome, RunRequest, RuntimeEvent, RuntimeFactory, RuntimeSettings } from '../../core/runtime.js';
import { PRESET_TOOLS, type Agent, type PresetRuntimeSpec, type PresetTool } from '../../core/types.js';
import { runProcessAttempt } from '../command/attempt.js';
import { checkTmux, tmuxLaunchFor } from '../tmux/index.js';
import { watchdogLimits, type WatchdogLimits } from '../watchdog.js';
import { createAiderParser } from './aider.js';
import { createClaudeCodeParser } from './claude-code.js';
import { createCodexParser } from './codex.js';
import type { StreamParser } from './events.js';
import { createGeminiParser } from './gemini.js';
import { presetArgv } from './invocation.js';
import { PresetOutput } from './output.js';
import { findPreviousSession, type PreviousSession } from './session.js';

export function isPresetTool(kind: string): kind is PresetTool {
  return (PRESET_TOOLS as readonly string[]).includes(kind);
}

/**
 * A parser for one attempt. Claude Code prices from its init message's model (the `--model` given may be an
 * alias such as `sonnet`); Codex prints no model, so the agent's is used; Gemini prefers its init model when priced.
 */
function parserFor(spec: PresetRuntimeSpec, previous: PreviousSession | null, prices: PriceOverrides | undefined): StreamParser {
  const priced = prices && Object.keys(prices).length ? { prices } : {};
  switch (spec.kind) {
    case 'claude-code':
      return createClaudeCodeParser();
    case 'codex':
      return createCodexParser({ ...(spec.model !== undefined ? { model: spec.model } : {}), ...(previous?.codexTotals ? { previousTotals: previous.codexTotals } : {}), ...priced });
    case 'gemini':
      return createGeminiParser({ ...(spec.model !== undefined ? { model: spec.model } : {}), ...priced });
    case 'aider':
      return createAiderParser();
  }
}

class PresetRuntime implements AgentRuntime {
  readonly kind: PresetTool;
  private readonly spec: PresetRuntimeSpec;
  private readonly env: Record<string, string>;
  private readonly watch: WatchdogLimits;
  private readonly agentName: string;

  constructor(
    agent: Agent,
    private readonly settings: RuntimeSettings,
  ) {
    const spec = agent.runtime;
    if (!isPresetTool(spec.kind)) throw new HiveError('RUNTIME_UNKNOWN', `agent ${agent.name} has a ${spec.kind} runtime, not a coding-agent preset`);
    this.spec = spec as PresetRuntimeSpec;
    this.kind = spec.kind;
    this.env = { ...settings.baseEnv, ...agent.env };
    this.watch = watchdogLimits(agent, true);
    this.agentName = agent.name;
  }

  start(): Promise<void> {
    return this.spec.tmux === true ? checkTmux(this.agentName, this.settings.baseEnv) : Promise.resolve();
  }

  run(req: RunRequest, emit: (e: RuntimeEvent) => void): Promise<RunOutcome> {
    const previous = req.task.metadata?.resume === true ? findPreviousSession(this.kind, req.previousLogPaths ?? []) : null;
    if (previous) emit({ type: 'progress', message: `resuming session ${previous.sessionId}` });
    return runProcessAttempt(
      {
        argv: presetArgv(this.spec, req.task.prompt, previous?.sessionId),
        env: this.env,
        settings: this.settings,
        watch: this.watch,
        ...(this.spec.tmux === true ? { launch: tmuxLaunchFor(req, this.settings) } : {}),
        output: (e, signals) =>
          new PresetOutput({
            tool: this.kind,
            parser: parserFor(this.spec, previous, this.settings.prices),
            emit: e,
            terminal: signals.terminal,
            working: signals.working,
            ...(previous ? { resumedSession: previous.sessionId } : {}),
          }),
      },
      req,
      emit,
    );
  }

  /** Attempts own their processes and were aborted before stop(); nothing else is long-lived. */
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

export const createPresetRuntime: RuntimeFactory = (agent, _host, settings) => new PresetRuntime(agent, settings);
