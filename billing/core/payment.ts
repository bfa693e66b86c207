/**
 * Money the financial services node confirmed, as ledger transactions keyed by the node's event
 * id, so that a confirmation delivered twice posts once:
 * - a buyer's payment: the exchange's cash grows (a debit) and the carrier's receivable, what it
 *   owes, shrinks (a credit) by the same amount;
 * - a payout to a seller, the mirror image: what the exchange owes it (its payable) shrinks (a
 *   debit) and the exchange's cash with it (a credit).
 */
import type { AccountKind, TransactionDraft } from './ledger.ts';

type Movement = 'payment' | 'payout';

/** The carrier account each movement settles. */
const SETTLES: Readonly<Record<Movement, AccountKind>> = { payment: 'receivable', payout: 'payable' };

function movementTransaction(movement: Movement, event_id: string, carrier_id: string, currency: string, amount_micros: bigint, statement_id: string): TransactionDraft {
  if (amount_micros <= 0n) throw new RangeError(`a ${movement} is positive`);
  // Cash grows with a payment and shrinks with a payout; the carrier's account the other way.
  const cash_micros = movement === 'payment' ? amount_micros : -amount_micros;
  return {
    idempotency_key: `${movement}:${event_id}`,
    kind: movement,
    description: `${movement} against statement ${statement_id}`,
    postings: [
      { account: { carrier_id: null, kind: 'cash', currency }, amount_micros: cash_micros },
      { account: { carrier_id, kind: SETTLES[movement], currency }, amount_micros: -cash_micros },
    ],
  };
}

export function paymentTransaction(event_id: string, carrier_id: string, currency: string, amount_micros: bigint, statement_id: string): TransactionDraft {
  return movementTransaction('payment', event_id, carrier_id, currency, amount_micros, statement_id);
}

export function payoutTransaction(event_id: string, carrier_id: string, currency: string, amount_micros: bigint, statement_id: string): TransactionDraft {
  return movementTransaction('payout', event_id, carrier_id, currency, amount_micros, statement_id);
}
