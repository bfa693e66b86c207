/**
 * The continuous double auction for one incoming order against the opposite side of its book.
 *
 * Price-time priority: levels are visited best first (cheapest sell for an incoming buy, highest
 * buy for an incoming sell) while they cross the incoming order's limit; within a level, orders in
 * ascending seq. A resting order that cannot trade with the incoming one (its terms are not
 * compatible, or both belong to one carrier) is skipped and keeps its place: it does not block the
 * orders behind it. Each trade is at the resting order's price for the smaller of the two open
 * channel counts, on the sell order's increments and connect fee.
 */
import type { BookSide } from './book-side.ts';
import { pricesCross, termsCompatible } from './compatibility.ts';
import type { EventBuffer } from './event-buffer.ts';
import type { RestingOrder } from './resting-order.ts';
import type { Event, Trade } from './types.ts';

/** What the engine provides to the auction: trade numbers, and the closing of filled resting orders. */
export interface TradeRecorder {
  nextTradeSeq(): number;
  /** Called once a resting order has no open channels left and has left its price level. */
  closeFilled(order: RestingOrder): void;
}

/** True when the two orders, on opposite sides, may trade with each other at some price. */
export function mayTrade(incoming: RestingOrder, resting: RestingOrder): boolean {
  if (incoming.carrier_id === resting.carrier_id) return false;
  return incoming.side === 'buy' ? termsCompatible(incoming, resting) : termsCompatible(resting, incoming);
}

function levelCrosses(incoming: RestingOrder, level_price_per_minute_micros: bigint): boolean {
  return incoming.side === 'buy'
    ? pricesCross(incoming.price_per_minute_micros, level_price_per_minute_micros)
    : pricesCross(level_price_per_minute_micros, incoming.price_per_minute_micros);
}

/**
 * Trades `incoming` (not on any book) against `opposite` until it is filled or no crossing,
 * compatible order is left, appending the events in the order they happen. The caller rests or
 * closes the incoming order afterwards.
 */
export function matchIncoming(
  incoming: RestingOrder,
  opposite: BookSide,
  recorder: TradeRecorder,
  events: EventBuffer,
): void {
  const levels = opposite.levels;
  for (let level_index = levels.length - 1; level_index >= 0; level_index -= 1) {
    if (incoming.remaining_channels === 0) return;
    const level = levels[level_index]!;
    if (!levelCrosses(incoming, level.price_per_minute_micros)) return;
    const orders = level.orders;
    let order_index = 0;
    while (order_index < orders.length && incoming.remaining_channels > 0) {
      const resting = orders[order_index]!;
      if (!mayTrade(incoming, resting)) {
        order_index += 1;
        continue;
      }
      const channels = Math.min(incoming.remaining_channels, resting.remaining_channels);
      const trade = makeTrade(incoming, resting, channels, recorder.nextTradeSeq());
      resting.filled_channels += channels;
      incoming.filled_channels += channels;
      level.changeOpenChannels(-channels);
      events.push({ kind: 'trade_made', trade });
      events.push(fillEvent(resting, trade));
      events.push(fillEvent(incoming, trade));
      if (resting.remaining_channels === 0) {
        level.removeAt(order_index);
        recorder.closeFilled(resting);
      } else {
        order_index += 1;
      }
    }
    if (level.isEmpty) opposite.removeLevelAt(level_index);
  }
}

/** True when `order` would trade on arrival against `opposite`: some crossing order may trade with it. */
export function wouldCross(order: RestingOrder, opposite: BookSide): boolean {
  const levels = opposite.levels;
  for (let level_index = levels.length - 1; level_index >= 0; level_index -= 1) {
    const level = levels[level_index]!;
    if (!levelCrosses(order, level.price_per_minute_micros)) return false;
    if (level.orders.some((resting) => mayTrade(order, resting))) return true;
  }
  return false;
}

function makeTrade(incoming: RestingOrder, resting: RestingOrder, channels: number, trade_seq: number): Trade {
  const buy = incoming.side === 'buy' ? incoming : resting;
  const sell = incoming.side === 'buy' ? resting : incoming;
  return {
    trade_seq,
    buy_order_id: buy.order_id,
    sell_order_id: sell.order_id,
    buyer_id: buy.carrier_id,
    seller_id: sell.carrier_id,
    destination_id: incoming.destination_id,
    currency: incoming.currency,
    price_per_minute_micros: resting.price_per_minute_micros,
    first_increment_s: sell.first_increment_s,
    next_increment_s: sell.next_increment_s,
    connect_fee_micros: sell.connect_fee_micros,
    channels,
    aggressor_side: incoming.side,
  };
}

function fillEvent(order: RestingOrder, trade: Trade): Event {
  const remaining_channels = order.remaining_channels;
  return {
    kind: remaining_channels === 0 ? 'order_filled' : 'order_partially_filled',
    order_id: order.order_id,
    trade_seq: trade.trade_seq,
    traded_channels: trade.channels,
    remaining_channels,
  };
}
