/**
 * A carrier's net position in one currency, from the ledger and its statements, seen from the
 * carrier (the way its finance team reads it):
 * - receivable: what the exchange owes it (as a seller), i.e. minus the balance of its ledger
 *   `payable` account (a credit balance in the exchange's books);
 * - payable: what it owes the exchange (as a buyer), i.e. the balance of its ledger `receivable`
 *   account (a debit balance in the exchange's books);
 * - net: receivable - payable (positive: the exchange owes it);
 * - unbilled: rated calls not yet on a statement, each side and net;
 * - billed_unpaid: what open statements still ask it to pay, after payments and with the credit
 *   and debit notes allocated to them;
 * - past_due: the part of billed_unpaid whose due date has passed;
 * - aging: billed_unpaid by how many days past due it is;
 * - credit_notes, debit_notes: what notes issued to it came to (they are in receivable/payable too).
 */
export interface OpenStatement {
  /** Positive: the carrier owes this; negative: the exchange owes it. */
  readonly balance_micros: bigint;
  readonly paid_micros: bigint;
  /** Credit and debit notes allocated to it (billing/core/notes.ts). */
  readonly credited_micros?: bigint;
  readonly debited_micros?: bigint;
  /** The local day by which it is due; past due from the next day on. */
  readonly due_date: string;
}

export interface PositionInputs {
  readonly currency: string;
  /** Balance of the carrier's ledger `receivable` account (signed, debit positive). */
  readonly receivable_account_micros: bigint;
  /** Balance of the carrier's ledger `payable` account (signed, debit positive). */
  readonly payable_account_micros: bigint;
  /** Rated, not yet billed: what it sold (owed to it) and bought with fees (owed by it). */
  readonly unbilled_sold_micros: bigint;
  readonly unbilled_bought_micros: bigint;
  readonly open_statements: readonly OpenStatement[];
  /** Credit and debit notes issued to the carrier in this currency. */
  readonly credit_notes_micros?: bigint;
  readonly debit_notes_micros?: bigint;
  /** Today, as a local day (`YYYY-MM-DD`) in the carrier's time zone. */
  readonly today: string;
}

export interface Position {
  readonly currency: string;
  readonly receivable_micros: bigint;
  readonly payable_micros: bigint;
  readonly net_micros: bigint;
  readonly unbilled_receivable_micros: bigint;
  readonly unbilled_payable_micros: bigint;
  readonly unbilled_net_micros: bigint;
  readonly billed_unpaid_micros: bigint;
  readonly past_due_micros: bigint;
  readonly credit_notes_micros: bigint;
  readonly debit_notes_micros: bigint;
  /** billed_unpaid by days past due: not yet due, 1-15, 16-30, 31-60, over 60. */
  readonly aging: Aging;
}

export interface Aging {
  readonly current_micros: bigint;
  readonly days_1_15_micros: bigint;
  readonly days_16_30_micros: bigint;
  readonly days_31_60_micros: bigint;
  readonly over_60_micros: bigint;
}

const MS_PER_DAY = 86_400_000;

/** Whole days from `due_date` to `today` (both YYYY-MM-DD): 1 the day after it was due. */
export function daysPastDue(due_date: string, today: string): number {
  return Math.round((Date.parse(`${today}T00:00:00Z`) - Date.parse(`${due_date}T00:00:00Z`)) / MS_PER_DAY);
}

export function carrierPosition(inputs: PositionInputs): Position {
  const receivable_micros = -inputs.payable_account_micros;
  const payable_micros = inputs.receivable_account_micros;
  let billed_unpaid_micros = 0n;
  let past_due_micros = 0n;
  const aging = { current_micros: 0n, days_1_15_micros: 0n, days_16_30_micros: 0n, days_31_60_micros: 0n, over_60_micros: 0n };
  for (const statement of inputs.open_statements) {
    // What it settles once its notes are counted (notes.ts: effectiveBalance).
    const effective = statement.balance_micros - (statement.credited_micros ?? 0n) + (statement.debited_micros ?? 0n);
    if (effective <= 0n) continue;
    const outstanding = effective - statement.paid_micros;
    if (outstanding <= 0n) continue;
    billed_unpaid_micros += outstanding;
    const days = daysPastDue(statement.due_date, inputs.today);
    if (days > 0) past_due_micros += outstanding;
    if (days <= 0) aging.current_micros += outstanding;
    else if (days <= 15) aging.days_1_15_micros += outstanding;
    else if (days <= 30) aging.days_16_30_micros += outstanding;
    else if (days <= 60) aging.days_31_60_micros += outstanding;
    else aging.over_60_micros += outstanding;
  }
  return {
    currency: inputs.currency,
    receivable_micros,
    payable_micros,
    net_micros: receivable_micros - payable_micros,
    unbilled_receivable_micros: inputs.unbilled_sold_micros,
    unbilled_payable_micros: inputs.unbilled_bought_micros,
    unbilled_net_micros: inputs.unbilled_sold_micros - inputs.unbilled_bought_micros,
    billed_unpaid_micros,
    past_due_micros,
    credit_notes_micros: inputs.credit_notes_micros ?? 0n,
    debit_notes_micros: inputs.debit_notes_micros ?? 0n,
    aging,
  };
}
