/** A market's rows written straight into a test database: carriers, trunks, a destination, a trade with its two orders. */
import type { Db } from '../../common/db/database.ts';

export interface TradeTerms {
  readonly price_per_minute_micros: bigint;
  readonly first_increment_s: number;
  readonly next_increment_s: number;
  readonly connect_fee_micros: bigint;
}

export async function insertCarrier(db: Db, name: string): Promise<string> {
  return (await db.one<{ id: string }>('insert into carriers (name) values ($1) returning id', [name])).id;
}

export async function insertTrunk(db: Db, carrier_id: string, direction: 'ingress' | 'egress', host: string): Promise<string> {
  return (await db.one<{ id: string }>(
    'insert into trunks (carrier_id, direction, host, port, channels, cps) values ($1, $2, $3, 5060, 30, 100) returning id', [carrier_id, direction, host])).id;
}

export async function insertDestination(db: Db, name: string): Promise<string> {
  return (await db.one<{ id: string }>('insert into destinations (name) values ($1) returning id', [name])).id;
}

/** A USD trade of 10 channels between the two carriers on these terms (and the orders it crossed). */
export async function insertTrade(db: Db, parties: { buyer: string; seller: string; destination: string }, terms: TradeTerms): Promise<string> {
  const values = { ...parties, ...terms };
  const order = async (carrier_id: string, side: 'buy' | 'sell') => (await db.one<{ id: string }>(
    `insert into orders (carrier_id, side, destination_id, currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, channels, channels_open)
     values ($<carrier_id>, $<side>, $<destination>, 'USD', $<price_per_minute_micros>, $<first_increment_s>, $<next_increment_s>, $<connect_fee_micros>, 10, 0)
     returning id`, { ...values, carrier_id, side })).id;
  const buyOrder = await order(parties.buyer, 'buy');
  const sellOrder = await order(parties.seller, 'sell');
  return (await db.one<{ id: string }>(
    `insert into trades (buy_order_id, sell_order_id, buyer_id, seller_id, destination_id, currency, price_per_minute_micros, first_increment_s,
       next_increment_s, connect_fee_micros, channels)
     values ($<buyOrder>, $<sellOrder>, $<buyer>, $<seller>, $<destination>, 'USD', $<price_per_minute_micros>, $<first_increment_s>, $<next_increment_s>,
       $<connect_fee_micros>, 10) returning id`, { ...values, buyOrder, sellOrder })).id;
}
