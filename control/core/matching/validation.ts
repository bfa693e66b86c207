/**
 * The checks an order passes before it may rest on a book. Each failure is a business outcome
 * (the caller sent something the exchange does not take), so it comes back as a reason code.
 */
import type { OrderSpec, Quality, RejectionReason } from './types.ts';

/** The most channels one order may carry: far above any trunk, low enough to keep sums exact. */
export const MAX_CHANNELS_PER_ORDER = 1_000_000;
/** The longest billing increment accepted, in seconds (one hour). */
export const MAX_INCREMENT_S = 3_600;

export function isValidChannelCount(channels: number): boolean {
  return Number.isSafeInteger(channels) && channels > 0 && channels <= MAX_CHANNELS_PER_ORDER;
}

export function isValidPrice(price_per_minute_micros: bigint): boolean {
  return price_per_minute_micros > 0n;
}

function isValidIncrement(increment_s: number): boolean {
  return Number.isSafeInteger(increment_s) && increment_s > 0 && increment_s <= MAX_INCREMENT_S;
}

function isValidQuality(quality: Quality | null): boolean {
  if (quality === null) return true;
  return (
    Number.isSafeInteger(quality.asr_percent) &&
    quality.asr_percent >= 0 &&
    quality.asr_percent <= 100 &&
    Number.isSafeInteger(quality.acd_s) &&
    quality.acd_s >= 0 &&
    Number.isSafeInteger(quality.pdd_ms) &&
    quality.pdd_ms >= 0
  );
}

/** The first problem with the order's own fields, or null when they are all acceptable. */
export function orderSpecProblem(order: OrderSpec): RejectionReason | null {
  if (!isValidChannelCount(order.channels)) return 'invalid_channels';
  if (!isValidPrice(order.price_per_minute_micros)) return 'invalid_price';
  if (!isValidIncrement(order.first_increment_s) || !isValidIncrement(order.next_increment_s)) {
    return 'invalid_increments';
  }
  if (order.connect_fee_micros < 0n) return 'invalid_connect_fee';
  if (!isValidQuality(order.quality)) return 'invalid_quality';
  if (order.valid_until_ms !== null && !Number.isSafeInteger(order.valid_until_ms)) return 'invalid_validity';
  return null;
}
