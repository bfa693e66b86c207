/**
 * Quality in the route choice, as a pure function over what routing chose by price: it takes out
 * the legs that cannot carry the call (a seller trunk that stopped answering OPTIONS, a seller an
 * operator or an alarm took out of routing for the destination, a suspended trade) and skips or
 * demotes sellers whose measured quality on the destination is below the buyer's floors.
 *
 * - Judged on the shortest window with at least `min_attempts` attempts (a seller that recovered
 *   shows it within minutes), not at all with fewer (a new seller is given its chance).
 * - A share of calls (`probe_share`) keeps below-floor sellers in their place, so a seller that
 *   recovered can prove it; the caller draws `random` once per call.
 * - Floors of zero are not floors: an order that sets ASR 0 or PDD 0 asks for nothing there.
 */
import type { Leg } from '../routing.ts';
import type { QualityStats } from './quality-counts.ts';

/** What a buyer's order asks of the sellers it trades with (the order's quality terms). */
export interface QualityFloor {
  readonly asr_percent: number;
  readonly acd_s: number;
  /** The longest acceptable post-dial delay, ms. */
  readonly pdd_ms: number;
}

export type QualityMode = 'off' | 'demote' | 'skip';

export interface QualityPolicy {
  readonly mode: QualityMode;
  readonly min_attempts: number;
  /** 0..1: the share of calls on which below-floor sellers keep their place. */
  readonly probe_share: number;
}

export type SkipReason = 'trunk_down' | 'out_of_routing' | 'trade_suspended' | 'below_floor';

export interface LegView {
  /** The seller's figures on the destination, one per window, shortest first. */
  sellerQuality(seller_id: string, destination_id: string): readonly QualityStats[];
  /** The buyer's floors on this trade (its buy order's quality terms), if any. */
  floor(trade_id: string): QualityFloor | undefined;
  trunkDown(trunk_id: string): boolean;
  /** Why the seller may not be used for this destination now (operator, alarm), if so. */
  sellerExcluded(seller_id: string, destination_id: string): string | undefined;
  tradeSuspended(trade_id: string): boolean;
}

export interface LegChoice {
  readonly legs: readonly Leg[];
  readonly skipped: ReadonlyArray<{ readonly leg: Leg; readonly reason: SkipReason }>;
  /** Below-floor sellers kept in place on this call to measure them again. */
  readonly probe: boolean;
}

/** The window a seller is judged on: the shortest with enough attempts; none with too few. */
export function judgedStats(windows: readonly QualityStats[], min_attempts: number): QualityStats | undefined {
  return windows.find((stats) => stats.attempts >= min_attempts && stats.attempts > 0);
}

/** Which of the floors the measured figures break (empty: none). */
export function brokenFloors(stats: QualityStats, floor: QualityFloor): Array<'asr' | 'acd' | 'pdd'> {
  const broken: Array<'asr' | 'acd' | 'pdd'> = [];
  if (floor.asr_percent > 0 && stats.asr !== null && stats.asr * 100 < floor.asr_percent) broken.push('asr');
  if (floor.acd_s > 0 && stats.acd_s !== null && stats.acd_s < floor.acd_s) broken.push('acd');
  if (floor.pdd_ms > 0 && stats.pdd_ms !== null && stats.pdd_ms > floor.pdd_ms) broken.push('pdd');
  return broken;
}

export function chooseLegs(legs: readonly Leg[], destination_id: string, view: LegView, policy: QualityPolicy, random: number): LegChoice {
  const probe = random < policy.probe_share;
  const kept: Leg[] = [];
  const demoted: Leg[] = [];
  const skipped: Array<{ leg: Leg; reason: SkipReason }> = [];
  for (const leg of legs) {
    const seller_id = leg.trade.seller_id;
    if (view.trunkDown(leg.trunk.id)) {
      skipped.push({ leg, reason: 'trunk_down' });
      continue;
    }
    if (view.tradeSuspended(leg.trade.id)) {
      skipped.push({ leg, reason: 'trade_suspended' });
      continue;
    }
    if (view.sellerExcluded(seller_id, destination_id) !== undefined) {
      skipped.push({ leg, reason: 'out_of_routing' });
      continue;
    }
    if (policy.mode !== 'off' && !probe && belowFloor(leg, destination_id, view, policy)) {
      if (policy.mode === 'demote') demoted.push(leg);
      else skipped.push({ leg, reason: 'below_floor' });
      continue;
    }
    kept.push(leg);
  }
  return { legs: [...kept, ...demoted], skipped, probe };
}

function belowFloor(leg: Leg, destination_id: string, view: LegView, policy: QualityPolicy): boolean {
  const floor = view.floor(leg.trade.id);
  if (floor === undefined) return false;
  const stats = judgedStats(view.sellerQuality(leg.trade.seller_id, destination_id), policy.min_attempts);
  return stats !== undefined && brokenFloors(stats, floor).length > 0;
}
