import { expect } from 'chai';
import fc from 'fast-check';
import scorecardFile from '../../assessment/scorecards/scorecard-1.json' with { type: 'json' };
import { bandPoints, gradeOf, gradeWithHysteresis, parseScorecard, scoreInputs, ScorecardError, type ScoreInputs } from './scorecard.ts';
import { limitToApply, termsFor } from './terms.ts';

const card = parseScorecard(scorecardFile);
const table = (name: string) => card.attributes.find((attribute) => attribute.attribute === name)!;

/** A carrier new to the exchange with Atlas Voice's bureau report (bureau/companies.ts). */
const NEW_GOOD: ScoreInputs = {
  payment_index: 82, delinquency_score: 92, filings_severity: 0, days_beyond_terms: null, tenure_months: 0,
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
    const order = ['A', 'B', 'C', 'D', 'E'];
    const value = (min: number, max: number) => fc.option(fc.integer({ min, max }), { nil: null });
    const inputs = fc.record({
      payment_index: value(1, 100), delinquency_score: value(1, 100), filings_severity: fc.integer({ min: 0, max: 3 }),
      days_beyond_terms: value(0, 400), tenure_months: fc.integer({ min: 0, max: 300 }), traffic_minutes_30d: fc.integer({ min: 0, max: 5_000_000 }),
      traffic_trend_percent: value(-100, 500), net_position_units: fc.integer({ min: -1_000_000, max: 1_000_000 }), exposure_percent: value(0, 300),
      open_disputes: fc.integer({ min: 0, max: 10 }),
    });
    // Attributes where a larger value is worse; the others are better when larger.
    const worseWhenLarger = new Set(['filings_severity', 'days_beyond_terms', 'exposure_percent', 'open_disputes']);
    fc.assert(fc.property(inputs, fc.constantFrom(...card.attributes.map((attribute) => attribute.attribute)), fc.integer({ min: 1, max: 100 }), (base, attribute, step) => {
      const current = base[attribute];
      if (current === null) return;
      const worse = { ...base, [attribute]: worseWhenLarger.has(attribute) ? current + step : current - step };
      const good = termsFor(card, { score: scoreInputs(card, base).score, previous_grade: null, collateral_micros: 0n });
      const bad = termsFor(card, { score: scoreInputs(card, worse).score, previous_grade: null, collateral_micros: 0n });
      expect(scoreInputs(card, worse).score).to.be.at.most(scoreInputs(card, base).score);
      expect(order.indexOf(bad.grade)).to.be.at.least(order.indexOf(good.grade));
      expect(bad.unsecured_limit_micros <= good.unsecured_limit_micros).to.equal(true);
      expect(bad.premium_bps).to.be.at.least(good.premium_bps);
    }), { numRuns: 500 });
  });

  it('refuses a malformed card with a reason', () => {
    const broken = JSON.parse(JSON.stringify(card)) as { attributes: Array<{ bands: Array<{ min: number }> }> };
    broken.attributes[0]!.bands[1]!.min = 0;
    expect(() => parseScorecard(broken)).to.throw(ScorecardError, /ascend/);
    expect(() => parseScorecard({ ...card, grades: card.grades.slice(1) })).to.throw(ScorecardError, /grades/);
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
});
