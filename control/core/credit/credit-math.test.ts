import { expect } from 'chai';
import fc from 'fast-check';
import { MAX_RATED_DURATION_MS, maxDurationMsWithin, rateTradeCall, type Tariff } from '../../../billing/core/rating.ts';
import {
  availableCreditMicros,
  callCostMicros,
  extensionAmount,
  firstReservation,
  maxBuyerDurationMsWithin,
  maxCoveredDurationMs,
  minimumCoveredMs,
  plannedEndMs,
  type CallPricing,
  type CreditPosition,
} from './credit-math.ts';

// 0.012000 per minute is exactly 200 micros per second, so most rows below need no rounding.
const PRICE = 12_000n;
const SLACK = 2_000n;

function leg(first_increment_s: number, next_increment_s: number, price_per_minute_micros = PRICE, connect_fee_micros = 0n): Tariff {
  return { price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros };
}

function pricing(legs: Tariff[], fee_per_minute_micros = 0n): CallPricing {
  return { legs, fee_per_minute_micros };
}

function position(limit_micros: bigint, reserved_micros = 0n, balance_micros = 0n, collateral_micros = 0n): CreditPosition {
  return { limit_micros, collateral_micros, balance_micros, reserved_micros };
}

describe('credit math', () => {
  describe('availableCreditMicros', () => {
    it('is limit + collateral + balance − reserved', () => {
      // 100000 + 50000 + (−30000) − 20000 = 100000.
      expect(availableCreditMicros(position(100_000n, 20_000n, -30_000n, 50_000n))).to.equal(100_000n);
    });

    it('goes negative when what is owed and held exceeds the credit line', () => {
      // 10000 + 0 + (−12000) − 500 = −2500.
      expect(availableCreditMicros(position(10_000n, 500n, -12_000n))).to.equal(-2_500n);
    });

    it('rejects a negative limit, collateral or reservation as a bug', () => {
      expect(() => availableCreditMicros(position(-1n))).to.throw(RangeError);
      expect(() => availableCreditMicros(position(0n, -1n))).to.throw(RangeError);
      expect(() => availableCreditMicros(position(0n, 0n, 0n, -1n))).to.throw(RangeError);
    });
  });

  describe('one leg at 0.012000 per minute on 1/1, no fee', () => {
    const call = pricing([leg(1, 1)]);

    it('covers 5 s with 0.001000: 0.012 * 5 / 60 = 0.001 exactly', () => {
      expect(maxBuyerDurationMsWithin(leg(1, 1), 0n, 1_000n)).to.equal(5_000n);
      // One micro less pays for 4 s only: 200 * 4 = 800 <= 999 < 1000 = 200 * 5.
      expect(maxBuyerDurationMsWithin(leg(1, 1), 0n, 999n)).to.equal(4_000n);
      // The first second costs 200; 199 pays for nothing.
      expect(maxBuyerDurationMsWithin(leg(1, 1), 0n, 199n)).to.equal(null);
    });

    it('plans the end 2 s before what is covered: 5000 − 2000 = 3000 ms', () => {
      expect(plannedEndMs(call, 1_000n, SLACK)).to.equal(3_000n);
    });

    it('reserves only 0.001000 when that is all that is available, and plans a 3000 ms call', () => {
      expect(firstReservation({ pricing: call, position: position(1_000n), chunk_s: 60, slack_ms: SLACK })).to.deep.equal({
        ok: true,
        amount_micros: 1_000n,
        planned_end_ms: 3_000n,
      });
    });

    it('reserves the cost of covered time only: 999 available covers 4 s, which cost 800', () => {
      // 4 s covered − 2 s slack = 2000 ms planned; 200 * 4 = 800 held, the other 199 stay free.
      expect(firstReservation({ pricing: call, position: position(999n), chunk_s: 60, slack_ms: SLACK })).to.deep.equal({
        ok: true,
        amount_micros: 800n,
        planned_end_ms: 2_000n,
      });
    });

    it('reserves a full 60 s chunk when it is available: 200 * 60 = 12000, planned 58000 ms', () => {
      expect(firstReservation({ pricing: call, position: position(100_000n), chunk_s: 60, slack_ms: SLACK })).to.deep.equal({
        ok: true,
        amount_micros: 12_000n,
        planned_end_ms: 58_000n,
      });
    });

    it('refuses when what is available does not cover the first second plus the slack (3 s = 600)', () => {
      // 599 covers 2 s (400); the minimum is 1 s + 2 s = 3 s.
      expect(minimumCoveredMs(call, SLACK)).to.equal(3_000n);
      expect(firstReservation({ pricing: call, position: position(599n), chunk_s: 60, slack_ms: SLACK })).to.deep.equal({
        ok: false,
        reason: 'insufficient_credit',
      });
      expect(firstReservation({ pricing: call, position: position(600n), chunk_s: 60, slack_ms: SLACK })).to.deep.equal({
        ok: true,
        amount_micros: 600n,
        planned_end_ms: 1_000n,
      });
    });

    it('extends by a chunk, then by what is left, then by nothing', () => {
      // Limit 30000: first 12000 (60 s). Then +12000 (120 s). Then 6000 are left: 150 s. Then 0.
      const limit = 30_000n;
      expect(extensionAmount({ pricing: call, reserved_micros: 12_000n, position: position(limit, 12_000n), chunk_s: 60 })).to.equal(12_000n);
      expect(plannedEndMs(call, 24_000n, SLACK)).to.equal(118_000n);
      expect(extensionAmount({ pricing: call, reserved_micros: 24_000n, position: position(limit, 24_000n), chunk_s: 60 })).to.equal(6_000n);
      expect(plannedEndMs(call, 30_000n, SLACK)).to.equal(148_000n);
      expect(extensionAmount({ pricing: call, reserved_micros: 30_000n, position: position(limit, 30_000n), chunk_s: 60 })).to.equal(0n);
    });

    it('extends by nothing when the 199 micros left buy no whole second', () => {
      // Reserved 12000 (60 s); 12199 − 12000 = 199 < 200, the price of one more second.
      expect(extensionAmount({ pricing: call, reserved_micros: 12_000n, position: position(12_199n, 12_000n), chunk_s: 60 })).to.equal(0n);
    });
  });

  describe('60/60 increments at 0.012000 per minute', () => {
    const call = pricing([leg(60, 60)]);

    it('needs 62 s covered to start, which bills two minutes: 24000, planned end 118000 ms', () => {
      // Minimum: 60 s first increment + 2 s slack = 62 s; 62 s bills 120 s = 200 * 120 = 24000,
      // which covers up to 120 s; 120 − 2 = 118 s planned.
      expect(minimumCoveredMs(call, SLACK)).to.equal(62_000n);
      expect(callCostMicros(call, 62_000n)).to.equal(24_000n);
      expect(firstReservation({ pricing: call, position: position(100_000n), chunk_s: 60, slack_ms: SLACK })).to.deep.equal({
        ok: true,
        amount_micros: 24_000n,
        planned_end_ms: 118_000n,
      });
    });

    it('refuses 20000: it covers one minute, less than the 62 s minimum', () => {
      // 12000 pays for 60 s; the next minute would make 24000 > 20000.
      expect(maxCoveredDurationMs(call, 20_000n)).to.equal(60_000n);
      expect(firstReservation({ pricing: call, position: position(20_000n), chunk_s: 60, slack_ms: SLACK })).to.deep.equal({
        ok: false,
        reason: 'insufficient_credit',
      });
    });
  });

  describe('two legs with different increments: the dearer one at each duration counts', () => {
    // Leg A: 0.012000/min on 60/60 (200 per s, billed by the minute).
    // Leg B: 0.018000/min on 1/1 (300 per s, billed by the second).
    const legA = leg(60, 60);
    const legB = leg(1, 1, 18_000n);
    const call = pricing([legA, legB]);

    it('costs A at 30 s and B at 90 s', () => {
      // 30 s: A bills 60 s = 12000; B bills 30 s = 9000. The max is A's 12000.
      expect(callCostMicros(call, 30_000n)).to.equal(12_000n);
      // 90 s: A bills 120 s = 24000; B bills 90 s = 27000. The max is B's 27000.
      expect(callCostMicros(call, 90_000n)).to.equal(27_000n);
    });

    it('covers with 24000 the shorter of 120 s (A) and 80 s (B)', () => {
      // A: 24000 / 200 = 120 s = 60 + 1 * 60; B: 24000 / 300 = 80 s.
      expect(maxBuyerDurationMsWithin(legA, 0n, 24_000n)).to.equal(120_000n);
      expect(maxBuyerDurationMsWithin(legB, 0n, 24_000n)).to.equal(80_000n);
      expect(maxCoveredDurationMs(call, 24_000n)).to.equal(80_000n);
    });

    it('reserves 24000 for the first chunk and plans 78000 ms', () => {
      // Minimum 60 s + 2 s = 62 s; cost(62 s) = max(A 24000, B 18600) = 24000, which covers
      // min(120 s, 80 s) = 80 s; cost(80 s) = max(A 24000, B 24000) = 24000; 80 − 2 = 78 s.
      expect(firstReservation({ pricing: call, position: position(1_000_000n), chunk_s: 60, slack_ms: SLACK })).to.deep.equal({
        ok: true,
        amount_micros: 24_000n,
        planned_end_ms: 78_000n,
      });
    });

    it('extends from 80 s to 140 s for 18000 more', () => {
      // Wanted 80 + 60 = 140 s: A bills 60 + ceil(80/60) * 60 = 180 s = 36000; B 140 * 300 = 42000.
      // 42000 covers min(A: 210 s affordable → 180 s, B: 140 s) = 140 s; 42000 − 24000 = 18000.
      expect(
        extensionAmount({ pricing: call, reserved_micros: 24_000n, position: position(1_000_000n, 24_000n), chunk_s: 60 }),
      ).to.equal(18_000n);
      expect(plannedEndMs(call, 42_000n, SLACK)).to.equal(138_000n);
    });

    it('lengthens the planned end when the call is priced on the leg that answered', () => {
      // 24000 on leg A alone covers 120 s, so 118 s are planned instead of 78 s.
      expect(plannedEndMs(pricing([legA]), 24_000n, SLACK)).to.equal(118_000n);
    });
  });

  describe('an exchange fee, rounded up on its own', () => {
    // Leg 0.012000/min on 1/1 plus a fee of 0.000700/min: the fee for s seconds is ceil(700 s / 60).
    const feeLeg = leg(1, 1);
    const FEE = 700n;

    it('covers 4 s with 0.001000 where the price alone would cover 5 s', () => {
      // 4 s: 800 + ceil(2800 / 60) = 800 + 47 = 847 <= 1000. 5 s: 1000 + ceil(3500 / 60) = 1000 + 59 = 1059 > 1000.
      expect(maxDurationMsWithin(feeLeg, 1_000n)).to.equal(5_000n);
      expect(maxBuyerDurationMsWithin(feeLeg, FEE, 1_000n)).to.equal(4_000n);
      expect(maxBuyerDurationMsWithin(feeLeg, FEE, 1_058n)).to.equal(4_000n);
      expect(maxBuyerDurationMsWithin(feeLeg, FEE, 1_059n)).to.equal(5_000n);
    });

    it('reserves the price plus the fee of the first chunk', () => {
      // 60 s: 12000 + ceil(700 * 60 / 60) = 12000 + 700 = 12700; planned 58000 ms.
      expect(firstReservation({ pricing: pricing([feeLeg], FEE), position: position(100_000n), chunk_s: 60, slack_ms: SLACK })).to.deep.equal({
        ok: true,
        amount_micros: 12_700n,
        planned_end_ms: 58_000n,
      });
    });
  });

  describe('a connect fee', () => {
    // Leg 0.012000/min on 1/1 with a connect fee of 0.005000.
    const connectLeg = leg(1, 1, PRICE, 5_000n);

    it('takes the connect fee off the budget first', () => {
      // 6000 − 5000 = 1000 left: 5 s. 5199 − 5000 = 199: not one second. 5200: one second.
      expect(maxBuyerDurationMsWithin(connectLeg, 0n, 6_000n)).to.equal(5_000n);
      expect(maxBuyerDurationMsWithin(connectLeg, 0n, 5_199n)).to.equal(null);
      expect(maxBuyerDurationMsWithin(connectLeg, 0n, 5_200n)).to.equal(1_000n);
    });

    it('reserves 6000 for a 3000 ms call when that is all there is', () => {
      // A 60 s chunk would cost 5000 + 12000 = 17000 > 6000; 6000 covers 5 s; 5 − 2 = 3 s.
      expect(firstReservation({ pricing: pricing([connectLeg]), position: position(6_000n), chunk_s: 60, slack_ms: SLACK })).to.deep.equal({
        ok: true,
        amount_micros: 6_000n,
        planned_end_ms: 3_000n,
      });
    });

    it('charges the connect fee once: an extension adds only the price of the time', () => {
      // 17000 covers 60 s; 60 s more cost 200 * 60 = 12000, not another 5000 on top.
      expect(
        extensionAmount({ pricing: pricing([connectLeg]), reserved_micros: 17_000n, position: position(100_000n, 17_000n), chunk_s: 60 }),
      ).to.equal(12_000n);
    });
  });

  describe('refusal reasons', () => {
    const call = pricing([leg(1, 1)]);
    const reserve = (credit: CreditPosition) => firstReservation({ pricing: call, position: credit, chunk_s: 60, slack_ms: SLACK });

    it('no_credit: no limit, no collateral and no positive balance', () => {
      expect(reserve(position(0n))).to.deep.equal({ ok: false, reason: 'no_credit' });
      expect(reserve(position(0n, 0n, -5_000n))).to.deep.equal({ ok: false, reason: 'no_credit' });
    });

    it('credit_limit_reached: a credit line, all of it reserved or owed', () => {
      // 36000 limit, 36000 held by three calls.
      expect(reserve(position(36_000n, 36_000n))).to.deep.equal({ ok: false, reason: 'credit_limit_reached' });
      // 10000 limit, 10000 owed (receivable) and nothing held.
      expect(reserve(position(10_000n, 0n, -10_000n))).to.deep.equal({ ok: false, reason: 'credit_limit_reached' });
    });

    it('insufficient_credit: something left, less than the smallest reservation', () => {
      expect(reserve(position(500n))).to.deep.equal({ ok: false, reason: 'insufficient_credit' });
    });

    it('lets a buyer with no limit spend what it prepaid', () => {
      expect(reserve(position(0n, 0n, 12_000n))).to.deep.equal({ ok: true, amount_micros: 12_000n, planned_end_ms: 58_000n });
    });
  });

  describe('properties', () => {
    const increments = fc.constantFrom(1, 6, 30, 60, 7);
    const tariffs = fc.record({
      price_per_minute_micros: fc.bigInt({ min: 1n, max: 5_000_000n }),
      first_increment_s: increments,
      next_increment_s: increments,
      connect_fee_micros: fc.bigInt({ min: 0n, max: 50_000n }),
    });
    const fees = fc.bigInt({ min: 0n, max: 100_000n });
    const budgets = fc.bigInt({ min: 0n, max: 200_000_000n });
    const buyerCost = (tariff: Tariff, fee: bigint, duration_ms: bigint) => rateTradeCall(tariff, fee, duration_ms).buyer_amount_micros;

    it('maxBuyerDurationMsWithin: the result fits the budget and one millisecond more does not', () => {
      fc.assert(
        fc.property(tariffs, fees, budgets, (tariff, fee, budget) => {
          const duration_ms = maxBuyerDurationMsWithin(tariff, fee, budget);
          if (duration_ms === null) {
            expect(buyerCost(tariff, fee, 0n) > budget).to.equal(true);
            return;
          }
          expect(buyerCost(tariff, fee, duration_ms) <= budget).to.equal(true);
          if (duration_ms < MAX_RATED_DURATION_MS) expect(buyerCost(tariff, fee, duration_ms + 1n) > budget).to.equal(true);
        }),
        { numRuns: 300 },
      );
    });

    it('maxBuyerDurationMsWithin agrees with the closed form of maxDurationMsWithin when there is no fee', () => {
      fc.assert(
        fc.property(tariffs, budgets, (tariff, budget) => {
          expect(maxBuyerDurationMsWithin(tariff, 0n, budget)).to.equal(maxDurationMsWithin(tariff, budget));
        }),
        { numRuns: 300 },
      );
    });

    it('firstReservation never takes more than is available and pays for the planned end plus the slack', () => {
      fc.assert(
        fc.property(
          fc.array(tariffs, { minLength: 1, maxLength: 3 }),
          fees,
          fc.bigInt({ min: -1_000_000n, max: 50_000_000n }),
          fc.integer({ min: 1, max: 600 }),
          fc.bigInt({ min: 0n, max: 5_000n }),
          (legs, fee, limit, chunk_s, slack_ms) => {
            const call = pricing(legs, fee);
            const credit = limit >= 0n ? position(limit) : position(0n, 0n, limit);
            const result = firstReservation({ pricing: call, position: credit, chunk_s, slack_ms });
            if (!result.ok) return;
            expect(result.amount_micros <= availableCreditMicros(credit)).to.equal(true);
            expect(callCostMicros(call, result.planned_end_ms + slack_ms) <= result.amount_micros).to.equal(true);
            expect(result.planned_end_ms + slack_ms >= minimumCoveredMs(call, slack_ms)).to.equal(true);
          },
        ),
        { numRuns: 150 },
      );
    });

    it('extensionAmount adds no more than is available and always adds time when it adds money', () => {
      fc.assert(
        fc.property(
          fc.array(tariffs, { minLength: 1, maxLength: 3 }),
          fees,
          fc.bigInt({ min: 0n, max: 50_000_000n }),
          fc.integer({ min: 1, max: 600 }),
          (legs, fee, headroom, chunk_s) => {
            const call = pricing(legs, fee);
            const reserved = callCostMicros(call, 0n);
            const credit = position(reserved + headroom, reserved);
            const added = extensionAmount({ pricing: call, reserved_micros: reserved, position: credit, chunk_s });
            expect(added >= 0n && added <= headroom).to.equal(true);
            const before = maxCoveredDurationMs(call, reserved)!;
            const after = maxCoveredDurationMs(call, reserved + added)!;
            if (added > 0n) expect(after > before).to.equal(true);
            else expect(maxCoveredDurationMs(call, reserved + headroom)).to.equal(before);
          },
        ),
        { numRuns: 150 },
      );
    });
  });
});
