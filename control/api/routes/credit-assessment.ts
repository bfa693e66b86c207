/**
 * Credit assessments: a carrier applies (its own key, or an operator for it), an operator runs a
 * new assessment at any time, and the carrier or an operator reads the latest one with its
 * inputs, points per attribute, reasons and terms, and the history before it.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { AssessOutcome, AssessmentTrigger } from '../../assessment/assessor.ts';
import { AssessmentViews } from '../../assessment/assessment-views.ts';
import { actorOf, requireOperator, requireOwnCarrier } from '../access.ts';
import { ApiError, notFound } from '../errors.ts';
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

const REFUSAL_STATUS: Record<string, number> = { unknown_carrier: 404, no_bureau_id: 422, unknown_company: 422, invalid_report: 502, bureau_unavailable: 503 };

export function registerCreditAssessmentRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const views = new AssessmentViews(deps.db);
  const assessor = () => {
    if (deps.assessor === undefined) throw new ApiError(503, 'credit_assessment_not_configured', 'credit assessments are not configured on this node');
    return deps.assessor;
  };
  const run = async (request: FastifyRequest, carrier_id: string, trigger: AssessmentTrigger, body: { bureau_id?: string; refresh_bureau?: boolean; apply_limit?: boolean }) => {
    const outcome: AssessOutcome = await assessor().assess({ carrier_id, trigger, actor: actorOf(request), ...body });
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
