import { expect } from 'chai';
import { scheduledRunDays } from './statement-schedule.ts';

describe('scheduledRunDays', () => {
  it('runs every day after the last run up to the latest day over everywhere, in order', () => {
    expect(scheduledRunDays({ last_run: '2026-11-27', first_unbilled: '2026-11-01', latest_over: '2026-11-30' }, 31))
      .to.deep.equal(['2026-11-28', '2026-11-29', '2026-11-30']);
  });

  it('crosses month and year ends', () => {
    expect(scheduledRunDays({ last_run: '2026-12-30', first_unbilled: null, latest_over: '2027-01-01' }, 31))
      .to.deep.equal(['2026-12-31', '2027-01-01']);
  });

  it('before any run, starts at the first day with unbilled calls', () => {
    expect(scheduledRunDays({ last_run: null, first_unbilled: '2026-11-29', latest_over: '2026-11-30' }, 31))
      .to.deep.equal(['2026-11-29', '2026-11-30']);
  });

  it('runs nothing when nothing was ever run and nothing waits to be billed', () => {
    expect(scheduledRunDays({ last_run: null, first_unbilled: null, latest_over: '2026-11-30' }, 31)).to.deep.equal([]);
  });

  it('runs nothing when the last run is already the latest day over (or later, run by hand)', () => {
    expect(scheduledRunDays({ last_run: '2026-11-30', first_unbilled: '2026-11-01', latest_over: '2026-11-30' }, 31)).to.deep.equal([]);
    expect(scheduledRunDays({ last_run: '2026-12-02', first_unbilled: '2026-11-01', latest_over: '2026-11-30' }, 31)).to.deep.equal([]);
  });

  it('catches up at most max_days in one pass, oldest first', () => {
    expect(scheduledRunDays({ last_run: null, first_unbilled: '2026-01-01', latest_over: '2026-11-30' }, 3))
      .to.deep.equal(['2026-01-01', '2026-01-02', '2026-01-03']);
  });
});
