/**
 * A settlement statement's figures, from its lines: what the carrier bought (with the exchange's
 * fees) and sold in one period and currency, the part of its payable offset against its
 * receivable (netting), and what is left to collect or to pay. Also the ledger transaction that
 * records the netting. No storage here.
 *
 * Seen from the carrier: it owes `bought + fees` for what it bought, and is owed `sold` for what
 * it sold. Netting offsets the smaller of the two against the larger, when that offset reaches
 * the terms' minimum, so that only the difference changes hands:
 *   balance = bought + fees - sold   (positive: the carrier pays; negative: the carrier is paid)
 */
import type { TransactionDraft } from './ledger.ts';

export type StatementSection = 'bought' | 'sold';

/** One statement line: one destination, one side, regular or adjustment. */
export interface StatementLine {
  readonly section: StatementSection;
  readonly destination_id: string | null;
  readonly destination_name: string;
  /** A call from before the period, rated after its own period closed. */
  readonly adjustment: boolean;
  readonly calls: number;
  readonly billed_s: bigint;
  /** The price of the calls: what the buyer pays the seller (connect fees included). */
  readonly amount_micros: bigint;
  /** The exchange's fee on these calls, charged to the buyer; 0 on sold lines. */
  readonly fee_micros: bigint;
}

export interface StatementTotals {
  readonly bought_micros: bigint;
  readonly fees_micros: bigint;
  readonly sold_micros: bigint;
  /** What was offset between payable and receivable. */
  readonly netting_micros: bigint;
  /** bought + fees - sold: positive when the carrier owes, negative when it is owed. */
  readonly balance_micros: bigint;
  /** What the carrier must pay (0 when it is owed). */
  readonly amount_due_micros: bigint;
  /** What the exchange must pay the carrier (0 when the carrier owes). */
  readonly amount_payable_micros: bigint;
}

/** The figures of a statement with these lines, netting at `netting_minimum_micros` or more. */
export function statementTotals(lines: readonly StatementLine[], netting_minimum_micros: bigint): StatementTotals {
  let bought_micros = 0n;
  let fees_micros = 0n;
  let sold_micros = 0n;
  for (const line of lines) {
    if (line.amount_micros < 0n || line.fee_micros < 0n) throw new RangeError('statement lines carry no negative amounts');
    if (line.section === 'bought') {
      bought_micros += line.amount_micros;
      fees_micros += line.fee_micros;
    } else {
      if (line.fee_micros !== 0n) throw new RangeError('a sold line carries no fee');
      sold_micros += line.amount_micros;
    }
  }
  const payable = bought_micros + fees_micros;
  const offset = payable < sold_micros ? payable : sold_micros;
  const netting_micros = offset > 0n && offset >= netting_minimum_micros ? offset : 0n;
  const balance_micros = payable - sold_micros;
  return { bought_micros, fees_micros, sold_micros, netting_micros, balance_micros, ...dueOrPayable(balance_micros) };
}

/** A statement's balance split into what the carrier must pay and what it is to be paid. */
export function dueOrPayable(balance_micros: bigint): { amount_due_micros: bigint; amount_payable_micros: bigint } {
  return {
    amount_due_micros: balance_micros > 0n ? balance_micros : 0n,
    amount_payable_micros: balance_micros < 0n ? -balance_micros : 0n,
  };
}

/**
 * The ledger transaction that offsets a carrier's payable against its receivable for one
 * statement: its receivable account (what it owes the exchange, a debit balance) is credited and
 * its payable account (what the exchange owes it, a credit balance) debited by the same amount.
 * Null when nothing is offset.
 */
export function nettingTransaction(statement_id: string, carrier_id: string, currency: string, netting_micros: bigint): TransactionDraft | null {
  if (netting_micros < 0n) throw new RangeError('a netting amount is never negative');
  if (netting_micros === 0n) return null;
  return {
    idempotency_key: `netting:${statement_id}`,
    kind: 'netting',
    description: `statement ${statement_id}: payable offset against receivable`,
    postings: [
      { account: { carrier_id, kind: 'payable', currency }, amount_micros: netting_micros },
      { account: { carrier_id, kind: 'receivable', currency }, amount_micros: -netting_micros },
    ],
  };
}

/** Billed seconds as minutes with two decimals, rounded half up, for display only: 90 → "1.50". */
export function billedMinutesText(billed_s: bigint): string {
  const hundredths = (billed_s * 100n + 30n) / 60n;
  return `${hundredths / 100n}.${(hundredths % 100n).toString().padStart(2, '0')}`;
}
