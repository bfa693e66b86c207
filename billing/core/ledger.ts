/**
 * The double-entry ledger's rules, without storage: what a transaction is, the check that it
 * balances, and the transaction that settles one rated call.
 *
 * Sign convention: a posting's amount is signed, debit positive and credit negative, and the
 * postings of a transaction sum to zero in each currency. Seen from the exchange's books:
 * - a carrier's `receivable` is what it owes the exchange (an asset: a debit, positive balance,
 *   grows it);
 * - a carrier's `payable` is what the exchange owes it (a liability: a credit, negative balance,
 *   grows it);
 * - the exchange's own `revenue` (carrier_id null) grows by credits, so its balance is negative.
 *
 * PostgreSQL checks the same balance again at commit (a deferred trigger), so a transaction that
 * slipped past this check still cannot be stored.
 */
import type { RatedCall } from './rating.ts';

export type AccountKind = 'receivable' | 'payable' | 'cash' | 'deposit' | 'letter_of_credit' | 'revenue' | 'risk_premium' | 'clearing'
  // What the exchange owes the financial services node for advances (a liability), and what it earns by financing.
  | 'financing' | 'financing_income';

export interface AccountRef {
  /** The carrier that owns the account; null for the exchange's own accounts. */
  readonly carrier_id: string | null;
  readonly kind: AccountKind;
  /** ISO 4217 code; an account holds one currency. */
  readonly currency: string;
}

export interface PostingDraft {
  readonly account: AccountRef;
  /** Signed micro-units: debit positive, credit negative; never 0. */
  readonly amount_micros: bigint;
}

export interface TransactionDraft {
  /** The source's own key (e.g. `cdr:<Call-ID>`): posting the same key twice posts once. */
  readonly idempotency_key: string;
  readonly kind: string;
  readonly description: string;
  readonly postings: readonly PostingDraft[];
}

/** A transaction that breaks the double-entry rules: a bug in whoever built it. */
export class LedgerInvariantError extends Error {
  override name = 'LedgerInvariantError';
}

/** The database's limit on an idempotency key's length (ledger_transactions.idempotency_key). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 300;

/** Throws LedgerInvariantError unless the draft has >= 2 postings, none zero, summing to 0 per currency. */
export function assertBalanced(draft: TransactionDraft): void {
  const key = draft.idempotency_key;
  if (key.length === 0 || key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    throw new LedgerInvariantError(`idempotency key must have 1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  if (draft.postings.length < 2) {
    throw new LedgerInvariantError(`transaction ${key} has ${draft.postings.length} posting(s); at least two are required`);
  }
  const totals = new Map<string, bigint>();
  for (const posting of draft.postings) {
    if (posting.amount_micros === 0n) throw new LedgerInvariantError(`transaction ${key} has a zero posting`);
    const currency = posting.account.currency;
    totals.set(currency, (totals.get(currency) ?? 0n) + posting.amount_micros);
  }
  for (const [currency, total] of totals) {
    if (total !== 0n) throw new LedgerInvariantError(`transaction ${key} does not balance: ${currency} sums to ${total}`);
  }
}

export interface CdrTransactionInput {
  readonly call_id: string;
  readonly buyer_id: string;
  readonly seller_id: string;
  readonly currency: string;
  readonly rated: RatedCall;
}

/**
 * The ledger transaction for one rated call, keyed by its Call-ID. The exchange is the
 * counterparty to both sides: the buyer's receivable is debited with what it pays, the seller's
 * payable credited with what it earns and the exchange's revenue credited with the fee. Zero
 * postings are left out; null when the buyer pays nothing, since then nobody is owed anything.
 */
export function cdrTransaction(input: CdrTransactionInput): TransactionDraft | null {
  const { rated, currency } = input;
  if (rated.buyer_amount_micros === 0n) return null;
  const candidates: PostingDraft[] = [
    { account: { carrier_id: input.buyer_id, kind: 'receivable', currency }, amount_micros: rated.buyer_amount_micros },
    { account: { carrier_id: input.seller_id, kind: 'payable', currency }, amount_micros: -rated.seller_amount_micros },
    { account: { carrier_id: null, kind: 'revenue', currency }, amount_micros: -rated.fee_amount_micros },
    // The buyers' risk premiums, apart from the fee: they pay for the credit risk the exchange carries.
    { account: { carrier_id: null, kind: 'risk_premium', currency }, amount_micros: -rated.premium_amount_micros },
  ];
  const draft: TransactionDraft = {
    idempotency_key: `cdr:${input.call_id}`,
    kind: 'cdr',
    description: `call ${input.call_id}: ${rated.billed_s} s billed`,
    postings: candidates.filter((posting) => posting.amount_micros !== 0n),
  };
  assertBalanced(draft);
  return draft;
}

/**
 * One ledger transaction for a batch of rated calls: their postings summed per account (accounts
 * whose sum is zero left out), in a stable account order. Each call's own draft was balanced, so
 * the sum is too (checked again here and by PostgreSQL). The rated calls themselves stay the
 * subledger: every CDR keeps its amounts and points at the batch's transaction. A batch of one
 * call is that call's own transaction, unchanged. The caller keys the batch by its set of Call-IDs
 * (a digest), so posting the same batch again posts nothing.
 */
export function cdrBatchTransaction(batch_key: string, drafts: readonly TransactionDraft[]): TransactionDraft {
  if (drafts.length === 0) throw new LedgerInvariantError('a batch transaction needs at least one call');
  if (drafts.length === 1) return drafts[0]!;
  const sums = new Map<string, { account: AccountRef; amount_micros: bigint }>();
  for (const draft of drafts) {
    for (const posting of draft.postings) {
      const { carrier_id, kind, currency } = posting.account;
      const key = `${carrier_id ?? ''}|${kind}|${currency}`;
      const sum = sums.get(key);
      if (sum === undefined) sums.set(key, { account: posting.account, amount_micros: posting.amount_micros });
      else sum.amount_micros += posting.amount_micros;
    }
  }
  const postings = [...sums.entries()]
    .filter(([, sum]) => sum.amount_micros !== 0n)
    .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
    .map(([, sum]) => ({ account: sum.account, amount_micros: sum.amount_micros }));
  const draft: TransactionDraft = {
    idempotency_key: `cdr-batch:${batch_key}`,
    kind: 'cdr_batch',
    description: `${drafts.length} calls: ${drafts.reduce((total, one) => total + one.postings.length, 0)} postings summed to ${postings.length}`,
    postings,
  };
  assertBalanced(draft);
  return draft;
}
