/**
 * Which buy may trade with which sell, apart from price and the self-trade rule.
 *
 * The rules, chosen so that a buyer never gets worse terms than it asked for:
 * - Quality: a sell meets a buy's floor when its committed ASR and ACD are at least the floor's and
 *   its committed PDD is at most the floor's. A sell that commits nothing meets only a buy with no
 *   floor.
 * - Billing increments: the sell's first and next increments must each be no longer than the
 *   buy's. The seller bills no coarser than the buyer accepts: a buyer who accepts 60/60 accepts
 *   30/6 and 1/1, because finer increments never bill more seconds for the same call.
 * - Connect fee: a buy's connect fee is the most it accepts per connected call; the sell's fee must
 *   be no higher. The fee is a separate charge, so it is compared on its own rather than folded
 *   into the per-minute price.
 */
import type { Quality } from './types.ts';

/** The parts of an order, beyond its price, that decide compatibility. */
export interface TradingTerms {
  readonly first_increment_s: number;
  readonly next_increment_s: number;
  readonly connect_fee_micros: bigint;
  readonly quality: Quality | null;
}

export function meetsQualityFloor(committed: Quality | null, floor: Quality | null): boolean {
  if (floor === null) return true;
  if (committed === null) return false;
  return (
    committed.asr_percent >= floor.asr_percent &&
    committed.acd_s >= floor.acd_s &&
    committed.pdd_ms <= floor.pdd_ms
  );
}

export function incrementsCompatible(sell: TradingTerms, buy: TradingTerms): boolean {
  return sell.first_increment_s <= buy.first_increment_s && sell.next_increment_s <= buy.next_increment_s;
}

export function connectFeeCompatible(sell: TradingTerms, buy: TradingTerms): boolean {
  return sell.connect_fee_micros <= buy.connect_fee_micros;
}

/** True when the sell's terms meet everything the buy asks for, price aside. */
export function termsCompatible(buy: TradingTerms, sell: TradingTerms): boolean {
  return (
    incrementsCompatible(sell, buy) &&
    connectFeeCompatible(sell, buy) &&
    meetsQualityFloor(sell.quality, buy.quality)
  );
}

/** A buy at `buy_price` and a sell at `sell_price` cross when the buyer pays at least the ask. */
export function pricesCross(buy_price_per_minute_micros: bigint, sell_price_per_minute_micros: bigint): boolean {
  return sell_price_per_minute_micros <= buy_price_per_minute_micros;
}
