import { expect } from 'chai';
import { localDayOf, readCarrierCdrs } from './reconciliation-store.ts';

describe('reconciliation upload', () => {
  it('gives the local day of an instant in the carrier\'s time zone, half-hour offsets included', () => {
    const kolkata = localDayOf('Asia/Kolkata');
    expect(kolkata(Date.parse('2026-11-01T18:29:59Z'))).to.equal('2026-11-01');
    expect(kolkata(Date.parse('2026-11-01T18:30:00Z'))).to.equal('2026-11-02');
    const newYork = localDayOf('America/New_York');
    expect(newYork(Date.parse('2026-11-02T04:59:59.999Z'))).to.equal('2026-11-01');
    expect(newYork(Date.parse('2026-11-02T05:00:00Z'))).to.equal('2026-11-02');
  });

  it('reads a file whole, or lists its bad lines and keeps no call', async () => {
    const span = { start_ms: Date.UTC(2026, 10, 1), end_ms: Date.UTC(2026, 10, 2) };
    const good = await readCarrierCdrs('start_time,called_number,duration,amount\r\n2026-11-01T09:00:00Z,33100,60,0.012\r\n\r\n', span);
    expect(good.ok && good.calls.map((call) => [call.line, call.duration_ms, call.amount_micros])).to.deep.equal([[2, 60_000, 12_000n]]);
    const bad = await readCarrierCdrs('2026-11-01T09:00:00Z,33100,60,0.012\nnope,33100,60,0.012\n2026-11-01T09:00:00Z,33100\n', span);
    expect(!bad.ok && bad.problems.map((problem) => [problem.line, problem.reason])).to.deep.equal([[2, 'invalid_start_time'], [3, 'wrong_column_count']]);
    // A file that stops being CSV is refused for that line alone.
    const broken = await readCarrierCdrs('nope,33100,60,0.012\n"2026-11-01T09:00:00Z,33100\n', span);
    expect(!broken.ok && broken.problems.map((problem) => [problem.line, problem.reason])).to.deep.equal([[2, 'invalid_csv']]);
  });
});
