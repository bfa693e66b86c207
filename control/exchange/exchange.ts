/**
 * The exchange: the pure matching engine with PostgreSQL behind it. Commands run one at a time;
 * each runs the engine inside a database transaction that stores the order, its trades and every
 * lifecycle transition. If the transaction fails after the engine moved, the engine is rebuilt
 * from PostgreSQL, so memory never holds what the database does not.
 */
import { randomUUID } from 'node:crypto';
import { Subject } from 'rxjs';
import type { ITask } from 'pg-promise';
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { MatchingEngine } from '../core/matching/engine.ts';
import type { Event, OrderSpec, Quality, Trade } from '../core/matching/types.ts';
import { audit } from '../store/audit.ts';
import type { ParsedOrder } from './order-input.ts';

export type MarketEvent =
  | { readonly kind: 'trade_made'; readonly trade_id: string; readonly destination_id: string; readonly currency: string; readonly price_per_minute_micros: bigint; readonly channels: number }
  | { readonly kind: 'order_changed'; readonly order_id: string; readonly destination_id: string; readonly status: string }
  | { readonly kind: 'trade_ended'; readonly trade_id: string };

export interface MarketListener {
  onMarketChanged(): void;
}

export type SubmitOutcome =
  | { readonly ok: true; readonly order_id: string; readonly duplicate: boolean; readonly trade_ids: readonly string[] }
  | { readonly ok: false; readonly reason: 'unknown_destination' | 'unknown_carrier' | 'carrier_suspended' | 'credit_not_approved' | 'rejected'; readonly message: string };

export type CancelOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: 'not_found' | 'already_closed' };

interface OrderRow {
  id: string;
  seq: bigint;
  carrier_id: string;
  side: 'buy' | 'sell';
  destination_id: string;
  currency: string;
  price_per_minute_micros: bigint;
  first_increment_s: number;
  next_increment_s: number;
  connect_fee_micros: bigint;
  channels: number;
  channels_open: number;
  status: string;
  quality_asr_percent: number | null;
  quality_acd_s: number | null;
  quality_pdd_ms: number | null;
  valid_until: Date | null;
}

class RollbackWith extends Error {
  constructor(readonly outcome: SubmitOutcome) {
    super('rollback');
  }
}

/** How often resting orders are checked for expiry, in ms. */
const EXPIRY_INTERVAL_MS = 1000;

export class Exchange {
  readonly events = new Subject<MarketEvent>();
  private engine = new MatchingEngine();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners: MarketListener[] = [];
  private expiryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly db: Db, private readonly log: Logger, private readonly clock: () => number = Date.now) {}

  addListener(listener: MarketListener): void {
    this.listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.serial(() => this.rebuild());
    this.expiryTimer = setInterval(() => void this.expire().catch((error: unknown) => this.log.error({ err: error }, 'order expiry failed')), EXPIRY_INTERVAL_MS);
  }

  stop(): void {
    clearInterval(this.expiryTimer);
  }

  get engineView(): MatchingEngine {
    return this.engine;
  }

  submit(order: ParsedOrder, actor: string): Promise<SubmitOutcome> {
    return this.serial(async () => {
      try {
        return await this.db.tx('submit-order', (t) => this.submitIn(t, order, actor));
      } catch (error) {
        if (error instanceof RollbackWith) return error.outcome;
        await this.rebuild();
        throw error;
      }
    });
  }

  /** Cancels an order; `carrier_id` limits it to that carrier's own orders (null: operator). */
  cancel(order_id: string, carrier_id: string | null, actor: string): Promise<CancelOutcome> {
    return this.serial(async () => {
      try {
        return await this.db.tx('cancel-order', async (t) => {
          const row = await t.oneOrNone<{ status: string; carrier_id: string; destination_id: string }>(
            'select status, carrier_id, destination_id from orders where id = $1 for update', [order_id]);
          if (!row || (carrier_id !== null && row.carrier_id !== carrier_id)) return { ok: false as const, reason: 'not_found' as const };
          if (row.status === 'cancelled' || row.status === 'expired') return { ok: false as const, reason: 'already_closed' as const };
          if (row.status === 'open') await this.persistEvents(t, this.engine.apply({ kind: 'cancel', order_id, now_ms: this.clock() }), new Map());
          else await this.closeOrder(t, order_id, 'cancelled', 0);
          await this.endTradesOf(t, order_id);
          await audit(t, actor, 'order.cancel', `order:${order_id}`);
          this.emit({ kind: 'order_changed', order_id, destination_id: row.destination_id, status: 'cancelled' });
          return { ok: true as const };
        });
      } catch (error) {
        await this.rebuild();
        throw error;
      }
    });
  }

  expire(): Promise<void> {
    return this.serial(async () => {
      try {
        await this.db.tx('expire-orders', async (t) => {
          const events = this.engine.apply({ kind: 'expire', now_ms: this.clock() });
          await this.persistEvents(t, events, new Map());
          for (const event of events) if (event.kind === 'order_expired') await this.endTradesOf(t, event.order_id);
        });
      } catch (error) {
        await this.rebuild();
        throw error;
      }
    });
  }

  private async submitIn(t: ITask<object>, order: ParsedOrder, actor: string): Promise<SubmitOutcome> {
    const carrier = await t.oneOrNone<{ status: string }>('select status from carriers where id = $1', [order.carrier_id]);
    if (!carrier) return { ok: false, reason: 'unknown_carrier', message: 'unknown carrier' };
    if (carrier.status !== 'active') return { ok: false, reason: 'carrier_suspended', message: 'the carrier is suspended' };
    const destination = await t.oneOrNone<{ destination_id: string }>('select destination_id from destination_prefixes where prefix = $1', [order.prefix]);
    if (!destination) return { ok: false, reason: 'unknown_destination', message: `no destination has prefix ${order.prefix}` };
    if (order.side === 'buy' && !(await this.approvedToBuy(t, order.carrier_id, order.currency))) {
      // Pre-trading approval: a refused order stores nothing but the audit entry.
      await audit(t, actor, 'order.refused', `carrier:${order.carrier_id}`, { reason: 'credit_not_approved', currency: order.currency });
      return { ok: false, reason: 'credit_not_approved', message: `no credit limit or collateral on file in ${order.currency}: buying is not approved` };
    }
    if (order.client_order_id !== null) {
      const existing = await t.oneOrNone<{ id: string }>('select id from orders where carrier_id = $1 and client_order_id = $2', [order.carrier_id, order.client_order_id]);
      if (existing) return { ok: true, order_id: existing.id, duplicate: true, trade_ids: [] };
    }
    const row = await t.one<{ id: string; seq: bigint }>(
      `insert into orders (carrier_id, side, destination_id, currency, price_per_minute_micros, first_increment_s, next_increment_s,
         connect_fee_micros, channels, channels_open, client_order_id, quality_asr_percent, quality_acd_s, quality_pdd_ms, valid_until)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14) returning id, seq`,
      [order.carrier_id, order.side, destination.destination_id, order.currency, order.price_per_minute_micros, order.first_increment_s,
        order.next_increment_s, order.connect_fee_micros, order.channels, order.client_order_id, order.quality?.asr_percent ?? null,
        order.quality?.acd_s ?? null, order.quality?.pdd_ms ?? null, order.valid_until_ms === null ? null : new Date(order.valid_until_ms)],
    );
    const spec: OrderSpec = {
      order_id: row.id, carrier_id: order.carrier_id, side: order.side, destination_id: destination.destination_id, currency: order.currency,
      price_per_minute_micros: order.price_per_minute_micros, first_increment_s: order.first_increment_s, next_increment_s: order.next_increment_s,
      connect_fee_micros: order.connect_fee_micros, channels: order.channels, quality: order.quality, seq: row.seq, valid_until_ms: order.valid_until_ms,
    };
    const events = this.engine.apply({ kind: 'submit', order: spec, now_ms: this.clock() });
    const rejected = events.find((event) => event.kind === 'command_rejected' && event.order_id === row.id);
    if (rejected && rejected.kind === 'command_rejected') throw new RollbackWith({ ok: false, reason: 'rejected', message: `order rejected: ${rejected.reason}` });
    const tradeIds = new Map<number, string>();
    await this.persistEvents(t, events, tradeIds);
    await audit(t, actor, 'order.submit', `order:${row.id}`, { side: order.side, carrier_id: order.carrier_id, trades: [...tradeIds.values()] });
    this.emit({ kind: 'order_changed', order_id: row.id, destination_id: destination.destination_id, status: 'open' });
    return { ok: true, order_id: row.id, duplicate: false, trade_ids: [...tradeIds.values()] };
  }

  /** A carrier may buy once it has a credit limit or collateral on file in the order's currency. */
  private async approvedToBuy(t: ITask<object>, carrier_id: string, currency: string): Promise<boolean> {
    const account = await t.oneOrNone<{ approved: boolean }>(
      'select (limit_micros > 0 or collateral_micros > 0) as approved from credit_accounts where carrier_id = $1 and currency = $2',
      [carrier_id, currency]);
    return account?.approved ?? false;
  }

  /** Stores what the engine did: trades, open channels and status of each order, and its history. */
  private async persistEvents(t: ITask<object>, events: readonly Event[], tradeIds: Map<number, string>): Promise<void> {
    for (const event of events) {
      switch (event.kind) {
        case 'trade_made':
          tradeIds.set(event.trade.trade_seq, await this.insertTrade(t, event.trade));
          break;
        case 'order_accepted':
        case 'order_restored':
          await this.recordOrderEvent(t, event.order_id, event.kind, event.remaining_channels, {});
          break;
        case 'order_partially_filled':
        case 'order_filled':
          await t.none('update orders set channels_open = $2, status = $3 where id = $1', [event.order_id, event.remaining_channels, event.kind === 'order_filled' ? 'filled' : 'open']);
          await this.recordOrderEvent(t, event.order_id, event.kind, event.remaining_channels, { trade_id: tradeIds.get(event.trade_seq), channels: event.traded_channels });
          break;
        case 'order_cancelled':
        case 'order_expired':
          await this.closeOrder(t, event.order_id, event.kind === 'order_cancelled' ? 'cancelled' : 'expired', event.withdrawn_channels);
          break;
        case 'order_amended':
          await t.none('update orders set price_per_minute_micros = $2, channels = $3, channels_open = $4, seq = $5, status = $6 where id = $1',
            [event.order_id, event.price_per_minute_micros, event.channels, event.remaining_channels, event.seq, event.status]);
          await this.recordOrderEvent(t, event.order_id, event.kind, event.remaining_channels, { priority_lost: event.priority_lost });
          break;
        case 'command_rejected':
          break;
      }
    }
  }

  private async closeOrder(t: ITask<object>, order_id: string, status: 'cancelled' | 'expired', withdrawn_channels: number): Promise<void> {
    await t.none('update orders set channels_open = 0, status = $2 where id = $1', [order_id, status]);
    await this.recordOrderEvent(t, order_id, `order_${status}`, 0, { withdrawn_channels });
  }

  private async recordOrderEvent(t: ITask<object>, order_id: string, kind: string, channels_open: number, details: object): Promise<void> {
    await t.none('insert into order_events (order_id, kind, channels_open, details) values ($1, $2, $3, $4::jsonb)', [order_id, kind, channels_open, JSON.stringify(details)]);
  }

  private async insertTrade(t: ITask<object>, trade: Trade): Promise<string> {
    const id = randomUUID();
    await t.none(
      `insert into trades (id, buy_order_id, sell_order_id, buyer_id, seller_id, destination_id, currency, price_per_minute_micros,
         first_increment_s, next_increment_s, connect_fee_micros, channels)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [id, trade.buy_order_id, trade.sell_order_id, trade.buyer_id, trade.seller_id, trade.destination_id, trade.currency,
        trade.price_per_minute_micros, trade.first_increment_s, trade.next_increment_s, trade.connect_fee_micros, trade.channels],
    );
    this.emit({ kind: 'trade_made', trade_id: id, destination_id: trade.destination_id, currency: trade.currency, price_per_minute_micros: trade.price_per_minute_micros, channels: trade.channels });
    return id;
  }

  /** A trade lives until either of its orders ends. */
  private async endTradesOf(t: ITask<object>, order_id: string): Promise<void> {
    const ended = await t.map(
      `update trades set status = 'ended', ended_at = now() where status = 'live' and (buy_order_id = $1 or sell_order_id = $1) returning id`,
      [order_id], (row: { id: string }) => row.id);
    for (const trade_id of ended) this.emit({ kind: 'trade_ended', trade_id });
  }

  /** Rebuilds the engine from the open orders in PostgreSQL, in arrival order. */
  private async rebuild(): Promise<void> {
    const rows = await this.db.any<OrderRow>(`select * from orders where status = 'open' order by seq`);
    const engine = new MatchingEngine();
    const now_ms = this.clock();
    for (const row of rows) {
      const events = engine.apply({ kind: 'restore', order: orderSpecOf(row), filled_channels: row.channels - row.channels_open, now_ms });
      const rejected = events.find((event) => event.kind === 'command_rejected');
      if (rejected) this.log.error({ order_id: row.id, event: rejected }, 'order could not be restored to its book');
    }
    this.engine = engine;
    this.log.info({ open_orders: rows.length }, 'order books rebuilt');
  }

  private emit(event: MarketEvent): void {
    this.events.next(event);
    for (const listener of this.listeners) listener.onMarketChanged();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

function orderSpecOf(row: OrderRow): OrderSpec {
  const quality: Quality | null = row.quality_asr_percent === null || row.quality_acd_s === null || row.quality_pdd_ms === null
    ? null
    : { asr_percent: row.quality_asr_percent, acd_s: row.quality_acd_s, pdd_ms: row.quality_pdd_ms };
  return {
    order_id: row.id, carrier_id: row.carrier_id, side: row.side, destination_id: row.destination_id, currency: row.currency.trim(),
    price_per_minute_micros: row.price_per_minute_micros, first_increment_s: row.first_increment_s, next_increment_s: row.next_increment_s,
    connect_fee_micros: row.connect_fee_micros, channels: row.channels, quality, seq: row.seq, valid_until_ms: row.valid_until?.getTime() ?? null,
  };
}
