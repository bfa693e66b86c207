/**
 * The rules a dispute on a statement line must pass before it is opened, as the trade practises
 * them, with the reconciliation of the carrier's own CDRs as evidence. No storage here.
 *
 * - A rate dispute (the calls agree, their price does not) is opened within 30 days of the
 *   statement's issue; later, it is refused.
 * - A volume dispute (calls or minutes differ) needs a difference of at least 1% of the billed
 *   duration on that destination: below it, the difference is the noise of two clocks and is not
 *   disputable.
 * - The amount in question comes from the evidence, in the carrier's favour: for what it bought,
 *   what the exchange billed above the carrier's own records; for what it sold, what the carrier's
 *   records show above what the exchange pays. Nothing in its favour, nothing to dispute.
 */
import type { DestinationTotals } from './reconciliation.ts';
import type { StatementSection } from './statement.ts';

export type DisputeKind = 'rate' | 'volume';

export const RATE_DISPUTE_WINDOW_DAYS = 30;
/** Volume differences below this share of the billed duration (in basis points: 100 = 1%) are not disputable. */
export const VOLUME_THRESHOLD_BASIS_POINTS = 100n;

const MS_PER_DAY = 86_400_000;

export interface DisputeAssessmentInput {
  readonly kind: DisputeKind;
  readonly section: StatementSection;
  readonly issued_at_ms: number;
  readonly now_ms: number;
  /** The reconciliation's figures for the line's destination; undefined when it has none. */
  readonly evidence: DestinationTotals | undefined;
}

export type DisputeRefusal = 'dispute_window_closed' | 'below_volume_threshold' | 'nothing_in_dispute';

export type DisputeAssessment =
  | { readonly ok: true; readonly claimed_micros: bigint; readonly volume_difference_basis_points: bigint }
  | { readonly ok: false; readonly reason: DisputeRefusal; readonly message: string };

/** The difference in basis points of `ours`, rounded down; 10000 (100%) when we have none and they have some. */
export function volumeDifferenceBasisPoints(our_duration_ms: number, their_duration_ms: number): bigint {
  const difference = BigInt(Math.abs(their_duration_ms - our_duration_ms));
  if (our_duration_ms === 0) return difference === 0n ? 0n : 10_000n;
  return (difference * 10_000n) / BigInt(our_duration_ms);
}

export function assessDispute(input: DisputeAssessmentInput): DisputeAssessment {
  const evidence = input.evidence;
  const ours = evidence?.ours ?? { calls: 0, duration_ms: 0, amount_micros: 0n };
  const theirs = evidence?.theirs ?? { calls: 0, duration_ms: 0, amount_micros: 0n };
  const volume_difference_basis_points = volumeDifferenceBasisPoints(ours.duration_ms, theirs.duration_ms);
  // theirs - ours, turned into the carrier's favour: a buyer was billed too much when ours is higher.
  const inFavour = (theirs_minus_ours: bigint) => (input.section === 'bought' ? -theirs_minus_ours : theirs_minus_ours);
  let claimed_micros: bigint;
  if (input.kind === 'rate') {
    const deadline_ms = input.issued_at_ms + RATE_DISPUTE_WINDOW_DAYS * MS_PER_DAY;
    if (input.now_ms > deadline_ms) {
      return { ok: false, reason: 'dispute_window_closed', message: `a rate dispute is opened within ${RATE_DISPUTE_WINDOW_DAYS} days of the statement's issue` };
    }
    claimed_micros = inFavour(evidence?.rate_difference_micros ?? 0n);
  } else {
    if (volume_difference_basis_points < VOLUME_THRESHOLD_BASIS_POINTS) {
      return {
        ok: false, reason: 'below_volume_threshold',
        message: `the durations differ by ${basisPointsText(volume_difference_basis_points)}%: differences under 1% are not disputable`,
      };
    }
    claimed_micros = inFavour(theirs.amount_micros - ours.amount_micros);
  }
  if (claimed_micros <= 0n) return { ok: false, reason: 'nothing_in_dispute', message: 'the evidence shows nothing in the carrier\'s favour on this line' };
  return { ok: true, claimed_micros, volume_difference_basis_points };
}

/** 125n → "1.25". */
export function basisPointsText(basis_points: bigint): string {
  return `${basis_points / 100n}.${(basis_points % 100n).toString().padStart(2, '0')}`;
}
