import { z } from 'zod';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { FastifyInstance } from 'fastify';
import { TOKEN_ROLES, type Store } from '../../core/store.js';
import { createToken } from '../auth.js';
import { ErrorSchema, IdParams } from '../schemas.js';

const TokenSchema = z.object({ id: z.number(), role: z.enum(TOKEN_ROLES), name: z.string(), createdAt: z.number(), revokedAt: z.number().nullable() });

/** API tokens (admin only): create (the secret is shown once), list, revoke. */
export function tokenRoutes(app: FastifyInstance, store: Store): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/api/v1/tokens', { schema: { tags: ['tokens'], summary: 'List tokens (never their secrets)', response: { 200: z.object({ items: z.array(TokenSchema) }) } } }, async () => ({ items: await store.listTokens() }));
  r.post('/api/v1/tokens', {
    schema: { tags: ['tokens'], summary: 'Create a token; the secret is in this response only', body: z.object({ role: z.enum(TOKEN_ROLES), name: z.string().max(200).optional() }).strict(), response: { 201: TokenSchema.extend({ token: z.string() }), 400: ErrorSchema } },
  }, async (req, reply) => {
    const { token, info } = await createToken(store, req.body.role, req.body.name ?? '');
    return reply.status(201).send({ ...info, token });
  });
  r.delete('/api/v1/tokens/:id', { schema: { tags: ['tokens'], summary: 'Revoke a token', params: IdParams, response: { 200: TokenSchema, 404: ErrorSchema } } }, async (req) => store.revokeToken(req.params.id, Date.now()));
}
