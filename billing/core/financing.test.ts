import { expect } from 'chai';
import {
  addDays, advanceFundingTransaction, advancePayoutTransaction, deferralInterestMicros, deferralInterestTransaction, deferralRefusal,
  pledgeRepaymentTransaction, planAdvance, repaymentSplit, type DeferralRequest, type FinancingGrade,
} from './financing.ts';

const GRADE_A: FinancingGrade = { grade: 'A', decision: 'unsecured', deferral_days: 30, deferral_rate_bps_per_year: 600, advance_rate_percent: 90, advance_fee_bps: 50 };
const GRADE_B: FinancingGrade = { grade: 'B', decision: 'unsecured', deferral_days: 15, deferral_rate_bps_per_year: 900, advance_rate_percent: 80, advance_fee_bps: 100 };
const GRADE_C: FinancingGrade = { grade: 'C', decision: 'unsecured', deferral_days: 0, deferral_rate_bps_per_year: 0, advance_rate_percent: 70, advance_fee_bps: 150 };
const GRADE_E: FinancingGrade = { grade: 'E', decision: 'secured', deferral_days: 0, deferral_rate_bps_per_year: 0, advance_rate_percent: 0, advance_fee_bps: 0 };

describe('financing: deferral interest', () => {
  it('charges ceil(amount × rate × days / 3,650,000), hand-computed', () => {
    // 10,006.000000 at 6%/yr for 30 days: 10006 × 0.06 × 30 / 365 = 49.3446575... → 49.344658.
    expect(deferralInterestMicros(10_006_000_000n, 600, 30)).to.equal(49_344_658n);
    // 100.000000 at 9%/yr for 15 days: 100 × 0.09 × 15 / 365 = 0.36986301... → 0.369864.
    expect(deferralInterestMicros(100_000_000n, 900, 15)).to.equal(369_864n);
    // 10.006000 at 6%/yr for 30 days (the integration test's figure): 0.0493446575... → 0.049345.
    expect(deferralInterestMicros(10_006_000n, 600, 30)).to.equal(49_345n);
  });

  it('rounds once, up, and only when the division is not exact', () => {
    // 3.650000 at 100%/yr for one day is exactly 0.010000: no rounding.
    expect(deferralInterestMicros(3_650_000n, 10_000, 1)).to.equal(10_000n);
    // One micro-unit more is just past it: up by one.
    expect(deferralInterestMicros(3_650_001n, 10_000, 1)).to.equal(10_001n);
    // The smallest amount at the smallest rate still costs one micro-unit, not zero.
    expect(deferralInterestMicros(1n, 1, 1)).to.equal(1n);
    expect(deferralInterestMicros(1_000_000n, 600, 0)).to.equal(0n);
    expect(deferralInterestMicros(1_000_000n, 0, 30)).to.equal(0n);
    expect(() => deferralInterestMicros(-1n, 600, 1)).to.throw(RangeError);
    expect(() => deferralInterestMicros(1n, 600, 1.5)).to.throw(RangeError);
  });

  it('moves the due date by calendar days', () => {
    expect(addDays('2026-11-30', 30)).to.equal('2026-12-30');
    expect(addDays('2026-12-20', 15)).to.equal('2027-01-04');
    expect(addDays('2028-02-28', 1)).to.equal('2028-02-29');
  });
});

describe('financing: which deferrals are allowed', () => {
  const base: DeferralRequest = { days: 30, terms: GRADE_A, status: 'issued', outstanding_micros: 1_000n, due_date: '2026-12-10', today: '2026-11-30', already_deferred: false };

  it('allows up to the grade\'s days, on the due date itself, and on a part-paid statement', () => {
    expect(deferralRefusal(base)).to.equal(null);
    expect(deferralRefusal({ ...base, today: '2026-12-10' })).to.equal(null);
    expect(deferralRefusal({ ...base, status: 'partially_paid', days: 1 })).to.equal(null);
    expect(deferralRefusal({ ...base, terms: GRADE_B, days: 15 })).to.equal(null);
  });

  it('refuses with the reason, band edges included', () => {
    expect(deferralRefusal({ ...base, days: 31 })).to.equal('days_exceed_allowed');
    expect(deferralRefusal({ ...base, terms: GRADE_B, days: 16 })).to.equal('days_exceed_allowed');
    expect(deferralRefusal({ ...base, terms: GRADE_C, days: 1 })).to.equal('deferral_not_allowed');
    expect(deferralRefusal({ ...base, terms: { ...GRADE_A, decision: 'refused' } })).to.equal('deferral_not_allowed');
    expect(deferralRefusal({ ...base, terms: null })).to.equal('credit_assessment_required');
    expect(deferralRefusal({ ...base, already_deferred: true })).to.equal('already_deferred');
    expect(deferralRefusal({ ...base, today: '2026-12-11' })).to.equal('statement_past_due');
    expect(deferralRefusal({ ...base, status: 'overdue' })).to.equal('statement_past_due');
    expect(deferralRefusal({ ...base, status: 'paid' })).to.equal('statement_not_open');
    expect(deferralRefusal({ ...base, outstanding_micros: 0n })).to.equal('nothing_owed');
  });
});

describe('financing: advances on a seller\'s receivable', () => {
  const terms = new Map([['atlas', GRADE_A], ['borealis', GRADE_B], ['cobalt', GRADE_C], ['echo', GRADE_E], ['refused', { ...GRADE_A, decision: 'refused' as const }]]);
  const group = (buyer_id: string, sold_micros: bigint, seller_statement_id = 's1') => ({ seller_statement_id, buyer_id, buyer_statement_id: `${buyer_id}-st`, sold_micros });
  const plenty = (ids: string[]) => new Map(ids.map((id) => [`${id}-st`, 1_000_000_000n]));

  it('advances each buyer\'s part at its grade\'s rate and fee (the documented example)', () => {
    // The exchange owes the seller 100.000000: 60.000000 from calls sold to an A buyer, 40.000000 to a B buyer.
    const plan = planAdvance({
      statements: [{ id: 's1', payable_micros: 100_000_000n, sold_micros: 100_000_000n }],
      groups: [group('atlas', 60_000_000n), group('borealis', 40_000_000n)],
      buyer_receivable_micros: plenty(['atlas', 'borealis']), buyer_terms: terms, requested_micros: null,
    });
    // A: 60 × 90% = 54.000000, fee 54 × 0.50% = 0.270000; B: 40 × 80% = 32.000000, fee 32 × 1% = 0.320000.
    expect(plan.lines.map((line) => [line.attributable_micros, line.advance_micros, line.fee_micros])).to.deep.equal([
      [60_000_000n, 54_000_000n, 270_000n], [40_000_000n, 32_000_000n, 320_000n]]);
    expect([plan.advance_micros, plan.fee_micros, plan.net_micros]).to.deep.equal([86_000_000n, 590_000n, 85_410_000n]);
  });

  it('attributes only what the exchange still owes after netting, in proportion', () => {
    // Sold 100.000000 but netting left 30.000000 owed: A's part 30 × 60/100 = 18, B's 12.
    const plan = planAdvance({
      statements: [{ id: 's1', payable_micros: 30_000_000n, sold_micros: 100_000_000n }],
      groups: [group('atlas', 60_000_000n), group('borealis', 40_000_000n)],
      buyer_receivable_micros: plenty(['atlas', 'borealis']), buyer_terms: terms, requested_micros: null,
    });
    expect(plan.lines.map((line) => line.advance_micros)).to.deep.equal([16_200_000n, 9_600_000n]);
  });

  it('rounds the advance down and the fee up, per line', () => {
    // 1.000001 × 90% = 0.9000009 → 0.900000; fee 0.900000 × 0.5% = 0.0045 exactly.
    const one = planAdvance({
      statements: [{ id: 's1', payable_micros: 1_000_001n, sold_micros: 1_000_001n }], groups: [group('atlas', 1_000_001n)],
      buyer_receivable_micros: plenty(['atlas']), buyer_terms: terms, requested_micros: null,
    });
    expect([one.advance_micros, one.fee_micros]).to.deep.equal([900_000n, 4_500n]);
    // 0.000475 × 70% = 0.0003325 → 0.000332; fee 0.000332 × 1.5% = 0.00000498 → 0.000005.
    const small = planAdvance({
      statements: [{ id: 's1', payable_micros: 475n, sold_micros: 475n }], groups: [group('cobalt', 475n)],
      buyer_receivable_micros: plenty(['cobalt']), buyer_terms: terms, requested_micros: null,
    });
    expect([small.advance_micros, small.fee_micros, small.net_micros]).to.deep.equal([332n, 5n, 327n]);
  });

  it('never attributes more than the buyer still owes, nor twice the same receivable', () => {
    const plan = planAdvance({
      statements: [{ id: 's1', payable_micros: 60_000_000n, sold_micros: 60_000_000n }, { id: 's2', payable_micros: 10_000_000n, sold_micros: 10_000_000n }],
      groups: [group('atlas', 60_000_000n), group('atlas', 10_000_000n, 's2')],
      // The A buyer's statement owes only 20.000000 not yet pledged.
      buyer_receivable_micros: new Map([['atlas-st', 20_000_000n]]), buyer_terms: terms, requested_micros: null,
    });
    expect(plan.lines.map((line) => [line.seller_statement_id, line.attributable_micros, line.advance_micros])).to.deep.equal([['s1', 20_000_000n, 18_000_000n]]);
  });

  it('adds nothing for buyers of grade E, refused or never assessed', () => {
    const plan = planAdvance({
      statements: [{ id: 's1', payable_micros: 40_000_000n, sold_micros: 40_000_000n }],
      groups: [group('echo', 10_000_000n), group('refused', 10_000_000n), group('stranger', 10_000_000n), group('cobalt', 10_000_000n)],
      buyer_receivable_micros: plenty(['echo', 'refused', 'stranger', 'cobalt']), buyer_terms: terms, requested_micros: null,
    });
    expect(plan.lines.map((line) => [line.buyer_id, line.advance_micros, line.fee_micros])).to.deep.equal([['cobalt', 7_000_000n, 105_000n]]);
  });

  it('stops at the amount asked for, cutting the last line', () => {
    const plan = planAdvance({
      statements: [{ id: 's1', payable_micros: 100_000_000n, sold_micros: 100_000_000n }],
      groups: [group('atlas', 60_000_000n), group('borealis', 40_000_000n)],
      buyer_receivable_micros: plenty(['atlas', 'borealis']), buyer_terms: terms, requested_micros: 60_000_000n,
    });
    // 54.000000 from A, then 6.000000 of B's 32 (fee 0.060000).
    expect(plan.lines.map((line) => [line.advance_micros, line.fee_micros])).to.deep.equal([[54_000_000n, 270_000n], [6_000_000n, 60_000n]]);
    expect(plan.advance_micros).to.equal(60_000_000n);
  });
});

describe('financing: repayments and ledger transactions', () => {
  it('repays the pledges on a statement in order, each up to what it is owed', () => {
    expect(repaymentSplit(10n, [{ id: 'p1', owed_micros: 4n }, { id: 'p2', owed_micros: 0n }, { id: 'p3', owed_micros: 9n }])).to.deep.equal([
      { id: 'p1', repaid_micros: 4n }, { id: 'p3', repaid_micros: 6n }]);
    expect(repaymentSplit(3n, [{ id: 'p1', owed_micros: 4n }])).to.deep.equal([{ id: 'p1', repaid_micros: 3n }]);
    expect(repaymentSplit(5n, [])).to.deep.equal([]);
  });

  it('posts balanced transactions with the exchange\'s financing accounts', () => {
    const sum = (draft: { postings: ReadonlyArray<{ amount_micros: bigint }> }) => draft.postings.reduce((total, posting) => total + posting.amount_micros, 0n);
    const interest = deferralInterestTransaction('d1', 'buyer', 'USD', 49_345n);
    expect(interest.postings.map((posting) => [posting.account.kind, posting.amount_micros])).to.deep.equal([['receivable', 49_345n], ['financing_income', -49_345n]]);
    const funding = advanceFundingTransaction('a1', 'USD', 86_000_000n);
    const payout = advancePayoutTransaction('a1', 'seller', 'USD', 86_000_000n, 590_000n);
    expect(payout.postings.map((posting) => [posting.account.kind, posting.amount_micros])).to.deep.equal([
      ['payable', 86_000_000n], ['cash', -85_410_000n], ['financing_income', -590_000n]]);
    const repaid = pledgeRepaymentTransaction('evt', 'USD', 54_000_000n);
    for (const draft of [interest, funding, payout, repaid]) expect(sum(draft)).to.equal(0n);
    // A fee of 0 leaves its posting out rather than posting zero.
    expect(advancePayoutTransaction('a2', 'seller', 'USD', 5n, 0n).postings).to.have.length(2);
    expect(() => advancePayoutTransaction('a3', 'seller', 'USD', 5n, 6n)).to.throw(RangeError);
  });
});
