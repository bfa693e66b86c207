import { expect } from 'chai';
import { decodeWire, encodeWire } from './wire.ts';

describe('wire codec between nodes', () => {
  it('round-trips bigints, dates, nulls and nested rows', () => {
    const value = {
      ok: true, order: { id: 'a', seq: 9_007_199_254_740_993n, price: -5n, created_at: new Date('2026-01-02T03:04:05.678Z'), valid_until: null },
      trades: [{ channels: 3, price_per_minute_micros: 10_000n }], note: 'text',
    };
    expect(decodeWire(encodeWire(value))).to.deep.equal(value);
  });

  it('leaves ordinary objects that merely look similar alone', () => {
    const value = { $bigint: 'x', other: 1 };
    expect(decodeWire(encodeWire(value))).to.deep.equal(value);
  });
});
