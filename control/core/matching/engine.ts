/**
 * The matching engine: every book of the exchange, changed only by `apply(command)`.
 *
 * It is pure and deterministic: no clock (each command carries `now_ms`), no randomness, no I/O,
 * and iteration only over insertion-ordered structures. The same commands in the same order give
 * the same events, so a book is rebuilt after a restart by replaying the commands, or by restoring
 * the open orders in ascending seq (see RestoreCommand).
 *
 * Before each command, every resting order whose `valid_until_ms <= now_ms` expires, so no trade
 * is ever made with an order past its validity; the `expire` command is that sweep alone.
 *
 * Seqs: a submit or restore must carry a seq greater than every seq seen before (`invalid_seq`
 * otherwise). A seq greater than all seen is recorded as seen even when its command is rejected
 * for another reason, because the caller has used it up.
 */
import { type AcceptedAmend, planAmend } from './amend.ts';
import { OrderBook, emptyBookView } from './book.ts';
import { EventBuffer } from './event-buffer.ts';
import { ExpiryQueue } from './expiry-queue.ts';
import { invariant } from './invariant.ts';
import { type TradeRecorder, matchIncoming, wouldCross } from './matching.ts';
import { type ClosedStatus, OrderIndex } from './order-index.ts';
import { RestingOrder } from './resting-order.ts';
import type {
  AmendCommand,
  BookView,
  Command,
  CommandKind,
  Event,
  OrderSpec,
  OrderStatus,
  RejectionReason,
  RestingOrderView,
  RestoreCommand,
} from './types.ts';
import { orderSpecProblem } from './validation.ts';

export interface EngineOptions {
  /** How many closed order ids to remember for `already_closed` and `duplicate_order_id`. */
  readonly closed_order_memory?: number;
  /** The trade_seq of the first trade; a restarted engine continues its numbering from here. */
  readonly first_trade_seq?: number;
}

export const DEFAULT_CLOSED_ORDER_MEMORY = 10_000;

export class MatchingEngine {
  /** destination_id → its books, one per currency (a destination trades in few currencies). */
  private readonly books = new Map<string, OrderBook[]>();
  private readonly orders: OrderIndex;
  private readonly expiry = new ExpiryQueue();
  private readonly recorder: TradeRecorder;
  /** Where the command being applied writes its events; emptied by every `apply`. */
  private readonly events = new EventBuffer();
  private last_seq: bigint | null = null;
  private next_trade_seq: number;

  constructor(options: EngineOptions = {}) {
    this.orders = new OrderIndex(options.closed_order_memory ?? DEFAULT_CLOSED_ORDER_MEMORY);
    this.next_trade_seq = options.first_trade_seq ?? 1;
    invariant(Number.isSafeInteger(this.next_trade_seq), 'first_trade_seq must be a safe integer');
    this.recorder = {
      nextTradeSeq: () => this.next_trade_seq++,
      closeFilled: (order) => this.close(order, 'filled'),
    };
  }

  /** Applies one command and returns what it did, in order. Throws only on a broken invariant. */
  apply(command: Command): Event[] {
    invariant(Number.isSafeInteger(command.now_ms), 'now_ms must be an integer count of milliseconds');
    const events = this.events;
    events.discard();
    this.expireDue(command.now_ms, events);
    switch (command.kind) {
      case 'submit':
        this.submit(command.order, command.now_ms, events);
        break;
      case 'cancel':
        this.cancel(command.order_id, events);
        break;
      case 'amend':
        this.amend(command, events);
        break;
      case 'expire':
        break;
      case 'restore':
        this.restore(command, events);
        break;
      default:
        invariant(false, 'unknown command kind', (command as { kind: unknown }).kind as string);
    }
    return events.take();
  }

  /** Depth of one book, best level first, at most `max_levels` per side. */
  book(destination_id: string, currency: string, max_levels = Number.POSITIVE_INFINITY): BookView {
    const book = this.findBook(destination_id, currency);
    return book === undefined ? emptyBookView(destination_id, currency) : book.view(max_levels);
  }

  /** A resting (open) order, or undefined when it is closed or unknown. */
  order(order_id: string): RestingOrderView | undefined {
    return this.orders.resting(order_id)?.view();
  }

  /** 'open' while resting, the closing status while remembered, undefined when unknown or forgotten. */
  orderStatus(order_id: string): OrderStatus | undefined {
    return this.orders.statusOf(order_id);
  }

  /** Every resting order of one book: buys then sells, each in priority order (best first). */
  restingOrders(destination_id: string, currency: string): RestingOrderView[] {
    const book = this.findBook(destination_id, currency);
    if (book === undefined) return [];
    return [...book.buys.ordersByPriority(), ...book.sells.ordersByPriority()].map((order) => order.view());
  }

  /** The greatest seq seen, or null before the first. */
  get lastSeq(): bigint | null {
    return this.last_seq;
  }

  get restingOrderCount(): number {
    return this.orders.restingCount;
  }

  private submit(spec: OrderSpec, now_ms: number, events: EventBuffer): void {
    const problem = this.admissionProblem(spec, now_ms);
    if (problem !== null) {
      events.push(rejection('submit', spec.order_id, problem));
      return;
    }
    const order = new RestingOrder(spec, 0);
    events.push({ kind: 'order_accepted', order_id: order.order_id, remaining_channels: order.remaining_channels });
    this.matchThenRest(order, events);
  }

  private restore(command: RestoreCommand, events: EventBuffer): void {
    const spec = command.order;
    const problem = this.admissionProblem(spec, command.now_ms) ?? restoredFillProblem(command);
    if (problem !== null) {
      events.push(rejection('restore', spec.order_id, problem));
      return;
    }
    const order = new RestingOrder(spec, command.filled_channels);
    if (wouldCross(order, this.bookOf(order).oppositeOf(order.side))) {
      events.push(rejection('restore', spec.order_id, 'would_cross'));
      return;
    }
    this.rest(order);
    events.push({ kind: 'order_restored', order_id: order.order_id, remaining_channels: order.remaining_channels });
  }

  private cancel(order_id: string, events: EventBuffer): void {
    const order = this.orders.resting(order_id);
    if (order === undefined) {
      events.push(rejection('cancel', order_id, this.missingOrderReason(order_id)));
      return;
    }
    const withdrawn_channels = order.remaining_channels;
    this.withdraw(order);
    this.orders.close(order, 'cancelled');
    events.push({ kind: 'order_cancelled', order_id, withdrawn_channels, remaining_channels: 0 });
  }

  private amend(command: AmendCommand, events: EventBuffer): void {
    const order = this.orders.resting(command.order_id);
    const plan = order === undefined ? undefined : planAmend(order, command, this.last_seq);
    if (command.new_seq !== undefined) this.see(command.new_seq);
    if (order === undefined || plan === undefined) {
      events.push(rejection('amend', command.order_id, this.missingOrderReason(command.order_id)));
      return;
    }
    if (!plan.ok) {
      events.push(rejection('amend', order.order_id, plan.reason));
      return;
    }
    if (plan.priority_lost) this.amendLosingPriority(order, plan, events);
    else this.amendKeepingPriority(order, plan, events);
  }

  /**
   * The order leaves the book, takes its new seq and trades as if it had just arrived (an order
   * reduced to its filled channels closes there, having nothing left to trade).
   */
  private amendLosingPriority(order: RestingOrder, plan: AcceptedAmend, events: EventBuffer): void {
    this.withdraw(order);
    order.price_per_minute_micros = plan.price_per_minute_micros;
    order.channels = plan.channels;
    order.seq = plan.seq;
    events.push(amendedEvent(order, true));
    this.matchThenRest(order, events);
  }

  /** A worse price moves the order to its new level at its own seq; fewer channels leave it in place. */
  private amendKeepingPriority(order: RestingOrder, plan: AcceptedAmend, events: EventBuffer): void {
    const side = order.home!;
    if (plan.price_per_minute_micros !== order.price_per_minute_micros) {
      side.remove(order);
      order.price_per_minute_micros = plan.price_per_minute_micros;
      order.channels = plan.channels;
      side.insertBySeq(order);
    } else {
      const before = order.remaining_channels;
      order.channels = plan.channels;
      order.level!.changeOpenChannels(order.remaining_channels - before);
    }
    events.push(amendedEvent(order, false));
    if (order.remaining_channels === 0) {
      this.withdraw(order);
      this.orders.close(order, 'filled');
    }
  }

  private expireDue(now_ms: number, events: EventBuffer): void {
    for (let order = this.expiry.takeDue(now_ms); order !== undefined; order = this.expiry.takeDue(now_ms)) {
      const withdrawn_channels = order.remaining_channels;
      this.withdraw(order);
      this.orders.close(order, 'expired');
      events.push({ kind: 'order_expired', order_id: order.order_id, withdrawn_channels, remaining_channels: 0 });
    }
  }

  /** Trades the order as the aggressor, then rests what is left or closes it as filled. */
  private matchThenRest(order: RestingOrder, events: EventBuffer): void {
    const book = this.bookOf(order);
    matchIncoming(order, book.oppositeOf(order.side), this.recorder, events);
    if (order.remaining_channels === 0) this.orders.close(order, 'filled');
    else this.rest(order);
  }

  private rest(order: RestingOrder): void {
    (order.home ?? this.bookOf(order).sideOf(order.side)).append(order);
    this.orders.addResting(order);
    if (order.valid_until_ms !== null) this.expiry.add(order);
  }

  /** Takes a resting order off its book and out of the expiry queue; the caller closes or rests it again. */
  private withdraw(order: RestingOrder): void {
    order.home!.remove(order);
    this.expiry.remove(order);
  }

  /** Closes an order that is already off its book. */
  private close(order: RestingOrder, status: ClosedStatus): void {
    this.expiry.remove(order);
    this.orders.close(order, status);
  }

  private admissionProblem(spec: OrderSpec, now_ms: number): RejectionReason | null {
    if (!this.see(spec.seq)) return 'invalid_seq';
    if (this.orders.statusOf(spec.order_id) !== undefined) return 'duplicate_order_id';
    const problem = orderSpecProblem(spec);
    if (problem !== null) return problem;
    if (spec.valid_until_ms !== null && spec.valid_until_ms <= now_ms) return 'expired_on_arrival';
    return null;
  }

  /** Records `seq` as seen; false when it is not greater than every seq seen before. */
  private see(seq: bigint): boolean {
    if (this.last_seq !== null && seq <= this.last_seq) return false;
    this.last_seq = seq;
    return true;
  }

  private missingOrderReason(order_id: string): RejectionReason {
    return this.orders.statusOf(order_id) === undefined ? 'unknown_order' : 'already_closed';
  }

  private findBook(destination_id: string, currency: string): OrderBook | undefined {
    const books = this.books.get(destination_id);
    if (books === undefined) return undefined;
    for (const book of books) if (book.currency === currency) return book;
    return undefined;
  }

  private bookOf(order: RestingOrder): OrderBook {
    const existing = this.findBook(order.destination_id, order.currency);
    if (existing !== undefined) return existing;
    const book = new OrderBook(order.destination_id, order.currency);
    const books = this.books.get(order.destination_id);
    if (books === undefined) this.books.set(order.destination_id, [book]);
    else books.push(book);
    return book;
  }
}

function rejection(command: CommandKind, order_id: string, reason: RejectionReason): Event {
  return { kind: 'command_rejected', command, order_id, reason };
}

function amendedEvent(order: RestingOrder, priority_lost: boolean): Event {
  return {
    kind: 'order_amended',
    order_id: order.order_id,
    price_per_minute_micros: order.price_per_minute_micros,
    channels: order.channels,
    remaining_channels: order.remaining_channels,
    seq: order.seq,
    priority_lost,
    status: order.remaining_channels === 0 ? 'filled' : 'open',
  };
}

function restoredFillProblem(command: RestoreCommand): RejectionReason | null {
  const filled = command.filled_channels;
  return Number.isSafeInteger(filled) && filled >= 0 && filled < command.order.channels
    ? null
    : 'invalid_filled_channels';
}
