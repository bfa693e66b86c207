/**
 * Reconciling a carrier's own CDRs: its file is read as it arrives (csv-parse, streaming), every
 * bad line listed; a file with any bad line is refused whole and nothing is stored. Otherwise the
 * exchange's calls of the same side, currency and period are read back, the two are reconciled
 * (billing/core/reconciliation.ts) and the result stored as evidence, audited.
 *
 * The carrier's calls are its own side of each call: for what it bought, the calls it sent and
 * what it was charged for them (fees included); for what it sold, the calls it terminated and
 * what it is paid. Nothing read here names the other side.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { IBaseProtocol } from 'pg-promise';
import type { Db } from '../../common/db/database.ts';
import { csvRecords, CsvSyntaxError } from '../../common/csv-records.ts';
import { audit } from '../../control/store/audit.ts';
import { isCarrierCdrHeader, parseCarrierCdr, type CdrLineProblem } from '../core/carrier-cdr-csv.ts';
import { reconcile, UNKNOWN_DESTINATION, type OurCall, type Reconciliation, type TheirCall, type Tolerances } from '../core/reconciliation.ts';
import type { StatementSection } from '../core/statement.ts';
import { BillingTermsStore } from './billing-terms-store.ts';

/** Lines one upload may hold: a busy carrier's month of calls on the exchange. */
export const MAX_CARRIER_CDR_LINES = 2_000_000;
const MAX_REPORTED_PROBLEMS = 100;

export interface ReconciliationRequest {
  readonly carrier_id: string;
  readonly section: StatementSection;
  /** Defaults to the carrier's billing currency. */
  readonly currency: string | null;
  readonly first_day: string;
  readonly last_day: string;
  readonly tolerances: Tolerances;
  readonly source: Readable | string;
  readonly actor: string;
}

export interface StoredReconciliation {
  readonly id: string;
  readonly carrier_id: string;
  readonly section: StatementSection;
  readonly currency: string;
  readonly time_zone: string;
  readonly first_day: string;
  readonly last_day: string;
  readonly start_at: Date;
  readonly end_at: Date;
  readonly start_tolerance_ms: number;
  readonly duration_tolerance_ms: number;
  readonly our_calls: number;
  readonly their_calls: number;
  readonly matched_calls: number;
  readonly amount_in_question_micros: bigint;
  readonly result: Reconciliation;
  readonly created_at: Date;
}

export type ReconciliationOutcome =
  | { readonly ok: true; readonly reconciliation: StoredReconciliation }
  | { readonly ok: false; readonly reason: 'invalid_csv'; readonly problems: readonly CdrLineProblem[] };

/**
 * The Call-ID a carrier knows for its own leg of a call. The switch keeps one Call-ID on both
 * legs today; were a leg given its own, this is where the seller's would be read, so that a
 * carrier never learns the Call-ID of the other side's leg.
 */
const LEG_CALL_ID_SQL = 'c.call_id';

/** Every time zone's offset is a whole number of quarter hours: one local day per quarter hour. */
const QUARTER_HOUR_MS = 900_000;

/** The local day of an instant in a time zone, as YYYY-MM-DD (remembered per quarter hour: a file has millions of calls). */
export function localDayOf(time_zone: string): (ms: number) => string {
  const format = new Intl.DateTimeFormat('en-CA', { timeZone: time_zone, year: 'numeric', month: '2-digit', day: '2-digit' });
  const days = new Map<number, string>();
  return (ms) => {
    const quarter = Math.floor(ms / QUARTER_HOUR_MS);
    let day = days.get(quarter);
    if (day === undefined) days.set(quarter, (day = format.format(new Date(quarter * QUARTER_HOUR_MS))));
    return day;
  };
}

/** JSON with bigints as strings of micro-units, read back into the same shapes. */
const MICROS_FIELDS = new Set(['amount_micros', 'difference_micros', 'amount_in_question_micros', 'our_amount_micros', 'their_amount_micros', 'rate_difference_micros']);
export const resultToJson = (result: Reconciliation) => JSON.stringify(result, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
const resultFromJson = (json: unknown): Reconciliation =>
  JSON.parse(JSON.stringify(json), (key, value: unknown) => (MICROS_FIELDS.has(key) && typeof value === 'string' ? BigInt(value) : value)) as Reconciliation;

const SUMMARY_COLUMNS = `id, carrier_id, section, trim(currency) as currency, time_zone, first_day::text as first_day, last_day::text as last_day,
  start_at, end_at, start_tolerance_ms, duration_tolerance_ms, our_calls, their_calls, matched_calls, amount_in_question_micros, created_at`;

export class ReconciliationStore {
  constructor(private readonly db: Db) {}

  async reconcile(request: ReconciliationRequest): Promise<ReconciliationOutcome> {
    const terms = await new BillingTermsStore(this.db).terms(request.carrier_id);
    const currency = request.currency ?? terms.currency;
    const span = await this.db.one<{ start_at: Date; end_at: Date }>(
      `select ($1::date)::timestamp at time zone $3 as start_at, ($2::date + 1)::timestamp at time zone $3 as end_at`,
      [request.first_day, request.last_day, terms.time_zone]);
    const read = await readCarrierCdrs(request.source, { start_ms: span.start_at.getTime(), end_ms: span.end_at.getTime() });
    if (!read.ok) return { ok: false, reason: 'invalid_csv', problems: read.problems };
    const ours = await this.ourCalls(request.carrier_id, request.section, currency, span.start_at, span.end_at);
    const known = new Set(ours.map((call) => call.call_id));
    const destinations = await this.destinationsOf(read.calls.filter((call) => call.call_id === null || !known.has(call.call_id)).map((call) => call.called_number));
    const result = reconcile(ours, read.calls, request.tolerances, localDayOf(terms.time_zone),
      (number) => destinations.get(number) ?? { id: null, name: UNKNOWN_DESTINATION });
    const id = randomUUID();
    await this.db.tx('reconciliation', async (t) => {
      await t.none(
        `insert into reconciliations (id, carrier_id, section, currency, time_zone, first_day, last_day, start_at, end_at, start_tolerance_ms,
           duration_tolerance_ms, our_calls, their_calls, matched_calls, amount_in_question_micros, result, created_by)
         values ($<id>, $<carrier_id>, $<section>, $<currency>, $<time_zone>, $<first_day>, $<last_day>, $<start_at>, $<end_at>, $<start_tolerance_ms>,
           $<duration_tolerance_ms>, $<our_calls>, $<their_calls>, $<matched_calls>, $<amount_in_question>, $<result>::jsonb, $<actor>)`,
        {
          id, carrier_id: request.carrier_id, section: request.section, currency, time_zone: terms.time_zone, first_day: request.first_day, last_day: request.last_day,
          start_at: span.start_at, end_at: span.end_at, ...request.tolerances, our_calls: ours.length, their_calls: read.calls.length,
          matched_calls: result.matched_calls, amount_in_question: result.amount_in_question_micros.toString(), result: resultToJson(result), actor: request.actor,
        });
      await audit(t, request.actor, 'reconciliation.create', `reconciliation:${id}`, {
        carrier_id: request.carrier_id, section: request.section, first_day: request.first_day, last_day: request.last_day, mismatches: result.mismatches.length,
      });
    });
    return { ok: true, reconciliation: (await this.reconciliation(id))! };
  }

  async reconciliation(id: string, t: IBaseProtocol<object> = this.db): Promise<StoredReconciliation | null> {
    const row = await t.oneOrNone<StoredReconciliation>(`select ${SUMMARY_COLUMNS}, result from reconciliations where id = $1`, [id]);
    return row === null ? null : { ...row, result: resultFromJson(row.result) };
  }

  /** Newest first, without the (large) result. */
  list(carrier_id: string | null, limit: number): Promise<Array<Omit<StoredReconciliation, 'result'>>> {
    return this.db.any(`select ${SUMMARY_COLUMNS} from reconciliations where ($1::uuid is null or carrier_id = $1) order by created_at desc limit $2`, [carrier_id, limit]);
  }

  /** The exchange's rated, answered calls of one side of the carrier, at what they are worth now (after any rate correction). */
  private ourCalls(carrier_id: string, section: StatementSection, currency: string, start_at: Date, end_at: Date): Promise<OurCall[]> {
    const party = section === 'bought' ? 'buyer' : 'seller';
    const amount = section === 'bought' ? 'buyer_amount_micros' : 'seller_amount_micros';
    return this.db.map(
      `select ${LEG_CALL_ID_SQL} as call_id, (extract(epoch from c.answer_at) * 1000)::bigint as start_ms, c.dialled_number as called_number,
              c.duration_ms, coalesce(latest.${amount}, c.${amount}) as amount_micros, c.destination_id, coalesce(d.name, $<unknown>) as destination_name
       from cdrs c
       left join destinations d on d.id = c.destination_id
       left join lateral (
         select rc.${amount} from rate_correction_calls rc join rate_corrections r on r.id = rc.correction_id
         where rc.call_id = c.call_id order by r.created_at desc, r.id desc limit 1) latest on true
       where c.${party}_id = $<carrier_id> and c.billing_status = 'rated' and c.billed_s > 0 and c.currency = $<currency>
         and c.answer_at >= $<start_at> and c.answer_at < $<end_at>
       order by c.answer_at, c.call_id`,
      { carrier_id, currency, start_at, end_at, unknown: UNKNOWN_DESTINATION },
      (row: { call_id: string; start_ms: bigint; called_number: string; duration_ms: bigint; amount_micros: bigint; destination_id: string | null; destination_name: string }) => ({
        ...row, start_ms: Number(row.start_ms), duration_ms: Number(row.duration_ms),
      }));
  }

  /** Each number's destination by its longest prefix, for calls only the carrier has. */
  private async destinationsOf(numbers: readonly string[]): Promise<Map<string, { id: string; name: string }>> {
    const distinct = [...new Set(numbers)];
    if (distinct.length === 0) return new Map();
    const rows = await this.db.any<{ number: string; id: string; name: string }>(
      `select n.number, d.id, d.name
       from unnest($1::text[]) as n(number)
       cross join lateral (
         select p.destination_id from destination_prefixes p
         where p.prefix in (select left(regexp_replace(n.number, '[^0-9]', '', 'g'), k) from generate_series(1, 15) k)
         order by length(p.prefix) desc limit 1) best
       join destinations d on d.id = best.destination_id`,
      [distinct]);
    return new Map(rows.map((row) => [row.number, { id: row.id, name: row.name }]));
  }
}

/** Reads the carrier's file: its calls, or every bad line (at most 100 listed) and nothing else. */
export async function readCarrierCdrs(
  source: Readable | string, span: { start_ms: number; end_ms: number },
): Promise<{ ok: true; calls: TheirCall[] } | { ok: false; problems: CdrLineProblem[] }> {
  const calls: TheirCall[] = [];
  const problems: CdrLineProblem[] = [];
  let first = true;
  try {
    for await (const record of csvRecords(source, MAX_CARRIER_CDR_LINES + 1)) {
      if (first && isCarrierCdrHeader(record.fields)) {
        first = false;
        continue;
      }
      first = false;
      const parsed = parseCarrierCdr(record.fields, record.line, span);
      if ('reason' in parsed) {
        if (problems.length < MAX_REPORTED_PROBLEMS) problems.push(parsed);
      } else if (problems.length === 0) {
        calls.push(parsed);
      }
    }
  } catch (error) {
    if (!(error instanceof CsvSyntaxError)) throw error;
    // A file that is not CSV past some line is refused for that line alone, as the other
    // uploads are: which lines before it were read depends on how the file arrived.
    return { ok: false, problems: [{ line: error.line, reason: 'invalid_csv', message: error.message }] };
  }
  if (problems.length === 0 && calls.length === 0) problems.push({ line: 1, reason: 'empty_file', message: 'the file has no calls' });
  return problems.length > 0 ? { ok: false, problems } : { ok: true, calls };
}
