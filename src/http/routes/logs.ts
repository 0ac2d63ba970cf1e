import { existsSync, readFileSync } from 'node:fs';
import { readFrom } from '../../fs/tail.js';
import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { fieldError } from '../../core/errors.js';
import { attemptLogPath } from '../../engine/scheduler.js';
import type { Orchestrator } from '../../engine/orchestrator.js';
import { ErrorSchema, IdParams } from '../schemas.js';

/** An attempt's log: the whole file as text, or with follow=true an SSE stream of lines until the attempt ends. */
export function logRoutes(app: FastifyInstance, hive: Orchestrator, pollMs = 200): void {
  app.withTypeProvider<ZodTypeProvider>().get('/api/v1/tasks/:id/logs', {
    schema: {
      tags: ['tasks'],
      summary: "An attempt's stdout and stderr (text/plain); follow=true streams new lines as SSE (`event: log`) until the attempt ends (`event: end`)",
      params: IdParams,
      querystring: z.object({ attempt: z.coerce.number().int().positive().max(1_000_000).optional(), follow: z.enum(['true', 'false']).optional() }).strict(),
      response: { 200: z.string().describe('the log as text/plain (or an SSE stream with follow=true)'), 400: ErrorSchema, 404: ErrorSchema },
    },
  }, async (req, reply) => {
    const t = await hive.getTask(req.params.id);
    const attempt = req.query.attempt ?? t.attempts;
    if (attempt < 1 || attempt > t.attempts) throw fieldError('querystring.attempt', `task ${t.id} has ${t.attempts} attempt(s); no attempt ${attempt}`);
    const file = attemptLogPath(hive.options.dataDir, t.id, attempt);
    if (req.query.follow !== 'true') return reply.type('text/plain; charset=utf-8').send(existsSync(file) ? readFileSync(file, 'utf8') : '');
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    let offset = 0;
    let partial = '';
    let open = true;
    req.raw.on('close', () => (open = false));
    const pump = (): void => {
      const chunk = readFrom(file, offset) ?? Buffer.alloc(0);
      offset += chunk.length;
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const l of lines) res.write(`event: log\ndata: ${JSON.stringify(l)}\n\n`);
    };
    while (open) {
      pump();
      const now = await hive.getTask(t.id);
      if (now.status !== 'running' || now.attempts !== attempt) {
        pump();
        if (partial) res.write(`event: log\ndata: ${JSON.stringify(partial)}\n\n`);
        res.write(`event: end\ndata: ${JSON.stringify({ status: now.status, attempt })}\n\n`);
        break;
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
    res.end();
  });
}
