/** Reading trades for the API: the exchange alone writes them (control/exchange). */
import type { Db } from '../../common/db/database.ts';
import type { StoredTrade } from '../exchange/stored-rows.ts';

export interface TradeFilter {
  /** Null: every carrier's trades (an operator's view); otherwise those it buys or sells in. */
  readonly carrier_id: string | null;
  readonly status: string | null;
  readonly destination_id: string | null;
  readonly limit: number;
}

export class TradeReader {
  constructor(private readonly db: Db) {}

  /** The newest trades first. */
  trades(filter: TradeFilter): Promise<StoredTrade[]> {
    return this.db.any<StoredTrade>(
      `select * from trades
       where ($1::uuid is null or buyer_id = $1 or seller_id = $1) and ($2::text is null or status = $2) and ($3::uuid is null or destination_id = $3)
       order by created_at desc, id limit $4`,
      [filter.carrier_id, filter.status, filter.destination_id, filter.limit]);
  }
}
