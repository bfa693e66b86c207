/**
 * The engine's mutable record of one open order. Its fields are copied flat from the submitted
 * spec so the matching loop reads objects of one shape, whatever shape the caller's objects had.
 */
import type { BookSide } from './book-side.ts';
import type { TradingTerms } from './compatibility.ts';
import type { PriceLevel } from './price-level.ts';
import type { OrderSpec, OrderStatus, Quality, RestingOrderView, Side } from './types.ts';

export class RestingOrder implements TradingTerms {
  readonly order_id: string;
  readonly carrier_id: string;
  readonly side: Side;
  readonly destination_id: string;
  readonly currency: string;
  readonly first_increment_s: number;
  readonly next_increment_s: number;
  readonly connect_fee_micros: bigint;
  readonly quality: Quality | null;
  readonly valid_until_ms: number | null;
  price_per_minute_micros: bigint;
  channels: number;
  filled_channels: number;
  seq: bigint;
  /** Position in the expiry queue's heap, or -1 when not queued. Owned by ExpiryQueue. */
  expiry_index = -1;
  /** The book side the order rests on, set when it first rests, so no lookup finds it again. Owned by BookSide. */
  home: BookSide | null = null;
  /** The price level it rests at, or null while off the book. Owned by PriceLevel. */
  level: PriceLevel | null = null;
  /** True while the order index maps the order's id to this record. Owned by OrderIndex. */
  indexed = false;
  /** 'open' until the order is filled, cancelled or expired. Owned by OrderIndex. */
  status: OrderStatus = 'open';

  constructor(spec: OrderSpec, filled_channels: number) {
    this.order_id = spec.order_id;
    this.carrier_id = spec.carrier_id;
    this.side = spec.side;
    this.destination_id = spec.destination_id;
    this.currency = spec.currency;
    this.first_increment_s = spec.first_increment_s;
    this.next_increment_s = spec.next_increment_s;
    this.connect_fee_micros = spec.connect_fee_micros;
    this.quality = spec.quality;
    this.valid_until_ms = spec.valid_until_ms;
    this.price_per_minute_micros = spec.price_per_minute_micros;
    this.channels = spec.channels;
    this.filled_channels = filled_channels;
    this.seq = spec.seq;
  }

  get remaining_channels(): number {
    return this.channels - this.filled_channels;
  }

  view(): RestingOrderView {
    return {
      order_id: this.order_id,
      carrier_id: this.carrier_id,
      side: this.side,
      destination_id: this.destination_id,
      currency: this.currency,
      price_per_minute_micros: this.price_per_minute_micros,
      first_increment_s: this.first_increment_s,
      next_increment_s: this.next_increment_s,
      connect_fee_micros: this.connect_fee_micros,
      quality: this.quality,
      valid_until_ms: this.valid_until_ms,
      channels: this.channels,
      filled_channels: this.filled_channels,
      remaining_channels: this.remaining_channels,
      seq: this.seq,
    };
  }
}
