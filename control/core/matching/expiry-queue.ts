/**
 * The resting orders that have a validity limit, in the order they expire: earliest
 * `valid_until_ms` first, then ascending seq, so expiry events come out in a deterministic order.
 * A binary min-heap whose entries remember their position (`expiry_index`), so a cancelled or
 * filled order leaves the queue at once and the heap never holds closed orders.
 */
import { invariant } from './invariant.ts';
import type { RestingOrder } from './resting-order.ts';

export class ExpiryQueue {
  private readonly heap: RestingOrder[] = [];

  get size(): number {
    return this.heap.length;
  }

  add(order: RestingOrder): void {
    invariant(order.valid_until_ms !== null, 'only an order with a validity limit is queued', order.order_id);
    invariant(order.expiry_index === -1, 'an order is queued for expiry once', order.order_id);
    order.expiry_index = this.heap.length;
    this.heap.push(order);
    this.siftUp(order.expiry_index);
  }

  /** Takes the order out if it is queued; an order without a validity limit never is. */
  remove(order: RestingOrder): void {
    const index = order.expiry_index;
    if (index === -1) return;
    invariant(this.heap[index] === order, 'an order stays where the expiry queue placed it', order.order_id);
    const last = this.heap.pop()!;
    order.expiry_index = -1;
    if (last === order) return;
    this.heap[index] = last;
    last.expiry_index = index;
    this.siftDown(index);
    this.siftUp(last.expiry_index);
  }

  /** Removes and returns the next order whose `valid_until_ms <= now_ms`, if any. */
  takeDue(now_ms: number): RestingOrder | undefined {
    const first = this.heap[0];
    if (first === undefined || first.valid_until_ms! > now_ms) return undefined;
    this.remove(first);
    return first;
  }

  private siftUp(start: number): void {
    let index = start;
    while (index > 0) {
      const parent = (index - 1) >>> 1;
      if (!this.before(this.heap[index]!, this.heap[parent]!)) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(start: number): void {
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      const right = left + 1;
      let smallest = index;
      if (left < this.heap.length && this.before(this.heap[left]!, this.heap[smallest]!)) smallest = left;
      if (right < this.heap.length && this.before(this.heap[right]!, this.heap[smallest]!)) smallest = right;
      if (smallest === index) return;
      this.swap(index, smallest);
      index = smallest;
    }
  }

  private before(a: RestingOrder, b: RestingOrder): boolean {
    if (a.valid_until_ms !== b.valid_until_ms) return a.valid_until_ms! < b.valid_until_ms!;
    return a.seq < b.seq;
  }

  private swap(i: number, j: number): void {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    this.heap[i] = b;
    this.heap[j] = a;
    a.expiry_index = j;
    b.expiry_index = i;
  }
}
