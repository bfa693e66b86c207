/**
 * The ledger transactions of a cash deposit. A deposit is money the carrier paid in: the exchange
 * holds it (its `clearing` account, where money in transit sits until settlement moves it) and
 * owes it back (the carrier's `deposit` account, a liability, so a credit). Releasing it reverses
 * both. A letter of credit is a bank's promise, not money received, so it has no transaction
 * until it is drawn.
 *
 * The carrier's deposit account is not part of its ledger balance for credit (only receivable,
 * payable and cash are): the deposit counts once, as collateral.
 */
import { assertBalanced, type TransactionDraft } from '../../../billing/core/ledger.ts';

export interface DepositEntry {
  readonly collateral_id: string;
  readonly carrier_id: string;
  readonly currency: string;
  /** > 0. */
  readonly amount_micros: bigint;
  readonly reference: string;
}

function depositDraft(entry: DepositEntry, direction: 'received' | 'released'): TransactionDraft {
  if (entry.amount_micros <= 0n) throw new RangeError(`a deposit must be positive, got ${entry.amount_micros}`);
  const sign = direction === 'received' ? 1n : -1n;
  const draft: TransactionDraft = {
    idempotency_key: direction === 'received' ? `collateral:${entry.collateral_id}` : `collateral-release:${entry.collateral_id}`,
    kind: direction === 'received' ? 'collateral_deposit' : 'collateral_release',
    description: `deposit ${entry.reference} ${direction}`,
    postings: [
      { account: { carrier_id: null, kind: 'clearing', currency: entry.currency }, amount_micros: sign * entry.amount_micros },
      { account: { carrier_id: entry.carrier_id, kind: 'deposit', currency: entry.currency }, amount_micros: -sign * entry.amount_micros },
    ],
  };
  assertBalanced(draft);
  return draft;
}

/** Debit the exchange's clearing account, credit the carrier's deposit account; keyed `collateral:<id>`. */
export function depositReceivedTransaction(entry: DepositEntry): TransactionDraft {
  return depositDraft(entry, 'received');
}

/** The reverse of `depositReceivedTransaction`; keyed `collateral-release:<id>`. */
export function depositReleasedTransaction(entry: DepositEntry): TransactionDraft {
  return depositDraft(entry, 'released');
}
