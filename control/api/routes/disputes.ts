/**
 * Disputes: a carrier's CDR reconciliations (its own file, read as it arrives), disputes on its
 * statement lines, the operator's resolution, rate corrections of trades, and the credit and debit
 * notes they issue (JSON, CSV, PDF). A carrier reaches only its own (another carrier's answer 404,
 * as if they did not exist); resolving and correcting are operator actions, audited.
 */
import type { Readable } from 'node:stream';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { formatMicros, parseDecimalToMicros } from '../../../common/money.ts';
import { isLocalDate } from '../../../billing/core/billing-period.ts';
import { noteNumberText } from '../../../billing/core/notes.ts';
import { DEFAULT_TOLERANCES } from '../../../billing/core/reconciliation.ts';
import { DisputeStore } from '../../../billing/settlement/dispute-store.ts';
import { NoteStore } from '../../../billing/settlement/note-store.ts';
import { correctRate } from '../../../billing/settlement/rate-correction.ts';
import { ReconciliationStore } from '../../../billing/settlement/reconciliation-store.ts';
import { parseIncrements, parseIsoTime } from '../../exchange/order-input.ts';
import { actorOf, carrierScope, requireOperator, requireOwnCarrier } from '../access.ts';
import { ApiError, badRequest, notFound } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { DecimalAmount, IdParams, Uuid } from '../schemas.ts';
import { notePdf } from '../views/note-pdf.ts';
import { disputeView, noteCsv, noteView, reconciliationSummaryView, reconciliationView } from '../views/disputes.ts';

const Day = Type.String({ pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$', description: 'a calendar day, YYYY-MM-DD' });
const Section = Type.Union([Type.Literal('bought'), Type.Literal('sold')], { description: 'which side of your calls: what you bought or what you sold' });
const ReconcileQuery = Type.Object({
  section: Section,
  first_day: Day,
  last_day: Day,
  currency: Type.Optional(Type.String({ pattern: '^[A-Z]{3}$' })),
  start_tolerance_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 300, description: 'how far apart two starts may be and still be one call (default 5)' })),
  duration_tolerance_seconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 60, description: 'how far apart two durations may be and still agree (default 1)' })),
});
const ListQuery = Type.Object({
  carrier_id: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
const DisputeListQuery = Type.Object({
  carrier_id: Type.Optional(Uuid),
  status: Type.Optional(Type.Union([Type.Literal('open'), Type.Literal('accepted'), Type.Literal('rejected')])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
const NoteListQuery = Type.Object({
  carrier_id: Type.Optional(Uuid),
  statement_id: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
const OpenDisputeBody = Type.Object({
  statement_id: Uuid,
  line_no: Type.Integer({ minimum: 1, description: "the statement line's number (1 = the first line)" }),
  reconciliation_id: Uuid,
  kind: Type.Union([Type.Literal('rate'), Type.Literal('volume')]),
  reason: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });
const ResolveBody = Type.Object({
  outcome: Type.Union([Type.Literal('accepted'), Type.Literal('rejected')]),
  amount: Type.Optional(DecimalAmount),
  note: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });
const CorrectionBody = Type.Object({
  price_per_minute: DecimalAmount,
  increments: Type.Optional(Type.String({ description: "first/next billing increments in seconds, e.g. 60/60; default: the trade's" })),
  connect_fee: Type.Optional(DecimalAmount),
  calls_from: Type.String({ description: 'ISO 8601 time: calls answered from then on' }),
  calls_to: Type.String({ description: 'ISO 8601 time: calls answered before then' }),
  reason: Type.String({ minLength: 1, maxLength: 2000 }),
}, { additionalProperties: false });
const NoteFileParams = Type.Object({
  file: Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(\\.(csv|pdf|json))?$', description: 'a note id, optionally followed by .csv, .pdf or .json' }),
});

const OPEN_STATUS: Readonly<Record<string, number>> = {
  unknown_statement: 404, unknown_line: 404, unknown_reconciliation: 404, dispute_already_open: 409, statement_void: 409,
  evidence_does_not_cover_line: 400, dispute_window_closed: 422, below_volume_threshold: 422, nothing_in_dispute: 422,
};

function micros(text: string, what: string): bigint {
  try {
    return parseDecimalToMicros(text);
  } catch {
    throw badRequest('invalid_amount', `${what} must be a decimal with at most 6 decimals`);
  }
}

export function registerDisputeRoutes(app: FastifyInstance, deps: RouteContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const reconciliations = new ReconciliationStore(deps.db);
  const disputes = new DisputeStore(deps.db, deps.ledger);
  const notes = new NoteStore(deps.db);
  const reassessOverdue = async (carrier_id: string, log: { error(details: object, message: string): void }) => {
    await deps.overdue?.evaluateCarrier(carrier_id).catch((error: unknown) => log.error({ err: error, carrier_id }, 'overdue evaluation after a note failed'));
  };

  // The carrier's CDR file is read as it arrives (csv-parse, streaming), not buffered whole.
  void app.register((scope, _options, registered) => {
    scope.removeContentTypeParser('text/csv');
    scope.addContentTypeParser('text/csv', (_request, payload, done) => done(null, payload));
    scope.withTypeProvider<TypeBoxTypeProvider>().post('/v1/carriers/:id/reconciliations', {
      schema: { tags: ['disputes'], params: IdParams, querystring: ReconcileQuery, consumes: ['text/csv'] },
    }, async (request, reply) => {
      requireOwnCarrier(request, request.params.id);
      if (!(await deps.members.carrier(request.params.id))) throw notFound('unknown carrier');
      const query = request.query;
      if (!isLocalDate(query.first_day) || !isLocalDate(query.last_day) || query.last_day < query.first_day) {
        throw badRequest('invalid_date', 'first_day and last_day are calendar days, first_day not after last_day');
      }
      if (request.headers['content-type']?.split(';')[0]?.trim() !== 'text/csv') throw badRequest('invalid_request', 'send your CDRs as a CSV file (Content-Type: text/csv)');
      const outcome = await reconciliations.reconcile({
        carrier_id: request.params.id, section: query.section, currency: query.currency ?? null, first_day: query.first_day, last_day: query.last_day,
        tolerances: {
          start_tolerance_ms: (query.start_tolerance_seconds ?? DEFAULT_TOLERANCES.start_tolerance_ms / 1000) * 1000,
          duration_tolerance_ms: (query.duration_tolerance_seconds ?? DEFAULT_TOLERANCES.duration_tolerance_ms / 1000) * 1000,
        },
        source: request.body as Readable, actor: actorOf(request),
      });
      if (!outcome.ok) throw new ApiError(400, 'invalid_csv', 'the CDR file has bad lines: nothing was stored', { problems: outcome.problems });
      return reply.status(201).send(reconciliationView(outcome.reconciliation));
    });
    registered();
  });

  api.get('/v1/carriers/:id/reconciliations', { schema: { tags: ['disputes'], params: IdParams, querystring: ListQuery } }, async (request) => {
    requireOwnCarrier(request, request.params.id);
    const rows = await reconciliations.list(request.params.id, request.query.limit ?? 100);
    return { reconciliations: rows.map(reconciliationSummaryView) };
  });

  api.get('/v1/reconciliations/:id', { schema: { tags: ['disputes'], params: IdParams } }, async (request) => {
    const reconciliation = await reconciliations.reconciliation(request.params.id);
    const scope = carrierScope(request);
    if (reconciliation === null || (scope !== null && scope !== reconciliation.carrier_id)) throw notFound('unknown reconciliation');
    return reconciliationView(reconciliation);
  });

  api.post('/v1/disputes', { schema: { tags: ['disputes'], body: OpenDisputeBody } }, async (request, reply) => {
    const body = request.body;
    const outcome = await disputes.open({
      scope: carrierScope(request), statement_id: body.statement_id, line_no: body.line_no, reconciliation_id: body.reconciliation_id,
      kind: body.kind, reason: body.reason ?? '', actor: actorOf(request), now_ms: Date.now(),
    });
    if (!outcome.ok) {
      const status = OPEN_STATUS[outcome.reason] ?? 400;
      throw status === 404 ? new ApiError(404, 'not_found', outcome.message, { reason: outcome.reason }) : new ApiError(status, outcome.reason, outcome.message);
    }
    return reply.status(201).send(disputeView(outcome.dispute));
  });

  api.get('/v1/disputes', { schema: { tags: ['disputes'], querystring: DisputeListQuery } }, async (request) => {
    const { carrier_id, status, limit = 100 } = request.query;
    const rows = await disputes.list({ carrier_id: carrierScope(request) ?? carrier_id ?? null, status: status ?? null, limit });
    return { disputes: rows.map(disputeView) };
  });

  api.get('/v1/disputes/:id', { schema: { tags: ['disputes'], params: IdParams } }, async (request) => {
    const dispute = await disputes.dispute(request.params.id);
    const scope = carrierScope(request);
    if (dispute === null || (scope !== null && scope !== dispute.carrier_id)) throw notFound('unknown dispute');
    return disputeView(dispute);
  });

  api.post('/v1/disputes/:id/resolve', { schema: { tags: ['disputes'], params: IdParams, body: ResolveBody } }, async (request) => {
    requireOperator(request);
    const body = request.body;
    if (body.outcome === 'accepted' && body.amount === undefined) throw badRequest('invalid_amount', 'an accepted dispute says the amount credited');
    if (body.outcome === 'rejected' && body.amount !== undefined) throw badRequest('invalid_amount', 'a rejected dispute credits nothing');
    const accepted_micros = body.amount === undefined ? null : micros(body.amount, 'amount');
    const outcome = await disputes.resolve(request.params.id, { outcome: body.outcome, accepted_micros, note: body.note ?? '' }, actorOf(request));
    if (!outcome.ok) {
      if (outcome.reason === 'unknown_dispute') throw notFound('unknown dispute');
      throw new ApiError(outcome.reason === 'dispute_already_resolved' ? 409 : 400, outcome.reason, outcome.message);
    }
    // A credit may bring what the carrier has past due to zero: the overdue policy looks at once.
    if (outcome.dispute.credit_note_id !== null) await reassessOverdue(outcome.dispute.carrier_id, request.log);
    const note = outcome.dispute.credit_note_id === null ? null : await notes.note(outcome.dispute.credit_note_id);
    return { dispute: disputeView(outcome.dispute), credit_note: note === null ? null : noteView(note) };
  });

  api.post('/v1/trades/:id/rate-corrections', { schema: { tags: ['disputes'], params: IdParams, body: CorrectionBody } }, async (request, reply) => {
    requireOperator(request);
    const body = request.body;
    const trade = await deps.db.oneOrNone<{ first_increment_s: number; next_increment_s: number; connect_fee_micros: bigint }>(
      'select first_increment_s, next_increment_s, connect_fee_micros from trades where id = $1', [request.params.id]);
    if (trade === null) throw notFound('unknown trade');
    const price_per_minute_micros = micros(body.price_per_minute, 'price_per_minute');
    if (price_per_minute_micros <= 0n) throw badRequest('invalid_price', 'price_per_minute must be greater than zero');
    const connect_fee_micros = body.connect_fee === undefined ? trade.connect_fee_micros : micros(body.connect_fee, 'connect_fee');
    if (connect_fee_micros < 0n) throw badRequest('invalid_amount', 'connect_fee cannot be negative');
    let increments = { first_increment_s: trade.first_increment_s, next_increment_s: trade.next_increment_s };
    if (body.increments !== undefined) {
      const parsed = parseIncrements(body.increments);
      if (!parsed.ok) throw badRequest('invalid_increments', parsed.message);
      increments = { first_increment_s: parsed.first_increment_s, next_increment_s: parsed.next_increment_s };
    }
    const from_ms = parseIsoTime(body.calls_from);
    const to_ms = parseIsoTime(body.calls_to);
    if (from_ms === null || to_ms === null || to_ms <= from_ms) throw badRequest('invalid_period', 'calls_from and calls_to are ISO 8601 times, calls_from before calls_to');
    const outcome = await correctRate(deps.db, deps.ledger, {
      trade_id: request.params.id, tariff: { price_per_minute_micros, connect_fee_micros, ...increments },
      calls_from: new Date(from_ms), calls_to: new Date(to_ms), reason: body.reason, actor: actorOf(request),
    });
    if (!outcome.ok) throw notFound('unknown trade');
    for (const carrier_id of new Set(outcome.notes.map((note) => note.carrier_id))) await reassessOverdue(carrier_id, request.log);
    return reply.status(outcome.correction_id === null ? 200 : 201).send({
      correction_id: outcome.correction_id, calls_corrected: outcome.calls_corrected, calls_not_yet_billed: outcome.calls_not_yet_billed,
      notes: outcome.notes.map((note) => ({
        id: note.id, kind: note.kind, number: noteNumberText(note.kind, note.number), carrier_id: note.carrier_id, amount: formatMicros(note.amount_micros, outcome.currency),
      })),
    });
  });

  api.get('/v1/notes', { schema: { tags: ['disputes'], querystring: NoteListQuery } }, async (request) => {
    const { carrier_id, statement_id, limit = 100 } = request.query;
    const rows = await notes.list({ carrier_id: carrierScope(request) ?? carrier_id ?? null, statement_id: statement_id ?? null, limit });
    return { notes: rows.map(noteView) };
  });

  api.get('/v1/notes/:file', { schema: { tags: ['disputes'], params: NoteFileParams } }, async (request, reply) => {
    const [id = '', format = 'json'] = request.params.file.toLowerCase().split('.');
    const note = await notes.note(id);
    const scope = carrierScope(request);
    if (note === null || (scope !== null && scope !== note.carrier_id)) throw notFound('unknown note');
    if (format === 'csv') return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${note.number_text}.csv"`).send(noteCsv(note));
    if (format === 'pdf') return reply.type('application/pdf').header('content-disposition', `attachment; filename="${note.number_text}.pdf"`).send(await notePdf(note));
    return noteView(note);
  });
}
