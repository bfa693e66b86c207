/** Orders as the engine and the orders table see them, built from a parsed submission. */
import type { Event, OrderSpec, RejectionReason } from '../core/matching/types.ts';
import type { ParsedOrder } from './order-input.ts';
import type { NewOrderRow } from './write-batch.ts';

export type OrderTerms = Omit<ParsedOrder, 'prefix' | 'client_order_id'>;

export function orderSpec(order: OrderTerms, order_id: string, seq: bigint, destination_id: string): OrderSpec {
  return {
    order_id, carrier_id: order.carrier_id, side: order.side, destination_id, currency: order.currency,
    price_per_minute_micros: order.price_per_minute_micros, first_increment_s: order.first_increment_s, next_increment_s: order.next_increment_s,
    connect_fee_micros: order.connect_fee_micros, channels: order.channels, quality: order.quality, seq, valid_until_ms: order.valid_until_ms,
  };
}

export function newOrderRow(spec: OrderSpec, client_order_id: string | null, rate_deck_id: string | null): NewOrderRow {
  return {
    id: spec.order_id, seq: spec.seq, carrier_id: spec.carrier_id, side: spec.side, destination_id: spec.destination_id, currency: spec.currency,
    price_per_minute_micros: spec.price_per_minute_micros, first_increment_s: spec.first_increment_s, next_increment_s: spec.next_increment_s,
    connect_fee_micros: spec.connect_fee_micros, channels: spec.channels, client_order_id, quality_asr_percent: spec.quality?.asr_percent ?? null,
    quality_acd_s: spec.quality?.acd_s ?? null, quality_pdd_ms: spec.quality?.pdd_ms ?? null,
    valid_until: spec.valid_until_ms === null ? null : new Date(spec.valid_until_ms), rate_deck_id,
  };
}

/** The engine's reason for refusing a command about this order, if it refused. */
export function rejectionOf(events: readonly Event[], order_id: string): RejectionReason | undefined {
  for (const event of events) if (event.kind === 'command_rejected' && event.order_id === order_id) return event.reason;
  return undefined;
}
