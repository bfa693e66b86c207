/** The public market data every member reads: which destination a prefix names, and its last trades (no identities). */
import type { Db } from '../../common/db/database.ts';

export interface LastTrade {
  price_per_minute_micros: bigint;
  channels: number;
  created_at: Date;
}

export class MarketDataReader {
  constructor(private readonly db: Db) {}

  /** The destination that holds exactly this prefix. */
  destinationByPrefix(prefix: string): Promise<{ id: string; name: string } | null> {
    return this.db.oneOrNone<{ id: string; name: string }>(
      'select d.id, d.name from destination_prefixes p join destinations d on d.id = p.destination_id where p.prefix = $1', [prefix]);
  }

  /** The newest trades of one book, newest first. */
  lastTrades(destination_id: string, currency: string, limit: number): Promise<LastTrade[]> {
    return this.db.any<LastTrade>(
      `select price_per_minute_micros, channels, created_at from trades where destination_id = $1 and currency = $2
       order by created_at desc, id desc limit $3`,
      [destination_id, currency, limit]);
  }
}
