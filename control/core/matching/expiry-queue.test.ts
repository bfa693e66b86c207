import { expect } from 'chai';
import fc from 'fast-check';
import { ExpiryQueue } from './expiry-queue.ts';
import { RestingOrder } from './resting-order.ts';
import { orderSpec } from './test-support.ts';

function order(index: number, valid_until_ms: number): RestingOrder {
  return new RestingOrder(
    orderSpec({ order_id: `o${index}`, carrier_id: 'a', side: 'buy', seq: BigInt(index), valid_until_ms }),
    0,
  );
}

function drain(queue: ExpiryQueue, now_ms: number): string[] {
  const ids: string[] = [];
  for (let due = queue.takeDue(now_ms); due !== undefined; due = queue.takeDue(now_ms)) ids.push(due.order_id);
  return ids;
}

describe('ExpiryQueue', () => {
  it('gives due orders by validity, then by seq, and keeps the rest', () => {
    const queue = new ExpiryQueue();
    [order(1, 300), order(2, 100), order(3, 200), order(4, 100), order(5, 900)].forEach((each) => queue.add(each));
    expect(drain(queue, 300)).to.deep.equal(['o2', 'o4', 'o3', 'o1']);
    expect(queue.size).to.equal(1);
  });

  it('matches a sorted list under any mix of adds and removals', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ valid_until_ms: fc.integer({ min: 0, max: 50 }), removed: fc.boolean() }), { maxLength: 60 }),
        fc.integer({ min: 0, max: 50 }),
        (entries, now_ms) => {
          const queue = new ExpiryQueue();
          const orders = entries.map((entry, index) => order(index, entry.valid_until_ms));
          orders.forEach((each) => queue.add(each));
          orders.forEach((each, index) => {
            if (entries[index]!.removed) queue.remove(each);
          });
          const expected = orders
            .filter((each, index) => !entries[index]!.removed && each.valid_until_ms! <= now_ms)
            .sort((a, b) => a.valid_until_ms! - b.valid_until_ms! || Number(a.seq - b.seq))
            .map((each) => each.order_id);
          expect(drain(queue, now_ms)).to.deep.equal(expected);
          expect(orders.every((each) => each.expiry_index === -1 || each.valid_until_ms! > now_ms)).to.equal(true);
        },
      ),
    );
  });
});
