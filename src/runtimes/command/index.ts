import { HiveError } from '../../core/errors.js';
import type { AgentRuntime, RunOutcome, RunRequest, RuntimeEvent, RuntimeFactory, RuntimeSettings } from '../../core/runtime.js';
import type { Agent } from '../../core/types.js';
import { failure } from '../outcomes.js';
import { runCommandAttempt, type PreparedCommand } from './attempt.js';
import { compileCommand } from './template.js';

/**
 * The `command` runtime: one process (group) per attempt, from the agent's command template. The template is
 * compiled once per agent; an invalid one fails start() and every run with SPAWN_FAILED.
 */
class CommandRuntime implements AgentRuntime {
  readonly kind = 'command';
  private readonly prepared: PreparedCommand | HiveError;

  constructor(agent: Agent, settings: RuntimeSettings) {
    const spec = agent.runtime;
    if (spec.kind !== 'command') throw new HiveError('RUNTIME_UNKNOWN', `agent ${agent.name} has a ${spec.kind} runtime, not command`);
    try {
      this.prepared = { template: compileCommand(spec.command, spec.shell), env: { ...settings.baseEnv, ...agent.env }, settings };
    } catch (err) {
      this.prepared = new HiveError('SPAWN_FAILED', `agent ${agent.name}: ${(err as Error).message}`, { cause: err });
    }
  }

  start(): Promise<void> {
    return this.prepared instanceof HiveError ? Promise.reject(this.prepared) : Promise.resolve();
  }

  run(req: RunRequest, emit: (e: RuntimeEvent) => void): Promise<RunOutcome> {
    if (this.prepared instanceof HiveError) return Promise.resolve(failure('SPAWN_FAILED', this.prepared.message));
    return runCommandAttempt(this.prepared, req, emit);
  }

  /** Attempts own their processes and were aborted before stop(); nothing else is long-lived. */
  stop(): Promise<void> {
    return Promise.resolve();
  }
}

export const createCommandRuntime: RuntimeFactory = (agent, _host, settings) => new CommandRuntime(agent, settings);
