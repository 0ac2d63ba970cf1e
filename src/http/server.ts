import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { HiveError } from '../core/errors.js';
import type { Orchestrator } from '../engine/orchestrator.js';
import { buildApp } from './app.js';
import { createToken, hostAllowList } from './auth.js';

export interface ServeOptions {
  host: string;
  port: number;
  /** Extra hostnames the Host header may name (the bind host and loopback names always may). */
  allowHosts?: string[];
}

export interface Served {
  app: FastifyInstance;
  url: string;
  /** Where the admin token was written, when this start created it. */
  adminTokenFile: string | null;
  warnings: string[];
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/**
 * The composition root of the HTTP edge: makes sure a token exists (on first start an admin token is
 * written to `<data>/admin.token`, mode 0600), builds the app and listens.
 */
export async function serve(hive: Orchestrator, opts: ServeOptions): Promise<Served> {
  const warnings: string[] = [];
  let adminTokenFile: string | null = null;
  const live = (await hive.store.listTokens()).filter((t) => t.revokedAt === null);
  const file = join(hive.options.dataDir, 'admin.token');
  if (live.length === 0) {
    const { token } = await createToken(hive.store, 'admin', 'created by hive up');
    writeFileSync(file, `${token}\n`, { mode: 0o600 });
    adminTokenFile = file;
  } else if (!existsSync(file) && !live.some((t) => t.role === 'admin')) {
    warnings.push('no admin token is live; create one with `hive token create --role admin`');
  }
  if (!LOOPBACK.has(opts.host)) warnings.push(`listening on ${opts.host}, not loopback: every /api/v1 request needs a token; keep tokens secret and prefer a TLS proxy`);
  const app = await buildApp(hive, { allowedHosts: hostAllowList(opts.host, opts.allowHosts ?? []) });
  try {
    await app.listen({ host: opts.host, port: opts.port });
  } catch (err) {
    await app.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL' || code === 'EACCES') {
      throw new HiveError('CONFLICT', `cannot listen on ${opts.host}:${opts.port} (${code}); choose another --port or --host`, { cause: err, details: { host: opts.host, port: opts.port } });
    }
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]` : opts.host;
  return { app, url: `http://${host}:${port}`, adminTokenFile, warnings };
}
