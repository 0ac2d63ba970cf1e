import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { parseRunStatusList, runJson, workflowJson } from '../../core/present-workflow.js';
import type { Orchestrator } from '../../engine/orchestrator.js';
import { ErrorSchema, IdParams, RunListQuery, RunSchema, WorkflowDefinitionSchema, WorkflowParams, WorkflowSchema } from '../schemas.js';

const errors = { 400: ErrorSchema, 404: ErrorSchema, 409: ErrorSchema, 422: ErrorSchema };
const version = z.coerce.number().int().min(1).max(1_000_000);

/** Workflows: definitions (versioned), and runs: execute, list (cursor pages, newest first), show, pause, resume, cancel, retry. */
export function workflowRoutes(app: FastifyInstance, hive: Orchestrator): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/v1/workflows', {
    schema: { tags: ['workflows'], summary: 'List workflows: the latest version of each, by name, with its count of versions', response: { 200: z.object({ items: z.array(WorkflowSchema) }), ...errors } },
  }, async () => ({ items: (await hive.workflows.list()).map(workflowJson) }));

  r.post('/api/v1/workflows', {
    schema: {
      tags: ['workflows'],
      summary: 'Define a workflow: 201 with a new version, 200 when the definition matches an existing version',
      body: WorkflowDefinitionSchema,
      response: { 200: z.object({ workflow: WorkflowSchema, created: z.boolean() }), 201: z.object({ workflow: WorkflowSchema, created: z.boolean() }), ...errors },
    },
  }, async (req, reply) => {
    const { workflow, created } = await hive.workflows.define(req.body);
    return reply.status(created ? 201 : 200).send({ workflow: workflowJson(workflow), created });
  });

  r.get('/api/v1/workflows/:name', {
    schema: { tags: ['workflows'], summary: 'One workflow: the latest version, or ?version=N', params: WorkflowParams, querystring: z.object({ version: version.optional() }).strict(), response: { 200: WorkflowSchema, ...errors } },
  }, async (req) => workflowJson(await hive.workflows.get(req.params.name, req.query.version)));

  r.post('/api/v1/workflows/:name/execute', {
    schema: {
      tags: ['workflows'],
      summary: 'Run a workflow (the latest version, or `version`) with `inputs`; the run and the tasks of its first steps are created at once',
      params: WorkflowParams,
      body: z.object({ inputs: z.record(z.string(), z.unknown()).optional(), version: version.optional() }).strict().nullish(),
      response: { 201: RunSchema, ...errors },
    },
  }, async (req, reply) => reply.status(201).send(runJson(await hive.workflows.execute(req.params.name, req.body?.inputs ?? {}, req.body?.version))));

  r.get('/api/v1/workflow-runs', {
    schema: { tags: ['workflows'], summary: 'List workflow runs, newest first, by cursor (without their steps)', querystring: RunListQuery, response: { 200: z.object({ items: z.array(RunSchema), nextCursor: z.number().nullable() }), ...errors } },
  }, async (req) => {
    const limit = req.query.limit ?? 100;
    const runs = await hive.workflows.listRuns({ status: parseRunStatusList(req.query.status, 'querystring.status'), workflow: req.query.workflow, beforeId: req.query.cursor, limit });
    return { items: runs.map(runJson), nextCursor: runs.length === limit ? runs[runs.length - 1].id : null };
  });

  r.get('/api/v1/workflow-runs/:id', {
    schema: { tags: ['workflows'], summary: 'One workflow run with its steps', params: IdParams, response: { 200: RunSchema, ...errors } },
  }, async (req) => runJson(await hive.workflows.getRun(req.params.id)));

  r.post('/api/v1/workflow-runs/:id/pause', {
    schema: { tags: ['workflows'], summary: 'Pause a running run: running steps finish, nothing new starts, its queued tasks are held', params: IdParams, response: { 200: RunSchema, ...errors } },
  }, async (req) => runJson(await hive.workflows.pause(req.params.id)));

  r.post('/api/v1/workflow-runs/:id/resume', {
    schema: { tags: ['workflows'], summary: 'Resume a paused run', params: IdParams, response: { 200: RunSchema, ...errors } },
  }, async (req) => runJson(await hive.workflows.resume(req.params.id)));

  r.post('/api/v1/workflow-runs/:id/cancel', {
    schema: {
      tags: ['workflows'],
      summary: 'Cancel a running or paused run: open steps are cancelled, running attempts killed',
      params: IdParams,
      body: z.object({ reason: z.string().min(1).max(500).optional() }).strict().nullish(),
      response: { 200: RunSchema, ...errors },
    },
  }, async (req) => runJson(await hive.workflows.cancel(req.params.id, req.body?.reason)));

  r.post('/api/v1/workflow-runs/:id/retry', {
    schema: { tags: ['workflows'], summary: 'Run the failed and cancelled steps of a failed or cancelled run again (completed steps are kept)', params: IdParams, response: { 200: RunSchema, ...errors } },
  }, async (req) => runJson(await hive.workflows.retry(req.params.id)));
}
