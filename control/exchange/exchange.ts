/**
 * The exchange: the pure matching engine with PostgreSQL behind it. Commands run one at a time:
 * each reads what it needs (one query), applies the engine, and stores everything the engine did
 * in one write (see write-batch.ts); market events go out only after that write commits. Orders
 * that arrive while a command runs are submitted together by the next one (submit-group.ts). If a
 * write fails after the engine moved, the engine is rebuilt from PostgreSQL before the next
 * command, so memory never holds what the database does not.
 *
 * With several nodes, one of them leads (leadership.ts): its exchange runs the engine and fences
 * each write with its term, so a node that lost the lead without knowing it yet stores nothing.
 * The exchanges of the other nodes follow: they hold no books and refuse commands, which their
 * node forwards to the leader (gateway.ts).
 */
import { Subject } from 'rxjs';
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { MatchingEngine } from '../core/matching/engine.ts';
import { ExchangeLeaderStore, isFenceError } from '../store/exchange-leader.ts';
import { MAX_WAITING_SUBMITS, notLeader, tooManyWaiting } from './exchange-unavailable.ts';
import type { BookView, OrderSpec, Quality, RejectionReason } from '../core/matching/types.ts';
import type { MarketEvent, MarketListener } from './market-events.ts';
import type { ParsedOrder } from './order-input.ts';
import { rejectionOf } from './order-specs.ts';
import { replaceDeckIn, type DeckLine, type DeckOutcome } from './rate-deck.ts';
import type { StoredOrder, StoredTrade } from './stored-rows.ts';
import { submitGroupIn, type CreditApproval, type PendingSubmit, type SubmitResult } from './submit-group.ts';
import { WriteBatch } from './write-batch.ts';

export type { MarketEvent, MarketListener } from './market-events.ts';

/**
 * A submit's outcome. An order placed now comes with its row and its trades as stored; a
 * duplicate (the same `client_order_id` again) names the order that stands, without its row.
 */
export type SubmitOutcome =
  | {
      readonly ok: true;
      readonly order_id: string;
      readonly duplicate: boolean;
      readonly trade_ids: readonly string[];
      readonly order: StoredOrder | null;
      readonly trades: readonly StoredTrade[];
    }
  | Extract<SubmitResult, { ok: false }>;

export type CancelOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: 'not_found' | 'already_closed' };

export interface AmendChanges {
  readonly price_per_minute_micros?: bigint;
  /** The new total, filled channels included. */
  readonly channels?: number;
}

export type AmendOutcome =
  | { readonly ok: true; readonly priority_lost: boolean; readonly order: StoredOrder | null; readonly trades: readonly StoredTrade[] }
  | { readonly ok: false; readonly reason: 'not_found' | 'already_closed' | 'channels_below_filled' | 'nothing_to_amend' | 'rejected'; readonly message: string };

interface WaitingSubmit extends PendingSubmit {
  resolve(outcome: SubmitOutcome): void;
  reject(error: unknown): void;
}

/** How often resting orders are checked for expiry, in ms. */
const EXPIRY_INTERVAL_MS = 1000;
/** Most orders one command submits: bounds a group's query and write. */
const MAX_SUBMITS_PER_COMMAND = 256;

export class Exchange {
  readonly events = new Subject<MarketEvent>();
  private engine = new MatchingEngine();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners: MarketListener[] = [];
  private expiryTimer: NodeJS.Timeout | undefined;
  /** Set when a write failed after the engine moved: the next command rebuilds first. */
  private stale = true;
  private readonly pendingSubmits: WaitingSubmit[] = [];
  /**
   * The leader's term this exchange writes in; null while another node leads (commands are
   * refused); undefined for an exchange that runs alone, without leadership (start()).
   */
  private term: bigint | null | undefined = undefined;

  constructor(
    private readonly db: Db,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    /** What pre-trading approval asks of a buyer (submit-group.ts). */
    private readonly approval: CreditApproval = 'manual',
  ) {}

  addListener(listener: MarketListener): void {
    this.listeners.push(listener);
  }

  /** Runs alone: the only exchange on its database, with no leadership. */
  async start(): Promise<void> {
    await this.serial(() => this.rebuildIfStale());
    this.startExpiry();
  }

  stop(): void {
    clearInterval(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  /** This node now leads in `term`: the books are rebuilt from PostgreSQL before anything else runs. */
  async lead(term: bigint): Promise<void> {
    await this.serial(async () => {
      this.term = term;
      this.stale = true;
      await this.rebuildIfStale();
    });
    this.startExpiry();
    this.log.info({ term: term.toString() }, 'leading the exchange');
  }

  /** Another node leads (or none yet): hold no books and refuse commands from now on. */
  follow(): void {
    if (this.term !== null) this.log.info('following: order commands go to the leading node');
    this.term = null;
    this.stale = true;
    this.stop();
  }

  get leading(): boolean {
    return this.term !== null;
  }

  get engineView(): MatchingEngine {
    return this.engine;
  }

  /** Depth of one book as committed: read in turn with the commands, never between apply and commit. */
  book(destination_id: string, currency: string, max_levels: number): Promise<BookView> {
    return this.serial(async () => {
      if (this.term === null) throw notLeader();
      await this.rebuildIfStale();
      return this.engine.book(destination_id, currency, max_levels);
    });
  }

  /**
   * Submits an order. Orders submitted while the exchange is busy are taken together by its next
   * command (see submit-group.ts); each still gets its own outcome.
   */
  submit(order: ParsedOrder, actor: string): Promise<SubmitOutcome> {
    return new Promise<SubmitOutcome>((resolve, reject) => {
      if (this.pendingSubmits.length >= MAX_WAITING_SUBMITS) return reject(tooManyWaiting());
      this.pendingSubmits.push({ order, actor, resolve, reject });
      if (this.pendingSubmits.length === 1) this.scheduleSubmits();
    });
  }

  /** Cancels an order; `carrier_id` limits it to that carrier's own orders (null: operator). */
  cancel(order_id: string, carrier_id: string | null, actor: string): Promise<CancelOutcome> {
    return this.command('cancel-order', async (batch) => {
      const row = await this.db.oneOrNone<{ status: string; carrier_id: string }>('select status, carrier_id from orders where id = $1', [order_id]);
      if (!row || (carrier_id !== null && row.carrier_id !== carrier_id)) return { ok: false, reason: 'not_found' };
      if (row.status === 'cancelled' || row.status === 'expired') return { ok: false, reason: 'already_closed' };
      if (row.status === 'open') {
        const events = this.engine.apply({ kind: 'cancel', order_id, now_ms: this.clock() });
        batch.persistEvents(events);
        // The order may have expired on this very command, just before the cancel.
        if (rejectionOf(events, order_id) !== undefined) return { ok: false, reason: 'already_closed' };
      } else {
        // A filled order is off the book; cancelling it ends the trades its channels are committed to.
        batch.closeOrder(order_id, 'cancelled', 0);
        batch.endTradesOf(order_id);
      }
      batch.audit(actor, 'order.cancel', `order:${order_id}`);
      return { ok: true };
    });
  }

  /**
   * Cancels every order of a carrier resting on the book, in one serialized step (a suspended
   * carrier stops trading; a seller's rate deck may hold thousands of orders). Each is audited as
   * the actor's cancel with the reason; filled orders and their trades stand.
   */
  cancelRestingOrdersOf(carrier_id: string, reason: string, actor: string): Promise<{ cancelled: string[] }> {
    return this.command('cancel-resting-orders', async (batch) => {
      const ids = await this.db.map(`select id from orders where carrier_id = $1 and status = 'open' order by seq`, [carrier_id], (row: { id: string }) => row.id);
      const cancelled: string[] = [];
      for (const order_id of ids) {
        const events = this.engine.apply({ kind: 'cancel', order_id, now_ms: this.clock() });
        batch.persistEvents(events);
        // One that expired on this very command is closed already.
        if (rejectionOf(events, order_id) !== undefined) continue;
        batch.audit(actor, 'order.cancel', `order:${order_id}`, { reason });
        cancelled.push(order_id);
      }
      return { cancelled };
    });
  }

  /**
   * Amends an open order's price and/or channels; `carrier_id` limits it to that carrier's own
   * orders. Every amend draws a seq: the engine uses it when the amend loses time priority.
   */
  amend(order_id: string, carrier_id: string | null, changes: AmendChanges, actor: string): Promise<AmendOutcome> {
    return this.command('amend-order', async (batch): Promise<AmendRefusal | { ok: true; priority_lost: boolean; trade_ids: string[] }> => {
      const row = await this.db.oneOrNone<{ status: string; carrier_id: string; seq: bigint }>(
        `select status, carrier_id, nextval(pg_get_serial_sequence('orders', 'seq')) as seq from orders where id = $1`, [order_id]);
      if (!row || (carrier_id !== null && row.carrier_id !== carrier_id)) return { ok: false, reason: 'not_found', message: 'unknown order' };
      if (row.status !== 'open') return { ok: false, reason: 'already_closed', message: `the order is ${row.status}` };
      const events = this.engine.apply({ kind: 'amend', order_id, ...changes, new_seq: row.seq, now_ms: this.clock() });
      batch.persistEvents(events);
      const rejected = rejectionOf(events, order_id);
      if (rejected !== undefined) return amendRefusal(rejected);
      const amended = events.find((event) => event.kind === 'order_amended');
      const trade_ids = batch.tradeIdsOf(events);
      batch.audit(actor, 'order.amend', `order:${order_id}`, {
        price_per_minute_micros: changes.price_per_minute_micros?.toString(), channels: changes.channels, trades: trade_ids,
      });
      return { ok: true as const, priority_lost: amended?.kind === 'order_amended' && amended.priority_lost, trade_ids };
    }, (result, batch): AmendOutcome => (result.ok ? { ok: true, priority_lost: result.priority_lost, order: batch.order(order_id) ?? null, trades: tradesOf(batch, result.trade_ids) } : result));
  }

  /**
   * Replaces a seller's rate deck in one serialized step: the open orders of its earlier decks
   * are cancelled and the deck's lines are submitted as sell orders, all stored in one
   * transaction, or nothing is.
   */
  replaceRateDeck(carrier_id: string, currency: string, lines: readonly DeckLine[], actor: string): Promise<DeckOutcome> {
    return this.command('replace-rate-deck', async (batch) => {
      const outcome = await replaceDeckIn({ db: this.db, engine: this.engine, batch, now_ms: this.clock() }, carrier_id, currency, lines, actor);
      // A deck refused after the engine moved (an order the engine itself rejected) leaves the
      // engine ahead of the database: rebuild it.
      if (!outcome.ok && outcome.engine_moved) this.stale = true;
      return outcome;
    });
  }

  expire(): Promise<void> {
    return this.command('expire-orders', (batch) => {
      batch.persistEvents(this.engine.apply({ kind: 'expire', now_ms: this.clock() }));
      return Promise.resolve();
    });
  }

  /**
   * Queues a command that takes the waiting submits when its turn comes: at most a group's worth,
   * leaving the rest to a command queued behind it.
   */
  private scheduleSubmits(): void {
    let group: WaitingSubmit[] = [];
    const take = (batch: WriteBatch) => {
      group = this.pendingSubmits.splice(0, MAX_SUBMITS_PER_COMMAND);
      if (this.pendingSubmits.length > 0) this.scheduleSubmits();
      return submitGroupIn({ db: this.db, engine: this.engine, batch, now_ms: this.clock(), approval: this.approval }, group);
    };
    const finish = (results: SubmitResult[], batch: WriteBatch) => results.map((result): SubmitOutcome =>
      (result.ok ? { ...result, order: batch.order(result.order_id) ?? null, trades: tradesOf(batch, result.trade_ids) } : result));
    this.command('submit-orders', take, finish).then(
      (outcomes) => group.forEach((waiting, index) => waiting.resolve(outcomes[index]!)),
      (error: unknown) => {
        // A command that failed before taking its group (the rebuild failed) fails those waiting.
        for (const waiting of group.length > 0 ? group : this.pendingSubmits.splice(0)) waiting.reject(error);
      },
    );
  }

  /**
   * Runs one command in turn: a stale engine is rebuilt first, the command's writes are committed
   * in one round trip and its market events published after the commit.
   */
  private command<T, R = T>(name: string, work: (batch: WriteBatch) => Promise<T>, finish?: (result: T, batch: WriteBatch) => R): Promise<R> {
    const run = async (): Promise<R> => {
      if (this.term === null) throw notLeader();
      await this.rebuildIfStale();
      const batch = new WriteBatch(this.clock());
      try {
        const result = await work(batch);
        // A command that refused after moving the engine marked it stale: nothing is stored.
        if (this.stale) return finish ? finish(result, new WriteBatch(this.clock())) : (result as unknown as R);
        await batch.commit(this.db, this.term === undefined ? undefined : ExchangeLeaderStore.fenceSql(this.term));
        this.publish(batch.marketEvents());
        return finish ? finish(result, batch) : (result as unknown as R);
      } catch (error) {
        this.stale = true;
        if (isFenceError(error)) {
          // Another node took the lead: this command stored nothing, and this node writes no more.
          this.log.warn({ command: name }, 'the exchange has a new leader: command refused');
          this.follow();
          throw notLeader();
        }
        this.log.error({ err: error, command: name }, 'exchange command failed: the engine is rebuilt before the next command');
        throw error;
      }
    };
    return this.serial(run);
  }

  private startExpiry(): void {
    if (this.expiryTimer !== undefined) return;
    this.expiryTimer = setInterval(() => {
      if (this.term === null) return;
      this.expire().catch((error: unknown) => this.log.error({ err: error }, 'order expiry failed'));
    }, EXPIRY_INTERVAL_MS);
  }

  private async rebuildIfStale(): Promise<void> {
    if (!this.stale) return;
    await this.rebuild();
    this.stale = false;
  }

  /** Rebuilds the engine from the open orders in PostgreSQL, in arrival order. */
  private async rebuild(): Promise<void> {
    const rows = await this.db.any<StoredOrder>(`select * from orders where status = 'open' order by seq`);
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

  /** Publishes a committed command's events; listeners hear of it when trades were made or ended. */
  private publish(events: readonly MarketEvent[]): void {
    for (const event of events) this.events.next(event);
    if (!events.some((event) => event.kind !== 'order_changed')) return;
    for (const listener of this.listeners) listener.onMarketChanged();
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const result = this.queue.then(work, work);
    this.queue = result.catch(() => undefined);
    return result;
  }
}

type AmendRefusal = Extract<AmendOutcome, { ok: false }>;

/** The rows of trades a committed batch made, in the order they were made. */
function tradesOf(batch: WriteBatch, trade_ids: readonly string[]): StoredTrade[] {
  return trade_ids.map((id) => {
    const trade = batch.trade(id);
    if (trade === undefined) throw new Error(`trade ${id} was not returned by its insert`);
    return trade;
  });
}

function amendRefusal(reason: RejectionReason): AmendRefusal {
  switch (reason) {
    case 'unknown_order':
    case 'already_closed':
      return { ok: false, reason: 'already_closed', message: 'the order is closed' };
    case 'channels_below_filled':
      return { ok: false, reason: 'channels_below_filled', message: 'channels cannot go below those already filled' };
    case 'nothing_to_amend':
      return { ok: false, reason: 'nothing_to_amend', message: 'give a new price_per_minute or channels' };
    default:
      return { ok: false, reason: 'rejected', message: `amend rejected: ${reason}` };
  }
}

function orderSpecOf(row: StoredOrder): OrderSpec {
  const quality: Quality | null = row.quality_asr_percent === null || row.quality_acd_s === null || row.quality_pdd_ms === null
    ? null
    : { asr_percent: row.quality_asr_percent, acd_s: row.quality_acd_s, pdd_ms: row.quality_pdd_ms };
  return {
    order_id: row.id, carrier_id: row.carrier_id, side: row.side, destination_id: row.destination_id, currency: row.currency.trim(),
    price_per_minute_micros: row.price_per_minute_micros, first_increment_s: row.first_increment_s, next_increment_s: row.next_increment_s,
    connect_fee_micros: row.connect_fee_micros, channels: row.channels, quality, seq: row.seq, valid_until_ms: row.valid_until?.getTime() ?? null,
  };
}
