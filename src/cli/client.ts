import { hostname } from 'node:os';
import { HiveError, type ErrorCode } from '../core/errors.js';
import { readFrom } from '../fs/tail.js';
import { agentFromJson, attemptFromJson, taskFromJson, type AgentJson, type TaskJson } from '../core/present.js';
import type { AgentSpec, StatusCounts, TaskFilter, TokenInfo, TokenRole } from '../core/store.js';
import { resolveTaskInput, type TaskInput } from '../core/task-input.js';
import { DEFAULT_OPTIONS } from '../core/options.js';
import { runtimeWithoutWorkspace, workspaceOf } from '../core/workspace.js';
import type { Agent, Attempt, HiveEvent, Task } from '../core/types.js';
import { runFromJson, workflowFromJson, type RunJson, type WorkflowJson } from '../core/present-workflow.js';
import type { RunFilter, Workflow, WorkflowRun } from '../core/workflow.js';
import type { Orchestrator } from '../engine/orchestrator.js';
import { attemptLogPath } from '../engine/scheduler.js';
import { createToken } from '../http/auth.js';
import { isProcessAlive } from '../runtimes/process.js';

/**
 * What the CLI's commands need, on a data directory (LocalClient) or on a `hive up` over HTTP
 * (RemoteClient, with --server and --token). Both give the same objects, so the commands print the same
 * output and exit with the same codes either way.
 */
export interface HiveClient {
  /** The data directory, or the server URL. */
  readonly where: string;
  enqueue(input: TaskInput): Promise<Task>;
  listTasks(filter: TaskFilter): Promise<Task[]>;
  getTask(id: number): Promise<Task>;
  attempts(id: number): Promise<Attempt[]>;
  cancel(id: number, reason: string): Promise<Task>;
  retry(id: number): Promise<Task>;
  requeueDead(filter: { ids?: number[]; capability?: string }): Promise<number[]>;
  registerAgent(spec: AgentSpec): Promise<Agent>;
  listAgents(): Promise<Agent[]>;
  getAgent(nameOrId: string): Promise<Agent>;
  removeAgent(nameOrId: string, force: boolean): Promise<Agent>;
  setMaintenance(nameOrId: string, on: boolean): Promise<Agent>;
  status(): Promise<StatusCounts>;
  events(after: number, limit: number, filter: { types?: string[]; subject?: string }): Promise<HiveEvent[]>;
  lastEventSeq(): Promise<number>;
  /** The log of an attempt from byte `offset` on ('' when there is none yet). */
  logFrom(taskId: number, attempt: number, offset: number): Promise<Buffer | null>;
  createToken(role: TokenRole, name: string): Promise<{ token: string; info: TokenInfo }>;
  listTokens(): Promise<TokenInfo[]>;
  revokeToken(id: number): Promise<TokenInfo>;
  defineWorkflow(doc: unknown): Promise<{ workflow: Workflow; created: boolean }>;
  listWorkflows(): Promise<(Workflow & { versions?: number })[]>;
  getWorkflow(name: string, version?: number): Promise<Workflow>;
  executeWorkflow(name: string, inputs: Record<string, unknown>, version?: number): Promise<WorkflowRun>;
  getRun(id: number): Promise<WorkflowRun>;
  listRuns(filter: RunFilter): Promise<WorkflowRun[]>;
  pauseRun(id: number): Promise<WorkflowRun>;
  resumeRun(id: number): Promise<WorkflowRun>;
  cancelRun(id: number, reason: string): Promise<WorkflowRun>;
  retryRun(id: number): Promise<WorkflowRun>;
  /** Whether a `hive up` runs on this data directory (one serves the remote API, so always true there). */
  orchestratorRunning(): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Whether the last orchestrator that took this data directory still runs: the newest `node.started` event
 * without a later `node.stopped` or `node.lost`, whose process (on this host) is alive. The event log is read
 * backwards in growing windows, so a long log costs a few small reads.
 */
async function liveNode(hive: Orchestrator): Promise<boolean> {
  const last = await hive.store.lastEventSeq();
  const types = ['node.started', 'node.stopped', 'node.lost'];
  for (let window = 1_000; ; window *= 10) {
    const after = Math.max(0, last - window);
    const events: HiveEvent[] = [];
    for (let from = after; ; ) {
      const page = await hive.store.readEvents(from, 10_000, { types });
      events.push(...page);
      if (page.length < 10_000) break;
      from = page[page.length - 1].seq;
    }
    const started = events.filter((e) => e.type === 'node.started').at(-1);
    if (started) {
      if (events.some((e) => e.seq > started.seq && e.subject === started.subject)) return false;
      const d = started.data as { pid?: number; host?: string };
      return d.host === hostname() && typeof d.pid === 'number' && isProcessAlive(d.pid, null);
    }
    if (after === 0) return false;
  }
}

export class LocalClient implements HiveClient {
  readonly where: string;
  constructor(private readonly hive: Orchestrator) {
    this.where = hive.options.dataDir;
  }
  enqueue(input: TaskInput): Promise<Task> { return this.hive.enqueue(input); }
  listTasks(filter: TaskFilter): Promise<Task[]> { return this.hive.listTasks(filter); }
  getTask(id: number): Promise<Task> { return this.hive.getTask(id); }
  attempts(id: number): Promise<Attempt[]> { return this.hive.attempts(id); }
  cancel(id: number, reason: string): Promise<Task> { return this.hive.cancel(id, reason); }
  retry(id: number): Promise<Task> { return this.hive.retry(id); }
  requeueDead(filter: { ids?: number[]; capability?: string }): Promise<number[]> { return this.hive.requeueDead(filter); }
  registerAgent(spec: AgentSpec): Promise<Agent> { return this.hive.registerAgent(spec); }
  listAgents(): Promise<Agent[]> { return this.hive.listAgents(); }
  getAgent(nameOrId: string): Promise<Agent> { return this.hive.getAgent(nameOrId); }
  removeAgent(nameOrId: string, force: boolean): Promise<Agent> { return this.hive.removeAgent(nameOrId, force); }
  setMaintenance(nameOrId: string, on: boolean): Promise<Agent> { return this.hive.setMaintenance(nameOrId, on); }
  status(): Promise<StatusCounts> { return this.hive.status(); }
  events(after: number, limit: number, filter: { types?: string[]; subject?: string }): Promise<HiveEvent[]> { return this.hive.events(after, limit, filter); }
  lastEventSeq(): Promise<number> { return this.hive.store.lastEventSeq(); }
  async logFrom(taskId: number, attempt: number, offset: number): Promise<Buffer | null> {
    return readFrom(attemptLogPath(this.hive.options.dataDir, taskId, attempt), offset);
  }
  createToken(role: TokenRole, name: string): Promise<{ token: string; info: TokenInfo }> { return createToken(this.hive.store, role, name); }
  listTokens(): Promise<TokenInfo[]> { return this.hive.store.listTokens(); }
  revokeToken(id: number): Promise<TokenInfo> { return this.hive.store.revokeToken(id, Date.now()); }
  defineWorkflow(doc: unknown): Promise<{ workflow: Workflow; created: boolean }> { return this.hive.workflows.define(doc); }
  listWorkflows(): Promise<(Workflow & { versions?: number })[]> { return this.hive.workflows.list(); }
  getWorkflow(name: string, version?: number): Promise<Workflow> { return this.hive.workflows.get(name, version); }
  executeWorkflow(name: string, inputs: Record<string, unknown>, version?: number): Promise<WorkflowRun> { return this.hive.workflows.execute(name, inputs, version); }
  getRun(id: number): Promise<WorkflowRun> { return this.hive.workflows.getRun(id); }
  listRuns(filter: RunFilter): Promise<WorkflowRun[]> { return this.hive.workflows.listRuns(filter); }
  pauseRun(id: number): Promise<WorkflowRun> { return this.hive.workflows.pause(id); }
  resumeRun(id: number): Promise<WorkflowRun> { return this.hive.workflows.resume(id); }
  cancelRun(id: number, reason: string): Promise<WorkflowRun> { return this.hive.workflows.cancel(id, reason); }
  retryRun(id: number): Promise<WorkflowRun> { return this.hive.workflows.retry(id); }
  orchestratorRunning(): Promise<boolean> { return liveNode(this.hive); }
  close(): Promise<void> { return this.hive.store.close(); }
}

type Query = Record<string, string | number | undefined>;

export class RemoteClient implements HiveClient {
  constructor(readonly where: string, private readonly token: string) {}

  private async call<T>(method: string, path: string, opts: { query?: Query; body?: unknown; raw?: boolean } = {}): Promise<T> {
    const q = Object.entries(opts.query ?? {}).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&');
    let res: Response;
    try {
      res = await fetch(`${this.where}${path}${q ? `?${q}` : ''}`, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      });
    } catch (err) {
      throw new HiveError('STORE_UNAVAILABLE', `cannot reach ${this.where}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    if (!res.ok) {
      let e: { code?: string; message?: string; details?: Record<string, unknown> } = {};
      try {
        e = (JSON.parse(text) as { error: typeof e }).error ?? {};
      } catch {
        // not a Hive error body
      }
      throw new HiveError((e.code ?? 'INTERNAL') as ErrorCode, e.message ?? `HTTP ${res.status} from ${this.where}${path}`, { details: e.details });
    }
    return (opts.raw ? text : text ? JSON.parse(text) : undefined) as T;
  }

  async enqueue(input: TaskInput): Promise<Task> {
    resolveTaskInput(input, DEFAULT_OPTIONS.taskDefaults); // the same checks and messages as on a data directory
    const r = await this.call<{ tasks: TaskJson[] }>('POST', '/api/v1/tasks', { body: input });
    return taskFromJson(r.tasks[0]);
  }
  async listTasks(f: TaskFilter): Promise<Task[]> {
    // the API pages oldest first; `desc` is served by reading all pages (listings are small in practice)
    const limit = f.limit ?? 100;
    const query: Query = { status: f.status?.join(','), agent: f.agent, capability: f.capability, cursor: f.desc ? undefined : f.afterId, limit: f.desc ? 1000 : Math.min(limit, 1000) };
    if (!f.desc) return (await this.call<{ items: TaskJson[] }>('GET', '/api/v1/tasks', { query })).items.map(taskFromJson);
    const all: Task[] = [];
    for (let cursor: number | null = 0; cursor !== null; ) {
      const page: { items: TaskJson[]; nextCursor: number | null } = await this.call('GET', '/api/v1/tasks', { query: { ...query, cursor } });
      all.push(...page.items.map(taskFromJson));
      cursor = page.nextCursor;
    }
    return all.filter((t) => f.afterId === undefined || t.id < f.afterId).reverse().slice(0, limit);
  }
  async getTask(id: number): Promise<Task> {
    return taskFromJson(await this.call('GET', `/api/v1/tasks/${id}`));
  }
  async attempts(id: number): Promise<Attempt[]> {
    return (await this.call<{ attemptsList: Attempt[] }>('GET', `/api/v1/tasks/${id}`)).attemptsList.map(attemptFromJson);
  }
  async cancel(id: number, reason: string): Promise<Task> {
    return taskFromJson(await this.call('POST', `/api/v1/tasks/${id}/cancel`, { body: { reason } }));
  }
  async retry(id: number): Promise<Task> {
    return taskFromJson(await this.call('POST', `/api/v1/tasks/${id}/retry`));
  }
  async requeueDead(filter: { ids?: number[]; capability?: string }): Promise<number[]> {
    return (await this.call<{ requeued: number[] }>('POST', '/api/v1/dlq/requeue', { body: filter })).requeued;
  }
  async registerAgent(spec: AgentSpec): Promise<Agent> {
    if (spec.runtime.kind === 'inline') throw new HiveError('VALIDATION_FAILED', 'inline agents can only be registered in-process', { details: { issues: [{ path: 'runtime', message: 'inline is not available remotely' }] } });
    const { kind, ...options } = runtimeWithoutWorkspace(spec.runtime);
    const l = spec.limits;
    // paths (workdir, workspace repo and root) are the server's: the CLI resolved relative ones against its own cwd
    const workspace = workspaceOf(spec);
    const body = {
      name: spec.name, role: spec.role, capabilities: spec.capabilities, runtime: kind, ...options, slots: spec.slots, env: spec.env, ...(spec.workdir ? { workdir: spec.workdir } : {}), timeoutMs: l.timeoutMs,
      ...(l.idleTimeoutMs !== undefined ? { idleTimeoutMs: l.idleTimeoutMs } : {}), ...(l.exitGraceMs !== undefined ? { exitGraceMs: l.exitGraceMs } : {}),
      ...(workspace ? { workspace } : {}),
    };
    return agentFromJson(await this.call('POST', '/api/v1/agents', { body }));
  }
  async listAgents(): Promise<Agent[]> {
    const all: Agent[] = [];
    for (let cursor: string | null | undefined; cursor !== null; ) {
      const page: { items: AgentJson[]; nextCursor: string | null } = await this.call('GET', '/api/v1/agents', { query: { limit: 1000, cursor } });
      all.push(...page.items.map(agentFromJson));
      cursor = page.nextCursor;
    }
    return all;
  }
  async getAgent(nameOrId: string): Promise<Agent> {
    return agentFromJson(await this.call('GET', `/api/v1/agents/${encodeURIComponent(nameOrId)}`));
  }
  async removeAgent(nameOrId: string, force: boolean): Promise<Agent> {
    return agentFromJson(await this.call('DELETE', `/api/v1/agents/${encodeURIComponent(nameOrId)}`, { query: { force: force ? 'true' : undefined } }));
  }
  async setMaintenance(nameOrId: string, on: boolean): Promise<Agent> {
    return agentFromJson(await this.call('POST', `/api/v1/agents/${encodeURIComponent(nameOrId)}/${on ? 'pause' : 'resume'}`));
  }
  async status(): Promise<StatusCounts> {
    const s = await this.call<StatusCounts & { lastEventSeq?: number }>('GET', '/api/v1/status');
    return { tasks: s.tasks, agents: s.agents, queueDepth: s.queueDepth };
  }
  async events(after: number, limit: number, filter: { types?: string[]; subject?: string }): Promise<HiveEvent[]> {
    const task = filter.subject?.startsWith('task:') ? filter.subject.slice(5) : undefined;
    const run = filter.subject?.startsWith('run:') ? filter.subject.slice(4) : undefined;
    return (await this.call<{ items: HiveEvent[] }>('GET', '/api/v1/events', { query: { after, limit: Math.min(limit, 1000), types: filter.types?.join(','), task, run } })).items;
  }
  async lastEventSeq(): Promise<number> {
    return (await this.call<{ lastEventSeq: number }>('GET', '/api/v1/status')).lastEventSeq;
  }
  async logFrom(taskId: number, attempt: number, offset: number): Promise<Buffer | null> {
    const text = await this.call<string>('GET', `/api/v1/tasks/${taskId}/logs`, { query: { attempt }, raw: true });
    const buf = Buffer.from(text, 'utf8');
    return buf.length === 0 && offset === 0 ? null : buf.subarray(offset);
  }
  async createToken(role: TokenRole, name: string): Promise<{ token: string; info: TokenInfo }> {
    const r = await this.call<TokenInfo & { token: string }>('POST', '/api/v1/tokens', { body: { role, name } });
    const { token, ...info } = r;
    return { token, info };
  }
  async listTokens(): Promise<TokenInfo[]> {
    return (await this.call<{ items: TokenInfo[] }>('GET', '/api/v1/tokens')).items;
  }
  async revokeToken(id: number): Promise<TokenInfo> {
    return this.call('DELETE', `/api/v1/tokens/${id}`);
  }
  async defineWorkflow(doc: unknown): Promise<{ workflow: Workflow; created: boolean }> {
    const r = await this.call<{ workflow: WorkflowJson; created: boolean }>('POST', '/api/v1/workflows', { body: doc });
    return { workflow: workflowFromJson(r.workflow), created: r.created };
  }
  async listWorkflows(): Promise<(Workflow & { versions?: number })[]> {
    return (await this.call<{ items: WorkflowJson[] }>('GET', '/api/v1/workflows')).items.map(workflowFromJson);
  }
  async getWorkflow(name: string, version?: number): Promise<Workflow> {
    return workflowFromJson(await this.call('GET', `/api/v1/workflows/${encodeURIComponent(name)}`, { query: { version } }));
  }
  async executeWorkflow(name: string, inputs: Record<string, unknown>, version?: number): Promise<WorkflowRun> {
    return runFromJson(await this.call('POST', `/api/v1/workflows/${encodeURIComponent(name)}/execute`, { body: { inputs, ...(version !== undefined ? { version } : {}) } }));
  }
  async getRun(id: number): Promise<WorkflowRun> {
    return runFromJson(await this.call('GET', `/api/v1/workflow-runs/${id}`));
  }
  async listRuns(f: RunFilter): Promise<WorkflowRun[]> {
    const page = await this.call<{ items: RunJson[] }>('GET', '/api/v1/workflow-runs', { query: { status: f.status?.join(','), workflow: f.workflow, cursor: f.beforeId, limit: f.limit } });
    return page.items.map(runFromJson);
  }
  async pauseRun(id: number): Promise<WorkflowRun> {
    return runFromJson(await this.call('POST', `/api/v1/workflow-runs/${id}/pause`));
  }
  async resumeRun(id: number): Promise<WorkflowRun> {
    return runFromJson(await this.call('POST', `/api/v1/workflow-runs/${id}/resume`));
  }
  async cancelRun(id: number, reason: string): Promise<WorkflowRun> {
    return runFromJson(await this.call('POST', `/api/v1/workflow-runs/${id}/cancel`, { body: { reason } }));
  }
  async retryRun(id: number): Promise<WorkflowRun> {
    return runFromJson(await this.call('POST', `/api/v1/workflow-runs/${id}/retry`));
  }
  async orchestratorRunning(): Promise<boolean> {
    return true;
  }
  async close(): Promise<void> {}
}
