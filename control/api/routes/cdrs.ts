/**
 * CDRs: a carrier reads its own (the other side as an alias), an operator all of them, filtered
 * by billing status (`?status=quarantined` lists what billing set aside, with the reason), and
 * requeues a quarantined CDR once its cause is fixed. CDRs still waiting to be written (the
 * database refused them for a while) are listed for operators at /v1/cdrs/unwritten.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { actorOf, carrierScope, principalOf, requireOperator } from '../access.ts';
import { ApiError, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { Uuid } from '../schemas.ts';
import { CdrStore } from '../../store/cdrs.ts';
import { cdrViewFor } from '../views/cdrs.ts';

const CdrQuery = Type.Object({
  carrier_id: Type.Optional(Uuid),
  status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('rated'), Type.Literal('quarantined')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

// A SIP Call-ID is printable ASCII without spaces (RFC 3261 section 25.1, `word`).
const CallIdParams = Type.Object({ call_id: Type.String({ minLength: 1, maxLength: 256, pattern: '^[!-~]+$' }) });

export function registerCdrRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const cdrs = new CdrStore(deps.db);

  api.get('/v1/cdrs', { schema: { tags: ['billing'], querystring: CdrQuery } }, async (request) => {
    const { carrier_id, status, limit = 100 } = request.query;
    const rows = await cdrs.list({ carrier_id: carrierScope(request) ?? carrier_id ?? null, status: status ?? null, limit });
    return { cdrs: rows.map(cdrViewFor(principalOf(request), deps.aliases)) };
  });

  api.get('/v1/cdrs/unwritten', { schema: { tags: ['billing'] } }, (request) => {
    requireOperator(request);
    return { cdrs: deps.calls.unwrittenCdrs().map((cdr) => ({ ...cdr, waiting_since: new Date(cdr.waiting_since_ms).toISOString() })) };
  });

  api.post('/v1/cdrs/:call_id/requeue', { schema: { tags: ['billing'], params: CallIdParams } }, async (request) => {
    requireOperator(request);
    const outcome = await cdrs.requeue(request.params.call_id, actorOf(request));
    if (outcome === 'not_found') throw notFound('unknown CDR');
    if (outcome === 'not_quarantined') throw new ApiError(409, 'not_quarantined', 'only a quarantined CDR can be requeued');
    return { call_id: request.params.call_id, billing_status: 'pending' };
  });
}
