import type { FastifyReply, FastifyRequest } from 'fastify';
import { fieldError } from '../../core/errors.js';
import type { HiveEvent } from '../../core/types.js';
import type { Orchestrator } from '../../engine/orchestrator.js';

/** Sends the event log as Server-Sent Events: `id` = seq, `event` = type, `data` = the event as JSON. */
export async function streamEvents(hive: Orchestrator, req: FastifyRequest, reply: FastifyReply, heartbeatMs: number): Promise<void> {
  const q = req.query as { after?: number; types?: string };
  const lastId = req.headers['last-event-id'];
  let after: number;
  if (lastId !== undefined) {
    if (!/^\d+$/.test(String(lastId))) throw fieldError('headers.last-event-id', 'expected the seq of the last event received');
    after = Number(lastId);
  } else after = q.after ?? (await hive.store.lastEventSeq());
  const types = q.types ? new Set(q.types.split(',')) : null;
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(': hive event stream\n\n');
  const send = (e: HiveEvent): void => {
    if (types && !types.has(e.type)) return;
    res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  };
  const unsubscribe = await hive.subscribe(send, after);
  const beat = setInterval(() => res.write(': heartbeat\n\n'), heartbeatMs);
  const close = (): void => {
    clearInterval(beat);
    unsubscribe();
  };
  req.raw.on('close', close);
  res.on('error', close);
}
