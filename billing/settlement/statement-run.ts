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
 * - A call that started before the statement's period (it was rated after its own period
 *   closed) goes on the statement as an adjustment line; calls that start after the period stay
 *   unbilled.
 */
import { randomUUID } from 'node:crypto';
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

/** The rated, unbilled, billable calls of one side of a carrier (the unbilled partial indexes match it). */
const unbilled = (side: 'buyer' | 'seller') =>
  `${side}_id = $<carrier_id> and ${side}_statement_id is null and billing_status = 'rated' and billed_s > 0`;

export async function runStatements(db: Db, ledger: LedgerStore, period_end: LocalDate, actor: string): Promise<StatementRunOutcome> {
  try {
    return await db.tx('statement-run', async (t) => {
      const counter = await t.one<{ last_number: bigint }>(`select last_number from statement_counters where name = 'statement' for update`);
      const run = await t.oneOrNone<{ period_end: string }>(
        'insert into statement_runs (period_end, actor) values ($1, $2) on conflict do nothing returning period_end::text', [period_end, actor]);
      if (run === null) {
        const earlier = await t.one<{ created_at: Date; statements_count: number }>('select created_at, statements_count from statement_runs where period_end = $1', [period_end]);
        return { ok: false, reason: 'period_already_run', period_end, ran_at: earlier.created_at, statements_count: earlier.statements_count } as const;
      }
      let last = counter.last_number;
      const statements: IssuedStatement[] = [];
      for (const { carrier_id, terms } of await carriersWithTerms(t)) {
        const period = periodEndingOn(terms.period, period_end);
        if (period === null) continue;
        for (const issued of await issueForCarrier(t, ledger, carrier_id, terms, period, () => (last += 1n))) statements.push(issued);
      }
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

/** Issues this carrier's statements for the period, one per currency it has unbilled calls in. */
async function issueForCarrier(
  t: Task, ledger: LedgerStore, carrier_id: string, terms: BillingTerms, period: PeriodDays, nextNumber: () => bigint,
): Promise<IssuedStatement[]> {
  const span = await t.one<{ start_at: Date; end_at: Date; over: boolean }>(
    `select ($1::date)::timestamp at time zone $3 as start_at, ($2::date + 1)::timestamp at time zone $3 as end_at,
       ($2::date + 1)::timestamp at time zone $3 <= now() as over`,
    [period.start, period.end, terms.time_zone]);
  // Only a period that is over may be closed, with or without calls: a call could still start in
  // it, and a run recorded for it now would refuse the real one later.
  if (!span.over) throw new RunRefused({ ok: false, reason: 'period_not_over', period_end: period.end, carrier_id });
  const values = { carrier_id, start_at: span.start_at, end_at: span.end_at };
  const currencies = await t.map<string>(
    `select currency from cdrs where ${unbilled('buyer')} and answer_at < $<end_at>
     union select currency from cdrs where ${unbilled('seller')} and answer_at < $<end_at> order by 1`,
    values, (row: { currency: string }) => row.currency.trim());
  if (currencies.length === 0) return [];
  const issued: IssuedStatement[] = [];
  for (const currency of currencies) {
    const statement = await issueOne(t, ledger, { ...values, currency }, terms, period, nextNumber);
    if (statement !== null) issued.push(statement);
  }
  return issued;
}

async function issueOne(
  t: Task, ledger: LedgerStore, scope: { carrier_id: string; currency: string; start_at: Date; end_at: Date },
  terms: BillingTerms, period: PeriodDays, nextNumber: () => bigint,
): Promise<IssuedStatement | null> {
  const id = randomUUID();
  await t.none(
    `insert into statements (id, carrier_id, currency, period_kind, time_zone, period_start, period_end, period_start_at, period_end_at, status)
     values ($<id>, $<carrier_id>, $<currency>, $<period_kind>, $<time_zone>, $<start>, $<end>, $<start_at>, $<end_at>, 'draft')`,
    { id, ...scope, period_kind: terms.period, time_zone: terms.time_zone, start: period.start, end: period.end });
  const lines = await billLines(t, id, scope);
  if (lines.length === 0) {
    // Another run billed them first (it cannot: the counter lock serializes runs), or the calls
    // vanished: nothing to issue, and the draft goes without having used a number.
    await t.none('delete from statements where id = $1', [id]);
    return null;
  }
  await t.none(pgp.helpers.insert(lines.map((line, index) => ({
    ...line, statement_id: id, line_no: index + 1, billed_s: line.billed_s.toString(), amount_micros: line.amount_micros.toString(), fee_micros: line.fee_micros.toString(),
  })), lineColumns));
  const totals = statementTotals(lines, terms.netting_minimum_micros);
  const netting = nettingTransaction(id, scope.carrier_id, scope.currency, totals.netting_micros);
  const posted = netting === null ? null : (await ledger.postMany([netting], t))[0]!;
  const status = nextStatementState('draft', 'issue');
  if (status === undefined) throw new Error('a draft statement must be issuable');
  const number = nextNumber();
  await t.none(
    `update statements set number = $<number>, status = $<status>, bought_micros = $<bought>, fees_micros = $<fees>, sold_micros = $<sold>,
       netting_micros = $<netting>, balance_micros = $<balance>, netting_transaction_id = $<netting_transaction_id>, issued_at = now(),
       due_date = (now() at time zone time_zone)::date + $<days>::integer
     where id = $<id>`,
    {
      id, status, number: number.toString(), bought: totals.bought_micros.toString(), fees: totals.fees_micros.toString(), sold: totals.sold_micros.toString(),
      netting: totals.netting_micros.toString(), balance: totals.balance_micros.toString(),
      netting_transaction_id: posted === null ? null : posted.transaction_id.toString(), days: terms.payment_terms_days,
    });
  return { id, number, carrier_id: scope.carrier_id, currency: scope.currency, period, balance_micros: totals.balance_micros };
}

interface LineRow {
  section: 'bought' | 'sold';
  destination_id: string | null;
  destination_name: string;
  adjustment: boolean;
  calls: number;
  billed_s: bigint;
  amount_micros: bigint;
  fee_micros: bigint;
}

/**
 * Marks the carrier's unbilled calls of this currency up to the period's end as billed by the
 * statement, and returns them summed per side, destination and adjustment. Each side is its own
 * statement, so that a call a carrier made to itself is billed on both sides.
 */
async function billLines(t: Task, statement_id: string, scope: { carrier_id: string; currency: string; start_at: Date; end_at: Date }): Promise<StatementLine[]> {
  const values = { ...scope, statement_id };
  const side = async (section: 'bought' | 'sold') => {
    const party = section === 'bought' ? 'buyer' : 'seller';
    // A buyer's statement bills the exchange fee and its risk premium together as fees.
    const fee = section === 'bought' ? '(fee_amount_micros + coalesce(premium_amount_micros, 0))' : '0::bigint';
    return t.any<LineRow>(
      `with marked as (
         update cdrs set ${party}_statement_id = $<statement_id>
         where ${unbilled(party)} and currency = $<currency> and answer_at < $<end_at>
         returning destination_id, answer_at < $<start_at> as adjustment, billed_s, seller_amount_micros, ${fee} as fee_micros)
       select '${section}' as section, m.destination_id, coalesce(d.name, 'Unknown destination') as destination_name, m.adjustment,
              count(*)::integer as calls, sum(m.billed_s) as billed_s, sum(m.seller_amount_micros) as amount_micros, sum(m.fee_micros) as fee_micros
       from marked m left join destinations d on d.id = m.destination_id
       group by m.destination_id, d.name, m.adjustment
       order by m.adjustment, destination_name, m.destination_id`,
      values);
  };
  const rows = [...(await side('bought')), ...(await side('sold'))];
  return rows.map((row) => ({ ...row, billed_s: BigInt(row.billed_s) }));
}
