/**
 * The ledger transactions of money that settles a statement without a fresh payment, and of a
 * payment taken back:
 * - a deposit drawn: the exchange already holds the money (its `clearing` account, since the
 *   deposit was received); drawing it settles what the carrier owes (its `receivable` shrinks, a
 *   credit) and what the exchange owes it back (its `deposit` shrinks, a debit), and moves the
 *   money from clearing into cash;
 * - a letter of credit drawn and honoured: the bank pays, the exchange's cash grows (a debit) and
 *   the carrier's receivable shrinks (a credit);
 * - a payment reversed (it bounced after it was confirmed): the mirror of the payment, the
 *   receivable grows back and cash shrinks.
 */
import { assertBalanced, type TransactionDraft } from './ledger.ts';

export interface DrawEntry {
  readonly draw_id: string;
  readonly carrier_id: string;
  readonly currency: string;
  /** > 0. */
  readonly amount_micros: bigint;
  readonly statement_id: string;
}

function checked(draft: TransactionDraft): TransactionDraft {
  assertBalanced(draft);
  return draft;
}

/** Keyed `draw:<draw id>`. */
export function depositDrawTransaction(entry: DrawEntry): TransactionDraft {
  const { carrier_id, currency, amount_micros } = entry;
  return checked({
    idempotency_key: `draw:${entry.draw_id}`,
    kind: 'collateral_draw',
    description: `deposit drawn against statement ${entry.statement_id}`,
    postings: [
      { account: { carrier_id, kind: 'deposit', currency }, amount_micros },
      { account: { carrier_id, kind: 'receivable', currency }, amount_micros: -amount_micros },
      { account: { carrier_id: null, kind: 'cash', currency }, amount_micros },
      { account: { carrier_id: null, kind: 'clearing', currency }, amount_micros: -amount_micros },
    ],
  });
}

/** Keyed `draw:<draw id>`. */
export function letterOfCreditDrawTransaction(entry: DrawEntry): TransactionDraft {
  const { carrier_id, currency, amount_micros } = entry;
  return checked({
    idempotency_key: `draw:${entry.draw_id}`,
    kind: 'collateral_draw',
    description: `letter of credit drawn against statement ${entry.statement_id}`,
    postings: [
      { account: { carrier_id: null, kind: 'cash', currency }, amount_micros },
      { account: { carrier_id, kind: 'receivable', currency }, amount_micros: -amount_micros },
    ],
  });
}

/** Keyed `reversal:<event id>`: the node's event that reported the payment bounced. */
export function paymentReversalTransaction(event_id: string, carrier_id: string, currency: string, amount_micros: bigint, statement_id: string): TransactionDraft {
  return checked({
    idempotency_key: `reversal:${event_id}`,
    kind: 'payment_reversal',
    description: `payment against statement ${statement_id} reversed`,
    postings: [
      { account: { carrier_id, kind: 'receivable', currency }, amount_micros },
      { account: { carrier_id: null, kind: 'cash', currency }, amount_micros: -amount_micros },
    ],
  });
}
