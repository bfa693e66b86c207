import { expect } from 'chai';
import { assessDispute, volumeDifferenceBasisPoints } from './disputes.ts';
import type { DestinationTotals } from './reconciliation.ts';

const ISSUED = Date.UTC(2026, 10, 2);
const DAY = 86_400_000;
const evidence = (our_ms: number, their_ms: number, our_micros: bigint, their_micros: bigint, rate = 0n): DestinationTotals => ({
  destination_id: 'd', destination_name: 'Testland Mobile',
  ours: { calls: 10, duration_ms: our_ms, amount_micros: our_micros }, theirs: { calls: 10, duration_ms: their_ms, amount_micros: their_micros }, rate_difference_micros: rate,
});

describe('dispute rules', () => {
  it('measures volume differences in basis points of the billed duration, rounding down', () => {
    expect(volumeDifferenceBasisPoints(600_000, 594_001)).to.equal(99n); // 5 999 ms of 600 000: 0.99%
    expect(volumeDifferenceBasisPoints(600_000, 594_000)).to.equal(100n);
    expect(volumeDifferenceBasisPoints(0, 1)).to.equal(10_000n);
  });

  it('refuses a volume difference under 1%, and claims the amount difference in the carrier\'s favour otherwise', () => {
    const below = assessDispute({ kind: 'volume', section: 'bought', issued_at_ms: ISSUED, now_ms: ISSUED, evidence: evidence(600_000, 594_001, 120_000n, 118_800n) });
    expect(below).to.deep.include({ ok: false, reason: 'below_volume_threshold' });
    // A buyer billed 0.120000 for 10 min whose records show 9 min 54 s at 0.118800: 0.001200 in question.
    const buyer = assessDispute({ kind: 'volume', section: 'bought', issued_at_ms: ISSUED, now_ms: ISSUED + 60 * DAY, evidence: evidence(600_000, 594_000, 120_000n, 118_800n) });
    expect(buyer).to.deep.equal({ ok: true, claimed_micros: 1_200n, volume_difference_basis_points: 100n });
    // A seller with more minutes in its records than it was paid for.
    const seller = assessDispute({ kind: 'volume', section: 'sold', issued_at_ms: ISSUED, now_ms: ISSUED, evidence: evidence(600_000, 660_000, 120_000n, 132_000n) });
    expect(seller).to.deep.include({ ok: true, claimed_micros: 12_000n });
    // The same figures from the buyer's side are not in its favour.
    expect(assessDispute({ kind: 'volume', section: 'bought', issued_at_ms: ISSUED, now_ms: ISSUED, evidence: evidence(600_000, 660_000, 120_000n, 132_000n) }))
      .to.deep.include({ ok: false, reason: 'nothing_in_dispute' });
  });

  it('takes rate disputes within 30 days of issue only', () => {
    const rate = (now_ms: number) => assessDispute({ kind: 'rate', section: 'bought', issued_at_ms: ISSUED, now_ms, evidence: evidence(600_000, 600_000, 120_000n, 110_000n, -10_000n) });
    expect(rate(ISSUED + 30 * DAY)).to.deep.equal({ ok: true, claimed_micros: 10_000n, volume_difference_basis_points: 0n });
    expect(rate(ISSUED + 30 * DAY + 1)).to.deep.include({ ok: false, reason: 'dispute_window_closed' });
  });
});
