/**
 * Every order the engine knows by id, in one map: a resting order maps to its record, a closed one
 * to how it closed (filled, cancelled, expired), so the record itself can be collected. One lookup
 * answers whether an id is resting, closed (`already_closed`, `duplicate_order_id`) or unknown.
 *
 * Closed ids are remembered up to `closed_capacity`; past it the oldest are forgotten (a later
 * cancel of one answers `unknown_order`), so memory stays bounded however long the engine runs.
 * The orders table's primary key remains the lasting guard against a reused id.
 */
import { invariant } from './invariant.ts';
import type { RestingOrder } from './resting-order.ts';
import type { OrderStatus } from './types.ts';

export type ClosedStatus = Exclude<OrderStatus, 'open'>;

export class OrderIndex {
  private readonly entries = new Map<string, RestingOrder | ClosedStatus>();
  private readonly closed_capacity: number;
  /** Closed ids in the order they closed, grown up to the capacity, then overwritten oldest first. */
  private readonly closed_ring: string[] = [];
  private next_in_ring = 0;
  private resting_count = 0;

  constructor(closed_capacity: number) {
    invariant(
      Number.isSafeInteger(closed_capacity) && closed_capacity > 0,
      'the closed order memory must be a positive integer',
    );
    this.closed_capacity = closed_capacity;
  }

  get restingCount(): number {
    return this.resting_count;
  }

  statusOf(order_id: string): OrderStatus | undefined {
    const entry = this.entries.get(order_id);
    return typeof entry === 'object' ? entry.status : entry;
  }

  resting(order_id: string): RestingOrder | undefined {
    const entry = this.entries.get(order_id);
    return typeof entry === 'object' && entry.status === 'open' ? entry : undefined;
  }

  /** Maps the order's id to its record; an order that rests again after an amend is already mapped. */
  addResting(order: RestingOrder): void {
    invariant(order.status === 'open', 'only an open order rests', order.order_id);
    if (order.indexed) return;
    order.indexed = true;
    this.resting_count += 1;
    this.entries.set(order.order_id, order);
  }

  /** Records how an order closed: one that rested, or one that filled on arrival and never did. */
  close(order: RestingOrder, status: ClosedStatus): void {
    invariant(order.status === 'open', 'an order closes once', order.order_id);
    order.status = status;
    if (order.indexed) {
      order.indexed = false;
      this.resting_count -= 1;
    }
    this.entries.set(order.order_id, status);
    this.rememberClosed(order.order_id);
  }

  private rememberClosed(order_id: string): void {
    if (this.closed_ring.length < this.closed_capacity) {
      this.closed_ring.push(order_id);
      return;
    }
    this.entries.delete(this.closed_ring[this.next_in_ring]!);
    this.closed_ring[this.next_in_ring] = order_id;
    this.next_in_ring = (this.next_in_ring + 1) % this.closed_capacity;
  }
}
