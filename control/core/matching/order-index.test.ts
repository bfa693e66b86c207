import { expect } from 'chai';
import { OrderIndex } from './order-index.ts';
import { RestingOrder } from './resting-order.ts';
import { orderSpec } from './test-support.ts';

const order = (order_id: string): RestingOrder =>
  new RestingOrder(orderSpec({ order_id, carrier_id: 'a', side: 'buy', seq: 1n }), 0);

describe('OrderIndex', () => {
  it('tells resting, closed and unknown orders apart, and counts the resting ones', () => {
    const index = new OrderIndex(10);
    const resting = order('a');
    const cancelled = order('b');
    index.addResting(resting);
    index.addResting(cancelled);
    index.addResting(cancelled);
    index.close(cancelled, 'cancelled');
    index.close(order('c'), 'filled');
    expect(['a', 'b', 'c', 'd'].map((id) => index.statusOf(id))).to.deep.equal(['open', 'cancelled', 'filled', undefined]);
    expect(index.resting('a')).to.equal(resting);
    expect(index.resting('b')).to.equal(undefined);
    expect(index.resting('c')).to.equal(undefined);
    expect(index.restingCount).to.equal(1);
  });

  it('forgets the oldest closed ids past its capacity, never a resting one', () => {
    const index = new OrderIndex(2);
    index.addResting(order('open'));
    const rested = order('a');
    index.addResting(rested);
    index.close(rested, 'filled');
    index.close(order('b'), 'cancelled');
    index.close(order('c'), 'expired');
    index.close(order('d'), 'filled');
    expect(['a', 'b', 'c', 'd'].map((id) => index.statusOf(id))).to.deep.equal([undefined, undefined, 'expired', 'filled']);
    expect(index.resting('open')?.order_id).to.equal('open');
  });

  it('treats closing one order twice as a bug', () => {
    const index = new OrderIndex(4);
    const filled = order('a');
    index.close(filled, 'filled');
    expect(() => index.close(filled, 'cancelled')).to.throw('an order closes once: a');
  });
});
