import { z } from 'zod';
import { PRIORITIES, TASK_STATUSES } from '../core/types.js';
import { LIMITS } from '../core/task-input.js';

/**
 * Request and response schemas of /api/v1: they validate requests (fastify-type-provider-zod) and generate
 * the OpenAPI document. Domain rules beyond shape are checked again by core (resolveTaskInput, resolveAgentSpec).
 */
const name = z.string().min(1).max(LIMITS.nameChars);
const ms = z.number().int().min(0).max(LIMITS.durationMs);

export const TaskInputSchema = z
  .object({
    ref: name.optional().describe('client-side reference: other tasks in the same request depend on it by this name'),
    title: z.string().min(1).max(LIMITS.titleChars),
    prompt: z.string().max(LIMITS.promptChars).optional(),
    type: name.optional(),
    priority: z.enum(PRIORITIES).optional(),
    capabilities: z.array(name).max(LIMITS.listItems).optional(),
    dependsOn: z.array(z.union([z.number().int().positive(), name])).max(LIMITS.listItems).optional().describe('task ids, or refs of tasks in the same request'),
    locks: z.array(name).max(LIMITS.listItems).optional(),
    maxAttempts: z.number().int().min(1).max(LIMITS.maxAttempts).optional(),
    backoffMs: ms.optional(),
    backoffCapMs: ms.optional(),
    timeoutMs: ms.optional(),
    scheduleTimeoutMs: ms.optional(),
    idempotencyKey: name.optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const CreateTasksSchema = z.union([TaskInputSchema, z.object({ tasks: z.array(TaskInputSchema).min(1).max(1000) }).strict()]);

export const TaskSchema = z
  .object({
    id: z.number(),
    title: z.string(),
    status: z.enum(TASK_STATUSES),
    priority: z.enum(PRIORITIES),
    attempts: z.number(),
    agent: z.string().nullable(),
    error: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .loose();

export const AttemptSchema = z.object({ attempt: z.number(), agent: z.string(), status: z.string() }).loose();
export const AgentSchema = z.object({ id: z.number(), name: z.string(), status: z.string(), capabilities: z.array(z.string()), slots: z.number(), running: z.number() }).loose();

export const AgentInputSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
    role: z.string().max(200).optional(),
    capabilities: z.array(name).max(100).optional(),
    runtime: z.enum(['command', 'worker']).optional(),
    command: z.union([z.string().min(1), z.array(z.string()).min(1)]),
    slots: z.number().int().min(1).max(1000).optional(),
    env: z.record(z.string(), z.string()).optional(),
    workdir: z.string().min(1).optional(),
    timeoutMs: ms.optional(),
  })
  .strict();

export const IdParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict();
export const AgentParams = z.object({ id: z.string().min(1).max(200) }).strict();

export const ListQuery = z
  .object({
    status: z.string().max(200).optional().describe('comma-separated statuses'),
    agent: name.optional(),
    capability: name.optional(),
    cursor: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional().describe('the nextCursor of the previous page'),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .strict();

export const EventsQuery = z
  .object({
    after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
    types: z.string().max(1000).optional().describe('comma-separated event types'),
    task: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional().describe('only the events of this task'),
  })
  .strict();

export const ErrorSchema = z.object({ error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }) });
