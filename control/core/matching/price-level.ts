/**
 * The orders resting at one price on one side of a book, in time priority: ascending seq, the
 * first to trade at the front. Levels are short in practice, so an array kept sorted by seq
 * (binary search to find, elements shifted in place to insert or remove) beats a linked structure.
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
   * Places the order by its seq. A new order or one that lost priority has the greatest seq seen
   * and goes to the back; an order whose price got worse keeps its seq and may land in the middle.
   */
  insert(order: RestingOrder): void {
    invariant(order.level === null, `order ${order.order_id} already rests at a price level`);
    order.level = this;
    const last = this.orders[this.orders.length - 1];
    if (last === undefined || last.seq < order.seq) {
      this.orders.push(order);
    } else {
      const index = this.lowerBound(order.seq);
      invariant(this.orders[index]?.seq !== order.seq, `seq ${order.seq} is already at this level`);
      insertAt(this.orders, index, order);
    }
    this.open_channels += order.remaining_channels;
  }

  indexOf(order: RestingOrder): number {
    const index = this.lowerBound(order.seq);
    invariant(this.orders[index] === order, `order ${order.order_id} is not at its price level`);
    return index;
  }

  /** Takes out the order at `index`, with whatever channels it still has open. */
  removeAt(index: number): void {
    const removed = removeAt(this.orders, index);
    invariant(removed !== undefined, `no order at index ${index}`);
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
