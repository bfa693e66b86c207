/**
 * Past due and draws: the exchange's overdue policy (operators set it, audited), where carriers
 * stand, the notices each transition produced (the operator sees all, a carrier its own), the
 * webhook a carrier registers to receive them, an evaluation on demand, draws on collateral by
 * hand, and each carrier's collateral with what is left of it.
 */
import { randomBytes } from 'node:crypto';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros, parseDecimalToMicros } from '../../../common/money.ts';
import { validatePolicy } from '../../../billing/core/overdue-policy.ts';
import { OverdueStore, type CarrierOverdue } from '../../../billing/overdue/overdue-store.ts';
import { CollateralStore } from '../../../billing/settlement/collateral-store.ts';
import { actorOf, carrierScope, requireOperator, requireOwnCarrier } from '../access.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { DecimalAmount, IdParams, Uuid } from '../schemas.ts';

const PolicyBody = Type.Object({ states: Type.Array(Type.Unknown(), { maxItems: 20 }) }, { additionalProperties: false });
const WebhookBody = Type.Object({ url: Type.String({ minLength: 1, maxLength: 2000, description: 'where notices are POSTed', examples: ['https://carrier.example/minutex'] }) }, { additionalProperties: false });
const ListQuery = Type.Object({ carrier_id: Type.Optional(Uuid), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })) });
const DrawBody = Type.Object({ statement_id: Uuid, amount: DecimalAmount }, { additionalProperties: false });

/** The HTTP status a refused draw answers with. */
const DRAW_STATUS: Readonly<Record<string, number>> = { unknown_collateral: 404, unknown_statement: 404 };

function standingView(row: CarrierOverdue) {
  return {
    carrier_id: row.carrier_id, state: row.state, blocked: row.blocked, days_past_due: row.days_past_due, past_due: row.past_due,
    since: row.since?.toISOString() ?? null, evaluated_at: row.evaluated_at?.toISOString() ?? null,
  };
}

function webhookUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw badRequest('invalid_url', 'url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badRequest('invalid_url', 'url must be an absolute http(s) URL');
  if (url.username !== '' || url.password !== '') throw badRequest('invalid_url', 'url must not carry credentials');
  return url.toString();
}

export function registerOverdueRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const store = new OverdueStore(deps.db);
  const collateral = new CollateralStore(deps.db, deps.ledger);
  const service = () => {
    if (deps.overdue === undefined) throw new ApiError(503, 'overdue_not_running', 'the overdue policy is not running on this node');
    return deps.overdue;
  };
  const requireCarrier = async (id: string) => {
    if (!(await deps.members.carrier(id))) throw notFound('unknown carrier');
  };

  api.get('/v1/overdue/policy', { schema: { tags: ['settlement'] } }, async () => ({ states: await store.policy() }));

  api.put('/v1/overdue/policy', { schema: { tags: ['settlement'], body: PolicyBody } }, async (request) => {
    requireOperator(request);
    const checked = validatePolicy(request.body.states);
    if (!checked.ok) throw badRequest('invalid_policy', checked.reason);
    await store.setPolicy(checked.policy, actorOf(request));
    return { states: checked.policy };
  });

  api.get('/v1/overdue', { schema: { tags: ['settlement'], querystring: ListQuery } }, async (request) => {
    const rows = await store.standings(carrierScope(request) ?? request.query.carrier_id ?? null);
    return { carriers: rows.map(standingView) };
  });

  api.post('/v1/overdue/evaluate', { schema: { tags: ['settlement'] } }, async (request) => {
    requireOperator(request);
    const evaluations = await service().evaluateAll();
    return { evaluated_at: service().now().toISOString(), carriers: evaluations };
  });

  api.get('/v1/overdue/notices', { schema: { tags: ['settlement'], querystring: ListQuery } }, async (request) => {
    const rows = await store.notices(carrierScope(request) ?? request.query.carrier_id ?? null, request.query.limit ?? 100);
    return {
      notices: rows.map((row) => ({
        id: row.event_id, carrier_id: row.carrier_id, state: row.state, message: row.message, payload: row.payload, delivery: row.delivery,
        attempts: row.attempts, delivered_at: row.delivered_at?.toISOString() ?? null, created_at: row.created_at.toISOString(),
      })),
    };
  });

  api.put('/v1/carriers/:id/webhook', { schema: { tags: ['settlement'], params: IdParams, body: WebhookBody } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    await requireCarrier(request.params.id);
    const url = webhookUrl(request.body.url);
    // A carrier's notices travel over the internet: only an operator may register plain HTTP (tests, a private network).
    if (carrierScope(request) !== null && !url.startsWith('https:')) throw badRequest('https_required', 'a carrier registers an https URL');
    // A fresh secret at each registration, shown once: notices are signed with it.
    const secret = randomBytes(32).toString('hex');
    await store.setWebhook(request.params.id, url, secret, actorOf(request));
    return { carrier_id: request.params.id, url, secret };
  });

  api.get('/v1/carriers/:id/webhook', { schema: { tags: ['settlement'], params: IdParams } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    const webhook = await store.webhook(request.params.id);
    if (webhook === null) throw notFound('no webhook registered');
    return { carrier_id: request.params.id, url: webhook.url, updated_at: webhook.updated_at.toISOString() };
  });

  api.delete('/v1/carriers/:id/webhook', { schema: { tags: ['settlement'], params: IdParams } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    if (!(await store.deleteWebhook(request.params.id, actorOf(request)))) throw notFound('no webhook registered');
    return { carrier_id: request.params.id, deleted: true };
  });

  api.post('/v1/collateral/:id/draws', { schema: { tags: ['settlement'], params: IdParams, body: DrawBody } }, async (request, reply) => {
    requireOperator(request);
    let amount_micros: bigint;
    try {
      amount_micros = parseDecimalToMicros(request.body.amount);
    } catch {
      throw badRequest('invalid_amount', 'amount must be a decimal string');
    }
    if (amount_micros <= 0n) throw badRequest('invalid_amount', 'amount must be positive');
    const outcome = await service().drawNow({ collateral_id: request.params.id, statement_id: request.body.statement_id, amount_micros, actor: actorOf(request) });
    if (!outcome.ok) throw new ApiError(DRAW_STATUS[outcome.reason] ?? 422, outcome.reason, `the draw was refused: ${outcome.reason.replaceAll('_', ' ')}; nothing was changed`);
    return reply.status(201).send({ id: outcome.draw_id, kind: outcome.kind, status: outcome.kind === 'deposit' ? 'honoured' : 'presented' });
  });

  api.get('/v1/carriers/:id/collateral', { schema: { tags: ['settlement'], params: IdParams } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    await requireCarrier(request.params.id);
    const { collateral: rows, draws } = await collateral.list(request.params.id);
    return {
      carrier_id: request.params.id,
      collateral: rows.map((row) => ({
        id: row.id, kind: row.kind, currency: row.currency, reference: row.reference, status: row.status, valid_until: row.valid_until?.toISOString() ?? null,
        amount: formatMicros(row.amount_micros, row.currency), drawn: formatMicros(row.drawn_micros, row.currency), left: formatMicros(row.amount_micros - row.drawn_micros, row.currency),
      })),
      draws: draws.map((row) => ({
        id: row.id, collateral_id: row.collateral_id, statement_id: row.statement_id, currency: row.currency, amount: formatMicros(row.amount_micros, row.currency),
        status: row.status, refusal_reason: row.refusal_reason, created_at: row.created_at.toISOString(),
      })),
    };
  });
}
