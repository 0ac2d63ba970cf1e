import { HiveError } from '../../core/errors.js';
import type { AgentRuntime, RunOutcome, RunRequest, RuntimeEvent, RuntimeFactory, RuntimeSettings } from '../../core/runtime.js';
import type { Agent } from '../../core/types.js';
import { failure } from '../outcomes.js';
import { checkTmux, tmuxLaunchFor } from '../tmux/index.js';
import { watchdogLimits, type WatchdogLimits } from '../watchdog.js';
import { runProcessAttempt } from './attempt.js';
import { CommandOutput } from './output.js';
import { compileCommand, type CommandTemplate, type TemplateVars } from './template.js';

/** What an agent's command runtime prepares once and every attempt shares. */
interface PreparedCommand {
  template: CommandTemplate;
  /** settings.baseEnv + agent.env; the attempt's own env goes on top. */
  env: Record<string, string>;
  watch: WatchdogLimits;
  /** Each attempt in its own tmux session (docs/tmux.md). */
  tmux: boolean;
}

/**
 * The `command` runtime: one process (group) per attempt, from the agent's command template. The template is
 * compiled once per agent; an invalid one fails start() and every run with SPAWN_FAILED.
 */
class CommandRuntime implements AgentRuntime {
  readonly kind = 'command';
  private readonly prepared: PreparedCommand | HiveError;
  private readonly agentName: string;

  constructor(
    agent: Agent,
    private readonly settings: RuntimeSettings,
  ) {
    this.agentName = agent.name;
    const spec = agent.runtime;
    if (spec.kind !== 'command') throw new HiveError('RUNTIME_UNKNOWN', `agent ${agent.name} has a ${spec.kind} runtime, not command`);
    try {
      this.prepared = { template: compileCommand(spec.command, spec.shell), env: { ...settings.baseEnv, ...agent.env }, watch: watchdogLimits(agent, false), tmux: spec.tmux === true };
    } catch (err) {
      this.prepared = new HiveError('SPAWN_FAILED', `agent ${agent.name}: ${(err as Error).message}`, { cause: err });
    }
  }

  start(): Promise<void> {
    if (this.prepared instanceof HiveError) return Promise.reject(this.prepared);
    return this.prepared.tmux ? checkTmux(this.agentName, this.settings.baseEnv) : Promise.resolve();
  }

  run(req: RunRequest, emit: (e: RuntimeEvent) => void): Promise<RunOutcome> {
    const p = this.prepared;
    if (p instanceof HiveError) return Promise.resolve(failure('SPAWN_FAILED', p.message));
    const tailBytes = this.settings.outputTailBytes;
    return runProcessAttempt(
      {
        argv: p.template.argv(p.template.dynamic ? varsOf(req) : {}),
        env: p.env,
        settings: this.settings,
        watch: p.watch,
        ...(p.tmux ? { launch: tmuxLaunchFor(req, this.settings) } : {}),
        output: (e, signals) => new CommandOutput(e, tailBytes, p.template.shell, signals.terminal),
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

function varsOf(req: RunRequest): TemplateVars {
  return {
    prompt: req.task.prompt,
    workdir: req.workdir,
    'task.id': String(req.task.id),
    'task.title': req.task.title,
    attempt: String(req.attempt),
    agent: req.agent.name,
  };
}

export const createCommandRuntime: RuntimeFactory = (agent, _host, settings) => new CommandRuntime(agent, settings);
