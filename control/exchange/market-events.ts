/**
 * What the exchange publishes after each committed command. The events carry the carriers'
 * identities so the live stream can tell each carrier what concerns it; the stream strips them
 * before anything reaches a carrier (control/api/routes/live.ts).
 */
export type MarketEvent =
  | {
      readonly kind: 'trade_made';
      readonly trade_id: string;
      readonly destination_id: string;
      readonly currency: string;
      readonly price_per_minute_micros: bigint;
      /** The sell order's billing terms, which calls on the trade are rated at. */
      readonly first_increment_s: number;
      readonly next_increment_s: number;
      readonly connect_fee_micros: bigint;
      readonly channels: number;
      readonly buyer_id: string;
      readonly seller_id: string;
      readonly buy_order_id: string;
      readonly sell_order_id: string;
      /** ISO 8601 time of the command that made the trade. */
      readonly at: string;
    }
  | {
      readonly kind: 'order_changed';
      readonly order_id: string;
      readonly carrier_id: string;
      readonly destination_id: string;
      readonly status: string;
      readonly channels_open: number;
    }
  | {
      readonly kind: 'trade_ended';
      readonly trade_id: string;
      readonly buyer_id: string;
      readonly seller_id: string;
      readonly destination_id: string;
    };

/** Told after every committed command that made or ended trades (what routes calls). */
export interface MarketListener {
  onMarketChanged(): void;
}
