/**
 * CDRs, balances and the trial balance: what finance and the NOC read. A carrier reads its own
 * CDRs (the other side as an alias) and balances; the trial balance is the operator's.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros } from '../../../common/money.ts';
import { carrierScope, principalOf, requireOperator, requireOwnCarrier } from '../access.ts';
import { notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { IdParams, Uuid } from '../schemas.ts';
import { cdrViewFor, type CdrRow } from '../views/cdrs.ts';

const CdrQuery = Type.Object({
  carrier_id: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});

export function registerReportRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get('/v1/cdrs', { schema: { tags: ['billing'], querystring: CdrQuery } }, async (request) => {
    const { carrier_id, limit = 100 } = request.query;
    const rows = await deps.db.any<CdrRow>(
      `select c.*, d.name as destination_name from cdrs c left join destinations d on d.id = c.destination_id
       where ($1::uuid is null or c.buyer_id = $1 or c.seller_id = $1)
       order by c.end_at desc, c.call_id limit $2`,
      [carrierScope(request) ?? carrier_id ?? null, limit],
    );
    return { cdrs: rows.map(cdrViewFor(principalOf(request), deps.aliases)) };
  });

  api.get('/v1/carriers/:id/balances', { schema: { tags: ['billing'], params: IdParams } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    const carrier = await deps.members.carrier(request.params.id);
    if (!carrier) throw notFound('unknown carrier');
    const balances = await deps.ledger.balances(carrier.id);
    return {
      carrier_id: carrier.id,
      balances: balances.map((balance) => ({ account: balance.kind, currency: balance.currency, balance: formatMicros(balance.balance_micros, balance.currency) })),
    };
  });

  api.get('/v1/ledger/trial-balance', { schema: { tags: ['billing'] } }, async (request) => {
    requireOperator(request);
    const totals = await deps.ledger.trialBalance();
    const mismatches = await deps.ledger.balanceMismatches();
    return {
      balanced: totals.every((total) => total.total_micros === 0n) && mismatches === 0,
      totals: totals.map((total) => ({ currency: total.currency, total: formatMicros(total.total_micros, total.currency) })),
      cached_balance_mismatches: mismatches,
    };
  });
}
