/**
 * One side of a book: its price levels sorted from worst to best, so the best level is the last
 * element and the common changes (the best level emptied by trades, a new best level) happen at
 * the end of the array. Buys: ascending price. Sells: descending price.
 */
import { insertAt, removeAt } from './array-positions.ts';
import { invariant } from './invariant.ts';
import { PriceLevel } from './price-level.ts';
import type { RestingOrder } from './resting-order.ts';
import type { PriceLevelView, Side } from './types.ts';

export class BookSide {
  readonly side: Side;
  private readonly is_buy: boolean;
  /** Worst first, best last. */
  readonly levels: PriceLevel[] = [];

  constructor(side: Side) {
    this.side = side;
    this.is_buy = side === 'buy';
  }

  get best(): PriceLevel | undefined {
    return this.levels[this.levels.length - 1];
  }

  /** Rests an order that has just arrived (or lost priority) behind everything at its price. */
  append(order: RestingOrder): void {
    this.levelFor(order).append(order);
  }

  /** Rests an order that kept its seq at a new, worse price, in seq order at that price. */
  insertBySeq(order: RestingOrder): void {
    this.levelFor(order).insertBySeq(order);
  }

  /** The level at the order's price, made when there is none yet. */
  private levelFor(order: RestingOrder): PriceLevel {
    invariant(order.side === this.side, 'an order rests only on its own side', order.order_id);
    invariant(order.home === null || order.home === this, 'an order rests only on its own book', order.order_id);
    order.home = this;
    const price = order.price_per_minute_micros;
    const index = this.lowerBound(price);
    let level = this.levels[index];
    if (level === undefined || level.price_per_minute_micros !== price) {
      level = new PriceLevel(price);
      insertAt(this.levels, index, level);
    }
    return level;
  }

  remove(order: RestingOrder): void {
    const level = order.level;
    invariant(level !== null && order.home === this, 'only a resting order is removed from its side', order.order_id);
    level.remove(order);
    if (level.isEmpty) this.removeLevelAt(this.lowerBound(level.price_per_minute_micros));
  }

  removeLevelAt(index: number): void {
    invariant(this.levels[index]?.isEmpty === true, 'only an empty price level at its place is removed');
    removeAt(this.levels, index);
  }

  /** Depth, best level first, at most `max_levels` levels. */
  view(max_levels: number): PriceLevelView[] {
    const views: PriceLevelView[] = [];
    for (let index = this.levels.length - 1; index >= 0 && views.length < max_levels; index -= 1) {
      const level = this.levels[index]!;
      views.push({
        price_per_minute_micros: level.price_per_minute_micros,
        channels: level.open_channels,
        orders: level.orders.length,
      });
    }
    return views;
  }

  /** Every resting order, best priority first. */
  *ordersByPriority(): Generator<RestingOrder> {
    for (let index = this.levels.length - 1; index >= 0; index -= 1) {
      yield* this.levels[index]!.orders;
    }
  }

  /** The first index whose level is not worse than `price`, so levels stay worst-to-best. */
  private lowerBound(price: bigint): number {
    let low = 0;
    let high = this.levels.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.isWorse(this.levels[middle]!.price_per_minute_micros, price)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** For buys a lower price is worse; for sells a higher one. */
  private isWorse(price: bigint, than: bigint): boolean {
    return this.is_buy ? price < than : price > than;
  }
}
