/**
 * Credit assessments: a carrier applies (its own key, or an operator for it), an operator runs a
 * new assessment at any time, and the carrier or an operator reads the latest one with its
 * inputs, points per attribute, reasons and terms, and the history before it.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AssessOutcome, AssessmentTrigger } from '../../assessment/assessor.ts';
import { AssessmentViews } from '../../assessment/assessment-views.ts';
import { actorOf, carrierScope, requireOperator, requireOwnCarrier } from '../access.ts';
import { parseDecimalToMicros } from '../../../common/money.ts';
import { AMOUNT_TERMS, overrideProblem, type OverridableTerm } from '../../core/assessment/terms.ts';
import { audit } from '../../store/audit.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { IdParams } from '../schemas.ts';

const BureauId = Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: "the carrier's id at the credit bureau" });
const ApplicationBody = Type.Object({ bureau_id: Type.Optional(BureauId) }, { additionalProperties: false });
const AssessBody = Type.Object(
  {
    bureau_id: Type.Optional(BureauId),
    refresh_bureau: Type.Optional(Type.Boolean({ description: 'ask the bureau even when the cached report is valid' })),
    apply_limit: Type.Optional(Type.Boolean({ description: 'hand a limit set by hand back to assessments' })),
  },
  { additionalProperties: false },
);
const HistoryQuery = Type.Object({ history: Type.Optional(Type.Integer({ minimum: 0, maximum: 200 })) });

/** Most earlier assessments shown beside the latest by default. */
const DEFAULT_HISTORY = 20;

const REFUSAL_STATUS: Record<string, number> = { unknown_carrier: 404, no_bureau_id: 422, bureau_id_locked: 403, unknown_company: 422, invalid_report: 502, bureau_unavailable: 503 };

export function registerCreditAssessmentRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const views = new AssessmentViews(deps.db);
  const assessor = () => {
    if (deps.assessor === undefined) throw new ApiError(503, 'credit_assessment_not_configured', 'credit assessments are not configured on this node');
    return deps.assessor;
  };
  const run = async (request: FastifyRequest, carrier_id: string, trigger: AssessmentTrigger, body: { bureau_id?: string; refresh_bureau?: boolean; apply_limit?: boolean }) => {
    const may_change_bureau_id = carrierScope(request) === null;
    const outcome: AssessOutcome = await assessor().assess({ carrier_id, trigger, actor: actorOf(request), may_change_bureau_id, ...body });
    if (!outcome.ok) {
      if (outcome.reason === 'unknown_carrier') throw notFound('unknown carrier');
      throw new ApiError(REFUSAL_STATUS[outcome.reason] ?? 422, outcome.reason, outcome.message);
    }
    return (await views.byId(outcome.assessment_id))!;
  };

  api.post('/v1/carriers/:id/credit-applications', { schema: { tags: ['credit'], params: IdParams, body: ApplicationBody } }, async (request, reply) => {
    requireOwnCarrier(request, request.params.id);
    return reply.status(201).send(await run(request, request.params.id, 'application', request.body));
  });

  api.post('/v1/carriers/:id/credit-assessment', { schema: { tags: ['credit'], params: IdParams, body: AssessBody } }, async (request, reply) => {
    requireOperator(request);
    return reply.status(201).send(await run(request, request.params.id, 'operator', request.body));
  });

  api.get('/v1/carriers/:id/credit-assessment', { schema: { tags: ['credit'], params: IdParams, querystring: HistoryQuery } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    const [latest, ...history] = await views.history(request.params.id, 1 + (request.query.history ?? DEFAULT_HISTORY));
    if (latest === undefined) throw new ApiError(404, 'no_assessment', 'the carrier has no credit assessment yet');
    return { ...latest, history: history.map(({ id, assessed_at, trigger, score, grade, decision, credit_limit, terms }) => ({
      id, assessed_at, trigger, score, grade, decision, credit_limit: credit_limit.applied, risk_premium_bps: terms.risk_premium_bps,
    })) };
  });
}

const OverrideBody = Type.Object(
  {
    term: Type.Union([
      Type.Literal('unsecured_limit'), Type.Literal('secured_limit'), Type.Literal('premium_bps'), Type.Literal('decision'), Type.Literal('collateral_kinds'),
      Type.Literal('deferral_days'), Type.Literal('deferral_rate_bps_per_year'), Type.Literal('advance_rate_percent'), Type.Literal('advance_fee_bps'),
    ]),
    value: Type.String({
      minLength: 1, maxLength: 40,
      description: 'unsecured_limit, secured_limit: a decimal amount; premium_bps, deferral_rate_bps_per_year, advance_fee_bps: 0 to 10000; deferral_days: 0 to 365; advance_rate_percent: 0 to 100; decision: unsecured, secured or refused; collateral_kinds: deposit, letter_of_credit or both, comma-separated',
    }),
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    expires_at: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

/** The longest an override may last: a year; a longer exception is a new scorecard. */
const MAX_OVERRIDE_MS = 366 * 86_400_000;

/**
 * Operators' overrides of a carrier's terms, with a reason and an expiry: set or revoked, audited,
 * and applied at once by a new assessment (trigger `override`), which shows them beside the
 * computed terms.
 */
export function registerCreditOverrideRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const views = new AssessmentViews(deps.db);
  const reassess = async (request: FastifyRequest, carrier_id: string) => {
    if (deps.assessor === undefined) return null;
    const outcome = await deps.assessor.assess({ carrier_id, trigger: 'override', actor: actorOf(request) });
    return outcome.ok ? views.byId(outcome.assessment_id) : { error: outcome.reason, message: outcome.message };
  };

  api.post('/v1/carriers/:id/credit-overrides', { schema: { tags: ['credit'], params: IdParams, body: OverrideBody } }, async (request, reply) => {
    requireOperator(request);
    const carrier_id = request.params.id;
    const body = request.body;
    const expires_at = new Date(body.expires_at);
    if (!(expires_at.getTime() > Date.now()) || expires_at.getTime() > Date.now() + MAX_OVERRIDE_MS) throw badRequest('invalid_validity', 'expires_at must be in the future, within a year');
    let value = body.value;
    if (AMOUNT_TERMS.has(body.term)) {
      try {
        value = parseDecimalToMicros(body.value).toString();
      } catch {
        throw badRequest('invalid_amount', `a ${body.term} is a decimal amount with at most 6 decimals`);
      }
    }
    const problem = overrideProblem({ term: body.term, value });
    if (problem !== null) throw badRequest('invalid_override', problem);
    const id = await deps.db.tx('credit-override-set', async (t) => {
      const carrier = await t.oneOrNone<{ id: string }>('select id from carriers where id = $1', [carrier_id]);
      if (carrier === null) throw notFound('unknown carrier');
      const row = await t.one<{ id: string }>(
        'insert into credit_overrides (carrier_id, term, value, reason, expires_at, actor) values ($1, $2, $3, $4, $5, $6) returning id',
        [carrier_id, body.term, value, body.reason, expires_at, actorOf(request)]);
      await audit(t, actorOf(request), 'credit.override_set', `carrier:${carrier_id}`, { override_id: row.id, term: body.term, value, reason: body.reason, expires_at: expires_at.toISOString() });
      return row.id;
    });
    return reply.status(201).send({ id, assessment: await reassess(request, carrier_id) });
  });

  api.delete('/v1/credit-overrides/:id', { schema: { tags: ['credit'], params: IdParams } }, async (request) => {
    requireOperator(request);
    const revoked = await deps.db.tx('credit-override-revoke', async (t) => {
      const row = await t.oneOrNone<{ carrier_id: string }>(
        `update credit_overrides set revoked_at = now(), revoked_by = $2 where id = $1 and revoked_at is null returning carrier_id`, [request.params.id, actorOf(request)]);
      if (row === null) return null;
      await audit(t, actorOf(request), 'credit.override_revoked', `carrier:${row.carrier_id}`, { override_id: request.params.id });
      return row;
    });
    if (revoked === null) throw notFound('unknown or already revoked override');
    return { id: request.params.id, status: 'revoked', assessment: await reassess(request, revoked.carrier_id) };
  });
}

// The schema lists every term an operator may override, no more and no fewer.
type SchemaTerm = Static<typeof OverrideBody>['term'];
const termsMatch: [SchemaTerm] extends [OverridableTerm] ? ([OverridableTerm] extends [SchemaTerm] ? true : false) : false = true;
void termsMatch;
