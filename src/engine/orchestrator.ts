import { systemClock, type Clock } from '../core/clock.js';
import { HiveError, validationError, type FieldIssue } from '../core/errors.js';
import { resolveAgentSpec } from '../core/agent-input.js';
import type { ResolvedOptions } from '../core/options.js';
import type { ProcessControl, RuntimeFactory } from '../core/runtime.js';
import type { AgentSpec, EnqueueResult, NodeInfo, StatusCounts, Store, TaskFilter } from '../core/store.js';
import { resolveTaskInput, type TaskInput } from '../core/task-input.js';
import { TASK_STATUSES, type Agent, type Attempt, type HiveEvent, type Task } from '../core/types.js';
import { WorkflowService } from './workflows.js';
import { HookService } from './hooks.js';
import type { HookExecutor, HookSpec } from '../core/hooks.js';
import { EventFeed } from './event-feed.js';
import { recover, type RecoveryReport } from './recovery.js';
import { Scheduler, type LiveListener, type SchedulerStats } from './scheduler.js';
import { Supervisor } from './supervisor.js';
import { LIVE_TASK_STATUSES, storedAgentSpec, workspaceOf, workspacePlace, type WorkspacePort, type WorktreeStatus } from '../core/workspace.js';

export interface OrchestratorDeps {
  store: Store;
  options: ResolvedOptions;
  runtimes: Record<string, RuntimeFactory>;
  processes: ProcessControl;
  /** This orchestrator's identity (pid + start time) for the one-node-per-data-dir guard. */
  node: NodeInfo;
  /** Environment agent processes start from (an allow-listed copy of ours). */
  baseEnv: Record<string, string>;
  clock?: Clock;
  /** Errors of background loops (they never stop the engine). Default: written to stderr. */
  onError?: (err: unknown) => void;
  /** Status hooks run while this orchestrator runs (none by default). */
  hooks?: { specs: HookSpec[]; executor: HookExecutor };
  /** Git workspaces (worktree per task, shared repository) and the allowed-roots checks; none: agents with a workspace are not checked and run in their workdir. */
  workspaces?: WorkspacePort;
}

export type OrchestratorState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * The one orchestrator. Its services: the supervisor (agent runtimes and status), the scheduler (ready
 * tasks → free slots, attempt reports), timers (retry promotion, schedule timeouts, lease renewal, the lease
 * reaper, changes made by other processes) and crash recovery at start. All state lives in the store; the
 * methods below are the whole API the CLI (and, later, HTTP) call. Without start(), the same methods work
 * on the store alone (that is how the CLI acts on a data dir while no `hive up` runs).
 */
export class Orchestrator {
  state: OrchestratorState = 'idle';
  readonly store: Store;
  readonly options: ResolvedOptions;
  private readonly clock: Clock;
  private readonly supervisor: Supervisor;
  private readonly scheduler: Scheduler;
  private readonly feed: EventFeed;
  private readonly hooks: HookService | null;
  /** Workflow definitions and runs (engine/workflows.ts). */
  readonly workflows: WorkflowService;
  private readonly onError: (err: unknown) => void;
  private timers: NodeJS.Timeout[] = [];
  private busy = new Set<string>();
  private stopping: Promise<void> | null = null;
  private starting: Promise<RecoveryReport> | null = null;
  private readonly inFlight = new Map<string, Promise<void>>();
  private drainUntil = 0;

  constructor(private readonly deps: OrchestratorDeps) {
    this.store = deps.store;
    this.options = deps.options;
    this.clock = deps.clock ?? systemClock;
    this.onError = deps.onError ?? ((err) => process.stderr.write(`hive: ${(err as Error)?.stack ?? err}\n`));
    this.feed = new EventFeed(this.store, this.onError);
    this.supervisor = new Supervisor(
      this.store,
      deps.runtimes,
      { killGraceMs: deps.options.killGraceMs, outputTailBytes: deps.options.outputTailBytes, baseEnv: deps.baseEnv, prices: deps.options.prices, spawner: deps.options.spawner },
      this.clock,
      () => this.scheduler.wake(),
      this.onError,
    );
    this.scheduler = new Scheduler(this.store, this.supervisor, this.options, this.clock, this.onError, () => this.feed.poke(), deps.workspaces ?? null);
    this.hooks = deps.hooks?.specs.length ? new HookService(deps.hooks.specs, deps.hooks.executor, this.store, this.clock, this.onError, (agent, taskId) => this.placeOf(agent, taskId)) : null;
    this.workflows = new WorkflowService(this.store, this.clock, this.options.taskDefaults, {
      wake: () => this.scheduler.wake(),
      abort: (taskId, attempt, reason) => this.scheduler.abort(taskId, new HiveError('CANCELLED', reason), attempt),
      poke: () => this.feed.poke(),
    });
  }

  get stats(): Readonly<SchedulerStats> {
    return this.scheduler.stats;
  }

  // ------------------------------------------------------------------ lifecycle

  /**
   * Takes the data directory (ALREADY_RUNNING if another node holds it), registers `agents` (from hive.yaml),
   * recovers from a crashed predecessor, starts the agents, and begins dispatching.
   */
  start(opts: { agents?: AgentSpec[] } = {}): Promise<RecoveryReport> {
    if (this.state !== 'idle') return Promise.reject(new HiveError('INVALID_TRANSITION', `the orchestrator is ${this.state}; start() runs once`));
    this.state = 'starting';
    this.starting = this.startUp(opts);
    return this.starting;
  }

  private async startUp(opts: { agents?: AgentSpec[] }): Promise<RecoveryReport> {
    const { processes, node } = this.deps;
    let owned = false;
    let report: RecoveryReport;
    try {
      await this.store.acquireNode(node, this.clock.now(), (n) => n.host === node.host && processes.isAlive(n.pid, n.pidStart));
      owned = true;
      // agents from configuration are registered only once this node owns the data directory
      for (const a of opts.agents ?? []) await this.register(a);
      report = await recover(this.store, processes, this.options.dataDir, this.options.killGraceMs, this.clock);
      await this.store.changedElsewhere();
      await this.supervisor.sync();
    } catch (err) {
      // leave nothing behind: no agent running, the data directory free again
      await this.supervisor.stopAll(this.options.killGraceMs).catch(this.onError);
      if (owned) await this.store.releaseNode(node.id, this.clock.now()).catch(this.onError);
      this.state = 'stopped';
      throw err;
    }
    this.state = 'running';
    this.scheduler.paused = false;
    await this.hooks?.start((l) => this.subscribe(l)).catch(this.onError);
    this.every(this.options.pollMs, 'poll', () => this.poll());
    this.every(this.options.reapIntervalMs, 'reap', () => this.reap());
    this.every(Math.max(10, Math.floor(this.options.leaseMs / 3)), 'lease', () => this.renewLeases());
    this.scheduler.wake();
    this.feed.poke();
    return report;
  }

  /**
   * Stops dispatching, lets running attempts finish for up to `drainMs`, then aborts the rest (SHUTDOWN:
   * they are retried by the next start), stops the agents and releases the data directory.
   */
  async stop(opts: { drainMs?: number } = {}): Promise<void> {
    const drainMs = opts.drainMs ?? this.options.drainMs;
    if (this.state === 'stopping' && this.stopping) {
      // A second stop (e.g. a second SIGTERM) shortens the drain.
      this.drainUntil = Math.min(this.drainUntil, Date.now() + drainMs);
      return this.stopping;
    }
    if (this.state === 'starting') await this.starting?.catch(() => undefined);
    if (this.state !== 'running') return;
    this.state = 'stopping';
    this.scheduler.paused = true;
    this.supervisor.closed = true; // no agent (re)starts while draining
    this.drainUntil = Date.now() + drainMs;
    this.stopping = this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    while (this.supervisor.runningCount() > 0 && Date.now() < this.drainUntil) await sleep(20);
    for (const e of this.supervisor.executions()) e.abort.abort(new HiveError('SHUTDOWN', 'the orchestrator is stopping'));
    const hard = Date.now() + this.options.killGraceMs + 2_000;
    while (this.supervisor.runningCount() > 0 && Date.now() < hard) await sleep(10);
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await Promise.all(this.inFlight.values()); // a poll or reap under way finishes before the agents stop
    await this.supervisor.stopAll(this.options.killGraceMs);
    await this.store.releaseNode(this.deps.node.id, this.clock.now());
    await this.feed.pump();
    await this.hooks?.stop(2_000); // hooks of the last events get a moment to run
    this.state = 'stopped';
  }

  /** Stops (if running) and closes the store. */
  async close(opts: { drainMs?: number } = {}): Promise<void> {
    await this.stop(opts);
    await this.store.close();
  }

  private every(ms: number, name: string, fn: () => Promise<void>): void {
    this.timers.push(
      setInterval(() => {
        // timers keep running while draining: leases must be renewed, CLI cancels noticed
        if (this.busy.has(name) || (this.state !== 'running' && this.state !== 'stopping')) return;
        this.busy.add(name);
        const p = fn()
          .catch(this.onError)
          .finally(() => {
            this.busy.delete(name);
            this.inFlight.delete(name);
          });
        this.inFlight.set(name, p);
      }, ms),
    );
  }

  private async poll(): Promise<void> {
    if (await this.store.changedElsewhere()) {
      await this.supervisor.sync();
      await this.abortSettledElsewhere();
      this.scheduler.wake();
      this.feed.poke();
    }
    if ((await this.store.promoteReady(this.clock.now())) > 0) this.feed.poke();
    // every poll with free slots claims again, so a failed claim (e.g. a busy store) is retried
    this.scheduler.wake();
  }

  /** Another process (the CLI) cancelled or reassigned an attempt running here: stop its process. */
  private async abortSettledElsewhere(): Promise<void> {
    for (const e of this.scheduler.running()) {
      const t = await this.store.getTask(e.taskId).catch(() => null);
      if (!t || t.status !== 'running' || t.attempts !== e.attempt) {
        e.abort.abort(new HiveError('CANCELLED', `task ${e.taskId} attempt ${e.attempt} was settled by another process`));
      }
    }
  }

  private async reap(): Promise<void> {
    const now = this.clock.now();
    const reaped = await this.store.reapExpired(now);
    for (const r of reaped) this.scheduler.abort(r.taskId, new HiveError('LEASE_EXPIRED', `lease of task ${r.taskId} attempt ${r.attempt} expired`), r.attempt);
    const expired = await this.store.expireUnscheduled(now);
    if (reaped.length || expired) {
      this.scheduler.wake();
      this.feed.poke();
    }
  }

  private async renewLeases(): Promise<void> {
    const running = this.scheduler.running().map((e) => ({ taskId: e.taskId, attempt: e.attempt }));
    if (running.length) await this.store.renewLeases(running, this.clock.now() + this.options.leaseMs);
  }

  // ------------------------------------------------------------------ tasks

  /** Validates and enqueues one or many tasks in one transaction (refs let them depend on each other). */
  async submit(inputs: TaskInput[]): Promise<EnqueueResult[]> {
    if (!Array.isArray(inputs) || inputs.length === 0) throw validationError([{ path: 'tasks', message: 'expected a non-empty array of tasks' }], 'tasks');
    const many = inputs.length > 1;
    const tasks = inputs.map((t, i) => resolveTaskInput(t, this.options.taskDefaults, many ? `tasks.${i}` : ''));
    const out = await this.store.enqueue(tasks, this.clock.now());
    this.scheduler.wake();
    this.feed.poke();
    return out;
  }

  async enqueue(input: TaskInput): Promise<Task> {
    return (await this.submit([input]))[0].task;
  }

  getTask(id: number): Promise<Task> {
    return this.store.getTask(id);
  }

  async listTasks(filter: TaskFilter = {}): Promise<Task[]> {
    const issues = [
      ...checkInt(filter.limit, 'limit', 1, 10_000),
      ...checkInt(filter.afterId, 'afterId', 0, Number.MAX_SAFE_INTEGER),
      ...(filter.capability !== undefined && typeof filter.capability !== 'string' ? [{ path: 'capability', message: 'expected a string' }] : []),
      ...(filter.agent !== undefined && typeof filter.agent !== 'string' ? [{ path: 'agent', message: 'expected a string' }] : []),
      ...(filter.status !== undefined && (!Array.isArray(filter.status) || filter.status.some((s) => !TASK_STATUSES.includes(s))) ? [{ path: 'status', message: `expected statuses among ${TASK_STATUSES.join(', ')}` }] : []),
    ];
    if (issues.length) throw validationError(issues, 'filter');
    return this.store.listTasks(filter);
  }

  attempts(taskId: number): Promise<Attempt[]> {
    return this.store.listAttempts(taskId);
  }

  /** Cancels a task; a running attempt's process group is killed. */
  async cancel(taskId: number, reason = 'cancelled by user'): Promise<Task> {
    const before = await this.store.cancel(taskId, reason, this.clock.now());
    if (before.status === 'running') this.scheduler.abort(taskId, new HiveError('CANCELLED', reason), before.attempts);
    this.scheduler.wake();
    this.feed.poke();
    return this.store.getTask(taskId);
  }

  async retry(taskId: number): Promise<Task> {
    const t = await this.store.retry(taskId, this.clock.now());
    this.scheduler.wake();
    this.feed.poke();
    return t;
  }

  async requeueDead(filter: { ids?: number[]; capability?: string; limit?: number } = {}): Promise<number[]> {
    const issues = [
      ...checkInt(filter.limit, 'limit', 1, 1_000_000),
      ...(filter.ids !== undefined && (!Array.isArray(filter.ids) || filter.ids.some((i) => !Number.isSafeInteger(i) || i < 1)) ? [{ path: 'ids', message: 'expected an array of task ids' }] : []),
    ];
    if (issues.length) throw validationError(issues, 'filter');
    const ids = await this.store.requeueDead(this.clock.now(), filter);
    this.scheduler.wake();
    this.feed.poke();
    return ids;
  }

  // ------------------------------------------------------------------ agents

  async registerAgent(spec: AgentSpec): Promise<Agent> {
    const a = await this.register(resolveAgentSpec(spec));
    if (this.state === 'running') await this.supervisor.sync();
    this.feed.poke();
    return this.store.getAgent(a.id);
  }

  /**
   * Stores a (validated) agent definition once its workspace checks pass: workdir and workspace inside the allowed
   * roots, the repository a git top level, no other agent on its shared repository or worktrees (CONFLICT).
   */
  private async register(spec: AgentSpec): Promise<Agent> {
    if (this.deps.workspaces) await this.deps.workspaces.check(spec, await this.store.listAgents());
    return this.store.registerAgent(storedAgentSpec(spec), this.clock.now());
  }

  /** Where a task of an agent running here works (hook payloads): its worktree and branch, or null. */
  private placeOf(agent: string, taskId: number): { worktree: string; branch: string | null } | null {
    for (const h of this.supervisor.handles.values()) {
      if (h.agent.name !== agent) continue;
      const ws = workspaceOf(h.agent);
      return ws ? workspacePlace(ws, agent, taskId, this.options.dataDir) : null;
    }
    return null;
  }

  // ------------------------------------------------------------------ worktrees

  /** Hive's git worktrees on disk, each with its task's status; `live` while the task may still run in it. */
  async worktrees(): Promise<WorktreeStatus[]> {
    if (!this.deps.workspaces) return [];
    const entries = await this.deps.workspaces.list(await this.store.listAgents());
    return Promise.all(
      entries.map(async (e): Promise<WorktreeStatus> => {
        const t = e.taskId === null ? null : await this.store.getTask(e.taskId).catch((err: unknown) => (err instanceof HiveError && err.code === 'TASK_NOT_FOUND' ? null : Promise.reject(err)));
        return { ...e, taskStatus: t?.status ?? null, live: t !== null && LIVE_TASK_STATUSES.includes(t.status) };
      }),
    );
  }

  /** Removes the orphaned worktrees (their task is final or unknown; branches stay); returns them. */
  async pruneWorktrees(opts: { dryRun?: boolean } = {}): Promise<WorktreeStatus[]> {
    const orphans = (await this.worktrees()).filter((w) => !w.live);
    if (!opts.dryRun) for (const w of orphans) await this.deps.workspaces!.remove(w);
    return orphans;
  }

  async removeAgent(nameOrId: string | number, force = false): Promise<Agent> {
    const a = await this.store.removeAgent(nameOrId, this.clock.now(), force);
    if (this.state === 'running') await this.supervisor.sync();
    this.feed.poke();
    return a;
  }

  /** Restarts an agent's runtime on this node (CONFLICT when this orchestrator is not running). */
  async restartAgent(nameOrId: string | number): Promise<Agent> {
    const a = await this.store.getAgent(nameOrId);
    if (this.state !== 'running') throw new HiveError('CONFLICT', `agent ${a.name} can only be restarted by the running orchestrator (this one is ${this.state})`);
    await this.supervisor.restart(a.id);
    this.feed.poke();
    return this.store.getAgent(a.id);
  }

  /**
   * Removes an agent gracefully: at once if it runs nothing; else it goes to maintenance (takes no new tasks),
   * its running attempts finish, then it is removed. Returns whether it was removed already.
   */
  async drainAgent(nameOrId: string | number): Promise<{ agent: Agent; removed: boolean }> {
    const a = await this.store.getAgent(nameOrId);
    if (a.running === 0) return { agent: await this.removeAgent(a.id), removed: true };
    if (this.state !== 'running') {
      throw new HiveError('CONFLICT', `agent ${a.name} runs ${a.running} task(s) and no orchestrator here can drain it; wait, cancel them, or force the removal`, { details: { agent: a.name } });
    }
    const paused = await this.setMaintenance(a.id, true);
    const drained = async (): Promise<void> => {
      while (this.state === 'running' && (await this.store.getAgent(a.id)).running > 0) await sleep(this.options.pollMs);
      if (this.state === 'running') await this.removeAgent(a.id);
    };
    drained().catch(this.onError);
    return { agent: paused, removed: false };
  }

  /** Maintenance: the agent takes no new tasks (running ones finish); `false` makes it active again. */
  async setMaintenance(nameOrId: string | number, on: boolean): Promise<Agent> {
    const a = await this.store.getAgent(nameOrId);
    await this.store.setAgentStatus(a.name, on ? 'maintenance' : this.state === 'running' ? 'active' : 'inactive', this.clock.now(), on ? 'maintenance requested' : 'maintenance ended');
    if (this.state === 'running') await this.supervisor.sync();
    this.feed.poke();
    return this.store.getAgent(a.id);
  }

  getAgent(nameOrId: string | number): Promise<Agent> {
    return this.store.getAgent(nameOrId);
  }

  listAgents(): Promise<Agent[]> {
    return this.store.listAgents();
  }

  // ------------------------------------------------------------------ observation

  status(): Promise<StatusCounts> {
    return this.store.counts();
  }

  async events(afterSeq: number, limit = 100, filter: { types?: string[]; subject?: string } = {}): Promise<HiveEvent[]> {
    const issues = [...checkInt(afterSeq, 'after', 0, Number.MAX_SAFE_INTEGER), ...checkInt(limit, 'limit', 1, 10_000)];
    if (issues.length) throw validationError(issues, 'event query');
    return this.store.readEvents(afterSeq, limit, filter);
  }

  /** Calls `listener` with every event appended from now on (or after `afterSeq`), in order. */
  subscribe(listener: (e: HiveEvent) => void, afterSeq?: number): Promise<() => void> {
    return this.feed.subscribe(listener, afterSeq);
  }

  /** Log lines and progress of attempts running on this node, as they happen. */
  onLive(listener: LiveListener): () => void {
    this.scheduler.live.add(listener);
    return () => this.scheduler.live.delete(listener);
  }

  /** Progress of attempts running on this node. */
  runningNow(): { taskId: number; attempt: number; agent: string; startedAt: number; progress: { pct?: number; message?: string } | null }[] {
    return this.scheduler.running().map((e) => ({ taskId: e.taskId, attempt: e.attempt, agent: e.agent.agent.name, startedAt: e.startedAt, progress: e.progress }));
  }
}

function checkInt(v: unknown, path: string, min: number, max: number): FieldIssue[] {
  return v === undefined || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max) ? [] : [{ path, message: `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}` }];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
