import { expect } from 'chai';
import fc from 'fast-check';
import {
  billedSeconds,
  chargeMicros,
  MAX_RATED_DURATION_MS,
  maxDurationMsWithin,
  rateCall,
  rateTradeCall,
  type Tariff,
} from './rating.ts';

// 0.012000 per minute is 200 micros per second, so these rows need no rounding: they test the
// increments and the connect fee (0.005000).
const PRICE = 12_000n;
const CONNECT = 5_000n;

function tariff(first_increment_s: number, next_increment_s: number, connect_fee_micros = 0n, price_per_minute_micros = PRICE): Tariff {
  return { price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros };
}

interface Row {
  readonly first: number;
  readonly next: number;
  readonly duration_ms: bigint;
  readonly billed_s: number;
  readonly amount_micros: bigint;
  readonly with_connect_micros: bigint;
}

const rows: readonly Row[] = [
  // 60/60: everything up to 60 s bills 60 s = 12000; with the connect fee 17000.
  { first: 60, next: 60, duration_ms: 400n, billed_s: 60, amount_micros: 12_000n, with_connect_micros: 17_000n },
  { first: 60, next: 60, duration_ms: 1_000n, billed_s: 60, amount_micros: 12_000n, with_connect_micros: 17_000n },
  { first: 60, next: 60, duration_ms: 29_000n, billed_s: 60, amount_micros: 12_000n, with_connect_micros: 17_000n },
  { first: 60, next: 60, duration_ms: 30_001n, billed_s: 60, amount_micros: 12_000n, with_connect_micros: 17_000n },
  { first: 60, next: 60, duration_ms: 59_999n, billed_s: 60, amount_micros: 12_000n, with_connect_micros: 17_000n },
  // 61 s: 60 + ceil(1000 / 60000) * 60 = 120 s; 200 * 120 = 24000; + 5000 = 29000.
  { first: 60, next: 60, duration_ms: 61_000n, billed_s: 120, amount_micros: 24_000n, with_connect_micros: 29_000n },
  // 3601 s: 60 + ceil(3541000 / 60000) * 60 = 60 + 60 * 60 = 3660 s; 200 * 3660 = 732000; + 5000.
  { first: 60, next: 60, duration_ms: 3_601_000n, billed_s: 3660, amount_micros: 732_000n, with_connect_micros: 737_000n },
  // 30/6: up to 30 s bills 30 s = 200 * 30 = 6000; with the connect fee 11000.
  { first: 30, next: 6, duration_ms: 400n, billed_s: 30, amount_micros: 6_000n, with_connect_micros: 11_000n },
  { first: 30, next: 6, duration_ms: 1_000n, billed_s: 30, amount_micros: 6_000n, with_connect_micros: 11_000n },
  { first: 30, next: 6, duration_ms: 29_000n, billed_s: 30, amount_micros: 6_000n, with_connect_micros: 11_000n },
  // 30.001 s: 30 + ceil(1 / 6000) * 6 = 36 s; 200 * 36 = 7200; + 5000 = 12200.
  { first: 30, next: 6, duration_ms: 30_001n, billed_s: 36, amount_micros: 7_200n, with_connect_micros: 12_200n },
  // 59.999 s: 30 + ceil(29999 / 6000) * 6 = 30 + 5 * 6 = 60 s; 200 * 60 = 12000; + 5000 = 17000.
  { first: 30, next: 6, duration_ms: 59_999n, billed_s: 60, amount_micros: 12_000n, with_connect_micros: 17_000n },
  // 61 s: 30 + ceil(31000 / 6000) * 6 = 30 + 6 * 6 = 66 s; 200 * 66 = 13200; + 5000 = 18200.
  { first: 30, next: 6, duration_ms: 61_000n, billed_s: 66, amount_micros: 13_200n, with_connect_micros: 18_200n },
  // 3601 s: 30 + ceil(3571000 / 6000) * 6 = 30 + 596 * 6 = 3606 s; 200 * 3606 = 721200; + 5000.
  { first: 30, next: 6, duration_ms: 3_601_000n, billed_s: 3606, amount_micros: 721_200n, with_connect_micros: 726_200n },
  // 1/1: 0.4 s and 1 s bill the first second, 200; + 5000 = 5200.
  { first: 1, next: 1, duration_ms: 400n, billed_s: 1, amount_micros: 200n, with_connect_micros: 5_200n },
  { first: 1, next: 1, duration_ms: 1_000n, billed_s: 1, amount_micros: 200n, with_connect_micros: 5_200n },
  // 29 s: 1 + ceil(28000 / 1000) = 29 s; 200 * 29 = 5800; + 5000 = 10800.
  { first: 1, next: 1, duration_ms: 29_000n, billed_s: 29, amount_micros: 5_800n, with_connect_micros: 10_800n },
  // 30.001 s: 1 + ceil(29001 / 1000) = 1 + 30 = 31 s; 200 * 31 = 6200; + 5000 = 11200.
  { first: 1, next: 1, duration_ms: 30_001n, billed_s: 31, amount_micros: 6_200n, with_connect_micros: 11_200n },
  // 59.999 s: 1 + ceil(58999 / 1000) = 1 + 59 = 60 s; 12000; + 5000 = 17000.
  { first: 1, next: 1, duration_ms: 59_999n, billed_s: 60, amount_micros: 12_000n, with_connect_micros: 17_000n },
  // 61 s: 1 + 60 = 61 s; 200 * 61 = 12200; + 5000 = 17200.
  { first: 1, next: 1, duration_ms: 61_000n, billed_s: 61, amount_micros: 12_200n, with_connect_micros: 17_200n },
  // 3601 s: 1 + 3600 = 3601 s; 200 * 3601 = 720200; + 5000 = 725200.
  { first: 1, next: 1, duration_ms: 3_601_000n, billed_s: 3601, amount_micros: 720_200n, with_connect_micros: 725_200n },
];

describe('rating', () => {
  describe('rateCall on hand-computed cases at 0.012000 per minute', () => {
    for (const row of rows) {
      it(`${row.first}/${row.next}, ${row.duration_ms} ms bills ${row.billed_s} s`, () => {
        expect(billedSeconds(row.duration_ms, row.first, row.next)).to.equal(row.billed_s);
        expect(rateCall(tariff(row.first, row.next), row.duration_ms)).to.deep.equal({
          billed_s: row.billed_s,
          amount_micros: row.amount_micros,
        });
        expect(rateCall(tariff(row.first, row.next, CONNECT), row.duration_ms)).to.deep.equal({
          billed_s: row.billed_s,
          amount_micros: row.with_connect_micros,
        });
      });
    }

    it('bills the first increment in full for an answered call of 0 ms, connect fee included', () => {
      // 30/6: 30 s * 200 = 6000; + 5000 = 11000.
      expect(rateCall(tariff(30, 6, CONNECT), 0n)).to.deep.equal({ billed_s: 30, amount_micros: 11_000n });
    });

    it('bills nothing, not even the connect fee, for an unanswered call', () => {
      for (const [first, next] of [[60, 60], [30, 6], [1, 1]] as const) {
        expect(rateCall(tariff(first, next, CONNECT), null)).to.deep.equal({ billed_s: 0, amount_micros: 0n });
      }
    });

    it('bills exactly on an increment boundary without another increment', () => {
      // 30/6 at 36.000 s: 30 + ceil(6000 / 6000) * 6 = 36 s; at 36.001 s: 30 + ceil(6001 / 6000) * 6 = 42 s.
      expect(billedSeconds(36_000n, 30, 6)).to.equal(36);
      expect(billedSeconds(36_001n, 30, 6)).to.equal(42);
      // 60/60 at exactly 60 s: 60; at 60.001 s: 120.
      expect(billedSeconds(60_000n, 60, 60)).to.equal(60);
      expect(billedSeconds(60_001n, 60, 60)).to.equal(120);
    });
  });

  describe('the rounding step', () => {
    it('rounds 0.012345 per minute over 7 s up to the next micro-unit', () => {
      // 12345 * 7 / 60 = 86415 / 60 = 1440.25 → 1441.
      expect(chargeMicros(12_345n, 7)).to.equal(1_441n);
      expect(rateCall(tariff(1, 1, 0n, 12_345n), 6_500n)).to.deep.equal({ billed_s: 7, amount_micros: 1_441n });
      // With the connect fee: 1441 + 5000 = 6441.
      expect(rateCall(tariff(1, 1, CONNECT, 12_345n), 7_000n)).to.deep.equal({ billed_s: 7, amount_micros: 6_441n });
    });

    it('rounds 0.012345 per minute over 61 s up', () => {
      // 12345 * 61 / 60 = 753045 / 60 = 12550.75 → 12551.
      expect(rateCall(tariff(1, 1, 0n, 12_345n), 61_000n).amount_micros).to.equal(12_551n);
    });

    it('leaves exact charges alone', () => {
      // 12345 * 36 / 60 = 444420 / 60 = 7407 exactly.
      expect(chargeMicros(12_345n, 36)).to.equal(7_407n);
      // 60 micros per minute is 1 micro per second: 1 s → 1, 59 s → 59.
      expect(chargeMicros(60n, 1)).to.equal(1n);
      expect(chargeMicros(60n, 59)).to.equal(59n);
    });

    it('charges one micro-unit for the smallest fraction', () => {
      // 1 * 1 / 60 = 0.0166… → 1; 61 * 1 / 60 = 1.0166… → 2.
      expect(chargeMicros(1n, 1)).to.equal(1n);
      expect(chargeMicros(61n, 1)).to.equal(2n);
      expect(chargeMicros(0n, 60)).to.equal(0n);
      expect(chargeMicros(12_345n, 0)).to.equal(0n);
    });
  });

  describe('rateTradeCall', () => {
    it('pays the seller the tariff amount, the exchange its fee and charges the buyer both', () => {
      // 30/6 at 61 s bills 66 s: seller 200 * 66 + 5000 = 18200; fee 600 * 66 / 60 = 660; buyer 18860.
      expect(rateTradeCall(tariff(30, 6, CONNECT), 600n, 61_000n)).to.deep.equal({
        billed_s: 66,
        seller_amount_micros: 18_200n,
        fee_amount_micros: 660n,
        premium_amount_micros: 0n,
        buyer_amount_micros: 18_860n,
      });
    });

    it('rounds the fee up on its own', () => {
      // 1/1 at 0.012345 over 7 s: seller 1441 (see above); fee 1000 * 7 / 60 = 116.67 → 117; buyer 1558.
      expect(rateTradeCall(tariff(1, 1, 0n, 12_345n), 1_000n, 7_000n)).to.deep.equal({
        billed_s: 7,
        seller_amount_micros: 1_441n,
        fee_amount_micros: 117n,
        premium_amount_micros: 0n,
        buyer_amount_micros: 1_558n,
      });
    });

    it('charges the fee on the first increment of a 0 ms answered call but no fee on the connect fee', () => {
      // 60/60 at 0 ms bills 60 s: seller 12000 + 5000 = 17000; fee 600 * 60 / 60 = 600; buyer 17600.
      expect(rateTradeCall(tariff(60, 60, CONNECT), 600n, 0n)).to.deep.equal({
        billed_s: 60,
        seller_amount_micros: 17_000n,
        fee_amount_micros: 600n,
        premium_amount_micros: 0n,
        buyer_amount_micros: 17_600n,
      });
    });

    it('charges no fee when the fee is zero', () => {
      // 1/1 at 29 s: 5800 + 5000 = 10800 to the seller, the same from the buyer.
      expect(rateTradeCall(tariff(1, 1, CONNECT), 0n, 29_000n)).to.deep.equal({
        billed_s: 29,
        seller_amount_micros: 10_800n,
        fee_amount_micros: 0n,
        premium_amount_micros: 0n,
        buyer_amount_micros: 10_800n,
      });
    });

    it('charges nobody for an unanswered call', () => {
      expect(rateTradeCall(tariff(30, 6, CONNECT), 600n, null)).to.deep.equal({
        billed_s: 0,
        seller_amount_micros: 0n,
        fee_amount_micros: 0n,
        premium_amount_micros: 0n,
        buyer_amount_micros: 0n,
      });
    });
  });

  describe('maxDurationMsWithin', () => {
    it('allows exactly the first increment when the budget is its price', () => {
      // 60/60 at 0.012: 60 * 12000 / 12000 = 60 s affordable → 60000 ms; 60.001 s would bill 120 s.
      expect(maxDurationMsWithin(tariff(60, 60), 12_000n)).to.equal(60_000n);
    });

    it('returns null when the first increment does not fit', () => {
      // 11999 * 60 / 12000 = 59.995 → 59 s < 60 s.
      expect(maxDurationMsWithin(tariff(60, 60), 11_999n)).to.equal(null);
      // Below the connect fee alone.
      expect(maxDurationMsWithin(tariff(1, 1, CONNECT), 4_999n)).to.equal(null);
      expect(maxDurationMsWithin(tariff(1, 1), 0n)).to.equal(null);
      expect(maxDurationMsWithin(tariff(1, 1), -1n)).to.equal(null);
    });

    it('counts whole next increments after the connect fee', () => {
      // 30/6 with connect 5000, budget 12200: room 7200; 7200 * 60 / 12000 = 36 s = 30 + 1 * 6 → 36000 ms.
      expect(maxDurationMsWithin(tariff(30, 6, CONNECT), 12_200n)).to.equal(36_000n);
      // Budget 12199: room 7199; 431940 / 12000 = 35.995 → 35 s; (35 - 30) / 6 → 0 increments → 30000 ms.
      expect(maxDurationMsWithin(tariff(30, 6, CONNECT), 12_199n)).to.equal(30_000n);
    });

    it('is exact with a price that needs rounding', () => {
      // 1/1 at 0.012345: budget 1441 → 86460 / 12345 = 7.0036 → 7 s → 7000 ms (7 s costs 1441, 8 s 1646).
      expect(maxDurationMsWithin(tariff(1, 1, 0n, 12_345n), 1_441n)).to.equal(7_000n);
      // Budget 1440 → 86400 / 12345 = 6.9988 → 6 s → 6000 ms (6 s costs ceil(1234.5) = 1235).
      expect(maxDurationMsWithin(tariff(1, 1, 0n, 12_345n), 1_440n)).to.equal(6_000n);
    });

    it('caps the duration at 24 hours', () => {
      expect(MAX_RATED_DURATION_MS).to.equal(86_400_000n);
      expect(maxDurationMsWithin(tariff(1, 1, 0n, 1n), 1_000_000_000_000n)).to.equal(86_400_000n);
    });

    it('never exceeds the budget and one more millisecond always would (property)', () => {
      const tariffs = fc.record({
        price_per_minute_micros: fc.bigInt(1n, 10_000_000n),
        first_increment_s: fc.integer({ min: 1, max: 120 }),
        next_increment_s: fc.integer({ min: 1, max: 120 }),
        connect_fee_micros: fc.bigInt(0n, 100_000n),
      });
      fc.assert(
        fc.property(tariffs, fc.bigInt(0n, 50_000_000n), (generated, budget_micros) => {
          const max_ms = maxDurationMsWithin(generated, budget_micros);
          if (max_ms === null) {
            expect(rateCall(generated, 0n).amount_micros > budget_micros).to.equal(true);
            return;
          }
          expect(max_ms <= MAX_RATED_DURATION_MS).to.equal(true);
          expect(rateCall(generated, max_ms).amount_micros <= budget_micros).to.equal(true);
          if (max_ms < MAX_RATED_DURATION_MS) {
            expect(rateCall(generated, max_ms + 1n).amount_micros > budget_micros).to.equal(true);
          }
        }),
        { numRuns: 2_000 },
      );
    });
  });

  describe('billedSeconds (property)', () => {
    it('covers the duration and overshoots it by less than one increment', () => {
      fc.assert(
        fc.property(
          fc.bigInt(0n, 100_000_000n),
          fc.integer({ min: 1, max: 120 }),
          fc.integer({ min: 1, max: 120 }),
          (duration_ms, first, next) => {
            const billed_s = billedSeconds(duration_ms, first, next);
            expect(BigInt(billed_s) * 1000n >= duration_ms).to.equal(true);
            if (billed_s > first) expect(BigInt(billed_s - next) * 1000n < duration_ms).to.equal(true);
            expect((billed_s - first) % next).to.equal(0);
          },
        ),
        { numRuns: 2_000 },
      );
    });
  });

  describe('input validation', () => {
    it('refuses non-positive or fractional increments', () => {
      expect(() => billedSeconds(1_000n, 0, 1)).to.throw(RangeError);
      expect(() => billedSeconds(1_000n, 1, 0)).to.throw(RangeError);
      expect(() => billedSeconds(1_000n, -60, 60)).to.throw(RangeError);
      expect(() => billedSeconds(1_000n, 1.5, 1)).to.throw(RangeError);
      expect(() => rateCall(tariff(0, 6), 1_000n)).to.throw(RangeError);
      expect(() => maxDurationMsWithin(tariff(30, 0), 1_000n)).to.throw(RangeError);
    });

    it('refuses negative durations, prices and fees', () => {
      expect(() => billedSeconds(-1n, 60, 60)).to.throw(RangeError);
      expect(() => rateCall(tariff(60, 60), -1n)).to.throw(RangeError);
      expect(() => rateCall(tariff(60, 60, -1n), 1_000n)).to.throw(RangeError);
      expect(() => rateCall(tariff(60, 60, 0n, 0n), 1_000n)).to.throw(RangeError);
      expect(() => chargeMicros(-1n, 60)).to.throw(RangeError);
      expect(() => chargeMicros(1n, -1)).to.throw(RangeError);
      expect(() => rateTradeCall(tariff(60, 60), -1n, 1_000n)).to.throw(RangeError);
    });
  });
});
