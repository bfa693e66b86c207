import { expect } from 'chai';
import { isCarrierCdrHeader, parseCarrierCdr } from './carrier-cdr-csv.ts';

const SPAN = { start_ms: Date.UTC(2026, 10, 1), end_ms: Date.UTC(2026, 10, 2) };

describe('a carrier\'s CDR line', () => {
  it('reads the start with its zone, the number, the duration to the millisecond, the amount to the micro-unit and the Call-ID', () => {
    expect(parseCarrierCdr(['2026-11-01T09:00:00+01:00', '+44 7700 900123', '90.5', '0.0252', 'abc@host'], 2, SPAN)).to.deep.equal({
      line: 2, call_id: 'abc@host', start_ms: Date.UTC(2026, 10, 1, 8), called_number: '+44 7700 900123', duration_ms: 90_500, amount_micros: 25_200n,
    });
    expect(parseCarrierCdr(['2026-11-01T09:00:00Z', '99900123', '30', '0.012600'], 3, SPAN)).to.deep.include({ call_id: null, duration_ms: 30_000 });
  });

  it('names what is wrong with a bad line', () => {
    const reason = (fields: string[]) => {
      const parsed = parseCarrierCdr(fields, 1, SPAN);
      return 'reason' in parsed ? parsed.reason : 'ok';
    };
    expect([
      reason(['2026-11-01T09:00:00', '1', '1', '1']), // no zone
      reason(['2026-10-31T23:59:59Z', '1', '1', '1']),
      reason(['2026-11-01T09:00:00Z', 'sip:x', '1', '1']),
      reason(['2026-11-01T09:00:00Z', '1', '1.2345', '1']),
      reason(['2026-11-01T09:00:00Z', '1', '1', '-0.01']),
      reason(['2026-11-01T09:00:00Z', '1', '1']),
    ]).to.deep.equal(['invalid_start_time', 'outside_period', 'invalid_called_number', 'invalid_duration', 'invalid_amount', 'wrong_column_count']);
    expect([isCarrierCdrHeader(['start_time', 'called_number']), isCarrierCdrHeader(['2026-11-01T09:00:00Z'])]).to.deep.equal([true, false]);
  });
});
