import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { agentJson } from '../../core/present.js';
import { AGENT_STATUSES, PRESET_TOOLS, type AgentLimits, type RuntimeSpec } from '../../core/types.js';
import { fieldError } from '../../core/errors.js';
import { workspaceOf, type WorkspaceSpec } from '../../core/workspace.js';
import type { Orchestrator } from '../../engine/orchestrator.js';
import { AgentInputSchema, AgentParams, AgentSchema, ErrorSchema } from '../schemas.js';

const errors = { 400: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema };

type AgentBody = Partial<z.output<typeof AgentInputSchema>>;
const PRESET_OPTIONS = ['model', 'extraArgs', 'permissionMode', 'maxTurns', 'binary'] as const;

/** The runtime an agent body asks for, on top of the agent's current one (PATCH) or none (POST); core validates it. */
function runtimeOf(b: AgentBody, prev: RuntimeSpec | null): RuntimeSpec {
  const kind = b.runtime ?? prev?.kind ?? 'command';
  const given = PRESET_OPTIONS.filter((k) => b[k] !== undefined);
  if ((PRESET_TOOLS as readonly string[]).includes(kind)) {
    if (b.command !== undefined) throw fieldError('command', `runtime ${kind} builds its own command line; set model, extraArgs, permissionMode, maxTurns or binary instead`);
    const keep = prev && prev.kind === kind ? prev : { kind };
    return { ...keep, ...Object.fromEntries(given.map((k) => [k, b[k]])), ...(b.tmux !== undefined ? { tmux: b.tmux } : {}) } as RuntimeSpec;
  }
  if (given.length) throw fieldError(given[0], `only for the coding-agent presets (${PRESET_TOOLS.join(', ')}), not runtime ${kind}`);
  const same = prev && prev.kind === kind ? prev : null;
  const command = b.command ?? (same?.kind === 'command' || same?.kind === 'worker' ? same.command : undefined);
  if (command === undefined) throw fieldError('command', `required for runtime ${kind}`);
  if (kind === 'worker') {
    if (b.shell !== undefined) throw fieldError('shell', 'only for runtime command');
    if (b.tmux !== undefined) throw fieldError('tmux', 'not for runtime worker');
    const heartbeatMs = b.heartbeatMs ?? (same?.kind === 'worker' ? same.heartbeatMs : undefined);
    return { kind: 'worker', command, ...(heartbeatMs !== undefined ? { heartbeatMs } : {}) };
  }
  if (b.heartbeatMs !== undefined) throw fieldError('heartbeatMs', 'only for runtime worker');
  const shell = b.shell ?? (same?.kind === 'command' ? same.shell : undefined);
  const tmux = b.tmux ?? (same?.kind === 'command' ? same.tmux : undefined);
  return { kind: 'command', command, ...(shell !== undefined ? { shell } : {}), ...(tmux !== undefined ? { tmux } : {}) };
}

/** The workspace a body sets (mode worktree unless given), removes (null), or keeps (absent: `prev`). */
function workspaceOfBody(b: AgentBody, prev: WorkspaceSpec | null): WorkspaceSpec | null {
  if (b.workspace === undefined) return prev;
  return b.workspace === null ? null : { ...b.workspace, mode: b.workspace.mode ?? 'worktree' };
}

/** The watchdog limits a body sets. */
function limitsOf(b: AgentBody): Partial<AgentLimits> {
  return { ...(b.idleTimeoutMs !== undefined ? { idleTimeoutMs: b.idleTimeoutMs } : {}), ...(b.exitGraceMs !== undefined ? { exitGraceMs: b.exitGraceMs } : {}) };
}

/** Agents: list, register (or update by name), show, remove, pause/resume (maintenance). */
export function agentRoutes(app: FastifyInstance, hive: Orchestrator): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/v1/agents', {
    schema: {
      tags: ['agents'],
      summary: 'List agents by name, filtered by status or capability, by cursor (the last name of the previous page)',
      querystring: z.object({ status: z.enum(AGENT_STATUSES).optional(), capability: z.string().min(1).max(200).optional(), cursor: z.string().max(200).optional(), limit: z.coerce.number().int().min(1).max(1000).optional() }).strict(),
      response: { 200: z.object({ items: z.array(AgentSchema), nextCursor: z.string().nullable() }), 400: ErrorSchema },
    },
  }, async (req) => {
    const q = req.query;
    const limit = q.limit ?? 100;
    // agents are few: filter the (name-ordered) list in memory
    const all = (await hive.listAgents()).filter((a) => (!q.status || a.status === q.status) && (!q.capability || a.capabilities.includes(q.capability)) && (!q.cursor || a.name > q.cursor));
    const items = all.slice(0, limit);
    return { items: items.map(agentJson), nextCursor: all.length > limit ? items[items.length - 1].name : null };
  });

  r.post('/api/v1/agents', {
    schema: { tags: ['agents'], summary: 'Register an agent (or update the one with this name)', body: AgentInputSchema, response: { 201: AgentSchema, ...errors } },
  }, async (req, reply) => {
    const b = req.body;
    const a = await hive.registerAgent({
      name: b.name,
      role: b.role ?? '',
      capabilities: b.capabilities ?? [],
      runtime: runtimeOf(b, null),
      slots: b.slots ?? 1,
      env: b.env ?? {},
      workdir: b.workdir ?? null,
      limits: { ...limitsOf(b), timeoutMs: b.timeoutMs ?? 0, memoryMb: 0, contextTokens: 0, costBudgetUsd: 0 },
      workspace: workspaceOfBody(b, null),
    });
    return reply.status(201).send(agentJson(a));
  });

  r.get('/api/v1/agents/:id', { schema: { tags: ['agents'], summary: 'One agent, by name or id', params: AgentParams, response: { 200: AgentSchema, ...errors } } }, async (req) =>
    agentJson(await hive.getAgent(req.params.id)),
  );

  r.patch('/api/v1/agents/:id', {
    schema: {
      tags: ['agents'],
      summary: 'Change some fields of an agent; a running agent restarts its runtime when its definition changes',
      params: AgentParams,
      body: AgentInputSchema.omit({ name: true }).partial().strict(),
      response: { 200: AgentSchema, ...errors },
    },
  }, async (req) => {
    const a = await hive.getAgent(req.params.id);
    const b = req.body;
    const runtime = a.runtime.kind === 'inline' && b.runtime === undefined && b.command === undefined ? a.runtime : runtimeOf(b, a.runtime);
    return agentJson(await hive.registerAgent({
      name: a.name,
      role: b.role ?? a.role,
      capabilities: b.capabilities ?? a.capabilities,
      runtime,
      slots: b.slots ?? a.slots,
      env: b.env ?? a.env,
      workdir: b.workdir ?? a.workdir,
      limits: { ...a.limits, ...limitsOf(b), ...(b.timeoutMs !== undefined ? { timeoutMs: b.timeoutMs } : {}) },
      // absent: a change of other fields keeps the workspace
      workspace: workspaceOfBody(b, workspaceOf(a)),
    }));
  });

  r.delete('/api/v1/agents/:id', {
    schema: {
      tags: ['agents'],
      summary: 'Remove an agent: at once when idle (200); else it drains (202: no new tasks, running ones finish, then it is removed); force=true kills its attempts at once and requeues them',
      params: AgentParams,
      querystring: z.object({ force: z.enum(['true', 'false']).optional() }).strict(),
      response: { 200: AgentSchema, 202: AgentSchema.extend({ draining: z.literal(true) }).loose(), ...errors },
    },
  }, async (req, reply) => {
    if (req.query.force === 'true') return agentJson(await hive.removeAgent(req.params.id, true));
    const { agent, removed } = await hive.drainAgent(req.params.id);
    return removed ? agentJson(agent) : reply.status(202).send({ ...agentJson(agent), draining: true as const });
  });

  r.post('/api/v1/agents/:id/restart', {
    schema: { tags: ['agents'], summary: 'Restart the agent runtime (running attempts end with SHUTDOWN and are retried)', params: AgentParams, response: { 200: AgentSchema, ...errors } },
  }, async (req) => agentJson(await hive.restartAgent(req.params.id)));

  for (const [verb, on] of [['pause', true], ['resume', false]] as const) {
    r.post(`/api/v1/agents/:id/${verb}`, {
      schema: { tags: ['agents'], summary: on ? 'Maintenance: take no new tasks' : 'End maintenance', params: AgentParams, response: { 200: AgentSchema, ...errors } },
    }, async (req) => agentJson(await hive.setMaintenance(req.params.id, on)));
  }
}
