/**
 * CDR reconciliation: a carrier's own records of its calls set against the exchange's, without
 * storage. Daily totals first (calls, duration, amount, both sides), then call by call:
 *
 * 1. by Call-ID, where the carrier gave one (the Call-ID of its own leg of the call);
 * 2. otherwise, among calls to the same called number (digits only), the exchange's call whose
 *    start is nearest to the carrier's, within `start_tolerance_ms`, and whose duration is
 *    within `duration_tolerance_ms`.
 *
 * Every call left over, or matched with another duration or amount, is a mismatch with the money
 * in question: `difference_micros = theirs - ours` (positive: the carrier's records say more).
 * Mismatches are grouped by day and destination. Nothing here names the other side of a call.
 */

export interface OurCall {
  /** The Call-ID the carrier knows: that of its own leg. */
  readonly call_id: string;
  readonly start_ms: number;
  readonly called_number: string;
  readonly duration_ms: number;
  readonly amount_micros: bigint;
  readonly destination_id: string | null;
  readonly destination_name: string;
}

export interface TheirCall {
  /** The line of the carrier's file, so that it can find the call again. */
  readonly line: number;
  readonly call_id: string | null;
  readonly start_ms: number;
  readonly called_number: string;
  readonly duration_ms: number;
  readonly amount_micros: bigint;
}

export interface Tolerances {
  readonly start_tolerance_ms: number;
  readonly duration_tolerance_ms: number;
}

export const DEFAULT_TOLERANCES: Tolerances = { start_tolerance_ms: 5_000, duration_tolerance_ms: 1_000 };

export type MismatchKind = 'missing_on_our_side' | 'missing_on_their_side' | 'duration_difference' | 'amount_difference';

export interface Mismatch {
  readonly kind: MismatchKind;
  readonly day: string;
  readonly destination_id: string | null;
  readonly destination_name: string;
  readonly called_number: string;
  readonly start_ms: number;
  readonly our_call_id: string | null;
  readonly their_line: number | null;
  readonly our_duration_ms: number | null;
  readonly their_duration_ms: number | null;
  readonly our_amount_micros: bigint | null;
  readonly their_amount_micros: bigint | null;
  /** theirs - ours (a missing side counts as 0). */
  readonly difference_micros: bigint;
}

export interface SideTotals {
  calls: number;
  duration_ms: number;
  amount_micros: bigint;
}

export interface DayTotals {
  readonly day: string;
  readonly ours: SideTotals;
  readonly theirs: SideTotals;
}

export interface GroupTotals {
  readonly day: string;
  readonly destination_id: string | null;
  readonly destination_name: string;
  mismatches: number;
  /** The sum of every mismatch's |difference|: the money in question. */
  amount_in_question_micros: bigint;
  /** The sum of differences, signed: theirs - ours. */
  difference_micros: bigint;
}

export interface DestinationTotals {
  readonly destination_id: string | null;
  readonly destination_name: string;
  readonly ours: SideTotals;
  readonly theirs: SideTotals;
  /** On calls matched with the same duration: what the rate difference alone comes to (theirs - ours). */
  rate_difference_micros: bigint;
}

export interface Reconciliation {
  readonly days: readonly DayTotals[];
  readonly matched_calls: number;
  readonly matched_by_call_id: number;
  /** Every mismatch, counted; the groups and amounts below cover them all. */
  readonly mismatches_total: number;
  /** The first MAX_LISTED_MISMATCHES of them in start order, call by call. */
  readonly mismatches: readonly Mismatch[];
  readonly groups: readonly GroupTotals[];
  readonly destinations: readonly DestinationTotals[];
  readonly amount_in_question_micros: bigint;
}

export const UNKNOWN_DESTINATION = 'Unknown destination';
/**
 * Mismatches listed call by call, at most: beyond this many the file is plainly not the one the
 * period needs (a wrong period, another side), and the totals by day and destination say so.
 */
export const MAX_LISTED_MISMATCHES = 10_000;

const empty = (): SideTotals => ({ calls: 0, duration_ms: 0, amount_micros: 0n });
const add = (totals: SideTotals, call: { duration_ms: number; amount_micros: bigint }) => {
  totals.calls += 1;
  totals.duration_ms += call.duration_ms;
  totals.amount_micros += call.amount_micros;
};
const abs = (value: bigint) => (value < 0n ? -value : value);

/** A called number as compared: its digits only ("+44 20 7946 0000" → "442079460000"). */
export function numberKey(number: string): string {
  return number.replace(/[^0-9]/g, '');
}

/**
 * Reconciles the two sides. `dayOf` gives the local day (YYYY-MM-DD) of an instant, in the
 * carrier's time zone; `destinationOf` places a call only the carrier has (by its number).
 */
export function reconcile(
  ours: readonly OurCall[], theirs: readonly TheirCall[], tolerances: Tolerances,
  dayOf: (ms: number) => string, destinationOf: (number: string) => { id: string | null; name: string },
): Reconciliation {
  const days = new Map<string, DayTotals>();
  const dayTotals = (day: string) => {
    let totals = days.get(day);
    if (totals === undefined) days.set(day, (totals = { day, ours: empty(), theirs: empty() }));
    return totals;
  };
  for (const call of ours) add(dayTotals(dayOf(call.start_ms)).ours, call);
  for (const call of theirs) add(dayTotals(dayOf(call.start_ms)).theirs, call);

  const pairs = matchCalls(ours, theirs, tolerances);
  const destinations = new Map<string, DestinationTotals>();
  const destinationTotals = (id: string | null, name: string) => {
    const key = `${id ?? ''}\n${name}`;
    let totals = destinations.get(key);
    if (totals === undefined) destinations.set(key, (totals = { destination_id: id, destination_name: name, ours: empty(), theirs: empty(), rate_difference_micros: 0n }));
    return totals;
  };
  const mismatches: Mismatch[] = [];
  const mismatch = (kind: MismatchKind, our: OurCall | null, their: TheirCall | null, destination: { id: string | null; name: string }) => {
    const start_ms = our?.start_ms ?? their!.start_ms;
    mismatches.push({
      kind, day: dayOf(start_ms), destination_id: destination.id, destination_name: destination.name,
      called_number: our?.called_number ?? their!.called_number, start_ms,
      our_call_id: our?.call_id ?? null, their_line: their?.line ?? null,
      our_duration_ms: our?.duration_ms ?? null, their_duration_ms: their?.duration_ms ?? null,
      our_amount_micros: our?.amount_micros ?? null, their_amount_micros: their?.amount_micros ?? null,
      difference_micros: (their?.amount_micros ?? 0n) - (our?.amount_micros ?? 0n),
    });
  };
  for (const [index, our] of ours.entries()) {
    const destination = { id: our.destination_id, name: our.destination_name };
    const totals = destinationTotals(destination.id, destination.name);
    add(totals.ours, our);
    const their = pairs.theirOf.get(index);
    if (their === undefined) {
      mismatch('missing_on_their_side', our, null, destination);
      continue;
    }
    add(totals.theirs, their);
    if (Math.abs(their.duration_ms - our.duration_ms) > tolerances.duration_tolerance_ms) {
      mismatch('duration_difference', our, their, destination);
    } else if (their.amount_micros !== our.amount_micros) {
      totals.rate_difference_micros += their.amount_micros - our.amount_micros;
      mismatch('amount_difference', our, their, destination);
    }
  }
  for (const [index, their] of theirs.entries()) {
    if (pairs.matchedTheirs.has(index)) continue;
    const destination = destinationOf(their.called_number);
    add(destinationTotals(destination.id, destination.name).theirs, their);
    mismatch('missing_on_our_side', null, their, destination);
  }
  mismatches.sort((x, y) => x.start_ms - y.start_ms || x.kind.localeCompare(y.kind));

  const groups = new Map<string, GroupTotals>();
  let amount_in_question_micros = 0n;
  for (const one of mismatches) {
    const key = `${one.day}\n${one.destination_id ?? ''}\n${one.destination_name}`;
    let group = groups.get(key);
    if (group === undefined) {
      groups.set(key, (group = { day: one.day, destination_id: one.destination_id, destination_name: one.destination_name, mismatches: 0, amount_in_question_micros: 0n, difference_micros: 0n }));
    }
    group.mismatches += 1;
    group.amount_in_question_micros += abs(one.difference_micros);
    group.difference_micros += one.difference_micros;
    amount_in_question_micros += abs(one.difference_micros);
  }
  const byDayThenName = <T extends { destination_name: string; day?: string }>(x: T, y: T) =>
    (x.day ?? '').localeCompare(y.day ?? '') || x.destination_name.localeCompare(y.destination_name);
  return {
    days: [...days.values()].sort((x, y) => x.day.localeCompare(y.day)),
    matched_calls: pairs.theirOf.size,
    matched_by_call_id: pairs.byCallId,
    mismatches_total: mismatches.length,
    mismatches: mismatches.slice(0, MAX_LISTED_MISMATCHES),
    groups: [...groups.values()].sort(byDayThenName),
    destinations: [...destinations.values()].sort(byDayThenName),
    amount_in_question_micros,
  };
}

interface Pairs {
  /** Our call's index → their matched call. */
  readonly theirOf: Map<number, TheirCall>;
  readonly matchedTheirs: Set<number>;
  readonly byCallId: number;
}

/** Call-ID first; then, per called number, the nearest start within the tolerances. */
function matchCalls(ours: readonly OurCall[], theirs: readonly TheirCall[], tolerances: Tolerances): Pairs {
  const theirOf = new Map<number, TheirCall>();
  const matchedTheirs = new Set<number>();
  const oursByCallId = new Map<string, number>();
  for (const [index, call] of ours.entries()) oursByCallId.set(call.call_id, index);
  let byCallId = 0;
  for (const [index, their] of theirs.entries()) {
    if (their.call_id === null) continue;
    const ourIndex = oursByCallId.get(their.call_id);
    if (ourIndex === undefined || theirOf.has(ourIndex)) continue;
    theirOf.set(ourIndex, their);
    matchedTheirs.add(index);
    byCallId += 1;
  }
  const oursByNumber = new Map<string, number[]>();
  for (const [index, call] of ours.entries()) {
    if (theirOf.has(index)) continue;
    const key = numberKey(call.called_number);
    const list = oursByNumber.get(key) ?? [];
    list.push(index);
    oursByNumber.set(key, list);
  }
  // In start order, so that only the calls within the start tolerance are looked at: a number
  // called thousands of times (a call centre) costs a search, not a scan.
  for (const list of oursByNumber.values()) list.sort((x, y) => ours[x]!.start_ms - ours[y]!.start_ms);
  // Their calls in start order, so that of two calls to one number close together, the earlier
  // takes the earlier of ours.
  const order = [...theirs.keys()].filter((index) => !matchedTheirs.has(index)).sort((x, y) => theirs[x]!.start_ms - theirs[y]!.start_ms);
  for (const index of order) {
    const their = theirs[index]!;
    const candidates = oursByNumber.get(numberKey(their.called_number));
    if (candidates === undefined) continue;
    let best: number | undefined;
    let bestDistance = Infinity;
    for (let position = firstStartingFrom(candidates, ours, their.start_ms - tolerances.start_tolerance_ms); position < candidates.length; position += 1) {
      const ourIndex = candidates[position]!;
      const our = ours[ourIndex]!;
      if (our.start_ms > their.start_ms + tolerances.start_tolerance_ms) break;
      if (theirOf.has(ourIndex)) continue;
      const distance = Math.abs(our.start_ms - their.start_ms);
      if (Math.abs(our.duration_ms - their.duration_ms) > tolerances.duration_tolerance_ms) continue;
      if (distance < bestDistance) {
        best = ourIndex;
        bestDistance = distance;
      }
    }
    if (best === undefined) continue;
    theirOf.set(best, their);
    matchedTheirs.add(index);
  }
  return { theirOf, matchedTheirs, byCallId };
}

/** The first position in `sorted` (indices of `ours` in start order) whose call starts at or after `start_ms`. */
function firstStartingFrom(sorted: readonly number[], ours: readonly OurCall[], start_ms: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (ours[sorted[middle]!]!.start_ms < start_ms) low = middle + 1;
    else high = middle;
  }
  return low;
}
