/**
 * Financing a carrier's statements, without storage: what a buyer pays to defer a statement, what
 * a seller may be advanced on what the exchange owes it, and the ledger transactions of both.
 *
 * Deferral interest (one rounding, up, so the exchange is never short by a fraction):
 *   interest_micros = ceil(amount_due_micros × rate_bps_per_year × days / (10,000 × 365))
 *
 * Advance on a seller's statement: what the exchange owes the seller on it (its payable, P) is
 * attributed to the buyers whose calls it sold, in proportion to what each buyer's calls earned
 * the seller on it (sold_b of all sold S), and never more than that buyer still owes on the
 * statement the calls were billed on (its receivable, less what other advances already pledged):
 *   attributable_b = min(floor(min(P, S) × sold_b / S), buyer's receivable not yet pledged)
 *   advance_b      = floor(attributable_b × advance_rate_percent_b / 100)
 *   fee_b          = ceil(advance_b × advance_fee_bps_b / 10,000)
 * with the rate and fee of the buyer's own latest assessment. A buyer refused, unassessed or of a
 * grade with no advance rate adds nothing. The seller receives Σ advance_b − Σ fee_b now, and the
 * exchange's later payout of the statement is what is left after Σ advance_b.
 */
import { assertBalanced, type TransactionDraft } from './ledger.ts';

/** 10,000 basis points × 365 days: the divisor of the interest formula. */
export const INTEREST_DIVISOR = 10_000n * 365n;

function ceilDiv(numerator: bigint, divisor: bigint): bigint {
  if (numerator < 0n || divisor <= 0n) throw new RangeError('ceilDiv takes a non-negative numerator and a positive divisor');
  return (numerator + divisor - 1n) / divisor;
}

/** Interest for deferring `amount_due_micros` by `days` at `rate_bps_per_year`, rounded up once. */
export function deferralInterestMicros(amount_due_micros: bigint, rate_bps_per_year: number, days: number): bigint {
  if (amount_due_micros < 0n) throw new RangeError('the amount due is not negative');
  if (!Number.isInteger(rate_bps_per_year) || rate_bps_per_year < 0) throw new RangeError('the rate is a whole number of basis points');
  if (!Number.isInteger(days) || days < 0) throw new RangeError('days is a whole number');
  return ceilDiv(amount_due_micros * BigInt(rate_bps_per_year) * BigInt(days), INTEREST_DIVISOR);
}

/** The part of a buyer's latest assessment that financing reads. */
export interface FinancingGrade {
  readonly grade: string;
  readonly decision: 'unsecured' | 'secured' | 'refused';
  readonly deferral_days: number;
  readonly deferral_rate_bps_per_year: number;
  readonly advance_rate_percent: number;
  readonly advance_fee_bps: number;
}

export type DeferralRefusal =
  | 'credit_assessment_required' | 'deferral_not_allowed' | 'nothing_owed' | 'statement_not_open' | 'statement_past_due'
  | 'already_deferred' | 'days_exceed_allowed';

export interface DeferralRequest {
  readonly days: number;
  readonly terms: FinancingGrade | null;
  readonly status: string;
  /** What the buyer still owes on the statement now (after payments and notes). */
  readonly outstanding_micros: bigint;
  readonly due_date: string;
  /** Today in the carrier's time zone, YYYY-MM-DD. */
  readonly today: string;
  readonly already_deferred: boolean;
}

/** Why a deferral is refused, or null when it may go ahead. Checked in this order. */
export function deferralRefusal(request: DeferralRequest): DeferralRefusal | null {
  if (request.terms === null) return 'credit_assessment_required';
  if (request.terms.decision === 'refused' || request.terms.deferral_days <= 0) return 'deferral_not_allowed';
  if (request.already_deferred) return 'already_deferred';
  if (request.status === 'overdue' || request.today > request.due_date) return 'statement_past_due';
  if (request.status !== 'issued' && request.status !== 'partially_paid') return 'statement_not_open';
  if (request.outstanding_micros <= 0n) return 'nothing_owed';
  if (request.days > request.terms.deferral_days) return 'days_exceed_allowed';
  return null;
}

/** A calendar day `days` after `day` (both YYYY-MM-DD). */
export function addDays(day: string, days: number): string {
  const at = new Date(`${day}T00:00:00Z`);
  at.setUTCDate(at.getUTCDate() + days);
  return at.toISOString().slice(0, 10);
}

/** One group of calls a seller's statement sold to one buyer, billed on one of the buyer's statements. */
export interface SoldGroup {
  readonly seller_statement_id: string;
  readonly buyer_id: string;
  readonly buyer_statement_id: string;
  /** What these calls earned the seller (their seller amounts). */
  readonly sold_micros: bigint;
}

export interface SellerStatementOwed {
  readonly id: string;
  /** What the exchange still owes the seller on it (P). */
  readonly payable_micros: bigint;
  /** Everything the statement sold, whoever the buyer (S). */
  readonly sold_micros: bigint;
}

export interface AdvanceLine {
  readonly seller_statement_id: string;
  readonly buyer_id: string;
  readonly buyer_statement_id: string;
  readonly grade: string;
  readonly advance_rate_percent: number;
  readonly advance_fee_bps: number;
  readonly attributable_micros: bigint;
  readonly advance_micros: bigint;
  readonly fee_micros: bigint;
}

export interface AdvancePlan {
  readonly lines: readonly AdvanceLine[];
  readonly advance_micros: bigint;
  readonly fee_micros: bigint;
  /** What the seller receives now: advance − fee. */
  readonly net_micros: bigint;
}

export interface AdvanceInputs {
  /** The seller's open statements on which the exchange owes it, oldest first. */
  readonly statements: readonly SellerStatementOwed[];
  /** Their sold calls by buyer and buyer statement, in the order to advance them. */
  readonly groups: readonly SoldGroup[];
  /** What each buyer statement still owes, less what other advances already pledged of it. */
  readonly buyer_receivable_micros: ReadonlyMap<string, bigint>;
  /** The financing terms of each buyer's latest assessment (absent: never assessed). */
  readonly buyer_terms: ReadonlyMap<string, FinancingGrade>;
  /** At most this much advanced (the seller's request); null: as much as the terms allow. */
  readonly requested_micros: bigint | null;
}

function feeOf(advance_micros: bigint, fee_bps: number): bigint {
  return ceilDiv(advance_micros * BigInt(fee_bps), 10_000n);
}

/** The most the terms allow, line by line, cut at the requested amount. */
export function planAdvance(inputs: AdvanceInputs): AdvancePlan {
  const statements = new Map(inputs.statements.map((statement) => [statement.id, statement]));
  const receivable_left = new Map(inputs.buyer_receivable_micros);
  const lines: AdvanceLine[] = [];
  let total = 0n;
  for (const group of inputs.groups) {
    const statement = statements.get(group.seller_statement_id);
    const terms = inputs.buyer_terms.get(group.buyer_id);
    if (statement === undefined || terms === undefined || terms.decision === 'refused' || terms.advance_rate_percent <= 0) continue;
    if (statement.sold_micros <= 0n || statement.payable_micros <= 0n || group.sold_micros <= 0n) continue;
    const base = statement.payable_micros < statement.sold_micros ? statement.payable_micros : statement.sold_micros;
    const share = (base * group.sold_micros) / statement.sold_micros;
    const left = receivable_left.get(group.buyer_statement_id) ?? 0n;
    const attributable_micros = share < left ? share : left;
    if (attributable_micros <= 0n) continue;
    let advance_micros = (attributable_micros * BigInt(terms.advance_rate_percent)) / 100n;
    if (inputs.requested_micros !== null && total + advance_micros > inputs.requested_micros) advance_micros = inputs.requested_micros - total;
    if (advance_micros <= 0n) break;
    receivable_left.set(group.buyer_statement_id, left - attributable_micros);
    total += advance_micros;
    lines.push({
      seller_statement_id: group.seller_statement_id, buyer_id: group.buyer_id, buyer_statement_id: group.buyer_statement_id,
      grade: terms.grade, advance_rate_percent: terms.advance_rate_percent, advance_fee_bps: terms.advance_fee_bps,
      attributable_micros, advance_micros, fee_micros: feeOf(advance_micros, terms.advance_fee_bps),
    });
  }
  const fee_micros = lines.reduce((sum, line) => sum + line.fee_micros, 0n);
  return { lines, advance_micros: total, fee_micros, net_micros: total - fee_micros };
}

/**
 * How a buyer's payment on a pledged statement repays the node: the pledges on that statement in
 * the order they were made, each up to what is still owed on it, until the payment is used up.
 */
export function repaymentSplit(payment_micros: bigint, pledges: ReadonlyArray<{ readonly id: string; readonly owed_micros: bigint }>): Array<{ id: string; repaid_micros: bigint }> {
  const split: Array<{ id: string; repaid_micros: bigint }> = [];
  let left = payment_micros;
  for (const pledge of pledges) {
    if (left <= 0n) break;
    if (pledge.owed_micros <= 0n) continue;
    const repaid_micros = pledge.owed_micros < left ? pledge.owed_micros : left;
    split.push({ id: pledge.id, repaid_micros });
    left -= repaid_micros;
  }
  return split;
}

function balanced(draft: TransactionDraft): TransactionDraft {
  const postings = draft.postings.filter((posting) => posting.amount_micros !== 0n);
  const result = { ...draft, postings };
  assertBalanced(result);
  return result;
}

/** Deferral interest: the buyer's receivable grows (a debit), the exchange's financing income with it (a credit). */
export function deferralInterestTransaction(deferral_id: string, carrier_id: string, currency: string, interest_micros: bigint): TransactionDraft {
  if (interest_micros <= 0n) throw new RangeError('interest is positive');
  return balanced({
    idempotency_key: `deferral-interest:${deferral_id}`, kind: 'deferral_interest', description: `interest on deferral ${deferral_id}`,
    postings: [
      { account: { carrier_id, kind: 'receivable', currency }, amount_micros: interest_micros },
      { account: { carrier_id: null, kind: 'financing_income', currency }, amount_micros: -interest_micros },
    ],
  });
}

/** The node's money for an advance: the exchange's cash up, what it owes the node (financing) up by the same. */
export function advanceFundingTransaction(advance_id: string, currency: string, advance_micros: bigint): TransactionDraft {
  if (advance_micros <= 0n) throw new RangeError('an advance is positive');
  return balanced({
    idempotency_key: `advance-funding:${advance_id}`, kind: 'advance_funding', description: `node funds advance ${advance_id}`,
    postings: [
      { account: { carrier_id: null, kind: 'cash', currency }, amount_micros: advance_micros },
      { account: { carrier_id: null, kind: 'financing', currency }, amount_micros: -advance_micros },
    ],
  });
}

/**
 * The advance paid to the seller: what the exchange owes it (payable) down by the whole advance,
 * cash down by what the seller receives, the fee kept as financing income.
 */
export function advancePayoutTransaction(advance_id: string, seller_id: string, currency: string, advance_micros: bigint, fee_micros: bigint): TransactionDraft {
  if (advance_micros <= 0n || fee_micros < 0n || fee_micros > advance_micros) throw new RangeError('an advance is positive and its fee at most the advance');
  return balanced({
    idempotency_key: `advance-payout:${advance_id}`, kind: 'advance_payout', description: `advance ${advance_id} paid to the seller`,
    postings: [
      { account: { carrier_id: seller_id, kind: 'payable', currency }, amount_micros: advance_micros },
      { account: { carrier_id: null, kind: 'cash', currency }, amount_micros: -(advance_micros - fee_micros) },
      { account: { carrier_id: null, kind: 'financing_income', currency }, amount_micros: -fee_micros },
    ],
  });
}

/** The node repaid from a buyer's payment: what the exchange owes the node down, its cash down. */
export function pledgeRepaymentTransaction(event_id: string, currency: string, repaid_micros: bigint): TransactionDraft {
  if (repaid_micros <= 0n) throw new RangeError('a repayment is positive');
  return balanced({
    idempotency_key: `pledge-repayment:${event_id}`, kind: 'pledge_repayment', description: `node repaid from payment ${event_id}`,
    postings: [
      { account: { carrier_id: null, kind: 'financing', currency }, amount_micros: repaid_micros },
      { account: { carrier_id: null, kind: 'cash', currency }, amount_micros: -repaid_micros },
    ],
  });
}
