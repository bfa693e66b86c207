import { expect } from 'chai';
import fc from 'fast-check';
import { leaseGiveBackMicros, leaseSliceMicros, type LeaseSizingInput } from './lease-math.ts';

const base: LeaseSizingInput = {
  first_chunk_micros: 10_000n, calls_per_s: 0, horizon_s: 5, min_calls: 4, available_micros: 1_000_000_000n, needed_micros: 0n, pool_share_divisor: 4n,
};

describe('leaseSliceMicros', () => {
  it('covers the calls expected within the horizon at the buyer rate', () => {
    // 20 calls/s for 5 s: 100 first chunks of 10,000 micros.
    expect(leaseSliceMicros({ ...base, calls_per_s: 20 })).to.equal(1_000_000n);
  });

  it('covers at least min_calls first chunks for a quiet buyer', () => {
    expect(leaseSliceMicros({ ...base, calls_per_s: 0 })).to.equal(40_000n);
    // 0.3 calls/s for 5 s is 1.5 calls: still min_calls.
    expect(leaseSliceMicros({ ...base, calls_per_s: 0.3 })).to.equal(40_000n);
  });

  it('rounds a fraction of a call up to a whole chunk', () => {
    expect(leaseSliceMicros({ ...base, calls_per_s: 1.1, min_calls: 1 })).to.equal(60_000n);
  });

  it('never takes more than the pool share', () => {
    // 1,000 calls/s would want 50,000,000; a quarter of 8,000,000 is 2,000,000.
    expect(leaseSliceMicros({ ...base, calls_per_s: 1000, available_micros: 8_000_000n })).to.equal(2_000_000n);
    // The share rounds down: 10,003 / 4 = 2,500.
    expect(leaseSliceMicros({ ...base, first_chunk_micros: 2_000n, min_calls: 10, available_micros: 10_003n })).to.equal(2_500n);
  });

  it('takes exactly what the waiting call needs when the pool is nearly empty', () => {
    expect(leaseSliceMicros({ ...base, available_micros: 12_000n, needed_micros: 10_000n })).to.equal(10_000n);
  });

  it('takes all that is left when the pool cannot cover what is needed, and nothing from an empty pool', () => {
    expect(leaseSliceMicros({ ...base, available_micros: 9_999n, needed_micros: 10_000n })).to.equal(9_999n);
    expect(leaseSliceMicros({ ...base, available_micros: 0n })).to.equal(0n);
    expect(leaseSliceMicros({ ...base, available_micros: -5n })).to.equal(0n);
  });

  it('refuses nonsense input', () => {
    expect(() => leaseSliceMicros({ ...base, first_chunk_micros: 0n })).to.throw(RangeError);
    expect(() => leaseSliceMicros({ ...base, calls_per_s: Number.NaN })).to.throw(RangeError);
    expect(() => leaseSliceMicros({ ...base, pool_share_divisor: 0n })).to.throw(RangeError);
  });

  it('always grants between what is needed and what is available, or nothing', () => {
    fc.assert(fc.property(
      fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.double({ min: 0, max: 5000, noNaN: true }), fc.integer({ min: 1, max: 60 }),
      fc.bigInt({ min: -(10n ** 9n), max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 10n ** 10n }), fc.bigInt({ min: 1n, max: 16n }),
      (first_chunk_micros, calls_per_s, horizon_s, available_micros, needed_micros, pool_share_divisor) => {
        const slice = leaseSliceMicros({ first_chunk_micros, calls_per_s, horizon_s, min_calls: 1, available_micros, needed_micros, pool_share_divisor });
        if (available_micros <= 0n) return slice === 0n;
        if (available_micros <= needed_micros) return slice === available_micros;
        return slice >= needed_micros && slice <= available_micros && slice > 0n;
      },
    ));
  });
});

describe('leaseGiveBackMicros', () => {
  it('gives back what calls do not hold, less what it keeps', () => {
    expect(leaseGiveBackMicros(100n, 30n, 20n)).to.equal(50n);
    expect(leaseGiveBackMicros(100n, 30n, 0n)).to.equal(70n);
    expect(leaseGiveBackMicros(100n, 90n, 20n)).to.equal(0n);
  });

  it('stops the process when calls hold more than the lease', () => {
    expect(() => leaseGiveBackMicros(100n, 101n, 0n)).to.throw(/credit invariant broken/);
  });
});
