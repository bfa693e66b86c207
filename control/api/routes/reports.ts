/**
 * Balances and the trial balance: what finance reads (CDRs are in cdrs.ts). A carrier reads its
 * own balances; the trial balance is the operator's.
 */
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros } from '../../../common/money.ts';
import { requireOperator, requireOwnCarrier } from '../access.ts';
import { notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { IdParams } from '../schemas.ts';

export function registerReportRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

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

  // Operators: every carrier's balances in one answer (the live page's balances panel), carriers with no account left out.
  api.get('/v1/ledger/balances', { schema: { tags: ['billing'] } }, async (request) => {
    requireOperator(request);
    const perCarrier = new Map<string, Array<{ account: string; currency: string; balance: string }>>();
    for (const balance of await deps.ledger.allCarrierBalances()) {
      const balances = perCarrier.get(balance.carrier_id) ?? [];
      balances.push({ account: balance.kind, currency: balance.currency, balance: formatMicros(balance.balance_micros, balance.currency) });
      perCarrier.set(balance.carrier_id, balances);
    }
    return { carriers: [...perCarrier].map(([carrier_id, balances]) => ({ carrier_id, balances })) };
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
