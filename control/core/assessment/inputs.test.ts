import { expect } from 'chai';
import { daysBeyondTerms, daysPaidLate, daysPastDueNow, filingsSeverity, scoreInputsFrom, type CarrierHistory } from './inputs.ts';

const QUIET: CarrierHistory = {
  today: '2026-11-30', statements: [], tenure_days: 0, billed_s_30d: 0, billed_s_previous_30d: 0, net_micros: 0n, used_micros: 0n, line_micros: 0n, open_disputes: 0,
};

describe('credit assessment inputs', () => {
  it('weighs days beyond terms by amount: paid late, paid on time, unpaid past due, not yet due', () => {
    const statements = [
      { balance_micros: 3_000_000n, outstanding_micros: 0n, due_date: '2026-10-01', paid_on: '2026-10-11' }, // 10 days late
      { balance_micros: 1_000_000n, outstanding_micros: 0n, due_date: '2026-11-01', paid_on: '2026-10-30' }, // early: 0
      { balance_micros: 2_000_000n, outstanding_micros: 500_000n, due_date: '2026-11-20', paid_on: null }, // 10 days so far
      { balance_micros: 9_000_000n, outstanding_micros: 9_000_000n, due_date: '2026-12-15', paid_on: null }, // not due: left out
      { balance_micros: -4_000_000n, outstanding_micros: 0n, due_date: '2026-09-01', paid_on: null }, // owed to it: left out
    ];
    // (3 × 10 + 1 × 0 + 2 × 10) / 6 = 8.33 → 8
    expect(daysBeyondTerms(statements, '2026-11-30')).to.equal(8);
    expect(daysBeyondTerms([statements[3]!], '2026-11-30')).to.equal(null);
  });

  it('counts what is past due now by its oldest unpaid statement, and what was paid late by amount (scorecard 2)', () => {
    const statements = [
      { balance_micros: 3_000_000n, outstanding_micros: 0n, due_date: '2026-10-01', paid_on: '2026-10-11' }, // paid 10 days late
      { balance_micros: 1_000_000n, outstanding_micros: 0n, due_date: '2026-11-01', paid_on: '2026-10-30' }, // paid early: 0
      { balance_micros: 2_000_000n, outstanding_micros: 500_000n, due_date: '2026-11-20', paid_on: null }, // 10 days past due, part paid
      { balance_micros: 7_000_000n, outstanding_micros: 7_000_000n, due_date: '2026-11-25', paid_on: null }, // 5 days past due
      { balance_micros: 9_000_000n, outstanding_micros: 9_000_000n, due_date: '2026-12-15', paid_on: null }, // not due
      { balance_micros: -4_000_000n, outstanding_micros: 0n, due_date: '2026-09-01', paid_on: null }, // owed to it
    ];
    // The oldest still unpaid: due 2026-11-20, 10 days ago.
    expect(daysPastDueNow(statements, '2026-11-30')).to.equal(10);
    // Due today is not past due yet; the day after it is 1.
    expect(daysPastDueNow([statements[3]!], '2026-11-25')).to.equal(0);
    expect(daysPastDueNow([statements[3]!], '2026-11-26')).to.equal(1);
    expect(daysPastDueNow([statements[0]!, statements[4]!], '2026-11-30')).to.equal(0);
    // (3 × 10 + 1 × 0) / 4 = 7.5 → 7; unpaid ones are left out.
    expect(daysPaidLate(statements)).to.equal(7);
    expect(daysPaidLate(statements.slice(2))).to.equal(null);
  });

  it('ranks filings: bankruptcy within 7 years, open judgment, open lien, none', () => {
    expect(filingsSeverity([{ kind: 'bankruptcy', status: 'discharged', filed_on: '2020-01-01' }], '2026-11-30')).to.equal(3);
    expect(filingsSeverity([{ kind: 'bankruptcy', status: 'discharged', filed_on: '2019-11-29' }], '2026-11-30')).to.equal(0);
    expect(filingsSeverity([{ kind: 'lien', status: 'open', filed_on: '2025-01-01' }, { kind: 'judgment', status: 'open', filed_on: '2025-01-01' }], '2026-11-30')).to.equal(2);
    expect(filingsSeverity([{ kind: 'lien', status: 'released', filed_on: '2025-01-01' }], '2026-11-30')).to.equal(0);
    expect(filingsSeverity([{ kind: 'lien', status: 'open', filed_on: '2025-01-01' }], '2026-11-30')).to.equal(1);
  });

  it('turns history into whole-number inputs, null where there is none', () => {
    const inputs = scoreInputsFrom(null, {
      ...QUIET, tenure_days: 95, billed_s_30d: 6_000_000, billed_s_previous_30d: 8_000_000, net_micros: -1_500_000n, used_micros: 750_000n, line_micros: 1_000_000n, open_disputes: 2,
    });
    expect(inputs).to.deep.equal({
      payment_index: null, delinquency_score: null, filings_severity: null, days_beyond_terms: null, days_past_due_now: 0, days_paid_late: null, tenure_months: 3,
      traffic_minutes_30d: 100_000, traffic_trend_percent: -25, net_position_units: -2, exposure_percent: 75, open_disputes: 2,
    });
    expect(scoreInputsFrom(null, QUIET)).to.include({ traffic_trend_percent: null, exposure_percent: null, net_position_units: 0 });
  });
});

describe('the bureau sandbox\'s test companies', () => {
  it('span every grade and a refusal, as docs/credit.md lists them for a new carrier', async () => {
    const { TEST_COMPANIES } = await import('../../../bureau/companies.ts');
    const { parseScorecard, scoreInputs } = await import('./scorecard.ts');
    const { termsFor } = await import('./terms.ts');
    for (const version of [1, 2]) {
      const card = parseScorecard((await import(`../../assessment/scorecards/scorecard-${version}.json`, { with: { type: 'json' } })).default);
      const outcomes = TEST_COMPANIES.map((company) => {
        const { score } = scoreInputs(card, scoreInputsFrom(company, QUIET));
        const terms = termsFor(card, { score, previous_grade: null, collateral_micros: 0n });
        return [company.bureau_id, score, terms.decision === 'refused' ? 'refused' : terms.grade];
      });
      // Version 2 gives a carrier new to the exchange what version 1 gave it.
      expect(outcomes, `scorecard ${version}`).to.deep.equal([
        ['MXB-100001', 645, 'A'], ['MXB-100002', 605, 'B'], ['MXB-100003', 535, 'C'], ['MXB-100004', 495, 'D'],
        ['MXB-100007', 475, 'E'], ['MXB-100005', 405, 'refused'], ['MXB-100006', 570, 'C'],
      ]);
    }
  });
});
