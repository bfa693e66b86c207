/**
 * What an amend does to a resting order, decided without touching the book.
 *
 * An amend that would let the order jump ahead of others loses time priority: raising a buy's
 * price or lowering a sell's (it moves to a better level, where orders that arrived before the
 * amend must stay ahead of it) and adding channels (more volume must not borrow the old arrival
 * time). It takes the caller's `new_seq`, greater than every seq seen, and may then trade.
 * Lowering a buy's price or raising a sell's, and reducing channels, keep the order's seq: at a
 * worse level it goes behind only the orders that arrived before it, so it gains priority over no
 * one it was not already ahead of, and it cannot cross anything.
 */
import type { RestingOrder } from './resting-order.ts';
import type { AmendCommand, RejectionReason } from './types.ts';
import { isValidChannelCount, isValidPrice } from './validation.ts';

export interface AcceptedAmend {
  readonly ok: true;
  readonly price_per_minute_micros: bigint;
  readonly channels: number;
  readonly seq: bigint;
  readonly priority_lost: boolean;
}

export type AmendPlan = AcceptedAmend | { readonly ok: false; readonly reason: RejectionReason };

/** True when the new price is better for the order's counterparties than the old one. */
function priceImproves(order: RestingOrder, price_per_minute_micros: bigint): boolean {
  return order.side === 'buy'
    ? price_per_minute_micros > order.price_per_minute_micros
    : price_per_minute_micros < order.price_per_minute_micros;
}

/** `last_seq` is the greatest seq seen before this amend, or null when none was. */
export function planAmend(order: RestingOrder, command: AmendCommand, last_seq: bigint | null): AmendPlan {
  const price = command.price_per_minute_micros ?? order.price_per_minute_micros;
  const channels = command.channels ?? order.channels;
  if (command.price_per_minute_micros === undefined && command.channels === undefined) {
    return { ok: false, reason: 'nothing_to_amend' };
  }
  if (!isValidPrice(price)) return { ok: false, reason: 'invalid_price' };
  if (!isValidChannelCount(channels)) return { ok: false, reason: 'invalid_channels' };
  if (channels < order.filled_channels) return { ok: false, reason: 'channels_below_filled' };
  if (command.new_seq !== undefined && last_seq !== null && command.new_seq <= last_seq) {
    return { ok: false, reason: 'invalid_seq' };
  }
  const priority_lost = priceImproves(order, price) || channels > order.channels;
  if (!priority_lost) return { ok: true, price_per_minute_micros: price, channels, seq: order.seq, priority_lost };
  if (command.new_seq === undefined) return { ok: false, reason: 'missing_seq' };
  return { ok: true, price_per_minute_micros: price, channels, seq: command.new_seq, priority_lost };
}
