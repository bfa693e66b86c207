/**
 * Credit limits and collateral (operators only), and each carrier's credit position (an operator's,
 * or the carrier's own). All changes audited.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros, isCurrencyCode, parseDecimalToMicros } from '../../../common/money.ts';
import { acceptedCollateralKinds } from '../../assessment/assessment-views.ts';
import { actorOf, requireOperator, requireOwnCarrier } from '../access.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import { CurrencyCode, DecimalAmount, IdParams, moneyString } from '../schemas.ts';

// The amount is checked by amountMicros rather than by the schema, so that a bad one gets its own
// reason (invalid_amount) rather than the schema's invalid_request.
const LimitBody = Type.Object({
  amount: moneyString({ maxLength: 40, description: 'the new unsecured limit, a decimal string with at most 6 decimals, e.g. "25000.00"' }),
  currency: CurrencyCode,
}, { additionalProperties: false });
const CollateralBody = Type.Object(
  {
    kind: Type.Union([Type.Literal('deposit'), Type.Literal('letter_of_credit')]),
    amount: DecimalAmount,
    currency: CurrencyCode,
    reference: Type.String({ minLength: 1, maxLength: 200, description: "the bank's or the payment's reference" }),
    valid_until: Type.Optional(Type.String({ format: 'date-time' })),
  },
  { additionalProperties: false },
);
const CurrencyQuery = Type.Object({ currency: Type.Optional(CurrencyCode) });

function amountMicros(text: string, allowZero: boolean): bigint {
  let micros: bigint;
  try {
    micros = parseDecimalToMicros(text);
  } catch {
    throw badRequest('invalid_amount', 'amount must be a decimal string with at most 6 decimals, of at most 1000000000000 units');
  }
  if (micros < 0n || (!allowZero && micros === 0n)) throw badRequest('invalid_amount', allowZero ? 'amount cannot be negative' : 'amount must be positive');
  return micros;
}

function currencyOf(code: string): string {
  if (!isCurrencyCode(code)) throw badRequest('invalid_currency', 'unknown currency');
  return code;
}

export function registerCreditRoutes(app: FastifyInstance, deps: ApiDependencies): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const view = async (carrier_id: string, currency: string) => {
    const credit = await deps.credits.creditView(carrier_id, currency);
    return {
      carrier_id, currency,
      limit: formatMicros(credit.limit_micros, currency),
      collateral: formatMicros(credit.collateral_micros, currency),
      balance: formatMicros(credit.balance_micros, currency),
      reserved: formatMicros(credit.reserved_micros, currency),
      leased: formatMicros(credit.leased_micros, currency),
      available: formatMicros(credit.available_micros, currency),
    };
  };
  const requireCarrier = async (id: string) => {
    const carrier = await deps.members.carrier(id);
    if (!carrier) throw notFound('unknown carrier');
    return carrier;
  };

  api.put('/v1/carriers/:id/credit-limit', { schema: { tags: ['credit'], params: IdParams, body: LimitBody } }, async (request) => {
    requireOperator(request);
    const carrier = await requireCarrier(request.params.id);
    const currency = currencyOf(request.body.currency);
    await deps.credits.setCreditLimit(carrier.id, currency, amountMicros(request.body.amount, true), actorOf(request));
    // Every node gives back credit it set aside under the old limit: a lower one holds from the next call.
    await deps.snapshots.changed({ kind: 'carriers', ids: [carrier.id] });
    return view(carrier.id, currency);
  });

  api.post('/v1/carriers/:id/collateral', { schema: { tags: ['credit'], params: IdParams, body: CollateralBody } }, async (request, reply) => {
    requireOperator(request);
    const carrier = await requireCarrier(request.params.id);
    const body = request.body;
    const valid_until = body.valid_until === undefined ? null : new Date(body.valid_until);
    if (valid_until !== null && valid_until.getTime() <= Date.now()) throw badRequest('invalid_validity', 'valid_until is in the past');
    // The kinds the carrier's latest assessment accepts (grade E: deposits only); none assessed: any.
    const kinds = await acceptedCollateralKinds(deps.db, carrier.id);
    if (kinds !== null && !kinds.includes(body.kind)) {
      throw new ApiError(409, 'collateral_kind_not_accepted', `this carrier's credit terms accept ${kinds.join(' or ').replaceAll('_', ' ')} only; nothing was recorded`);
    }
    const { id } = await deps.credits.addCollateral(
      carrier.id,
      { kind: body.kind, currency: currencyOf(body.currency), amount_micros: amountMicros(body.amount, false), reference: body.reference, valid_until },
      actorOf(request),
    );
    return reply.status(201).send({ id, credit: await view(carrier.id, body.currency) });
  });

  api.delete('/v1/collateral/:id', { schema: { tags: ['credit'], params: IdParams } }, async (request) => {
    requireOperator(request);
    const result = await deps.credits.releaseCollateral(request.params.id, actorOf(request));
    if (!result.ok && result.reason === 'not_found') throw notFound('unknown collateral');
    if (!result.ok) throw new ApiError(409, result.reason, result.reason === 'collateral_in_use' ? 'the collateral backs calls in progress' : 'the collateral is not active');
    await deps.snapshots.changed({ kind: 'carriers', ids: [result.carrier_id] });
    return { id: request.params.id, status: 'released' };
  });

  api.get('/v1/carriers/:id/credit', { schema: { tags: ['credit'], params: IdParams, querystring: CurrencyQuery } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    const carrier = await requireCarrier(request.params.id);
    return view(carrier.id, currencyOf(request.query.currency ?? 'USD'));
  });
}
