/**
 * Trades as the API shows them. An operator sees both sides. A carrier sees its own side (which
 * side, which of its orders) and the other side only as an alias (control/api/anonymity.ts): no
 * carrier id, no name and no order id of the counterparty.
 */
import { formatMicros } from '../../../common/money.ts';
import type { StoredTrade } from '../../exchange/stored-rows.ts';
import type { CounterpartyAliases } from '../anonymity.ts';
import type { Principal } from '../auth.ts';

export type TradeRow = StoredTrade;

function terms(row: TradeRow) {
  const currency = row.currency.trim();
  return {
    destination_id: row.destination_id, currency, price_per_minute: formatMicros(row.price_per_minute_micros, currency),
    increments: `${row.first_increment_s}/${row.next_increment_s}`, connect_fee: formatMicros(row.connect_fee_micros, currency),
    channels: row.channels, status: row.status, created_at: row.created_at.toISOString(), ended_at: row.ended_at?.toISOString() ?? null,
  };
}

export function operatorTradeJson(row: TradeRow) {
  return {
    id: row.id, buy_order_id: row.buy_order_id, sell_order_id: row.sell_order_id, buyer_id: row.buyer_id, seller_id: row.seller_id, ...terms(row),
    ...(row.buyer_premium_bps === undefined ? {} : { buyer_risk_premium_bps: row.buyer_premium_bps }),
  };
}

/** One party's view; the caller makes sure `carrier_id` is the trade's buyer or seller. */
export function carrierTradeJson(row: TradeRow, carrier_id: string, aliases: CounterpartyAliases) {
  const buying = row.buyer_id === carrier_id;
  if (!buying && row.seller_id !== carrier_id) throw new Error(`trade ${row.id} is not carrier ${carrier_id}'s`);
  return {
    id: row.id,
    side: buying ? 'buy' : 'sell',
    order_id: buying ? row.buy_order_id : row.sell_order_id,
    counterparty: aliases.alias(row.id, buying ? row.seller_id : row.buyer_id),
    ...terms(row),
    // The buyer's own credit term: shown to the buyer, never to the seller.
    ...(buying && row.buyer_premium_bps !== undefined ? { risk_premium_bps: row.buyer_premium_bps } : {}),
  };
}

export function tradeViewFor(principal: Principal, aliases: CounterpartyAliases): (row: TradeRow) => object {
  return principal.kind === 'operator' ? operatorTradeJson : (row) => carrierTradeJson(row, principal.carrier_id, aliases);
}
