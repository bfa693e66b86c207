import { expect } from 'chai';
import { DEFAULT_TOLERANCES, MAX_LISTED_MISMATCHES, numberKey, reconcile, type OurCall, type TheirCall } from './reconciliation.ts';

const T0 = Date.UTC(2026, 10, 1, 9, 0, 0);
const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const unknown = () => ({ id: null, name: 'Unknown destination' });
const our = (call_id: string, offset_s: number, number: string, duration_ms: number, amount_micros: bigint): OurCall => ({
  call_id, start_ms: T0 + offset_s * 1000, called_number: number, duration_ms, amount_micros, destination_id: 'd-mobile', destination_name: 'Testland Mobile',
});
const their = (line: number, call_id: string | null, offset_s: number, number: string, duration_ms: number, amount_micros: bigint): TheirCall => ({
  line, call_id, start_ms: T0 + offset_s * 1000, called_number: number, duration_ms, amount_micros,
});

describe('reconcile', () => {
  it('matches by Call-ID first, then by number, nearest start and duration within the tolerances', () => {
    const ours = [our('c1', 0, '447700900001', 90_000, 25_200n), our('c2', 60, '447700900002', 30_000, 12_600n), our('c3', 120, '447700900002', 30_000, 12_600n)];
    const theirs = [
      their(2, 'c1', 3, '+44 7700 900001', 95_000, 25_200n), // Call-ID wins although the duration is 5 s off: a duration difference
      their(3, null, 124, '447700900002', 30_400, 12_600n), // nearest start to c3 (4 s), not c2 (64 s)
      their(4, null, 62, '447700900002', 30_000, 12_000n), // c2, 2 s off, cheaper: an amount difference of -0.000600
    ];
    const result = reconcile(ours, theirs, DEFAULT_TOLERANCES, dayOf, unknown);
    expect([result.matched_calls, result.matched_by_call_id]).to.deep.equal([3, 1]);
    expect(result.mismatches.map((one) => [one.kind, one.our_call_id, one.their_line, one.difference_micros])).to.deep.equal([
      ['duration_difference', 'c1', 2, 0n], ['amount_difference', 'c2', 4, -600n],
    ]);
    expect(result.destinations[0]!.rate_difference_micros).to.equal(-600n);
    expect(result.amount_in_question_micros).to.equal(600n);
  });

  it('compares daily totals first, both sides, and lists calls missing on either side by day and destination', () => {
    const ours = [our('c1', 0, '33100', 60_000, 12_000n), our('c2', 86_400, '33100', 120_000, 24_000n)];
    // Their call 10 s away from c1 is beyond the 5 s tolerance: each side has a call the other lacks.
    const theirs = [their(1, null, 10, '33100', 60_000, 12_000n), their(2, null, 86_400, '33100', 120_500, 24_000n)];
    const result = reconcile(ours, theirs, DEFAULT_TOLERANCES, dayOf, () => ({ id: 'd-fr', name: 'France' }));
    expect(result.days).to.deep.equal([
      { day: '2026-11-01', ours: { calls: 1, duration_ms: 60_000, amount_micros: 12_000n }, theirs: { calls: 1, duration_ms: 60_000, amount_micros: 12_000n } },
      { day: '2026-11-02', ours: { calls: 1, duration_ms: 120_000, amount_micros: 24_000n }, theirs: { calls: 1, duration_ms: 120_500, amount_micros: 24_000n } },
    ]);
    expect(result.mismatches.map((one) => [one.kind, one.day, one.destination_name, one.difference_micros])).to.deep.equal([
      ['missing_on_their_side', '2026-11-01', 'Testland Mobile', -12_000n], ['missing_on_our_side', '2026-11-01', 'France', 12_000n],
    ]);
    expect(result.groups.map((group) => [group.day, group.destination_name, group.mismatches, group.amount_in_question_micros, group.difference_micros])).to.deep.equal([
      ['2026-11-01', 'France', 1, 12_000n, 12_000n], ['2026-11-01', 'Testland Mobile', 1, 12_000n, -12_000n],
    ]);
    expect(result.amount_in_question_micros).to.equal(24_000n);
    expect(result.matched_calls).to.equal(1);
  });

  it('never matches one call twice, and compares numbers by their digits', () => {
    expect(numberKey('+44 (20) 7946-0000')).to.equal('442079460000');
    const ours = [our('c1', 0, '1000', 60_000, 1n)];
    const theirs = [their(1, null, 0, '1000', 60_000, 1n), their(2, 'c1', 1, '1000', 60_000, 1n)];
    const result = reconcile(ours, theirs, DEFAULT_TOLERANCES, dayOf, unknown);
    expect(result.mismatches.map((one) => [one.kind, one.their_line])).to.deep.equal([['missing_on_our_side', 1]]);
  });

  it('matches a number called thousands of times by searching the start window, not scanning', () => {
    const ours = Array.from({ length: 20_000 }, (_, index) => our(`c${index}`, index * 30, '18005550100', 20_000, 4_000n));
    const theirs = Array.from({ length: 20_000 }, (_, index) => their(index + 1, null, index * 30 + 1, '18005550100', 20_000, 4_000n)).reverse();
    const started = Date.now();
    const result = reconcile(ours, theirs, DEFAULT_TOLERANCES, dayOf, unknown);
    expect([result.matched_calls, result.mismatches.length]).to.deep.equal([20_000, 0]);
    expect(Date.now() - started).to.be.below(2_000);
    // Another number, nothing matches: every call counted and in the groups, the first 10 000 listed.
    const apart = reconcile(ours, theirs.map((call) => ({ ...call, called_number: '18005550199' })), DEFAULT_TOLERANCES, dayOf, unknown);
    expect([apart.mismatches_total, apart.mismatches.length, apart.groups.reduce((sum, group) => sum + group.mismatches, 0)]).to.deep.equal([40_000, MAX_LISTED_MISMATCHES, 40_000]);
  });
});
