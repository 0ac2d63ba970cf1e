import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { fieldError } from '../../core/errors.js';
import { taskJson } from '../../core/present.js';
import { parseStatusList } from '../../core/task-state.js';
import type { Orchestrator } from '../../engine/orchestrator.js';
import { AttemptSchema, CreateTasksSchema, ErrorSchema, IdParams, ListQuery, TaskSchema } from '../schemas.js';

const errors = { 400: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema };

/** Tasks: list (cursor pages), submit one or many (refs for dependencies among them), show, cancel, retry. */
export function taskRoutes(app: FastifyInstance, hive: Orchestrator): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/v1/tasks', {
    schema: { tags: ['tasks'], summary: 'List tasks, oldest first, by cursor', querystring: ListQuery, response: { 200: z.object({ items: z.array(TaskSchema), nextCursor: z.number().nullable() }), ...errors } },
  }, async (req) => {
    const limit = req.query.limit ?? 100;
    const tasks = await hive.listTasks({ status: parseStatusList(req.query.status, 'querystring.status'), agent: req.query.agent, capability: req.query.capability, afterId: req.query.cursor, limit });
    return { items: tasks.map(taskJson), nextCursor: tasks.length === limit ? tasks[tasks.length - 1].id : null };
  });

  r.post('/api/v1/tasks', {
    schema: { tags: ['tasks'], summary: 'Submit a task, or { tasks: [...] } in one transaction', body: CreateTasksSchema, response: { 201: z.object({ tasks: z.array(TaskSchema.extend({ created: z.boolean() }).loose()) }), ...errors } },
  }, async (req, reply) => {
    const inputs = 'tasks' in req.body ? req.body.tasks : [req.body];
    const results = await hive.submit(inputs);
    return reply.status(201).send({ tasks: results.map((x) => ({ ...taskJson(x.task), created: x.created })) });
  });

  r.get('/api/v1/tasks/:id', {
    schema: { tags: ['tasks'], summary: 'One task with its attempts', params: IdParams, response: { 200: TaskSchema.extend({ prompt: z.string(), attemptsList: z.array(AttemptSchema) }).loose(), ...errors } },
  }, async (req) => {
    const t = await hive.getTask(req.params.id);
    return { ...taskJson(t), prompt: t.prompt, attemptsList: (await hive.attempts(t.id)).map((a) => ({ ...a })) };
  });

  r.post('/api/v1/tasks/:id/cancel', {
    schema: {
      tags: ['tasks'],
      summary: 'Cancel a pending, queued or running task (kills its process group)',
      params: IdParams,
      body: z.object({ reason: z.string().min(1).max(500).optional() }).strict().nullish(),
      response: { 200: TaskSchema, ...errors },
    },
  }, async (req) => taskJson(await hive.cancel(req.params.id, req.body?.reason)));

  r.post('/api/v1/tasks/:id/retry', {
    schema: { tags: ['tasks'], summary: 'Send a dead or cancelled task back to the queue', params: IdParams, response: { 200: TaskSchema, ...errors } },
  }, async (req) => taskJson(await hive.retry(req.params.id)));

  r.get('/api/v1/dlq', {
    schema: { tags: ['dead letters'], summary: 'Dead tasks, by cursor', querystring: ListQuery.pick({ cursor: true, limit: true }), response: { 200: z.object({ items: z.array(TaskSchema), nextCursor: z.number().nullable() }), ...errors } },
  }, async (req) => {
    const limit = req.query.limit ?? 100;
    const tasks = await hive.listTasks({ status: ['dead'], afterId: req.query.cursor, limit });
    return { items: tasks.map(taskJson), nextCursor: tasks.length === limit ? tasks[tasks.length - 1].id : null };
  });

  r.post('/api/v1/dlq/:id/requeue', {
    schema: { tags: ['dead letters'], summary: 'Requeue one dead task', params: IdParams, response: { 200: z.object({ requeued: z.array(z.number()) }), ...errors } },
  }, async (req) => ({ requeued: await hive.requeueDead({ ids: [req.params.id] }) }));

  r.post('/api/v1/dlq/requeue', {
    schema: {
      tags: ['dead letters'],
      summary: 'Requeue dead tasks: the ids given (all or nothing), else all, optionally by capability',
      body: z.object({ ids: z.array(z.number().int().positive()).min(1).max(10_000).optional(), capability: z.string().min(1).max(200).optional() }).strict().nullish(),
      response: { 200: z.object({ requeued: z.array(z.number()) }), ...errors },
    },
  }, async (req) => {
    const b = req.body ?? {};
    if (b.ids && b.capability) throw fieldError('body.capability', 'not allowed with ids');
    return { requeued: await hive.requeueDead(b.ids ? { ids: b.ids } : { capability: b.capability }) };
  });
}
