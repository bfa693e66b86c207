/** Orders and trades as PostgreSQL stores them (bigint and numeric columns come back as bigint). */
import type { Tariff } from '../../billing/core/rating.ts';

export interface StoredOrder extends Tariff {
  id: string;
  seq: bigint;
  carrier_id: string;
  side: 'buy' | 'sell';
  destination_id: string;
  currency: string;
  channels: number;
  channels_open: number;
  status: string;
  client_order_id: string | null;
  quality_asr_percent: number | null;
  quality_acd_s: number | null;
  quality_pdd_ms: number | null;
  valid_until: Date | null;
  rate_deck_id: string | null;
  created_at: Date;
}

export interface StoredTrade extends Tariff {
  id: string;
  buy_order_id: string;
  sell_order_id: string;
  buyer_id: string;
  seller_id: string;
  destination_id: string;
  currency: string;
  channels: number;
  status: string;
  created_at: Date;
  ended_at: Date | null;
  /** The buyer's risk premium when the trade was made (set by the database; absent on rows not read back). */
  buyer_premium_bps?: number;
}
