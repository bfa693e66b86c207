import { expect } from 'chai';
import fc from 'fast-check';
import scorecardFile from '../../assessment/scorecards/scorecard-1.json' with { type: 'json' };
import scorecard2File from '../../assessment/scorecards/scorecard-2.json' with { type: 'json' };
import { bandPoints, gradeOf, gradeWithHysteresis, parseScorecard, scoreInputs, ScorecardError, type Scorecard, type ScoreInputs } from './scorecard.ts';
import { limitToApply, termsFor } from './terms.ts';

const card = parseScorecard(scorecardFile);
const table = (name: string) => card.attributes.find((attribute) => attribute.attribute === name)!;

/** A carrier new to the exchange with Atlas Voice's bureau report (bureau/companies.ts). */
const NEW_GOOD: ScoreInputs = {
  payment_index: 82, delinquency_score: 92, filings_severity: 0, days_beyond_terms: null, days_past_due_now: 0, days_paid_late: null, tenure_months: 0,
  traffic_minutes_30d: 0, traffic_trend_percent: null, net_position_units: 0, exposure_percent: null, open_disputes: 0,
};

describe('credit scorecard (version 1)', () => {
  it('puts a value in the last band whose lower bound it reaches, at every band edge', () => {
    const payment = table('payment_index');
    expect([1, 19, 20, 49, 50, 69, 70, 79, 80, 100].map((value) => bandPoints(payment, value))).to.deep.equal([0, 0, 10, 10, 30, 30, 55, 55, 80, 80]);
    expect(bandPoints(payment, null)).to.equal(40);
    const late = table('days_beyond_terms');
    expect([0, 1, 7, 8, 15, 16, 30, 31, 60, 61, 400].map((value) => bandPoints(late, value))).to.deep.equal([70, 50, 50, 30, 30, 10, 10, 0, 0, -30, -30]);
    expect(bandPoints(late, null)).to.equal(45);
    const filings = table('filings_severity');
    expect([0, 1, 2, 3].map((value) => bandPoints(filings, value))).to.deep.equal([60, 35, 15, -40]);
    const delinquency = table('delinquency_score');
    expect([1, 10, 11, 25, 26, 50, 51, 75, 76].map((value) => bandPoints(delinquency, value))).to.deep.equal([0, 0, 15, 15, 35, 35, 55, 55, 70]);
    const trend = table('traffic_trend_percent');
    expect([-100, -51, -50, -21, -20, -1, 0, 250].map((value) => bandPoints(trend, value))).to.deep.equal([0, 0, 10, 10, 20, 20, 30, 30]);
    const exposure = table('exposure_percent');
    expect([0, 49, 50, 79, 80, 99, 100, 180].map((value) => bandPoints(exposure, value))).to.deep.equal([40, 40, 30, 30, 15, 15, 0, 0]);
    const disputes = table('open_disputes');
    expect([0, 1, 2, 3, 9].map((value) => bandPoints(disputes, value))).to.deep.equal([30, 15, 15, 0, 0]);
  });

  it('sums the points onto the intercept: a new carrier with a clean bureau file scores 645 (grade A)', () => {
    // 250 + 80 + 70 + 60 + 45 + 10 + 10 + 20 + 40 + 30 + 30
    const scored = scoreInputs(card, NEW_GOOD);
    expect(scored.score).to.equal(645);
    expect(scored.attributes.map((attribute) => attribute.points)).to.deep.equal([80, 70, 60, 45, 10, 10, 20, 40, 30, 30]);
    expect(gradeOf(card, scored.score).grade).to.equal('A');
  });

  it('gives the top four reasons, most points lost first, ties in file order', () => {
    const scored = scoreInputs(card, NEW_GOOD);
    // Lost: tenure 40, traffic 40, days beyond terms 25, trend 10, exposure 10; the rest 0.
    expect(scored.reasons.map((reason) => [reason.reason_code, reason.points_lost])).to.deep.equal([['R05', 40], ['R06', 40], ['R04', 25], ['R07', 10]]);
  });

  it('scores a risky carrier by hand: Echo Route (bankruptcy) is refused', () => {
    const scored = scoreInputs(card, { ...NEW_GOOD, payment_index: 24, delinquency_score: 6, filings_severity: 3 });
    // 250 + 10 + 0 - 40 + 45 + 10 + 10 + 20 + 40 + 30 + 30
    expect(scored.score).to.equal(405);
    const terms = termsFor(card, { score: scored.score, previous_grade: null, collateral_micros: 0n });
    expect(terms.decision).to.equal('refused');
    expect(terms.unsecured_limit_micros).to.equal(0n);
    expect(scored.reasons.map((reason) => reason.reason_code)).to.deep.equal(['R03', 'R01', 'R02', 'R05']);
  });

  it('maps grades to terms: collateral required is what reaches the secured line beyond what is on file', () => {
    const a = termsFor(card, { score: 645, previous_grade: null, collateral_micros: 0n });
    expect(a).to.include({ grade: 'A', decision: 'unsecured', unsecured_limit_micros: 50_000_000_000n, secured_limit_micros: 250_000_000_000n, collateral_required_micros: 200_000_000_000n, premium_bps: 0 });
    const e = termsFor(card, { score: 470, previous_grade: null, collateral_micros: 3_000_000_000n });
    expect(e).to.include({ grade: 'E', decision: 'secured', unsecured_limit_micros: 0n, collateral_required_micros: 7_000_000_000n, premium_bps: 500 });
    expect(termsFor(card, { score: 449, previous_grade: null, collateral_micros: 0n }).decision).to.equal('refused');
    expect(termsFor(card, { score: 450, previous_grade: null, collateral_micros: 0n }).decision).to.equal('secured');
  });

  it('moves down a grade at once but up only past the margin (hysteresis)', () => {
    expect(gradeWithHysteresis(card, 629, 'A').grade).to.equal('B');
    expect(gradeWithHysteresis(card, 630, 'B').grade).to.equal('B');
    expect(gradeWithHysteresis(card, 639, 'B').grade).to.equal('B');
    expect(gradeWithHysteresis(card, 640, 'B').grade).to.equal('A');
    // From D, a score just into A's band clears B's margin, not A's.
    expect(gradeWithHysteresis(card, 632, 'D').grade).to.equal('B');
    expect(gradeWithHysteresis(card, 630, null).grade).to.equal('A');
  });

  it('keeps the limit unless it moves by the card\'s share (10%)', () => {
    const terms = termsFor(card, { score: 600, previous_grade: null, collateral_micros: 0n });
    expect(limitToApply(card, 0n, terms)).to.equal(20_000_000_000n);
    expect(limitToApply(card, 21_000_000_000n, terms)).to.equal(21_000_000_000n);
    expect(limitToApply(card, 22_300_000_000n, terms)).to.equal(20_000_000_000n);
    expect(limitToApply(card, 50_000_000_000n, { ...terms, decision: 'refused', unsecured_limit_micros: 0n })).to.equal(0n);
  });

  it('never gives better terms for a worse input (property)', () => {
    worseNeverBetter(card);
  });

  it('refuses a malformed card with a reason', () => {
    const broken = JSON.parse(JSON.stringify(card)) as { attributes: Array<{ bands: Array<{ min: number }> }> };
    broken.attributes[0]!.bands[1]!.min = 0;
    expect(() => parseScorecard(broken)).to.throw(ScorecardError, /ascend/);
    expect(() => parseScorecard({ ...card, grades: card.grades.slice(1) })).to.throw(ScorecardError, /grades/);
  });
});

/**
 * The property over every attribute a card scores: a worse value of one input (larger where larger
 * is worse, smaller otherwise) never gives a higher score, a better grade, a larger limit or a
 * smaller premium.
 */
function worseNeverBetter(scorecard: Scorecard): void {
  const order = ['A', 'B', 'C', 'D', 'E'];
  const value = (min: number, max: number) => fc.option(fc.integer({ min, max }), { nil: null });
  const inputs = fc.record({
    payment_index: value(1, 100), delinquency_score: value(1, 100), filings_severity: fc.integer({ min: 0, max: 3 }),
    days_beyond_terms: value(0, 400), days_past_due_now: fc.integer({ min: 0, max: 400 }), days_paid_late: value(0, 400),
    tenure_months: fc.integer({ min: 0, max: 300 }), traffic_minutes_30d: fc.integer({ min: 0, max: 5_000_000 }),
    traffic_trend_percent: value(-100, 500), net_position_units: fc.integer({ min: -1_000_000, max: 1_000_000 }), exposure_percent: value(0, 300),
    open_disputes: fc.integer({ min: 0, max: 10 }),
  });
  // Attributes where a larger value is worse; the others are better when larger.
  const worseWhenLarger = new Set(['filings_severity', 'days_beyond_terms', 'days_past_due_now', 'days_paid_late', 'exposure_percent', 'open_disputes']);
  fc.assert(fc.property(inputs, fc.constantFrom(...scorecard.attributes.map((attribute) => attribute.attribute)), fc.integer({ min: 1, max: 100 }), (base, attribute, step) => {
    const current = base[attribute];
    if (current === null) return;
    const worse = { ...base, [attribute]: worseWhenLarger.has(attribute) ? current + step : current - step };
    const good = termsFor(scorecard, { score: scoreInputs(scorecard, base).score, previous_grade: null, collateral_micros: 0n });
    const bad = termsFor(scorecard, { score: scoreInputs(scorecard, worse).score, previous_grade: null, collateral_micros: 0n });
    expect(scoreInputs(scorecard, worse).score).to.be.at.most(scoreInputs(scorecard, base).score);
    expect(order.indexOf(bad.grade)).to.be.at.least(order.indexOf(good.grade));
    expect(bad.unsecured_limit_micros <= good.unsecured_limit_micros).to.equal(true);
    expect(bad.premium_bps).to.be.at.least(good.premium_bps);
  }), { numRuns: 1000 });
}

describe('credit scorecard (version 2): past due now apart from paid late', () => {
  const card2 = parseScorecard(scorecard2File);
  const table2 = (name: string) => card2.attributes.find((attribute) => attribute.attribute === name)!;
  /** Delta Minutes' bureau report (bureau/companies.ts), new to the exchange. */
  const DELTA: ScoreInputs = { ...NEW_GOOD, payment_index: 52, delinquency_score: 24, filings_severity: 2 };

  it('scores what is past due now and what was paid late at every band edge', () => {
    const now = table2('days_past_due_now');
    expect([0, 1, 7, 8, 15, 16, 30, 31, 60, 61, 400].map((value) => bandPoints(now, value))).to.deep.equal([40, -10, -10, -30, -30, -50, -50, -80, -80, -120, -120]);
    const late = table2('days_paid_late');
    expect([0, 1, 7, 8, 15, 16, 30, 31, 60, 61, 400].map((value) => bandPoints(late, value))).to.deep.equal([30, 10, 10, 0, 0, -10, -10, -20, -20, -30, -30]);
    expect(bandPoints(late, null)).to.equal(5);
    // The unscored attribute of version 1 is not on the card: its value changes nothing.
    expect(card2.attributes.map((attribute) => attribute.attribute)).to.not.include('days_beyond_terms');
    expect(scoreInputs(card2, { ...NEW_GOOD, days_beyond_terms: 400 }).score).to.equal(scoreInputs(card2, NEW_GOOD).score);
  });

  it('gives a new carrier the score version 1 gave it: 40 + 5 for the two stand in for 45', () => {
    // 250 + 80 + 70 + 60 + 40 + 5 + 10 + 10 + 20 + 40 + 30 + 30
    const scored = scoreInputs(card2, NEW_GOOD);
    expect(scored.score).to.equal(645);
    expect(scored.attributes.map((attribute) => attribute.points)).to.deep.equal([80, 70, 60, 40, 5, 10, 10, 20, 40, 30, 30]);
    // Lost: tenure 40, traffic 40, paid late (no history) 25, trend 10, exposure 10.
    expect(scored.reasons.map((reason) => [reason.reason_code, reason.points_lost])).to.deep.equal([['R05', 40], ['R06', 40], ['R11', 25], ['R07', 10]]);
  });

  it('orders the reasons of a carrier past due now: R04 first, ties in file order', () => {
    // 20 days past due (loses 90), never paid a statement (25), owes the exchange (15), no tenure or traffic (40 each).
    const scored = scoreInputs(card2, { ...NEW_GOOD, days_past_due_now: 20, net_position_units: -1 });
    expect(scored.reasons.map((reason) => [reason.reason_code, reason.points_lost])).to.deep.equal([['R04', 90], ['R05', 40], ['R06', 40], ['R11', 25]]);
  });

  it('lowers a grade on a missed payment and restores it on the payment (docs/credit.md, by hand)', () => {
    // New: 250 + 30 + 15 + 15 + 40 + 5 + 10 + 10 + 20 + 40 + 30 + 30 = 495, grade D, limit 1,000.
    const applied = scoreInputs(card2, DELTA).score;
    expect(applied).to.equal(495);
    const d = termsFor(card2, { score: applied, previous_grade: null, collateral_micros: 0n });
    expect(d).to.include({ grade: 'D', decision: 'unsecured', unsecured_limit_micros: 1_000_000_000n, collateral_required_micros: 19_000_000_000n });
    // Trading: a line now exists and little of it is used (exposure 0: +10), it owes a statement (net -1: -15): 490.
    const trading: ScoreInputs = { ...DELTA, exposure_percent: 0, net_position_units: -1 };
    expect(scoreInputs(card2, trading).score).to.equal(490);
    // The statement is 3 days past due: 40 -> -10, so 440, below the cut-off of 450: refused (grade E), limit 0.
    const missed = scoreInputs(card2, { ...trading, days_past_due_now: 3 }).score;
    expect(missed).to.equal(440);
    const refused = termsFor(card2, { score: missed, previous_grade: 'D', collateral_micros: 4_000_000_000n });
    expect(refused).to.include({ grade: 'E', decision: 'refused', unsecured_limit_micros: 0n });
    expect(limitToApply(card2, 1_000_000_000n, refused)).to.equal(0n);
    // Paid, 3 days late: nothing past due (40), paid late 1-7 days (10), owes nothing (40): 510, which clears D's floor + margin (500).
    const paid = scoreInputs(card2, { ...trading, net_position_units: 0, days_past_due_now: 0, days_paid_late: 3 }).score;
    expect(paid).to.equal(510);
    const restored = termsFor(card2, { score: paid, previous_grade: 'E', collateral_micros: 4_000_000_000n });
    expect(restored).to.include({ grade: 'D', decision: 'unsecured', unsecured_limit_micros: 1_000_000_000n });
    expect(limitToApply(card2, 0n, restored)).to.equal(1_000_000_000n);
    // Version 1 would not have moved: 3 days beyond terms (50) scores more than none (45).
    expect(scoreInputs(card, trading).score).to.equal(490);
    expect(scoreInputs(card, { ...trading, days_beyond_terms: 3 }).score).to.equal(495);
  });

  it('restores an A carrier 20 days late to A once it pays (the version-1 card kept it at B)', () => {
    const lined: ScoreInputs = { ...NEW_GOOD, exposure_percent: 0 };
    // 655 - 90 = 565: C, limit 5,000.
    const late = scoreInputs(card2, { ...lined, days_past_due_now: 20 }).score;
    expect(late).to.equal(565);
    expect(termsFor(card2, { score: late, previous_grade: 'A', collateral_micros: 0n }).grade).to.equal('C');
    // Paid 20 days late: 40 + (-10) = 30 for the two, 640: exactly A's floor + margin.
    const paid = scoreInputs(card2, { ...lined, days_past_due_now: 0, days_paid_late: 20 }).score;
    expect(paid).to.equal(640);
    expect(termsFor(card2, { score: paid, previous_grade: 'C', collateral_micros: 0n }).grade).to.equal('A');
    expect(termsFor(card2, { score: paid - 1, previous_grade: 'C', collateral_micros: 0n }).grade).to.equal('B');
    const v1 = scoreInputs(card, { ...lined, days_beyond_terms: 20 }).score;
    expect(v1).to.equal(620);
  });

  it('never gives better terms for a worse input, the new attributes included (property)', () => {
    worseNeverBetter(card2);
  });

  it('always scores a carrier higher once it pays what is past due, however late (property)', () => {
    // Paying a statement d days past due takes days_past_due_now to 0 and moves days_paid_late, an
    // average weighted by amount, to somewhere between what it was and d (d itself without a record).
    fc.assert(fc.property(fc.integer({ min: 1, max: 400 }), fc.option(fc.integer({ min: 0, max: 400 }), { nil: null }), fc.double({ min: 0, max: 1, noNaN: true }),
      (days, history, share) => {
        const before = scoreInputs(card2, { ...NEW_GOOD, days_past_due_now: days, days_paid_late: history }).score;
        const after_days = history === null ? days : Math.floor(history + (days - history) * share);
        const after = scoreInputs(card2, { ...NEW_GOOD, days_past_due_now: 0, days_paid_late: after_days }).score;
        expect(after, `${days} days past due, ${history} paid late before, ${after_days} after`).to.be.above(before);
      }), { numRuns: 1000 });
  });

  it('is refused when it scores no attribute or one twice', () => {
    expect(() => parseScorecard({ ...card2, attributes: [] })).to.throw(ScorecardError, /at least one/);
    expect(() => parseScorecard({ ...card2, attributes: [card2.attributes[0], card2.attributes[0]] })).to.throw(ScorecardError, /twice/);
  });
});

describe('operator overrides of terms', () => {
  it('put the overridden terms over the computed ones, the latest of a term winning; a refusal zeroes the limits', async () => {
    const { applyOverrides, overrideProblem } = await import('./terms.ts');
    const computed = termsFor(card, { score: 600, previous_grade: null, collateral_micros: 0n });
    const limit = applyOverrides(computed, [{ term: 'unsecured_limit', value: '1000000' }, { term: 'unsecured_limit', value: '7000000' }, { term: 'premium_bps', value: '0' }]);
    expect(limit).to.include({ grade: 'B', decision: 'unsecured', unsecured_limit_micros: 7_000_000n, premium_bps: 0 });
    const refused = applyOverrides(computed, [{ term: 'decision', value: 'refused' }]);
    expect(refused).to.include({ decision: 'refused', unsecured_limit_micros: 0n, secured_limit_micros: 0n, premium_bps: 50 });
    expect(overrideProblem({ term: 'premium_bps', value: '10001' })).to.be.a('string');
    expect(overrideProblem({ term: 'decision', value: 'maybe' })).to.be.a('string');
    expect(overrideProblem({ term: 'unsecured_limit', value: '1.5' })).to.be.a('string');
  });

  it('override the secured limit (the collateral required follows, less what is on file) and each financing term, within their ranges', async () => {
    const { applyOverrides, overrideProblem } = await import('./terms.ts');
    // Grade B by hand: unsecured 20,000, secured 100,000; 30,000 of collateral on file.
    const computed = termsFor(card, { score: 600, previous_grade: null, collateral_micros: 30_000_000_000n });
    expect(computed).to.include({ secured_limit_micros: 100_000_000_000n, collateral_required_micros: 50_000_000_000n });
    const secured = applyOverrides(computed, [{ term: 'secured_limit', value: '150000000000' }], 30_000_000_000n);
    // 150,000 − 20,000 − 30,000 = 100,000 to post.
    expect(secured).to.include({ secured_limit_micros: 150_000_000_000n, collateral_required_micros: 100_000_000_000n });
    // A higher unsecured limit needs less collateral; never below 0.
    expect(applyOverrides(computed, [{ term: 'unsecured_limit', value: '90000000000' }], 30_000_000_000n).collateral_required_micros).to.equal(0n);
    const financed = applyOverrides(computed, [
      { term: 'deferral_days', value: '45' }, { term: 'deferral_rate_bps_per_year', value: '1200' },
      { term: 'advance_rate_percent', value: '60' }, { term: 'advance_fee_bps', value: '75' },
    ], 30_000_000_000n);
    expect(financed.financing).to.deep.equal({ deferral_days: 45, deferral_rate_bps_per_year: 1200, advance_rate_percent: 60, advance_fee_bps: 75 });
    expect(financed.collateral_required_micros).to.equal(computed.collateral_required_micros);
    expect(applyOverrides(computed, [{ term: 'collateral_kinds', value: 'deposit' }]).collateral_kinds).to.deep.equal(['deposit']);
    expect(overrideProblem({ term: 'collateral_kinds', value: 'letter_of_credit,deposit' })).to.equal(null);
    for (const bad of ['', 'cash', 'deposit,deposit', 'deposit,']) expect(overrideProblem({ term: 'collateral_kinds', value: bad }), bad).to.be.a('string');
    for (const [term, good, bad] of [['deferral_days', '365', '366'], ['advance_rate_percent', '100', '101'], ['advance_fee_bps', '10000', '10001'], ['deferral_rate_bps_per_year', '0', '-1'], ['secured_limit', '0', '2.5']] as const) {
      expect(overrideProblem({ term, value: good }), `${term} ${good}`).to.equal(null);
      expect(overrideProblem({ term, value: bad }), `${term} ${bad}`).to.be.a('string');
    }
  });
});
