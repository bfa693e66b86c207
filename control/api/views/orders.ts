/** Orders as the API shows them: only ever to their own carrier or to an operator. */
import { formatMicros } from '../../../common/money.ts';
import type { StoredOrder } from '../../exchange/stored-rows.ts';
import type { OrderEventRow } from '../../store/orders.ts';

export type OrderRow = StoredOrder;

export function orderJson(row: OrderRow) {
  const currency = row.currency.trim();
  return {
    id: row.id, carrier_id: row.carrier_id, side: row.side, destination_id: row.destination_id, currency,
    price_per_minute: formatMicros(row.price_per_minute_micros, currency), increments: `${row.first_increment_s}/${row.next_increment_s}`,
    connect_fee: formatMicros(row.connect_fee_micros, currency), channels: row.channels, channels_open: row.channels_open, status: row.status,
    quality: row.quality_asr_percent === null ? null : { asr_percent: row.quality_asr_percent, acd_s: row.quality_acd_s, pdd_ms: row.quality_pdd_ms },
    client_order_id: row.client_order_id, rate_deck_id: row.rate_deck_id, created_at: row.created_at.toISOString(), valid_until: row.valid_until?.toISOString() ?? null,
  };
}

export function orderEventJson(row: OrderEventRow) {
  return { kind: row.kind, channels_open: row.channels_open, details: row.details, at: row.at.toISOString() };
}
