/**
 * Financing terms, executed: a buyer defers a statement it owes (`POST /v1/statements/{id}/deferral`)
 * and a seller asks for an advance on what the exchange owes it (`POST /v1/carriers/{id}/advances`),
 * which the exchange funds by pledging the buyers' receivables to the financial services node.
 * A carrier's key acts and reads for its own carrier only (another carrier's statement or advance
 * answers 404); operators act and read for all. Money is shown as decimal strings. An advance's
 * lines name the buyers' grades, never the buyers, to the seller: only operators see who they are.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros, parseDecimalToMicros } from '../../../common/money.ts';
import { FsnClient, FsnError } from '../../../billing/fsn/fsn-client.ts';
import { noteNumberText } from '../../../billing/core/notes.ts';
import { statementNumberText } from '../../../billing/core/statement-lifecycle.ts';
import { AdvanceStore, type StoredAdvance } from '../../../billing/settlement/advance-store.ts';
import { DeferralStore, type StoredDeferral } from '../../../billing/settlement/deferral-store.ts';
import { actorOf, carrierScope, requireOwnCarrier } from '../access.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { CurrencyCode, DecimalAmount, IdParams } from '../schemas.ts';

const DeferralBody = Type.Object(
  { days: Type.Integer({ minimum: 1, maximum: 365, description: 'days to defer the due date by, at most what the buyer\'s grade allows' }) },
  { additionalProperties: false },
);
const AdvanceBody = Type.Object(
  { currency: CurrencyCode, amount: Type.Optional(DecimalAmount) },
  { additionalProperties: false },
);
const ListQuery = Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) });

/** Status codes of refusals: a grade that allows nothing is forbidden; a statement in the wrong state conflicts. */
const DEFERRAL_STATUS: Readonly<Record<string, number>> = {
  credit_assessment_required: 403, deferral_not_allowed: 403, already_deferred: 409, statement_past_due: 409, statement_not_open: 409,
  nothing_owed: 409, days_exceed_allowed: 422,
};
const ADVANCE_STATUS: Readonly<Record<string, number>> = { advance_pending: 409, nothing_to_advance: 409, amount_exceeds_available: 422 };

export function deferralView(deferral: StoredDeferral) {
  const money = (micros: bigint) => formatMicros(micros, deferral.currency);
  return {
    id: deferral.id, statement_id: deferral.statement_id, statement_number: statementNumberText(deferral.statement_number),
    carrier_id: deferral.carrier_id, currency: deferral.currency, days: deferral.days, grade: deferral.grade, allowed_days: deferral.allowed_days,
    rate_bps_per_year: deferral.rate_bps_per_year, amount_due: money(deferral.amount_due_micros), interest: money(deferral.interest_micros),
    due_date_before: deferral.due_date_before, due_date_after: deferral.due_date_after,
    debit_note: deferral.debit_note_id === null ? null : { id: deferral.debit_note_id, number: noteNumberText('debit', deferral.debit_note_number!) },
    requested_by: deferral.requested_by, created_at: deferral.created_at.toISOString(),
  };
}

export function advanceView(advance: StoredAdvance, operator: boolean) {
  const money = (micros: bigint) => formatMicros(micros, advance.currency);
  return {
    id: advance.id, carrier_id: advance.carrier_id, currency: advance.currency, status: advance.status,
    requested: advance.requested_micros === null ? null : money(advance.requested_micros),
    advance: money(advance.advance_micros), fee: money(advance.fee_micros), net: money(advance.advance_micros - advance.fee_micros),
    repaid_to_node: money(advance.repaid_micros), owed_to_node: money(advance.status === 'funded' || advance.status === 'repaid' ? advance.advance_micros - advance.repaid_micros : 0n),
    refusal_reason: advance.refusal_reason, requested_by: advance.requested_by,
    created_at: advance.created_at.toISOString(), funded_at: advance.funded_at?.toISOString() ?? null,
    lines: advance.lines.map((line) => ({
      seller_statement_id: line.seller_statement_id,
      ...(operator ? { buyer_id: line.buyer_id, buyer_statement_id: line.buyer_statement_id } : {}),
      grade: line.grade, advance_rate_percent: line.advance_rate_percent, advance_fee_bps: line.advance_fee_bps,
      attributable: money(line.attributable_micros), advance: money(line.advance_micros), fee: money(line.fee_micros), repaid_to_node: money(line.repaid_micros),
    })),
  };
}

export function registerFinancingRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const deferrals = new DeferralStore(deps.db, deps.ledger);
  const advances = new AdvanceStore(deps.db, deps.ledger);
  const requireCarrier = async (id: string) => {
    if (!(await deps.members.carrier(id))) throw notFound('unknown carrier');
  };

  api.post('/v1/statements/:id/deferral', { schema: { tags: ['settlement'], params: IdParams, body: DeferralBody } }, async (request, reply) => {
    const result = await deferrals.defer({ statement_id: request.params.id, carrier_scope: carrierScope(request), days: request.body.days, actor: actorOf(request) });
    if (result.outcome === 'refused') {
      if (result.reason === 'unknown_statement') throw notFound('unknown statement');
      throw new ApiError(DEFERRAL_STATUS[result.reason] ?? 409, result.reason, `the deferral is refused: ${result.reason.replaceAll('_', ' ')}; nothing was changed`,
        result.allowed_days === undefined ? {} : { allowed_days: result.allowed_days });
    }
    // Asking again for the same deferral answers the one granted.
    return reply.status(result.outcome === 'granted' ? 201 : 200).send(deferralView(result.deferral));
  });

  api.get('/v1/carriers/:id/deferrals', { schema: { tags: ['settlement'], params: IdParams, querystring: ListQuery } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    await requireCarrier(request.params.id);
    return { deferrals: (await deferrals.list({ carrier_id: request.params.id, limit: request.query.limit ?? 100 })).map(deferralView) };
  });

  api.get('/v1/deferrals', { schema: { tags: ['settlement'], querystring: ListQuery } }, async (request) => (
    { deferrals: (await deferrals.list({ carrier_id: carrierScope(request), limit: request.query.limit ?? 100 })).map(deferralView) }));

  api.post('/v1/carriers/:id/advances', { schema: { tags: ['settlement'], params: IdParams, body: AdvanceBody } }, async (request, reply) => {
    requireOwnCarrier(request, request.params.id);
    await requireCarrier(request.params.id);
    const fsn = deps.fsn;
    if (fsn === undefined) throw new ApiError(503, 'fsn_not_configured', 'no financial services node is configured');
    const requested_micros = request.body.amount === undefined ? null : parseDecimalToMicros(request.body.amount);
    if (requested_micros !== null && requested_micros <= 0n) throw badRequest('invalid_amount', 'amount must be positive');
    const actor = actorOf(request);
    const prepared = await advances.prepare({ seller_id: request.params.id, currency: request.body.currency, requested_micros, actor });
    if (prepared.outcome === 'refused') {
      const details = {
        ...(prepared.available_micros === undefined ? {} : { available: formatMicros(prepared.available_micros, request.body.currency) }),
        ...(prepared.pending_id === undefined ? {} : { advance_id: prepared.pending_id }),
      };
      throw new ApiError(ADVANCE_STATUS[prepared.reason] ?? 409, prepared.reason, `the advance is refused: ${prepared.reason.replaceAll('_', ' ')}; nothing was changed`, details);
    }
    const advance = prepared.advance;
    try {
      const pledge = await new FsnClient(fsn.url).createPledge({
        advance_id: advance.id, seller_id: advance.carrier_id, currency: advance.currency, advance_micros: advance.advance_micros, fee_micros: advance.fee_micros,
        receivables: advance.lines.map((line) => ({ buyer_statement_id: line.buyer_statement_id, pledged_micros: line.attributable_micros, advanced_micros: line.advance_micros })),
      });
      await advances.markPending(advance.id, pledge.id);
    } catch (error) {
      if (!(error instanceof FsnError)) throw error;
      await advances.markFailed(advance.id, error.reason, actor);
      throw new ApiError(502, error.reason, `the financial services node did not take the pledge: ${error.message}; nothing was posted`, { advance_id: advance.id });
    }
    const operator = carrierScope(request) === null;
    return reply.status(201).send(advanceView((await advances.advance(advance.id))!, operator));
  });

  api.get('/v1/carriers/:id/advances', { schema: { tags: ['settlement'], params: IdParams, querystring: ListQuery } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    await requireCarrier(request.params.id);
    const operator = carrierScope(request) === null;
    return { advances: (await advances.list({ carrier_id: request.params.id, limit: request.query.limit ?? 100 })).map((one) => advanceView(one, operator)) };
  });

  api.get('/v1/advances', { schema: { tags: ['settlement'], querystring: ListQuery } }, async (request) => {
    const scope = carrierScope(request);
    return { advances: (await advances.list({ carrier_id: scope, limit: request.query.limit ?? 100 })).map((one) => advanceView(one, scope === null)) };
  });

  api.get('/v1/advances/:id', { schema: { tags: ['settlement'], params: IdParams } }, async (request) => {
    const advance = await advances.advance(request.params.id);
    if (advance === null) throw notFound('unknown advance');
    requireOwnCarrier(request, advance.carrier_id, 'unknown advance');
    return advanceView(advance, carrierScope(request) === null);
  });
}
