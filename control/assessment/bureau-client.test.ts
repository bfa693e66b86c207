import { expect } from 'chai';
import { BureauError, parseBureauReport } from './bureau-client.ts';

const REPORT = {
  bureau_id: 'MXB-1', name: 'Atlas', payment_index: 82, delinquency_score: 92, years_in_business: 24,
  filings: [{ kind: 'lien', filed_on: '2025-01-01', status: 'open', amount: '1.00', currency: 'USD' }], trade_references: [],
  report_version: 3, as_of: '2026-11-30T00:00:00Z',
};

describe('bureau report parsing', () => {
  it('reads a report, a thin file included', () => {
    expect(parseBureauReport(REPORT)).to.include({ payment_index: 82, report_version: 3 });
    expect(parseBureauReport({ ...REPORT, payment_index: null, report_version: undefined })).to.include({ payment_index: null, report_version: null });
  });

  it('refuses a report it cannot read, never guessing', () => {
    for (const broken of [
      { ...REPORT, payment_index: 0 }, { ...REPORT, payment_index: 101 }, { ...REPORT, delinquency_score: 50.5 },
      { ...REPORT, filings: [{ kind: 'fine', filed_on: '2025-01-01', status: 'open' }] }, { ...REPORT, filings: null }, null, 'report',
    ]) {
      expect(() => parseBureauReport(broken), JSON.stringify(broken)).to.throw(BureauError).with.property('reason', 'invalid_report');
    }
  });
});
