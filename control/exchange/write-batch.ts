/**
 * What one exchange command writes: the order rows, their history, the trades and the audit
 * entries. Rows are gathered while the command runs and written at the end as a few multi-row
 * statements (new orders, the final state of the orders that changed, trades, history, ended
 * trades, audit), sent to PostgreSQL in one round trip. A multi-statement query runs as one
 * implicit transaction (PostgreSQL docs, "Multiple Statements in a Simple Query"), so the command
 * is stored whole or not at all, and the database does the same work for a group of orders as for
 * one, statement for statement.
 *
 * The market events a command causes are collected here too and published only after the commit,
 * so nobody (the routing snapshot, the live stream) ever sees a trade the database does not hold.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';
import { pgp } from '../../common/db/database.ts';
import type { Event, Trade } from '../core/matching/types.ts';
import type { Tariff } from '../../billing/core/rating.ts';
import type { MarketEvent } from './market-events.ts';
import type { StoredOrder, StoredTrade } from './stored-rows.ts';

/** Rows per multi-row statement: keeps each statement a reasonable size (a rate deck has thousands). */
const ROWS_PER_STATEMENT = 1_000;

/** An order row as the exchange inserts it. */
export interface NewOrderRow extends Tariff {
  readonly id: string;
  readonly seq: bigint;
  readonly carrier_id: string;
  readonly side: 'buy' | 'sell';
  readonly destination_id: string;
  readonly currency: string;
  readonly channels: number;
  readonly client_order_id: string | null;
  readonly quality_asr_percent: number | null;
  readonly quality_acd_s: number | null;
  readonly quality_pdd_ms: number | null;
  readonly valid_until: Date | null;
  readonly rate_deck_id: string | null;
}

/** The columns of an order that commands change; what is not set stays as stored. */
interface OrderState {
  channels_open: number;
  status: string;
  price_per_minute_micros?: bigint;
  channels?: number;
  seq?: bigint;
}

interface EndedTrade {
  id: string;
  buyer_id: string;
  seller_id: string;
  destination_id: string;
}

type RowHandler = (rows: readonly unknown[]) => void;

export class WriteBatch {
  private readonly first: string[] = [];
  private readonly newOrders = new Map<string, { row: NewOrderRow; state: OrderState }>();
  /** Orders stored before this command, with their state after it. */
  private readonly changedOrders = new Map<string, OrderState>();
  /** Trade ids by the engine's trade_seq, for the fill events that follow each trade. */
  private readonly tradeIds = new Map<number, string>();
  private readonly newTrades: Trade[] = [];
  private readonly history: string[] = [];
  private readonly tradesEndedBy: string[] = [];
  private readonly audits: string[] = [];
  private readonly tradeEvents: MarketEvent[] = [];
  /** Rows as written, filled in by the commit. */
  private readonly orderRows = new Map<string, StoredOrder>();
  private readonly tradeRows = new Map<string, StoredTrade>();
  private readonly endedTrades: EndedTrade[] = [];

  constructor(private readonly now_ms: number) {}

  get madeTradeIds(): string[] {
    return [...this.tradeIds.values()];
  }

  /** The ids of the trades among these engine events (persisted by this batch). */
  tradeIdsOf(events: readonly Event[]): string[] {
    const ids: string[] = [];
    for (const event of events) {
      const id = event.kind === 'trade_made' ? this.tradeIds.get(event.trade.trade_seq) : undefined;
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  /** An order as this batch left it; after the commit only. */
  order(id: string): StoredOrder | undefined {
    return this.orderRows.get(id);
  }

  /** A trade this batch made; after the commit only. */
  trade(id: string): StoredTrade | undefined {
    return this.tradeRows.get(id);
  }

  /** A statement written before everything else (e.g. the rate deck the new orders refer to). */
  addFirst(sql: string, values: readonly unknown[]): void {
    this.first.push(pgp.as.format(sql, values));
  }

  insertOrder(row: NewOrderRow): void {
    this.newOrders.set(row.id, { row, state: { channels_open: row.channels, status: 'open' } });
  }

  /**
   * Stores what the engine did: trades, open channels and status of each order, and its history.
   * An order that ends (cancelled or expired) ends its trades.
   */
  persistEvents(events: readonly Event[]): void {
    for (const event of events) {
      switch (event.kind) {
        case 'trade_made':
          this.addTrade(event.trade);
          break;
        case 'order_accepted':
        case 'order_restored':
          this.recordOrderEvent(event.order_id, event.kind, event.remaining_channels, {});
          break;
        case 'order_partially_filled':
        case 'order_filled':
          this.changeOrder(event.order_id, { channels_open: event.remaining_channels, status: event.kind === 'order_filled' ? 'filled' : 'open' });
          this.recordOrderEvent(event.order_id, event.kind, event.remaining_channels, { trade_id: this.tradeIds.get(event.trade_seq), channels: event.traded_channels });
          break;
        case 'order_cancelled':
        case 'order_expired':
          this.closeOrder(event.order_id, event.kind === 'order_cancelled' ? 'cancelled' : 'expired', event.withdrawn_channels);
          this.endTradesOf(event.order_id);
          break;
        case 'order_amended':
          this.changeOrder(event.order_id, {
            channels_open: event.remaining_channels, status: event.status, price_per_minute_micros: event.price_per_minute_micros, channels: event.channels, seq: event.seq,
          });
          this.recordOrderEvent(event.order_id, event.kind, event.remaining_channels, {
            price_per_minute_micros: event.price_per_minute_micros.toString(), channels: event.channels, priority_lost: event.priority_lost,
          });
          break;
        case 'command_rejected':
          break;
      }
    }
  }

  /** Closes an order the engine no longer holds (or that was filled), with its history entry. */
  closeOrder(order_id: string, status: 'cancelled' | 'expired', withdrawn_channels: number): void {
    this.changeOrder(order_id, { channels_open: 0, status });
    this.recordOrderEvent(order_id, `order_${status}`, 0, { withdrawn_channels });
  }

  /** A trade lives until either of its orders ends. */
  endTradesOf(order_id: string): void {
    this.tradesEndedBy.push(order_id);
  }

  audit(actor: string, action: string, subject: string, details: object = {}): void {
    this.audits.push(pgp.as.format('($1, $2, $3, $4::jsonb)', [actor, action, subject, JSON.stringify(details)]));
  }

  /**
   * Sends every statement in one query; the command's writes are then durable, or none of them is.
   * A fence (the leader's term check) goes before everything, so a refused fence stores nothing.
   */
  async commit(db: Db, fence?: string): Promise<void> {
    const statements: string[] = [...this.first];
    const handlers = new Map<number, RowHandler>();
    const add = (sql: string, onRows?: RowHandler) => {
      if (onRows !== undefined) handlers.set(statements.length, onRows);
      statements.push(sql);
    };
    const keepOrders: RowHandler = (rows) => {
      for (const row of rows as StoredOrder[]) this.orderRows.set(row.id, row);
    };
    for (const chunk of chunks([...this.newOrders.values()])) add(insertOrdersSql(chunk), keepOrders);
    for (const chunk of chunks([...this.changedOrders])) add(updateOrdersSql(chunk), keepOrders);
    for (const chunk of chunks(this.newTrades)) {
      add(insertTradesSql(chunk, this.tradeIds), (rows) => {
        for (const row of rows as StoredTrade[]) this.tradeRows.set(row.id, row);
      });
    }
    for (const chunk of chunks(this.history)) add(`insert into order_events (order_id, kind, channels_open, details) values ${chunk.join(', ')}`);
    if (this.tradesEndedBy.length > 0) {
      add(pgp.as.format(
        `update trades set status = 'ended', ended_at = now() where status = 'live' and (buy_order_id = any($1::uuid[]) or sell_order_id = any($1::uuid[]))
         returning id, buyer_id, seller_id, destination_id`, [this.tradesEndedBy]),
      (rows) => this.endedTrades.push(...(rows as EndedTrade[])));
    }
    for (const chunk of chunks(this.audits)) add(`insert into audit_log (actor, action, subject, details) values ${chunk.join(', ')}`);
    if (statements.length === 0) return;
    const offset = fence === undefined ? 0 : 1;
    const results = await db.multi(pgp.helpers.concat(fence === undefined ? statements : [fence, ...statements]));
    if (results.length !== statements.length + offset) throw new Error(`batch of ${statements.length + offset} statements gave ${results.length} results`);
    for (const [index, handle] of handlers) handle(results[index + offset]!);
  }

  /** The market events of the committed batch: orders that changed, trades made, trades ended. */
  marketEvents(): MarketEvent[] {
    const orderEvents: MarketEvent[] = [...this.orderRows.values()].map((row) => ({
      kind: 'order_changed', order_id: row.id, carrier_id: row.carrier_id, destination_id: row.destination_id, status: row.status, channels_open: row.channels_open,
    }));
    const ended: MarketEvent[] = this.endedTrades.map((trade) => ({
      kind: 'trade_ended', trade_id: trade.id, buyer_id: trade.buyer_id, seller_id: trade.seller_id, destination_id: trade.destination_id,
    }));
    return [...orderEvents, ...this.tradeEvents, ...ended];
  }

  private changeOrder(order_id: string, change: OrderState): void {
    const inserted = this.newOrders.get(order_id);
    if (inserted !== undefined) Object.assign(inserted.state, change);
    else this.changedOrders.set(order_id, { ...this.changedOrders.get(order_id), ...change });
  }

  private addTrade(trade: Trade): void {
    const id = randomUUID();
    this.tradeIds.set(trade.trade_seq, id);
    this.newTrades.push(trade);
    this.tradeEvents.push({
      kind: 'trade_made', trade_id: id, destination_id: trade.destination_id, currency: trade.currency, price_per_minute_micros: trade.price_per_minute_micros,
      first_increment_s: trade.first_increment_s, next_increment_s: trade.next_increment_s, connect_fee_micros: trade.connect_fee_micros,
      channels: trade.channels, buyer_id: trade.buyer_id, seller_id: trade.seller_id, buy_order_id: trade.buy_order_id, sell_order_id: trade.sell_order_id,
      at: new Date(this.now_ms).toISOString(),
    });
  }

  private recordOrderEvent(order_id: string, kind: string, channels_open: number, details: object): void {
    this.history.push(pgp.as.format('($1::uuid, $2, $3, $4::jsonb)', [order_id, kind, channels_open, JSON.stringify(details)]));
  }
}

function chunks<T>(items: readonly T[]): T[][] {
  const result: T[][] = [];
  for (let start = 0; start < items.length; start += ROWS_PER_STATEMENT) result.push(items.slice(start, start + ROWS_PER_STATEMENT));
  return result;
}

function insertOrdersSql(orders: ReadonlyArray<{ row: NewOrderRow; state: OrderState }>): string {
  const values = orders.map(({ row, state }) => pgp.as.format(
    '($1::uuid, $2::bigint, $3::uuid, $4, $5::uuid, $6, $7::bigint, $8::integer, $9::integer, $10::bigint, $11::integer, $12::integer, $13, $14::text, $15::integer, $16::integer, $17::integer, $18::timestamptz, $19::uuid)',
    [row.id, state.seq ?? row.seq, row.carrier_id, row.side, row.destination_id, row.currency, state.price_per_minute_micros ?? row.price_per_minute_micros,
      row.first_increment_s, row.next_increment_s, row.connect_fee_micros, state.channels ?? row.channels, state.channels_open, state.status,
      row.client_order_id, row.quality_asr_percent, row.quality_acd_s, row.quality_pdd_ms, row.valid_until, row.rate_deck_id],
  ));
  return `insert into orders (id, seq, carrier_id, side, destination_id, currency, price_per_minute_micros, first_increment_s, next_increment_s,
      connect_fee_micros, channels, channels_open, status, client_order_id, quality_asr_percent, quality_acd_s, quality_pdd_ms, valid_until, rate_deck_id)
    values ${values.join(', ')} returning *`;
}

/** One statement sets the final state of many orders; a column given as null keeps its value. */
function updateOrdersSql(changes: ReadonlyArray<[string, OrderState]>): string {
  const values = changes.map(([id, state]) => pgp.as.format('($1::uuid, $2::integer, $3, $4::bigint, $5::integer, $6::bigint)',
    [id, state.channels_open, state.status, state.price_per_minute_micros ?? null, state.channels ?? null, state.seq ?? null]));
  return `update orders o set channels_open = v.channels_open, status = v.status,
      price_per_minute_micros = coalesce(v.price_per_minute_micros, o.price_per_minute_micros), channels = coalesce(v.channels, o.channels), seq = coalesce(v.seq, o.seq)
    from (values ${values.join(', ')}) as v (id, channels_open, status, price_per_minute_micros, channels, seq)
    where o.id = v.id returning o.*`;
}

function insertTradesSql(trades: readonly Trade[], ids: ReadonlyMap<number, string>): string {
  const values = trades.map((trade) => pgp.as.format('($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, $6::uuid, $7, $8::bigint, $9::integer, $10::integer, $11::bigint, $12::integer)', [
    ids.get(trade.trade_seq), trade.buy_order_id, trade.sell_order_id, trade.buyer_id, trade.seller_id, trade.destination_id, trade.currency,
    trade.price_per_minute_micros, trade.first_increment_s, trade.next_increment_s, trade.connect_fee_micros, trade.channels,
  ]));
  return `insert into trades (id, buy_order_id, sell_order_id, buyer_id, seller_id, destination_id, currency, price_per_minute_micros,
      first_increment_s, next_increment_s, connect_fee_micros, channels)
    values ${values.join(', ')} returning *`;
}
