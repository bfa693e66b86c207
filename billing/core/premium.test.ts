import { expect } from 'chai';
import { cdrTransaction } from './ledger.ts';
import { premiumMicros, rateTradeCall, type Tariff } from './rating.ts';
import { callCostMicros, firstReservation, maxCoveredDurationMs } from '../../control/core/credit/credit-math.ts';

const PER_SECOND: Tariff = { price_per_minute_micros: 12_345n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n };

describe('risk premium', () => {
  it('is basis points of the trade price for the billed seconds, rounded once, upward', () => {
    // 12,345 × 61 × 150 / 600,000 = 188.26... → 189
    expect(premiumMicros(12_345n, 61, 150)).to.equal(189n);
    // Exact: 60,000 × 60 × 100 / 600,000 = 600
    expect(premiumMicros(60_000n, 60, 100)).to.equal(600n);
    expect(premiumMicros(12_345n, 61, 0)).to.equal(0n);
    expect(() => premiumMicros(1n, 1, 10_001)).to.throw(RangeError);
    expect(() => premiumMicros(1n, 1, 1.5)).to.throw(RangeError);
  });

  it('makes the buyer pay trade price + fee + premium, the seller unchanged', () => {
    const rated = rateTradeCall({ ...PER_SECOND, connect_fee_micros: 7_000n, premium_bps: 150 }, 600n, 60_500n);
    // 61 s billed: seller 7,000 + ceil(12,345 × 61 / 60) = 7,000 + 12,551; fee ceil(600 × 61 / 60) = 610; premium 189.
    expect(rated).to.deep.equal({ billed_s: 61, seller_amount_micros: 19_551n, fee_amount_micros: 610n, premium_amount_micros: 189n, buyer_amount_micros: 20_350n });
    expect(rateTradeCall({ ...PER_SECOND, premium_bps: 150 }, 600n, null).buyer_amount_micros).to.equal(0n);
  });

  it('is posted to the exchange\'s risk premium account, apart from the fee', () => {
    const rated = rateTradeCall({ ...PER_SECOND, premium_bps: 500 }, 600n, 30_000n);
    const draft = cdrTransaction({ call_id: 'c1', buyer_id: 'b', seller_id: 's', currency: 'USD', rated })!;
    expect(draft.postings.map((posting) => [posting.account.kind, posting.amount_micros])).to.deep.equal([
      ['receivable', rated.buyer_amount_micros], ['payable', -rated.seller_amount_micros], ['revenue', -300n], ['risk_premium', -rated.premium_amount_micros],
    ]);
    // 12,345 × 30 × 500 / 600,000 = 308.6 → 309
    expect(rated.premium_amount_micros).to.equal(309n);
  });

  it('is reserved like the rest of the price: a reservation covers exactly what the call would be charged', () => {
    const pricing = { legs: [{ ...PER_SECOND, premium_bps: 300 }], fee_per_minute_micros: 600n };
    const decision = firstReservation({ pricing, position: { limit_micros: 1_000_000n, collateral_micros: 0n, balance_micros: 0n, reserved_micros: 0n }, chunk_s: 60, slack_ms: 3_000n });
    expect(decision.ok).to.equal(true);
    if (!decision.ok) return;
    const covered_ms = maxCoveredDurationMs(pricing, decision.amount_micros)!;
    expect(decision.amount_micros).to.equal(rateTradeCall(pricing.legs[0]!, 600n, covered_ms).buyer_amount_micros);
    expect(callCostMicros(pricing, covered_ms)).to.equal(decision.amount_micros);
    // Without the premium the same time costs less.
    expect(callCostMicros({ ...pricing, legs: [PER_SECOND] }, covered_ms) < decision.amount_micros).to.equal(true);
  });
});
