import { expect } from 'chai';
import { addDays, isLocalDate, periodEndingOn } from './billing-period.ts';

describe('billing periods', () => {
  it('closes a daily period every day', () => {
    expect(periodEndingOn('daily', '2026-11-30')).to.deep.equal({ start: '2026-11-30', end: '2026-11-30' });
  });

  it('closes ISO weeks on Sundays only', () => {
    // 29 November 2026 is a Sunday; the week began on Monday 23 November.
    expect(periodEndingOn('weekly', '2026-11-29')).to.deep.equal({ start: '2026-11-23', end: '2026-11-29' });
    expect(periodEndingOn('weekly', '2026-11-30')).to.equal(null);
    // A week that spans two years.
    expect(periodEndingOn('weekly', '2027-01-03')).to.deep.equal({ start: '2026-12-28', end: '2027-01-03' });
  });

  it('closes semi-monthly periods on the 15th and the last day', () => {
    expect(periodEndingOn('semi_monthly', '2026-02-15')).to.deep.equal({ start: '2026-02-01', end: '2026-02-15' });
    expect(periodEndingOn('semi_monthly', '2026-02-28')).to.deep.equal({ start: '2026-02-16', end: '2026-02-28' });
    expect(periodEndingOn('semi_monthly', '2026-02-16')).to.equal(null);
  });

  it('closes monthly periods on the last day, leap years included', () => {
    expect(periodEndingOn('monthly', '2028-02-29')).to.deep.equal({ start: '2028-02-01', end: '2028-02-29' });
    expect(periodEndingOn('monthly', '2026-02-28')).to.deep.equal({ start: '2026-02-01', end: '2026-02-28' });
    expect(periodEndingOn('monthly', '2028-02-28')).to.equal(null);
    expect(periodEndingOn('monthly', '2026-12-31')).to.deep.equal({ start: '2026-12-01', end: '2026-12-31' });
  });

  it('reads only real calendar days', () => {
    expect(isLocalDate('2026-02-29')).to.equal(false);
    expect(isLocalDate('2026-2-01')).to.equal(false);
    expect(isLocalDate('2026-12-31')).to.equal(true);
    expect(() => periodEndingOn('monthly', '2026-13-01')).to.throw(RangeError);
    expect(addDays('2026-12-31', 30)).to.equal('2027-01-30');
    expect(addDays('2026-03-01', -1)).to.equal('2026-02-28');
  });
});
