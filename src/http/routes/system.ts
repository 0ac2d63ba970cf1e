import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyInstance } from 'fastify';
import type { Orchestrator } from '../../engine/orchestrator.js';
import { ErrorSchema, EventsQuery } from '../schemas.js';
import { streamEvents } from './stream.js';

/** Health, readiness, status counts and the event log as JSON pages. */
export function systemRoutes(app: FastifyInstance, hive: Orchestrator, heartbeatMs: number): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/health', { schema: { tags: ['system'], summary: 'The process is up', response: { 200: z.object({ ok: z.literal(true) }) } } }, async () => ({ ok: true as const }));

  r.get('/ready', { schema: { tags: ['system'], summary: 'The store is reachable and migrated', response: { 200: z.object({ ready: z.literal(true), state: z.string() }), 503: ErrorSchema } } }, async () => {
    await hive.status();
    return { ready: true as const, state: hive.state };
  });

  r.get('/api/v1/status', {
    schema: { tags: ['system'], summary: 'Tasks by status, agents by status, queue depth per capability set', response: { 200: z.object({ tasks: z.record(z.string(), z.number()), agents: z.record(z.string(), z.number()), queueDepth: z.record(z.string(), z.number()), lastEventSeq: z.number() }) } },
  }, async () => ({ ...(await hive.status()), lastEventSeq: await hive.store.lastEventSeq() }));

  r.get('/api/v1/events', {
    schema: {
      tags: ['events'],
      summary: 'The event log: with Accept: text/event-stream a live SSE stream (Last-Event-ID resumes after that seq; heartbeat comments), else a JSON page after a sequence number',
      querystring: EventsQuery,
      response: { 200: z.object({ items: z.array(z.object({ seq: z.number(), time: z.number(), type: z.string(), subject: z.string(), data: z.record(z.string(), z.unknown()) })), last: z.number() }), 400: ErrorSchema },
    },
  }, async (req, reply) => {
    if ((req.headers.accept ?? '').includes('text/event-stream')) return streamEvents(hive, req, reply, heartbeatMs);
    const items = await hive.events(req.query.after ?? 0, req.query.limit ?? 100, { types: req.query.types ? req.query.types.split(',') : undefined, subject: req.query.task ? `task:${req.query.task}` : req.query.run ? `run:${req.query.run}` : undefined });
    return { items, last: items.length ? items[items.length - 1].seq : (req.query.after ?? 0) };
  });
}
