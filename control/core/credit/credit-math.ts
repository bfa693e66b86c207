/**
 * Credit arithmetic for calls in progress: how much a buyer may still spend, what a call costs
 * before we know which seller answers, how long a reservation lets it run, and how much to reserve
 * at setup and at each extension. Pure: no I/O, no clock.
 *
 * Units, the same everywhere in credit control:
 * - money is a bigint count of micro-units of the currency (`_micros`);
 * - durations and instants are bigint milliseconds (`_ms`), like `duration_ms` in rating.ts;
 * - chunk lengths are whole seconds held in a number (`_s`), like billing increments.
 *
 * The cost of a call is rated with billing's own `rateTradeCall`, so what is reserved and what is
 * charged come from the same function and cannot drift apart.
 *
 * Refusals (`CreditRefusal`), the reason codes a caller maps to a SIP reply or an API error:
 * - `no_credit`: the buyer has no credit line at all: no limit, no valid collateral and no
 *   positive ledger balance (nothing prepaid, nothing owed to it). It can buy nothing.
 * - `credit_limit_reached`: the buyer has a credit line but nothing of it is left: what it owes
 *   and what its calls in progress hold take all of it (available credit <= 0).
 * - `insufficient_credit`: some credit is left, but not enough for the smallest reservation a
 *   call may start on (see `minimumCoveredMs`), or, for an extension, not enough to add any time.
 */
import { MAX_RATED_DURATION_MS, rateTradeCall, type Tariff } from '../../../billing/core/rating.ts';

/** Default length of one reservation chunk: a minute of talk. */
export const DEFAULT_CHUNK_S = 60;
/** Longest chunk accepted: the longest duration rating covers on one reservation (24 hours). */
export const MAX_CHUNK_S = Number(MAX_RATED_DURATION_MS / 1000n);
/**
 * Default switch slack: the switch's own backstop timer ticks once a second, so a timeout of T
 * seconds fires somewhere in (T - 1, T + 1) s after it is set. Setting T = ceil(remaining) + 1
 * makes it fire after the planned end and less than 3 s past it; every reservation pays for those
 * 3 s, so the backstop never ends a call beyond what was reserved.
 */
export const DEFAULT_SLACK_MS = 3_000n;

const MILLISECONDS_PER_SECOND = 1000n;

export type CreditRefusal = 'no_credit' | 'credit_limit_reached' | 'insufficient_credit';

/** A buyer's credit in one currency, every amount seen from the buyer's side. */
export interface CreditPosition {
  /** The unsecured credit limit the exchange grants; >= 0. */
  readonly limit_micros: bigint;
  /** Deposits and letters of credit on file that are active and still valid; >= 0. */
  readonly collateral_micros: bigint;
  /**
   * The buyer's ledger balance from its own side: positive when the exchange owes it (prepaid
   * cash, payables as a seller), negative when it owes the exchange (receivables).
   */
  readonly balance_micros: bigint;
  /** What its open reservations hold for calls in progress; >= 0. */
  readonly reserved_micros: bigint;
}

/** What a call may cost: the trades it may be routed to and the exchange's fee on top. */
export interface CallPricing {
  /** Every trade the call may end up on; at least one. */
  readonly legs: readonly Tariff[];
  /** The exchange fee per minute the buyer pays on top of the trade price; >= 0. */
  readonly fee_per_minute_micros: bigint;
}

export type FirstReservation =
  | { readonly ok: true; readonly amount_micros: bigint; readonly planned_end_ms: bigint }
  | { readonly ok: false; readonly reason: CreditRefusal };

function assertNotNegative(name: string, value: bigint): void {
  if (value < 0n) throw new RangeError(`${name} must not be negative, got ${value}`);
}

/** A chunk is a whole number of seconds from 1 to MAX_CHUNK_S. */
export function assertChunk(chunk_s: number): void {
  if (!Number.isSafeInteger(chunk_s) || chunk_s < 1 || chunk_s > MAX_CHUNK_S) {
    throw new RangeError(`chunk_s must be a whole number of seconds from 1 to ${MAX_CHUNK_S}, got ${chunk_s}`);
  }
}

/** The slack is from 0 to below the longest rated duration. */
export function assertSlack(slack_ms: bigint): void {
  if (slack_ms < 0n || slack_ms >= MAX_RATED_DURATION_MS) {
    throw new RangeError(`slack_ms must be from 0 to below ${MAX_RATED_DURATION_MS}, got ${slack_ms}`);
  }
}

function assertPricing(pricing: CallPricing): void {
  if (pricing.legs.length === 0) throw new RangeError('a call needs at least one leg to be priced');
  assertNotNegative('fee_per_minute_micros', pricing.fee_per_minute_micros);
}

function smaller(left: bigint, right: bigint): bigint {
  return left < right ? left : right;
}

function larger(left: bigint, right: bigint): bigint {
  return left > right ? left : right;
}

/**
 * limit + collateral + balance − reserved. It may be negative (a lowered limit, or charges beyond
 * what was reserved): then nothing more can be reserved.
 */
export function availableCreditMicros(position: CreditPosition): bigint {
  assertNotNegative('limit_micros', position.limit_micros);
  assertNotNegative('collateral_micros', position.collateral_micros);
  assertNotNegative('reserved_micros', position.reserved_micros);
  return position.limit_micros + position.collateral_micros + position.balance_micros - position.reserved_micros;
}

/**
 * What an answered call of `duration_ms` costs the buyer, whichever of its legs carries it: the
 * largest buyer amount over the legs, since the seller that answers is not known in advance.
 */
export function callCostMicros(pricing: CallPricing, duration_ms: bigint): bigint {
  assertPricing(pricing);
  let cost_micros = 0n;
  for (const leg of pricing.legs) {
    cost_micros = larger(cost_micros, rateTradeCall(leg, pricing.fee_per_minute_micros, duration_ms).buyer_amount_micros);
  }
  return cost_micros;
}

/**
 * The longest answered duration, in whole milliseconds, whose buyer amount on `leg` (the trade
 * price, its connect fee and the exchange fee) is at most `budget_micros`, capped at
 * MAX_RATED_DURATION_MS; null when not even the first increment fits.
 *
 * The exchange fee is rounded up on its own (see rating.ts), so the closed form of
 * `maxDurationMsWithin` does not apply to the sum. A binary search over milliseconds does, and is
 * exact because the buyer amount never falls as the duration grows: it keeps the invariant
 * cost(fits_ms) <= budget < cost(exceeds_ms) until the two are one millisecond apart. It takes
 * about 27 ratings (log2 of 86,400,000).
 */
export function maxBuyerDurationMsWithin(leg: Tariff, fee_per_minute_micros: bigint, budget_micros: bigint): bigint | null {
  const cost = (duration_ms: bigint): bigint => rateTradeCall(leg, fee_per_minute_micros, duration_ms).buyer_amount_micros;
  if (cost(0n) > budget_micros) return null;
  if (cost(MAX_RATED_DURATION_MS) <= budget_micros) return MAX_RATED_DURATION_MS;
  let fits_ms = 0n;
  let exceeds_ms = MAX_RATED_DURATION_MS;
  while (exceeds_ms - fits_ms > 1n) {
    // Rounds down; any point strictly between the two bounds keeps the search correct.
    const middle_ms = (fits_ms + exceeds_ms) / 2n;
    if (cost(middle_ms) <= budget_micros) fits_ms = middle_ms;
    else exceeds_ms = middle_ms;
  }
  return fits_ms;
}

/**
 * The longest duration `budget_micros` pays for on every leg (the shortest of the legs' own
 * maxima); null when some leg's first increment does not fit.
 */
export function maxCoveredDurationMs(pricing: CallPricing, budget_micros: bigint): bigint | null {
  assertPricing(pricing);
  let covered_ms: bigint | null = MAX_RATED_DURATION_MS;
  for (const leg of pricing.legs) {
    const leg_ms = maxBuyerDurationMsWithin(leg, pricing.fee_per_minute_micros, budget_micros);
    if (leg_ms === null) return null;
    covered_ms = smaller(covered_ms, leg_ms);
  }
  return covered_ms;
}

/**
 * The least a reservation must cover for a call to be set up: the longest first increment among
 * the legs (which the call pays in full however short it is) plus the switch slack.
 */
export function minimumCoveredMs(pricing: CallPricing, slack_ms: bigint): bigint {
  assertPricing(pricing);
  assertSlack(slack_ms);
  let first_increment_ms = 0n;
  for (const leg of pricing.legs) first_increment_ms = larger(first_increment_ms, BigInt(leg.first_increment_s) * MILLISECONDS_PER_SECOND);
  return first_increment_ms + slack_ms;
}

/**
 * How long after the answer a call held by `reserved_micros` may run: the covered duration minus
 * the switch slack, so that a backstop firing up to `slack_ms` late is still paid for. Null when
 * the reservation does not cover `minimumCoveredMs`.
 */
export function plannedEndMs(pricing: CallPricing, reserved_micros: bigint, slack_ms: bigint): bigint | null {
  const minimum_ms = minimumCoveredMs(pricing, slack_ms);
  const covered_ms = maxCoveredDurationMs(pricing, reserved_micros);
  if (covered_ms === null || covered_ms < minimum_ms) return null;
  return covered_ms - slack_ms;
}

/** Why a buyer with `available_micros` left cannot have what it asked for. */
export function refusalFor(position: CreditPosition, available_micros: bigint): CreditRefusal {
  const has_credit_line = position.limit_micros > 0n || position.collateral_micros > 0n || position.balance_micros > 0n;
  if (!has_credit_line) return 'no_credit';
  if (available_micros <= 0n) return 'credit_limit_reached';
  return 'insufficient_credit';
}

export interface FirstReservationInput {
  readonly pricing: CallPricing;
  /** The buyer's credit before this call; its reserved amount counts every other open call. */
  readonly position: CreditPosition;
  readonly chunk_s: number;
  readonly slack_ms: bigint;
}

/**
 * The reservation a call is set up on: the cost of one chunk (at least `minimumCoveredMs`), or,
 * when less is available, as much time as what is available pays for, provided it still covers
 * that minimum. The amount is always the cost of exactly the duration it covers, never a
 * micro-unit more, so no credit is held that buys no time.
 */
export function firstReservation(input: FirstReservationInput): FirstReservation {
  const { pricing, position, slack_ms } = input;
  assertChunk(input.chunk_s);
  const minimum_ms = minimumCoveredMs(pricing, slack_ms);
  const wanted_ms = smaller(larger(BigInt(input.chunk_s) * MILLISECONDS_PER_SECOND, minimum_ms), MAX_RATED_DURATION_MS);
  const available_micros = availableCreditMicros(position);
  const budget_micros = smaller(callCostMicros(pricing, wanted_ms), available_micros);
  const covered_ms = budget_micros > 0n ? maxCoveredDurationMs(pricing, budget_micros) : null;
  if (covered_ms === null || covered_ms < minimum_ms) return { ok: false, reason: refusalFor(position, available_micros) };
  const amount_micros = callCostMicros(pricing, covered_ms);
  if (amount_micros > available_micros) throw new Error('credit invariant broken: a first reservation exceeds the available credit');
  return { ok: true, amount_micros, planned_end_ms: covered_ms - slack_ms };
}

export interface ExtensionInput {
  readonly pricing: CallPricing;
  /** What the call's reservation holds now. */
  readonly reserved_micros: bigint;
  /** The buyer's credit now; its reserved amount includes this call's reservation. */
  readonly position: CreditPosition;
  readonly chunk_s: number;
}

/**
 * How much to add to a call's reservation so that it covers another chunk, or as much more time
 * as the available credit pays for; 0 when it cannot cover a single millisecond more (credit
 * exhausted, or the reservation already covers MAX_RATED_DURATION_MS). The new total is always
 * the cost of exactly the duration it covers.
 */
export function extensionAmount(input: ExtensionInput): bigint {
  const { pricing, reserved_micros } = input;
  assertChunk(input.chunk_s);
  const covered_ms = maxCoveredDurationMs(pricing, reserved_micros);
  if (covered_ms === null) throw new RangeError(`a reservation of ${reserved_micros} micros does not cover a first increment`);
  if (covered_ms >= MAX_RATED_DURATION_MS) return 0n;
  const wanted_ms = smaller(covered_ms + BigInt(input.chunk_s) * MILLISECONDS_PER_SECOND, MAX_RATED_DURATION_MS);
  const available_micros = availableCreditMicros(input.position);
  const affordable_total_micros = reserved_micros + larger(available_micros, 0n);
  const budget_total_micros = smaller(callCostMicros(pricing, wanted_ms), affordable_total_micros);
  const new_covered_ms = maxCoveredDurationMs(pricing, budget_total_micros);
  if (new_covered_ms === null || new_covered_ms <= covered_ms) return 0n;
  const added_micros = callCostMicros(pricing, new_covered_ms) - reserved_micros;
  // Covering more time than `reserved_micros` pays for costs more than it: some leg stops at
  // `covered_ms` because one millisecond more on it costs more than `reserved_micros`, and the
  // call's cost is the largest over the legs. It never costs more than the budget, which is at
  // most what is available on top of the reservation.
  if (added_micros <= 0n || added_micros > available_micros) {
    throw new Error(`credit invariant broken: an extension would add ${added_micros} of ${available_micros} available`);
  }
  return added_micros;
}
