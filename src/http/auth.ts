import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { HiveError } from '../core/errors.js';
import type { Store, TokenInfo, TokenRole } from '../core/store.js';

/**
 * Bearer tokens: `hive_` + 32 random bytes (base64url). Only sha256(secret) is stored, and a token is found
 * by that hash. Roles: viewer reads; operator also changes tasks and agents; admin also manages tokens.
 */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export async function createToken(store: Store, role: TokenRole, name: string, now = Date.now()): Promise<{ token: string; info: TokenInfo }> {
  const token = `hive_${randomBytes(32).toString('base64url')}`;
  return { token, info: await store.createToken(hashToken(token), role, name, now) };
}

const READ = new Set(['GET', 'HEAD']);

export function allowed(role: TokenRole, method: string, path: string): boolean {
  if (role === 'admin') return true;
  if (READ.has(method)) return !path.startsWith('/api/v1/tokens');
  return role === 'operator' && !path.startsWith('/api/v1/tokens');
}

declare module 'fastify' {
  interface FastifyRequest {
    token?: TokenInfo;
  }
}

/** The hostnames a request's Host header may name (DNS-rebinding guard). */
export function hostAllowList(bindHost: string, extra: string[] = []): Set<string> {
  return new Set(['localhost', '127.0.0.1', '::1', '[::1]', bindHost, ...extra].map((h) => h.toLowerCase()));
}

function hostname(header: string | undefined): string {
  if (!header) return '';
  const h = header.toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.split(':')[0];
}

/** Adds the Host check (every route) and bearer-token authentication (every /api/v1 route). */
export function registerAuth(app: FastifyInstance, store: Store, hosts: Set<string> | null): void {
  app.addHook('onRequest', async (req: FastifyRequest) => {
    if (hosts && !hosts.has(hostname(req.headers.host))) {
      throw new HiveError('FORBIDDEN', `host ${JSON.stringify(req.headers.host ?? '')} is not allowed (add it with --allow-host)`);
    }
    const path = req.url.split('?')[0];
    if (!path.startsWith('/api/v1/') || path === '/api/v1/openapi.json') return;
    const m = /^Bearer ([A-Za-z0-9_-]{8,200})$/.exec(req.headers.authorization ?? '');
    if (!m) throw new HiveError('UNAUTHENTICATED', 'send Authorization: Bearer <token> (hive up prints where the admin token is; hive token create makes more)');
    const token = await store.findToken(hashToken(m[1]));
    if (!token) throw new HiveError('UNAUTHENTICATED', 'the token is unknown or revoked');
    if (!allowed(token.role, req.method, path)) throw new HiveError('FORBIDDEN', `a ${token.role} token cannot ${req.method} ${path}`);
    req.token = token;
  });
}
