/**
 * The orders resting at one price on one side of a book, in time priority: ascending seq, the
 * first to trade at the front. Levels are short in practice (a few orders), so an array kept in
 * seq order, with elements shifted in place to insert or remove, beats a linked structure.
 */
import { insertAt, removeAt } from './array-positions.ts';
import { invariant } from './invariant.ts';
import type { RestingOrder } from './resting-order.ts';

export class PriceLevel {
  readonly price_per_minute_micros: bigint;
  /** Ascending seq. */
  readonly orders: RestingOrder[] = [];
  /** Open channels summed over `orders`, kept current by every change. */
  open_channels = 0;

  constructor(price_per_minute_micros: bigint) {
    this.price_per_minute_micros = price_per_minute_micros;
  }

  get isEmpty(): boolean {
    return this.orders.length === 0;
  }

  /**
   * Puts a newly arrived order at the back. Seqs only increase, so an order that just arrived (or
   * just lost priority, or is being restored in seq order) is the latest at every level.
   */
  append(order: RestingOrder): void {
    this.take(order);
    this.orders.push(order);
  }

  /** Puts an order that kept its seq (its price got worse) at its place in seq order. */
  insertBySeq(order: RestingOrder): void {
    this.take(order);
    const index = this.lowerBound(order.seq);
    invariant(this.orders[index]?.seq !== order.seq, 'two orders at a level never share a seq', order.order_id);
    insertAt(this.orders, index, order);
  }

  /** Identity search: levels are short, and comparing references reads no order from memory. */
  indexOf(order: RestingOrder): number {
    const index = this.orders.indexOf(order);
    invariant(index !== -1, 'an order is found at its price level', order.order_id);
    return index;
  }

  /** Takes out the order at `index`, with whatever channels it still has open. */
  removeAt(index: number): void {
    const removed = removeAt(this.orders, index);
    invariant(removed !== undefined, 'only an order that is at the level is removed');
    removed.level = null;
    this.open_channels -= removed.remaining_channels;
  }

  remove(order: RestingOrder): void {
    this.removeAt(this.indexOf(order));
  }

  /** Records a change in an order's open channels (a fill or an amend) made while it rests here. */
  changeOpenChannels(delta: number): void {
    this.open_channels += delta;
    invariant(this.open_channels >= 0, 'a price level cannot have negative open channels');
  }

  private take(order: RestingOrder): void {
    invariant(order.level === null, 'an order rests at one price level at a time', order.order_id);
    order.level = this;
    this.open_channels += order.remaining_channels;
  }

  private lowerBound(seq: bigint): number {
    let low = 0;
    let high = this.orders.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.orders[middle]!.seq < seq) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
