/** Reading orders and their history for the API: the exchange alone writes them (control/exchange). */
import type { Db } from '../../common/db/database.ts';
import type { StoredOrder } from '../exchange/stored-rows.ts';

export interface OrderEventRow {
  kind: string;
  channels_open: number;
  details: unknown;
  at: Date;
}

export interface OrderFilter {
  /** Null: every carrier's orders (an operator's view). */
  readonly carrier_id: string | null;
  readonly status: string | null;
  readonly side: string | null;
  readonly destination_id: string | null;
  /** Orders of the destination that has this prefix. */
  readonly prefix: string | null;
  readonly limit: number;
}

export class OrderReader {
  constructor(private readonly db: Db) {}

  /** An order, limited to one carrier's own when `carrier_id` is given. */
  order(id: string, carrier_id: string | null = null): Promise<StoredOrder | null> {
    return this.db.oneOrNone<StoredOrder>('select * from orders where id = $1 and ($2::uuid is null or carrier_id = $2)', [id, carrier_id]);
  }

  /** The newest orders first. */
  orders(filter: OrderFilter): Promise<StoredOrder[]> {
    return this.db.any<StoredOrder>(
      `select * from orders
       where ($1::uuid is null or carrier_id = $1) and ($2::text is null or status = $2) and ($3::text is null or side = $3)
         and ($4::uuid is null or destination_id = $4)
         and ($5::text is null or destination_id = (select destination_id from destination_prefixes where prefix = $5))
       order by seq desc limit $6`,
      [filter.carrier_id, filter.status, filter.side, filter.destination_id, filter.prefix, filter.limit]);
  }

  /** What happened to an order, oldest first. */
  history(order_id: string): Promise<OrderEventRow[]> {
    return this.db.any<OrderEventRow>('select kind, channels_open, details, at from order_events where order_id = $1 order by id', [order_id]);
  }
}
