/**
 * The rating of one CDR from the terms stored on it, and nothing else: not the process's
 * configuration, not the trade as it is now. The same CDR therefore always rates to the same
 * amount. A CDR that cannot be rated is a value with a stable reason, so that billing can set it
 * aside (quarantine) and carry on with the others.
 */
import { cdrTransaction, type TransactionDraft } from './ledger.ts';
import { rateTradeCall, type RatedCall } from './rating.ts';

/** A CDR as billing reads it back: who, how long, and the terms stored with it (null when absent). */
export interface StoredCdr {
  readonly call_id: string;
  readonly buyer_id: string | null;
  readonly seller_id: string | null;
  readonly trade_id: string | null;
  readonly answered: boolean;
  readonly duration_ms: bigint;
  readonly currency: string | null;
  readonly price_per_minute_micros: bigint | null;
  readonly first_increment_s: number | null;
  readonly next_increment_s: number | null;
  readonly connect_fee_micros: bigint | null;
  readonly fee_per_minute_micros: bigint | null;
  /** The buyer's risk premium the call was reserved with; null (CDRs from before premiums) means 0. */
  readonly premium_bps?: number | null;
}

/** Why a CDR cannot be rated: stable codes, shown to operators with the CDR. */
export type RatingRefusal = 'missing_terms' | 'missing_parties' | 'invalid_terms';

export type CdrRating =
  | { readonly ok: true; readonly rated: RatedCall; readonly draft: TransactionDraft | null }
  | { readonly ok: false; readonly reason: RatingRefusal; readonly detail: string };

export const NOTHING_RATED: RatedCall = { billed_s: 0, seller_amount_micros: 0n, fee_amount_micros: 0n, premium_amount_micros: 0n, buyer_amount_micros: 0n };

export function rateStoredCdr(cdr: StoredCdr): CdrRating {
  // No trade (refused at setup) or no answer: nothing was carried, nothing is charged.
  if (cdr.trade_id === null || !cdr.answered) return { ok: true, rated: NOTHING_RATED, draft: null };
  const { currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, fee_per_minute_micros } = cdr;
  if (
    currency === null || price_per_minute_micros === null || first_increment_s === null || next_increment_s === null ||
    connect_fee_micros === null || fee_per_minute_micros === null
  ) {
    return { ok: false, reason: 'missing_terms', detail: `CDR ${cdr.call_id} was answered on trade ${cdr.trade_id} but does not hold all its terms` };
  }
  if (cdr.buyer_id === null || cdr.seller_id === null) {
    return { ok: false, reason: 'missing_parties', detail: `CDR ${cdr.call_id} was answered but names no ${cdr.buyer_id === null ? 'buyer' : 'seller'}` };
  }
  let rated: RatedCall;
  try {
    rated = rateTradeCall(
      { price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, premium_bps: cdr.premium_bps ?? 0 }, fee_per_minute_micros, cdr.duration_ms);
  } catch (error) {
    if (error instanceof RangeError) return { ok: false, reason: 'invalid_terms', detail: `CDR ${cdr.call_id}: ${error.message}` };
    throw error;
  }
  const draft = cdrTransaction({ call_id: cdr.call_id, buyer_id: cdr.buyer_id, seller_id: cdr.seller_id, currency: currency.trim(), rated });
  return { ok: true, rated, draft };
}
