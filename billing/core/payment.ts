/**
 * A buyer's payment, confirmed by the financial services node, as a ledger transaction: the
 * exchange's cash grows (a debit) and the carrier's receivable, what it owes, shrinks (a credit)
 * by the same amount. Keyed by the provider's event id, so a confirmation delivered twice posts
 * once.
 */
import type { TransactionDraft } from './ledger.ts';

export function paymentTransaction(event_id: string, carrier_id: string, currency: string, amount_micros: bigint, statement_id: string): TransactionDraft {
  if (amount_micros <= 0n) throw new RangeError('a payment is positive');
  return {
    idempotency_key: `payment:${event_id}`,
    kind: 'payment',
    description: `payment against statement ${statement_id}`,
    postings: [
      { account: { carrier_id: null, kind: 'cash', currency }, amount_micros },
      { account: { carrier_id, kind: 'receivable', currency }, amount_micros: -amount_micros },
    ],
  };
}

export function payoutTransaction(event_id: string, carrier_id: string, currency: string, amount_micros: bigint, statement_id: string): TransactionDraft {
  if (amount_micros <= 0n) throw new RangeError('a payout is positive');
  return {
    idempotency_key: `payout:${event_id}`,
    kind: 'payout',
    description: `payout against statement ${statement_id}`,
    postings: [
      { account: { carrier_id, kind: 'payable', currency }, amount_micros },
      { account: { carrier_id: null, kind: 'cash', currency }, amount_micros: -amount_micros },
    ],
  };
}
