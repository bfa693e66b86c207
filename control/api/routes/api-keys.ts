/**
 * Carriers' API keys. An operator creates them (the key is in the response once, never again);
 * a carrier may list and revoke its own. Creation and revocation are audited.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf, requireOperator, requireOwnCarrier } from '../access.ts';
import { ApiError, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { IdParams, Uuid } from '../schemas.ts';

const KeyParams = Type.Object({ id: Uuid, key_id: Uuid });
const CreatedKey = Type.Object({
  id: Uuid,
  key: Type.String({ description: 'the key itself: shown this once, use it as `Authorization: Bearer <key>`' }),
});

export function registerApiKeyRoutes(app: FastifyInstance, context: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.post('/v1/carriers/:id/api-keys', { schema: { tags: ['carriers'], params: IdParams, response: { 201: CreatedKey } } }, async (request, reply) => {
    requireOperator(request);
    const carrier = await context.members.carrier(request.params.id);
    if (!carrier) throw notFound('unknown carrier');
    return reply.status(201).send(await context.apiKeys.create(carrier.id, actorOf(request)));
  });

  api.get('/v1/carriers/:id/api-keys', { schema: { tags: ['carriers'], params: IdParams } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    const keys = await context.apiKeys.list(request.params.id);
    return {
      api_keys: keys.map((key) => ({
        id: key.id, created_at: key.created_at.toISOString(), last_used_at: key.last_used_at?.toISOString() ?? null,
        revoked_at: key.revoked_at?.toISOString() ?? null, status: key.revoked_at === null ? 'active' : 'revoked',
      })),
    };
  });

  api.delete('/v1/carriers/:id/api-keys/:key_id', { schema: { tags: ['carriers'], params: KeyParams } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    const outcome = await context.apiKeys.revoke(request.params.id, request.params.key_id, actorOf(request));
    if (outcome === 'not_found') throw notFound('unknown API key');
    if (outcome === 'already_revoked') throw new ApiError(409, 'already_revoked', 'the key is already revoked');
    return { id: request.params.key_id, status: 'revoked' };
  });
}
