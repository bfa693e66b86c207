/**
 * Named operators: an admin creates one with a role (the token is in the response once, never
 * again), lists them, and revokes one (its live streams close at once). The first-run login link's
 * code is exchanged here, once and before it expires, for an admin's token.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { OPERATOR_ROLES } from '../../store/operators.ts';
import { actorOf, requireOperator } from '../access.ts';
import { ApiError, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';

const Role = Type.Union(OPERATOR_ROLES.map((role) => Type.Literal(role)));
const NewOperator = Type.Object(
  { name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$', description: 'lower-case letters, digits, dot, dash, underscore' }), role: Role },
  { additionalProperties: false },
);
const NameParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' }) });
const RedeemBody = Type.Object({ code: Type.String({ minLength: 16, maxLength: 64 }) }, { additionalProperties: false });

export function registerOperatorRoutes(app: FastifyInstance, context: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  // Only an admin reaches this (roles.ts: routes no role is given are an admin's).
  api.post('/v1/operators', { schema: { tags: ['operators'], body: NewOperator } }, async (request, reply) => {
    requireOperator(request);
    const created = await context.operators.create(request.body.name, request.body.role, actorOf(request));
    if (created === 'duplicate') throw new ApiError(409, 'duplicate', 'an operator with this name exists');
    return reply.status(201).send(created);
  });

  api.get('/v1/operators', { schema: { tags: ['operators'] } }, async (request) => {
    requireOperator(request);
    const rows = await context.operators.list();
    return {
      operators: rows.map((row) => ({
        id: row.id, name: row.name, role: row.role, created_at: row.created_at.toISOString(), created_by: row.created_by,
        last_used_at: row.last_used_at?.toISOString() ?? null, status: row.revoked_at === null ? 'active' : 'revoked',
      })),
    };
  });

  api.delete('/v1/operators/:name', { schema: { tags: ['operators'], params: NameParams } }, async (request) => {
    requireOperator(request);
    const outcome = await context.operators.revoke(request.params.name, actorOf(request));
    if (outcome === 'not_found') throw notFound('unknown operator');
    if (outcome === 'already_revoked') throw new ApiError(409, 'already_revoked', 'the operator is already revoked');
    return { name: request.params.name, status: 'revoked' };
  });

  api.post('/login/redeem', { schema: { hide: true, body: RedeemBody } }, async (request) => {
    const redeemed = await context.operators.redeemLoginLink(request.body.code);
    if (redeemed === null) throw new ApiError(401, 'login_link_invalid', 'the login link is unknown, used or expired');
    return { operator: redeemed.name, token: redeemed.token };
  });
}
