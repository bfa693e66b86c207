/**
 * Builders shared by the matching engine's tests: an order spec with plain defaults, and an engine
 * wrapper that hands out increasing seqs the way the orders table's bigserial does.
 */
import { MatchingEngine } from './engine.ts';
import type { Event, OrderSpec, Quality, Side, Trade } from './types.ts';

export const DESTINATION = 'uk-mobile';
export const CURRENCY = 'EUR';
export const NOW_MS = 1_000_000;

export type OrderFields = Partial<OrderSpec> & {
  readonly order_id: string;
  readonly carrier_id: string;
  readonly side: Side;
};

/** Defaults: one channel at 0.010000 per minute, 60/60 billing, no connect fee, no quality, no limit. */
export function orderSpec(fields: OrderFields & { readonly seq: bigint }): OrderSpec {
  return {
    destination_id: DESTINATION,
    currency: CURRENCY,
    price_per_minute_micros: 10_000n,
    first_increment_s: 60,
    next_increment_s: 60,
    connect_fee_micros: 0n,
    channels: 1,
    quality: null,
    valid_until_ms: null,
    ...fields,
  };
}

export function quality(asr_percent: number, acd_s: number, pdd_ms: number): Quality {
  return { asr_percent, acd_s, pdd_ms };
}

export class EngineHarness {
  readonly engine = new MatchingEngine();
  private last_seq = 0n;

  nextSeq(): bigint {
    this.last_seq += 1n;
    return this.last_seq;
  }

  submit(fields: OrderFields, now_ms = NOW_MS): Event[] {
    return this.engine.apply({ kind: 'submit', order: orderSpec({ seq: this.nextSeq(), ...fields }), now_ms });
  }

  cancel(order_id: string, now_ms = NOW_MS): Event[] {
    return this.engine.apply({ kind: 'cancel', order_id, now_ms });
  }
}

export function tradesOf(events: readonly Event[]): Trade[] {
  return events.flatMap((event) => (event.kind === 'trade_made' ? [event.trade] : []));
}

/** Trades as (buy order, sell order, price, channels) tuples, easy to compare with hand-worked lists. */
export function tradeSummary(events: readonly Event[]): [string, string, bigint, number][] {
  return tradesOf(events).map((trade) => [
    trade.buy_order_id,
    trade.sell_order_id,
    trade.price_per_minute_micros,
    trade.channels,
  ]);
}
