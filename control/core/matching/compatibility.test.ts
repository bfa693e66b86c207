import { expect } from 'chai';
import { meetsQualityFloor, pricesCross, termsCompatible, type TradingTerms } from './compatibility.ts';
import { quality } from './test-support.ts';

const terms = (fields: Partial<TradingTerms>): TradingTerms => ({
  first_increment_s: 60,
  next_increment_s: 60,
  connect_fee_micros: 0n,
  quality: null,
  ...fields,
});

describe('compatibility', () => {
  it('meets a quality floor only when ASR and ACD are at least it and PDD at most it', () => {
    const floor = quality(50, 120, 3_000);
    expect(meetsQualityFloor(quality(50, 120, 3_000), floor)).to.equal(true);
    expect(meetsQualityFloor(quality(49, 500, 100), floor)).to.equal(false);
    expect(meetsQualityFloor(quality(90, 119, 100), floor)).to.equal(false);
    expect(meetsQualityFloor(quality(90, 500, 3_001), floor)).to.equal(false);
  });

  it('lets a sell that commits nothing meet only a buy with no floor', () => {
    expect(meetsQualityFloor(null, null)).to.equal(true);
    expect(meetsQualityFloor(quality(0, 0, 1_000_000), null)).to.equal(true);
    expect(meetsQualityFloor(null, quality(0, 0, 1_000_000))).to.equal(false);
  });

  it('accepts sell increments no longer than the buy ones and a connect fee no higher', () => {
    const buy = terms({ first_increment_s: 30, next_increment_s: 6, connect_fee_micros: 1_000n });
    expect(termsCompatible(buy, terms({ first_increment_s: 30, next_increment_s: 6, connect_fee_micros: 1_000n }))).to.equal(true);
    expect(termsCompatible(buy, terms({ first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n }))).to.equal(true);
    expect(termsCompatible(buy, terms({ first_increment_s: 60, next_increment_s: 1, connect_fee_micros: 0n }))).to.equal(false);
    expect(termsCompatible(buy, terms({ first_increment_s: 1, next_increment_s: 7, connect_fee_micros: 0n }))).to.equal(false);
    expect(termsCompatible(buy, terms({ first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 1_001n }))).to.equal(false);
  });

  it('crosses when the buy pays at least the ask', () => {
    expect(pricesCross(10_000n, 10_000n)).to.equal(true);
    expect(pricesCross(10_001n, 10_000n)).to.equal(true);
    expect(pricesCross(9_999n, 10_000n)).to.equal(false);
  });
});
