import { expect } from 'chai';
import { BookSide } from './book-side.ts';
import { RestingOrder } from './resting-order.ts';
import { orderSpec } from './test-support.ts';
import type { Side } from './types.ts';

function order(side: Side, seq: number, price_per_minute_micros: bigint, channels = 1): RestingOrder {
  return new RestingOrder(
    orderSpec({ order_id: `o${seq}`, carrier_id: 'a', side, seq: BigInt(seq), price_per_minute_micros, channels }),
    0,
  );
}

const ids = (side: BookSide): string[] => [...side.ordersByPriority()].map((each) => each.order_id);

describe('BookSide', () => {
  it('keeps buys best (highest) first and sells best (lowest) first, each level by seq', () => {
    const buys = new BookSide('buy');
    const sells = new BookSide('sell');
    for (const [seq, price] of [[1, 10n], [2, 12n], [3, 11n], [4, 12n], [5, 10n]] as const) {
      buys.append(order('buy', seq, price));
      sells.append(order('sell', seq, price));
    }
    expect(ids(buys)).to.deep.equal(['o2', 'o4', 'o3', 'o1', 'o5']);
    expect(ids(sells)).to.deep.equal(['o1', 'o5', 'o3', 'o2', 'o4']);
    expect(buys.best?.price_per_minute_micros).to.equal(12n);
    expect(sells.best?.price_per_minute_micros).to.equal(10n);
  });

  it('inserts an order with an older seq ahead of later ones at its level', () => {
    const sells = new BookSide('sell');
    sells.append(order('sell', 5, 10n));
    sells.append(order('sell', 9, 10n));
    sells.insertBySeq(order('sell', 7, 10n, 3));
    expect(ids(sells)).to.deep.equal(['o5', 'o7', 'o9']);
    expect(sells.view(10)).to.deep.equal([{ price_per_minute_micros: 10n, channels: 5, orders: 3 }]);
  });

  it('drops a level when its last order leaves', () => {
    const buys = new BookSide('buy');
    const lonely = order('buy', 1, 10n);
    buys.append(lonely);
    buys.append(order('buy', 2, 11n, 4));
    buys.remove(lonely);
    expect(buys.view(10)).to.deep.equal([{ price_per_minute_micros: 11n, channels: 4, orders: 1 }]);
    expect(() => buys.remove(lonely)).to.throw();
  });
});
