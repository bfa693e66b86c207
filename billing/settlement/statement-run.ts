/**
 * The statement run: for one period end, every carrier whose billing period closes that day and
 * that has rated calls not yet billed gets one statement per currency, issued, numbered and with
 * its netting posted to the ledger, all in one database transaction.
 *
 * - Idempotent: the run is keyed by its period end (table statement_runs); a second run for the
 *   same day finds the key taken and changes nothing.
 * - Gapless numbers: the counter row is locked for the whole run and advanced in the same
 *   transaction, so a run that fails takes its numbers back with it, and two runs take turns.
 * - Each side of a call is billed once: the run marks the CDRs it bills (buyer_statement_id,
 *   seller_statement_id) in the same statement that reads their figures back, so a call rated
 *   while the run goes on is either on this statement or left for the next.
 * - Set-based: a run for a thousand carriers is a handful of statements over all of them (one
 *   UPDATE marks both sides of every call it bills), not a handful per carrier; the figures are
 *   still computed in TypeScript by the pure statement core.
 * - A call that started before the statement's period (it was rated after its own period
 *   closed) goes on the statement as an adjustment line; calls that start after the period stay
 *   unbilled.
 */
import type { ITask } from 'pg-promise';
import type { Db } from '../../common/db/database.ts';
import { pgp } from '../../common/db/database.ts';
import { audit } from '../../control/store/audit.ts';
import { periodEndingOn, type BillingTerms, type LocalDate, type PeriodDays } from '../core/billing-period.ts';
import { nextStatementState } from '../core/statement-lifecycle.ts';
import { nettingTransaction, statementTotals, type StatementLine } from '../core/statement.ts';
import type { LedgerStore } from '../ledger-store.ts';
import { termsOf, TERMS_COLUMNS, type TermsRow } from './billing-terms-store.ts';

type Task = ITask<object>;

export interface IssuedStatement {
  readonly id: string;
  readonly number: bigint;
  readonly carrier_id: string;
  readonly currency: string;
  readonly period: PeriodDays;
  readonly balance_micros: bigint;
}

export type StatementRunOutcome =
  | { readonly ok: true; readonly period_end: LocalDate; readonly statements: readonly IssuedStatement[] }
  | { readonly ok: false; readonly reason: 'period_already_run'; readonly period_end: LocalDate; readonly ran_at: Date; readonly statements_count: number }
  | { readonly ok: false; readonly reason: 'period_not_over'; readonly period_end: LocalDate; readonly carrier_id: string };

/** Raised inside the run's transaction to roll it back whole; turned into an outcome outside. */
class RunRefused extends Error {
  constructor(readonly outcome: StatementRunOutcome) {
    super('statement run refused');
  }
}

const lineColumns = new pgp.helpers.ColumnSet(
  ['statement_id', 'line_no', 'section', 'destination_id', 'destination_name', 'adjustment', 'calls', 'billed_s', 'amount_micros', 'fee_micros'],
  { table: 'statement_lines' },
);

export async function runStatements(db: Db, ledger: LedgerStore, period_end: LocalDate, actor: string): Promise<StatementRunOutcome> {
  try {
    return await db.tx('statement-run', async (t) => {
      // A batch job over a whole period's calls, not the call path: its statements may take longer
      // than the pool's 60 s bound (a million calls marked in one UPDATE), within their own bound.
      await t.none(`set local statement_timeout = '${RUN_STATEMENT_TIMEOUT}'`);
      const counter = await t.one<{ last_number: bigint }>(`select last_number from statement_counters where name = 'statement' for update`);
      const run = await t.oneOrNone<{ period_end: string }>(
        'insert into statement_runs (period_end, actor) values ($1, $2) on conflict do nothing returning period_end::text', [period_end, actor]);
      if (run === null) {
        const earlier = await t.one<{ created_at: Date; statements_count: number }>('select created_at, statements_count from statement_runs where period_end = $1', [period_end]);
        return { ok: false, reason: 'period_already_run', period_end, ran_at: earlier.created_at, statements_count: earlier.statements_count } as const;
      }
      const scopes = (await carriersWithTerms(t)).flatMap(({ carrier_id, terms }) => {
        const period = periodEndingOn(terms.period, period_end);
        return period === null ? [] : [{ carrier_id, terms, period }];
      });
      const statements = scopes.length === 0 ? [] : await issueAll(t, ledger, scopes, counter.last_number);
      const last = statements.at(-1)?.number ?? counter.last_number;
      await t.none(`update statement_counters set last_number = $1 where name = 'statement'`, [last.toString()]);
      await t.none('update statement_runs set statements_count = $1 where period_end = $2', [statements.length, period_end]);
      await audit(t, actor, 'statement.run', `period:${period_end}`, { statements: statements.length, first_number: statements[0]?.number.toString() ?? null, last_number: statements.at(-1)?.number.toString() ?? null });
      return { ok: true, period_end, statements } as const;
    });
  } catch (error) {
    if (error instanceof RunRefused) return error.outcome;
    throw error;
  }
}

async function carriersWithTerms(t: Task): Promise<Array<{ carrier_id: string; terms: BillingTerms }>> {
  const rows = await t.any<TermsRow & { id: string; has_terms: boolean }>(
    `select c.id, b.carrier_id is not null as has_terms, ${TERMS_COLUMNS.split(', ').map((column) => `b.${column}`).join(', ')}
     from carriers c left join carrier_billing_terms b on b.carrier_id = c.id order by c.id`);
  return rows.map((row) => ({ carrier_id: row.id, terms: termsOf(row.has_terms ? row : null) }));
}

interface Scope {
  readonly carrier_id: string;
  readonly terms: BillingTerms;
  readonly period: PeriodDays;
}

interface DraftRow {
  id: string;
  carrier_id: string;
  currency: string;
}

interface LineRow {
  statement_id: string;
  section: 'bought' | 'sold';
  destination_id: string | null;
  destination_name: string;
  adjustment: boolean;
  calls: number;
  billed_s: string;
  amount_micros: string;
  fee_micros: string;
}

/** Unbilled, billable calls of one side (the arms match the unbilled partial indexes, so they are used). */
const unbilledSide = (side: 'buyer' | 'seller') => `(c.${side}_statement_id is null and c.billing_status = 'rated' and c.billed_s > 0)`;

/**
 * Issues the statements of every carrier in `scopes`: one per carrier and currency with unbilled
 * calls up to its period's end. Numbers follow carrier id, then currency, from `last_number` on.
 */
async function issueAll(t: Task, ledger: LedgerStore, scopes: readonly Scope[], last_number: bigint): Promise<IssuedStatement[]> {
  await t.none(`create temporary table run_scope (
      carrier_id uuid primary key, period_kind text, time_zone text, period_start date, period_end date, start_at timestamptz, end_at timestamptz
    ) on commit drop`);
  await t.none(
    `insert into run_scope
     select s.carrier_id, s.period_kind, s.time_zone, s.period_start, s.period_end,
            s.period_start::timestamp at time zone s.time_zone, (s.period_end + 1)::timestamp at time zone s.time_zone
     from unnest($1::uuid[], $2::text[], $3::text[], $4::date[], $5::date[]) as s (carrier_id, period_kind, time_zone, period_start, period_end)`,
    [scopes.map((one) => one.carrier_id), scopes.map((one) => one.terms.period), scopes.map((one) => one.terms.time_zone),
      scopes.map((one) => one.period.start), scopes.map((one) => one.period.end)]);
  // Only a period that is over may be closed, with or without calls: a call could still start in
  // it, and a run recorded for it now would refuse the real one later.
  const open = await t.oneOrNone<{ carrier_id: string; period_end: string }>(
    'select carrier_id, period_end::text from run_scope where end_at > now() order by carrier_id limit 1');
  if (open !== null) throw new RunRefused({ ok: false, reason: 'period_not_over', period_end: open.period_end, carrier_id: open.carrier_id });

  // A draft per carrier and currency with unbilled calls before its period's end.
  const drafts = await t.any<DraftRow>(
    `create temporary table run_statements on commit drop as
       select gen_random_uuid() as id, pairs.carrier_id, pairs.currency, s.period_kind, s.time_zone, s.period_start, s.period_end, s.start_at, s.end_at
       from (
         select c.buyer_id as carrier_id, c.currency from cdrs c join run_scope s on s.carrier_id = c.buyer_id
         where ${unbilledSide('buyer')} and c.answer_at < s.end_at
         union
         select c.seller_id, c.currency from cdrs c join run_scope s on s.carrier_id = c.seller_id
         where ${unbilledSide('seller')} and c.answer_at < s.end_at
       ) pairs join run_scope s on s.carrier_id = pairs.carrier_id;
     create unique index on run_statements (carrier_id, currency);
     analyze run_statements;
     insert into statements (id, carrier_id, currency, period_kind, time_zone, period_start, period_end, period_start_at, period_end_at, status)
     select id, carrier_id, currency, period_kind, time_zone, period_start, period_end, start_at, end_at, 'draft' from run_statements;
     select id, carrier_id::text, currency::text from run_statements order by carrier_id, currency`);
  if (drafts.length === 0) return [];

  // Both sides of every call billed by this run, marked in one UPDATE, then summed into lines.
  const lineRows = await t.any<LineRow>(
    `with targets as (
       select c.call_id, b.id as buyer_statement, s.id as seller_statement
       from cdrs c
       left join run_statements b on b.carrier_id = c.buyer_id and b.currency = c.currency and c.buyer_statement_id is null and c.answer_at < b.end_at
       left join run_statements s on s.carrier_id = c.seller_id and s.currency = c.currency and c.seller_statement_id is null and c.answer_at < s.end_at
       where (${unbilledSide('buyer')} or ${unbilledSide('seller')}) and (b.id is not null or s.id is not null)
     ), marked as (
       update cdrs c set buyer_statement_id = coalesce(t.buyer_statement, c.buyer_statement_id),
                         seller_statement_id = coalesce(t.seller_statement, c.seller_statement_id)
       from targets t where c.call_id = t.call_id
       returning c.destination_id, c.answer_at, c.billed_s, c.seller_amount_micros,
                 -- A buyer's statement bills the exchange fee and its risk premium together as fees.
                 c.fee_amount_micros + coalesce(c.premium_amount_micros, 0) as fee_amount_micros, t.buyer_statement, t.seller_statement
     ), sides as (
       select buyer_statement as statement_id, 'bought' as section, destination_id, answer_at, billed_s, seller_amount_micros as amount_micros, fee_amount_micros as fee_micros
       from marked where buyer_statement is not null
       union all
       select seller_statement, 'sold', destination_id, answer_at, billed_s, seller_amount_micros, 0::bigint
       from marked where seller_statement is not null
     )
     select x.statement_id, x.section, x.destination_id, coalesce(d.name, 'Unknown destination') as destination_name, x.answer_at < st.start_at as adjustment,
            count(*)::integer as calls, sum(x.billed_s)::text as billed_s, sum(x.amount_micros)::text as amount_micros, sum(x.fee_micros)::text as fee_micros
     from sides x join run_statements st on st.id = x.statement_id left join destinations d on d.id = x.destination_id
     group by x.statement_id, x.section, x.destination_id, d.name, x.answer_at < st.start_at
     order by x.statement_id, x.section, x.answer_at < st.start_at, destination_name, x.destination_id`);
  const linesOf = new Map<string, StatementLine[]>();
  for (const row of lineRows) {
    const lines = linesOf.get(row.statement_id) ?? [];
    lines.push({
      section: row.section, destination_id: row.destination_id, destination_name: row.destination_name, adjustment: row.adjustment,
      calls: row.calls, billed_s: BigInt(row.billed_s), amount_micros: BigInt(row.amount_micros), fee_micros: BigInt(row.fee_micros),
    });
    linesOf.set(row.statement_id, lines);
  }
  // A draft whose calls another run billed first would have no lines (runs take turns on the
  // counter lock, so none does): it goes without using a number.
  const empty = drafts.filter((draft) => !linesOf.has(draft.id)).map((draft) => draft.id);
  if (empty.length > 0) await t.none('delete from statements where id in ($1:csv)', [empty]);

  const scopeOf = new Map(scopes.map((one) => [one.carrier_id, one]));
  const issued = drafts.filter((draft) => linesOf.has(draft.id)).map((draft, index) => {
    const scope = scopeOf.get(draft.carrier_id)!;
    const lines = linesOf.get(draft.id)!;
    const totals = statementTotals(lines, scope.terms.netting_minimum_micros);
    return { draft, scope, lines, totals, number: last_number + BigInt(index + 1), netting: nettingTransaction(draft.id, draft.carrier_id, draft.currency.trim(), totals.netting_micros) };
  });

  const lineValues = issued.flatMap(({ draft, lines }) => lines.map((line, index) => ({
    ...line, statement_id: draft.id, line_no: index + 1, billed_s: line.billed_s.toString(), amount_micros: line.amount_micros.toString(), fee_micros: line.fee_micros.toString(),
  })));
  for (let from = 0; from < lineValues.length; from += LINES_PER_INSERT) {
    await t.none(pgp.helpers.insert(lineValues.slice(from, from + LINES_PER_INSERT), lineColumns));
  }

  const nettings = issued.flatMap(({ netting }) => (netting === null ? [] : [netting]));
  const postedNettings = nettings.length === 0 ? [] : await ledger.postMany(nettings, t);
  const nettingIds = new Map(nettings.map((draft, index) => [draft.idempotency_key, postedNettings[index]!.transaction_id]));

  const status = nextStatementState('draft', 'issue');
  if (status === undefined) throw new Error('a draft statement must be issuable');
  const column = <T>(pick: (one: (typeof issued)[number]) => T) => issued.map(pick);
  await t.none(
    `update statements s set number = v.number, status = $8, bought_micros = v.bought, fees_micros = v.fees, sold_micros = v.sold,
       netting_micros = v.netting, balance_micros = v.balance, netting_transaction_id = v.netting_transaction_id, issued_at = now(),
       due_date = (now() at time zone s.time_zone)::date + v.days
     from unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $9::bigint[], $10::integer[])
       as v (id, number, bought, fees, sold, netting, balance, netting_transaction_id, days)
     where s.id = v.id`,
    [
      column(({ draft }) => draft.id), column(({ number }) => number.toString()), column(({ totals }) => totals.bought_micros.toString()),
      column(({ totals }) => totals.fees_micros.toString()), column(({ totals }) => totals.sold_micros.toString()),
      column(({ totals }) => totals.netting_micros.toString()), column(({ totals }) => totals.balance_micros.toString()), status,
      column(({ netting }) => (netting === null ? null : nettingIds.get(netting.idempotency_key)!.toString())),
      column(({ scope }) => scope.terms.payment_terms_days),
    ]);
  return issued.map(({ draft, scope, number, totals }) => ({
    id: draft.id, number, carrier_id: draft.carrier_id, currency: draft.currency.trim(), period: scope.period, balance_micros: totals.balance_micros,
  }));
}

/** The longest one statement of a run may take. */
const RUN_STATEMENT_TIMEOUT = '30min';

/** Statement lines per INSERT statement. */
const LINES_PER_INSERT = 5_000;
