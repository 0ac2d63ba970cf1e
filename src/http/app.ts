import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Orchestrator } from '../engine/orchestrator.js';
import { registerAuth } from './auth.js';
import { errorHandler, notFoundHandler } from './errors.js';
import { tokenRoutes } from './routes/tokens.js';
import { docsRoutes } from './routes/docs.js';
import { logRoutes } from './routes/logs.js';
import { agentRoutes } from './routes/agents.js';
import { systemRoutes } from './routes/system.js';
import { taskRoutes } from './routes/tasks.js';
import { workflowRoutes } from './routes/workflows.js';

export interface AppOptions {
  /** Largest accepted request body in bytes (413 above). */
  bodyLimit?: number;
  logger?: boolean;
  /** Hostnames the Host header may name; null skips the check (in-process use, tests). */
  allowedHosts?: Set<string> | null;
  /** SSE heartbeat comment period (default 15 s). */
  heartbeatMs?: number;
}

export const DEFAULT_BODY_LIMIT = 2 * 1024 * 1024;

/**
 * Builds the HTTP API over an orchestrator without listening (tests use inject()). Routes translate and
 * call the orchestrator; errors map to statuses in http/errors.ts only.
 */
export async function buildApp(hive: Orchestrator, opts: AppOptions = {}): Promise<FastifyInstance> {
  // forceCloseConnections: close() also ends open event streams instead of waiting for their clients
  const app = Fastify({ logger: opts.logger ?? false, bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT, forceCloseConnections: true });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.removeContentTypeParser('text/plain'); // bodies are JSON only: anything else is 415
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  registerAuth(app, hive.store, opts.allowedHosts ?? null);
  await app.register(swagger, {
    openapi: { openapi: '3.0.3', info: { title: 'Hive API', version: '1', description: 'One orchestrator for a fleet of AI coding agents' } },
    transform: jsonSchemaTransform,
  });
  systemRoutes(app, hive, opts.heartbeatMs ?? 15_000);
  taskRoutes(app, hive);
  agentRoutes(app, hive);
  workflowRoutes(app, hive);
  tokenRoutes(app, hive.store);
  docsRoutes(app);
  logRoutes(app, hive);
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
