/**
 * Settlement: each carrier's net positions and billing terms, the statement run (operators) and
 * statements as JSON, CSV and PDF. A carrier reaches only its own positions and statements
 * (another carrier's answer 404, as if they did not exist); lines name destinations, never the
 * other side of a call.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros, isCurrencyCode, parseDecimalToMicros } from '../../../common/money.ts';
import { BILLING_PERIOD_KINDS, isLocalDate, type BillingTerms } from '../../../billing/core/billing-period.ts';
import type { Position } from '../../../billing/core/position.ts';
import { statementNumberText } from '../../../billing/core/statement-lifecycle.ts';
import { BillingTermsStore } from '../../../billing/settlement/billing-terms-store.ts';
import { PositionStore } from '../../../billing/settlement/position-store.ts';
import { runStatements } from '../../../billing/settlement/statement-run.ts';
import { auditSettlement } from '../../../billing/settlement/settlement-audit.ts';
import { StatementStore } from '../../../billing/settlement/statement-store.ts';
import { actorOf, carrierScope, requireOperator, requireOwnCarrier } from '../access.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { CurrencyCode, DecimalAmount, IdParams, Uuid } from '../schemas.ts';
import { statementPdf } from '../views/statement-pdf.ts';
import { statementCsv, statementSummaryView, statementView } from '../views/statements.ts';

const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'a calendar day, YYYY-MM-DD', examples: ['2026-11-30'] });
const TermsBody = Type.Object(
  {
    period: Type.Union(BILLING_PERIOD_KINDS.map((kind) => Type.Literal(kind))),
    time_zone: Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone: periods start at local midnight there', examples: ['Europe/London'] }),
    payment_terms_days: Type.Integer({ minimum: 0, maximum: 365, description: 'a statement is due this many days after it is issued' }),
    currency: CurrencyCode,
    netting_minimum: Type.Optional(DecimalAmount),
  },
  { additionalProperties: false },
);
const RunBody = Type.Object({ period_end: Day }, { additionalProperties: false });
const PositionQuery = Type.Object({ currency: Type.Optional(CurrencyCode) });
const StatementQuery = Type.Object({
  carrier_id: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
/** A statement id, optionally with the format to download it in. */
const StatementFileParams = Type.Object({
  file: Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(\\.(csv|pdf|json))?$', description: 'a statement id, optionally followed by .csv, .pdf or .json' }),
});

function positionView(position: Position) {
  const money = (micros: bigint) => formatMicros(micros, position.currency);
  return {
    currency: position.currency,
    receivable: money(position.receivable_micros),
    payable: money(position.payable_micros),
    net: money(position.net_micros),
    unbilled_receivable: money(position.unbilled_receivable_micros),
    unbilled_payable: money(position.unbilled_payable_micros),
    unbilled: money(position.unbilled_net_micros),
    billed_unpaid: money(position.billed_unpaid_micros),
    past_due: money(position.past_due_micros),
    credit_notes: money(position.credit_notes_micros),
    debit_notes: money(position.debit_notes_micros),
    aging: {
      current: money(position.aging.current_micros),
      days_1_15: money(position.aging.days_1_15_micros),
      days_16_30: money(position.aging.days_16_30_micros),
      days_31_60: money(position.aging.days_31_60_micros),
      over_60: money(position.aging.over_60_micros),
    },
  };
}

function termsView(carrier_id: string, terms: BillingTerms) {
  return {
    carrier_id, period: terms.period, time_zone: terms.time_zone, payment_terms_days: terms.payment_terms_days, currency: terms.currency,
    netting_minimum: formatMicros(terms.netting_minimum_micros, terms.currency),
  };
}

export function registerSettlementRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const terms = new BillingTermsStore(deps.db);
  const positions = new PositionStore(deps.db);
  const statements = new StatementStore(deps.db);
  const requireCarrier = async (id: string) => {
    if (!(await deps.members.carrier(id))) throw notFound('unknown carrier');
  };

  api.get('/v1/carriers/:id/position', { schema: { tags: ['settlement'], params: IdParams, querystring: PositionQuery } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    await requireCarrier(request.params.id);
    const all = await positions.positions(request.params.id);
    const wanted = request.query.currency;
    return { carrier_id: request.params.id, positions: all.filter((one) => wanted === undefined || one.currency === wanted).map(positionView) };
  });

  api.get('/v1/carriers/:id/billing-terms', { schema: { tags: ['settlement'], params: IdParams } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    await requireCarrier(request.params.id);
    return termsView(request.params.id, await terms.terms(request.params.id));
  });

  api.put('/v1/carriers/:id/billing-terms', { schema: { tags: ['settlement'], params: IdParams, body: TermsBody } }, async (request) => {
    requireOperator(request);
    await requireCarrier(request.params.id);
    const body = request.body;
    if (!isCurrencyCode(body.currency)) throw badRequest('invalid_currency', 'unknown currency');
    if (!(await terms.isKnownTimeZone(body.time_zone))) throw badRequest('invalid_time_zone', `unknown time zone ${body.time_zone}`);
    let netting_minimum_micros = 0n;
    if (body.netting_minimum !== undefined) {
      netting_minimum_micros = parseDecimalToMicros(body.netting_minimum);
      if (netting_minimum_micros < 0n) throw badRequest('invalid_amount', 'netting_minimum cannot be negative');
    }
    const next: BillingTerms = { period: body.period, time_zone: body.time_zone, payment_terms_days: body.payment_terms_days, currency: body.currency, netting_minimum_micros };
    await terms.setTerms(request.params.id, next, actorOf(request));
    return termsView(request.params.id, next);
  });

  api.post('/v1/statements/run', { schema: { tags: ['settlement'], body: RunBody } }, async (request, reply) => {
    requireOperator(request);
    const { period_end } = request.body;
    if (!isLocalDate(period_end)) throw badRequest('invalid_date', `${period_end} is not a calendar day`);
    const outcome = await runStatements(deps.db, deps.ledger, period_end, actorOf(request));
    if (!outcome.ok && outcome.reason === 'period_already_run') {
      throw new ApiError(409, 'period_already_run', `statements for periods ending ${period_end} were already issued; nothing was changed`,
        { period_end, ran_at: outcome.ran_at.toISOString(), statements_count: outcome.statements_count });
    }
    if (!outcome.ok) {
      throw new ApiError(409, 'period_not_over', `the period ending ${period_end} is not over yet in every carrier's time zone; nothing was changed`, { period_end });
    }
    return reply.status(201).send({
      period_end,
      statements: outcome.statements.map((one) => ({
        id: one.id, number: statementNumberText(one.number), carrier_id: one.carrier_id, currency: one.currency,
        first_day: one.period.start, last_day: one.period.end, balance: formatMicros(one.balance_micros, one.currency),
      })),
    });
  });

  api.get('/v1/ledger/audit', { schema: { tags: ['settlement'] } }, async (request) => {
    requireOperator(request);
    const report = await auditSettlement(deps.db);
    return {
      ok: report.mismatches.length === 0, accounts_checked: report.accounts_checked, statements_checked: report.statements_checked,
      mismatches: report.mismatches.map((one) => ({ subject: one.subject, expected_micros: one.expected_micros.toString(), actual_micros: one.actual_micros.toString() })),
    };
  });

  api.get('/v1/statements', { schema: { tags: ['settlement'], querystring: StatementQuery } }, async (request) => {
    const { carrier_id, limit = 100 } = request.query;
    const rows = await statements.list({ carrier_id: carrierScope(request) ?? carrier_id ?? null, limit });
    return { statements: rows.map(statementSummaryView) };
  });

  api.get('/v1/statements/:file', { schema: { tags: ['settlement'], params: StatementFileParams } }, async (request, reply) => {
    const [id = '', format = 'json'] = request.params.file.toLowerCase().split('.');
    const statement = await statements.statement(id);
    const scope = carrierScope(request);
    if (statement === null || (scope !== null && scope !== statement.carrier_id)) throw notFound('unknown statement');
    const filename = statementNumberText(statement.number);
    if (format === 'csv') {
      return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${filename}.csv"`).send(statementCsv(statement));
    }
    if (format === 'pdf') {
      return reply.type('application/pdf').header('content-disposition', `attachment; filename="${filename}.pdf"`).send(await statementPdf(statement));
    }
    return statementView(statement);
  });
}
