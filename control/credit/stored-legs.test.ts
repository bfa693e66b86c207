import { expect } from 'chai';
import type { Tariff } from '../../billing/core/rating.ts';
import { legsFromJson, legsToJson } from './stored-legs.ts';

describe('stored reservation legs', () => {
  it('round-trips amounts beyond 2^53 without loss', () => {
    // 2^53 + 1 = 9007199254740993: a JSON number would come back as ...992.
    const legs: Tariff[] = [
      { price_per_minute_micros: 9_007_199_254_740_993n, first_increment_s: 30, next_increment_s: 6, connect_fee_micros: 5_000n },
      { price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n },
    ];
    const stored: unknown = JSON.parse(legsToJson(legs));
    expect((stored as { price_per_minute_micros: string }[])[0]!.price_per_minute_micros).to.equal('9007199254740993');
    expect(legsFromJson(stored)).to.deep.equal(legs);
  });

  it('throws on what this module never writes', () => {
    expect(() => legsFromJson([])).to.throw(Error);
    expect(() => legsFromJson([{ price_per_minute_micros: 12000, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: '0' }])).to.throw(Error);
    expect(() => legsFromJson([{ price_per_minute_micros: '12000', first_increment_s: 0, next_increment_s: 1, connect_fee_micros: '0' }])).to.throw(Error);
  });
});
