import { DISPATCHABLE } from '../core/agent-state.js';
import { HiveError } from '../core/errors.js';
import type { SlotOffer } from '../core/routing.js';
import type { AgentRuntime, RuntimeFactory, RuntimeSettings } from '../core/runtime.js';
import type { Store } from '../core/store.js';
import type { Agent, Usage } from '../core/types.js';
import type { Clock } from '../core/clock.js';
import type { PreparedWorkspace } from '../core/workspace.js';
import type { LazyAbort } from '../core/abort.js';

export const execKey = (taskId: number, attempt: number): string => `${taskId}:${attempt}`;

/** One attempt running on this node. */
export interface Execution {
  taskId: number;
  attempt: number;
  agent: AgentHandle;
  /** Aborted on cancel, lease loss, shutdown or the agent's removal (its AbortSignal is made on first use). */
  abort: LazyAbort;
  usage: Usage;
  result: unknown;
  startedAt: number;
  progress: { pct?: number; message?: string } | null;
  logPath: string | null;
  /** The attempt's git workspace, once prepared (agents with a `workspace`). */
  workspace?: PreparedWorkspace;
}

/** An agent this node runs: its definition, its runtime, and the attempts it runs now. */
export interface AgentHandle {
  agent: Agent;
  caps: ReadonlySet<string>;
  runtime: AgentRuntime;
  /** Keyed by `taskId:attempt`: a re-claimed task may start again while its aborted attempt still dies. */
  running: Map<string, Execution>;
  ready: boolean;
  /** updatedAt of the definition the runtime was built from (a change restarts the runtime). */
  version: number;
}

/**
 * The supervisor: starts one runtime per agent, tracks agent status (starting → active, error, stopped)
 * in the store, offers free slots to the scheduler, and follows agent changes made by other processes.
 */
export class Supervisor {
  readonly handles = new Map<number, AgentHandle>();
  private syncing: Promise<void> = Promise.resolve();
  /** Set when the node stops: no agent starts after that. */
  closed = false;

  constructor(
    private readonly store: Store,
    private readonly runtimes: Record<string, RuntimeFactory>,
    private readonly settings: RuntimeSettings,
    private readonly clock: Clock,
    private readonly onReady: () => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Free slots of every ready, dispatchable agent. */
  offers(): SlotOffer[] {
    const out: SlotOffer[] = [];
    for (const h of this.handles.values()) {
      const free = h.agent.slots - h.running.size;
      if (h.ready && free > 0 && DISPATCHABLE.includes(h.agent.status)) {
        out.push({ agentId: h.agent.id, name: h.agent.name, capabilities: h.caps, free, recentFailures: h.agent.recentFailures });
      }
    }
    return out;
  }

  get(agentId: number): AgentHandle | undefined {
    return this.handles.get(agentId);
  }

  runningCount(): number {
    let n = 0;
    for (const h of this.handles.values()) n += h.running.size;
    return n;
  }

  *executions(): IterableIterator<Execution> {
    for (const h of this.handles.values()) yield* h.running.values();
  }

  private async setStatus(name: string, to: Agent['status'], reason?: string): Promise<void> {
    try {
      await this.store.setAgentStatus(name, to, this.clock.now(), reason);
    } catch (err) {
      this.onError(err);
    }
  }

  /**
   * Brings the running set in line with the store: starts new agents, restarts changed ones, stops removed
   * ones (their attempts are aborted with AGENT_REMOVED), and refreshes status and counters of the rest.
   */
  sync(): Promise<void> {
    // one at a time: two overlapping syncs could start the same agent twice
    const next = this.syncing.then(() => this.syncOnce());
    this.syncing = next.catch(() => undefined);
    return next;
  }

  private async syncOnce(): Promise<void> {
    if (this.closed) return;
    const agents = await this.store.listAgents();
    const seen = new Set<number>();
    for (const a of agents) {
      seen.add(a.id);
      const h = this.handles.get(a.id);
      if (h && h.version === a.updatedAt) continue;
      if (h && sameDefinition(h.agent, a)) {
        h.agent = a;
        h.version = a.updatedAt;
        // maintenance ended from another process (`hive agent resume` sets inactive): take tasks again
        if (h.ready && (a.status === 'inactive' || a.status === 'stopped')) {
          await this.toStatus(a, 'starting');
          await this.setStatus(a.name, 'active', 'maintenance ended');
          await this.refresh(h);
        }
        continue;
      }
      if (h) await this.stopHandle(h, 'AGENT_CHANGED');
      if (a.status === 'maintenance') continue;
      await this.startAgent(a);
    }
    for (const h of [...this.handles.values()]) if (!seen.has(h.agent.id)) await this.stopHandle(h, 'AGENT_REMOVED');
  }

  /** Stops the agent's runtime (its running attempts end with SHUTDOWN and are retried) and starts it again. */
  restart(agentId: number): Promise<void> {
    const next = this.syncing.then(async () => {
      const h = this.handles.get(agentId);
      if (h) await this.stopHandle(h, 'AGENT_CHANGED');
      const a = await this.store.getAgent(agentId);
      if (a.status !== 'maintenance') await this.startAgent(a);
    });
    this.syncing = next.catch(() => undefined);
    return next;
  }

  private async startAgent(a: Agent): Promise<void> {
    const factory = this.runtimes[a.runtime.kind];
    if (!factory) {
      await this.toStatus(a, 'error', `runtime ${JSON.stringify(a.runtime.kind)} is not installed (known: ${Object.keys(this.runtimes).join(', ')})`);
      return;
    }
    const handle: AgentHandle = {
      agent: a,
      // every agent also holds `agent:<its name>`, so a task (or workflow step) can be pinned to it
      caps: new Set([...a.capabilities, `agent:${a.name}`]),
      runtime: undefined as unknown as AgentRuntime,
      running: new Map(),
      ready: false,
      version: a.updatedAt,
    };
    handle.runtime = factory(a, {
      onAgentStatus: (status, reason) => {
        if (this.handles.get(a.id) !== handle) return; // a replaced or stopped runtime
        handle.ready = status === 'active';
        // a worker restart must not end a pause (maintenance) or a shutdown
        if (['maintenance', 'shutting_down', 'stopped'].includes(handle.agent.status)) return;
        void this.setStatus(a.name, status, reason).then(() => this.refresh(handle));
        if (handle.ready) this.onReady();
      },
    }, this.settings);
    this.handles.set(a.id, handle);
    await this.toStatus(a, 'starting');
    try {
      await handle.runtime.start();
      handle.ready = true;
      await this.setStatus(a.name, 'active');
      await this.refresh(handle);
      this.onReady();
    } catch (err) {
      await this.setStatus(a.name, 'error', err instanceof Error ? err.message : String(err));
      await this.refresh(handle);
    }
  }

  /** Moves an agent to `to` through the transitions the table allows (e.g. active → stopped → starting). */
  private async toStatus(a: Agent, to: Agent['status'], reason?: string): Promise<void> {
    const from = a.status === 'busy' ? 'active' : a.status;
    if (to === 'starting' && !['inactive', 'stopped', 'error', 'maintenance'].includes(from)) await this.setStatus(a.name, 'stopped', 'orchestrator restarted');
    await this.setStatus(a.name, to, reason);
  }

  private async refresh(h: AgentHandle): Promise<void> {
    try {
      h.agent = await this.store.getAgent(h.agent.id);
    } catch (err) {
      if (!(err instanceof HiveError && err.code === 'AGENT_NOT_FOUND')) this.onError(err);
    }
  }

  private async stopHandle(h: AgentHandle, code: 'AGENT_REMOVED' | 'AGENT_CHANGED' | 'SHUTDOWN', graceMs = this.settings.killGraceMs): Promise<void> {
    this.handles.delete(h.agent.id);
    h.ready = false;
    for (const e of h.running.values()) e.abort.abort(new HiveError(code === 'AGENT_CHANGED' ? 'SHUTDOWN' : code, `agent ${h.agent.name} ${code === 'AGENT_REMOVED' ? 'was removed' : 'is restarting'}`));
    try {
      await h.runtime.stop(graceMs);
    } catch (err) {
      this.onError(err);
    }
    if (code !== 'AGENT_REMOVED' && h.agent.status !== 'maintenance') {
      await this.setStatus(h.agent.name, 'shutting_down');
      await this.setStatus(h.agent.name, 'stopped');
    }
  }

  async stopAll(graceMs: number): Promise<void> {
    this.closed = true;
    await this.syncing;
    await Promise.all([...this.handles.values()].map((h) => this.stopHandle(h, 'SHUTDOWN', graceMs)));
  }
}

function sameDefinition(a: Agent, b: Agent): boolean {
  return (
    a.name === b.name &&
    a.slots === b.slots &&
    a.workdir === b.workdir &&
    JSON.stringify([a.capabilities, a.runtime, a.env, a.limits]) === JSON.stringify([b.capabilities, b.runtime, b.env, b.limits])
  );
}
