/**
 * Rating: how much a call costs. The one function that both the billing of a finished call and
 * the credit reserved for a live call use, so that what was reserved and what is charged agree.
 *
 * Rules:
 * - A call that was never answered (duration `null`) bills 0 seconds and 0 micros, and no connect
 *   fee: nobody carried a conversation.
 * - An answered call bills its first increment in full, even when it lasted 0 ms, then the rest of
 *   its duration rounded up to the next whole `next_increment_s`:
 *   `billed_s = first` when `duration_ms <= first * 1000`, otherwise
 *   `billed_s = first + ceil((duration_ms - first * 1000) / (next * 1000)) * next`.
 *   Durations are whole milliseconds (bigint); no float is ever involved.
 * - The charge for the billed seconds is `ceil(price_per_minute_micros * billed_s / 60)`. This is
 *   the only rounding step, and it rounds up to the next micro-unit: the exchange pays sellers and
 *   collects from buyers in whole micro-units, and rounding each charge up means no charge ever
 *   falls short of its exact price, so the exchange never under-collects (rounding down would lose
 *   up to one micro-unit on every call, a loss nobody recovers). The error is below one micro-unit
 *   per charge.
 * - The amount of a call is `connect_fee_micros + charge`.
 * - On a trade, the seller is paid the call's amount at the trade's tariff (connect fee included),
 *   the exchange's fee is the charge for the same billed seconds at the fee per minute (0 when the
 *   call was not answered), the buyer's risk premium is `premium_bps` basis points of the trade
 *   price for the same billed seconds, `ceil(price_per_minute_micros * billed_s * premium_bps /
 *   600_000)` (its one rounding, upward like the others; the connect fee carries no premium), and
 *   the buyer pays all three: buyer = seller + fee + premium.
 *
 * Input that breaks these preconditions (non-positive increments, negative prices or durations) is
 * a bug in the caller, since parsing rejects it at the edge: it throws a RangeError.
 */

export interface Tariff {
  /** The price of one minute, in micro-units of the currency; > 0. */
  readonly price_per_minute_micros: bigint;
  /** The first billing increment in whole seconds; > 0 (e.g. 60, 30, 1). */
  readonly first_increment_s: number;
  /** Every later billing increment in whole seconds; > 0 (e.g. 60, 6, 1). */
  readonly next_increment_s: number;
  /** Charged once per answered call, in micro-units; >= 0. */
  readonly connect_fee_micros: bigint;
  /**
   * The buyer's risk premium on this trade price, in basis points (0 to 10,000), from its credit
   * grade; absent means 0. The seller's amount never depends on it.
   */
  readonly premium_bps?: number;
}

export interface RatedCall {
  billed_s: number;
  seller_amount_micros: bigint;
  fee_amount_micros: bigint;
  /** The buyer's risk premium, kept by the exchange on an account of its own. */
  premium_amount_micros: bigint;
  buyer_amount_micros: bigint;
}

/** Basis points in one whole. */
const BASIS_POINTS = 10_000n;
/** The largest premium a grade may carry: the whole price again. */
export const MAX_PREMIUM_BPS = 10_000;

/**
 * The longest duration `maxDurationMsWithin` returns: 24 hours. Beyond it no call is allowed to
 * run on a single reservation, whatever the budget, so that a huge budget cannot ask for an
 * unbounded duration.
 */
export const MAX_RATED_DURATION_MS = 86_400_000n;

const MILLISECONDS_PER_SECOND = 1000n;
const SECONDS_PER_MINUTE = 60n;

function assertIncrement(name: string, increment_s: number): void {
  if (!Number.isSafeInteger(increment_s) || increment_s <= 0) {
    throw new RangeError(`${name} must be a positive whole number of seconds, got ${increment_s}`);
  }
}

function assertNotNegative(name: string, value: bigint): void {
  if (value < 0n) throw new RangeError(`${name} must not be negative, got ${value}`);
}

function assertTariff(tariff: Tariff): void {
  if (tariff.price_per_minute_micros <= 0n) {
    throw new RangeError(`price_per_minute_micros must be positive, got ${tariff.price_per_minute_micros}`);
  }
  assertIncrement('first_increment_s', tariff.first_increment_s);
  assertIncrement('next_increment_s', tariff.next_increment_s);
  assertNotNegative('connect_fee_micros', tariff.connect_fee_micros);
}

/** Integer division of non-negative bigints, rounding up. */
function divideRoundingUp(dividend: bigint, divisor: bigint): bigint {
  return (dividend + divisor - 1n) / divisor;
}

/** The seconds an answered call of `duration_ms` bills: see the rules at the top of this file. */
export function billedSeconds(duration_ms: bigint, first_increment_s: number, next_increment_s: number): number {
  assertIncrement('first_increment_s', first_increment_s);
  assertIncrement('next_increment_s', next_increment_s);
  assertNotNegative('duration_ms', duration_ms);
  const first_ms = BigInt(first_increment_s) * MILLISECONDS_PER_SECOND;
  if (duration_ms <= first_ms) return first_increment_s;
  const next_ms = BigInt(next_increment_s) * MILLISECONDS_PER_SECOND;
  const next_count = divideRoundingUp(duration_ms - first_ms, next_ms);
  const billed_s = BigInt(first_increment_s) + next_count * BigInt(next_increment_s);
  if (billed_s > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`duration_ms ${duration_ms} is out of range`);
  return Number(billed_s);
}

/**
 * `ceil(price_per_minute_micros * billed_s / 60)`: the single rounding step of rating, upward to
 * the next micro-unit so that the exchange never under-collects.
 */
export function chargeMicros(price_per_minute_micros: bigint, billed_s: number): bigint {
  assertNotNegative('price_per_minute_micros', price_per_minute_micros);
  if (!Number.isSafeInteger(billed_s) || billed_s < 0) {
    throw new RangeError(`billed_s must be a whole number of seconds >= 0, got ${billed_s}`);
  }
  return divideRoundingUp(price_per_minute_micros * BigInt(billed_s), SECONDS_PER_MINUTE);
}

/** The amount of one call at `tariff`; `duration_ms` is null when the call was never answered. */
export function rateCall(tariff: Tariff, duration_ms: bigint | null): { billed_s: number; amount_micros: bigint } {
  assertTariff(tariff);
  if (duration_ms === null) return { billed_s: 0, amount_micros: 0n };
  const billed_s = billedSeconds(duration_ms, tariff.first_increment_s, tariff.next_increment_s);
  return { billed_s, amount_micros: tariff.connect_fee_micros + chargeMicros(tariff.price_per_minute_micros, billed_s) };
}

/**
 * `ceil(price_per_minute_micros * billed_s * premium_bps / 600_000)`: the risk premium for the
 * billed seconds, rounded once, upward.
 */
export function premiumMicros(price_per_minute_micros: bigint, billed_s: number, premium_bps: number): bigint {
  assertNotNegative('price_per_minute_micros', price_per_minute_micros);
  if (!Number.isSafeInteger(premium_bps) || premium_bps < 0 || premium_bps > MAX_PREMIUM_BPS) {
    throw new RangeError(`premium_bps must be a whole number from 0 to ${MAX_PREMIUM_BPS}, got ${premium_bps}`);
  }
  if (!Number.isSafeInteger(billed_s) || billed_s < 0) throw new RangeError(`billed_s must be a whole number of seconds >= 0, got ${billed_s}`);
  return divideRoundingUp(price_per_minute_micros * BigInt(billed_s) * BigInt(premium_bps), SECONDS_PER_MINUTE * BASIS_POINTS);
}

/** What the buyer pays, the seller earns and the exchange keeps (fee and premium) for one call on a trade. */
export function rateTradeCall(tariff: Tariff, exchange_fee_per_minute_micros: bigint, duration_ms: bigint | null): RatedCall {
  assertNotNegative('exchange_fee_per_minute_micros', exchange_fee_per_minute_micros);
  const seller = rateCall(tariff, duration_ms);
  const fee_amount_micros = duration_ms === null ? 0n : chargeMicros(exchange_fee_per_minute_micros, seller.billed_s);
  const premium_amount_micros = duration_ms === null ? 0n : premiumMicros(tariff.price_per_minute_micros, seller.billed_s, tariff.premium_bps ?? 0);
  const buyer_amount_micros = seller.amount_micros + fee_amount_micros + premium_amount_micros;
  if (buyer_amount_micros < 0n) throw new Error('rating invariant broken: the buyer must pay exactly the seller plus the fee and the premium');
  return { billed_s: seller.billed_s, seller_amount_micros: seller.amount_micros, fee_amount_micros, premium_amount_micros, buyer_amount_micros };
}

/**
 * The longest duration, in whole milliseconds, whose `rateCall` amount is at most
 * `budget_micros`, capped at MAX_RATED_DURATION_MS; null when not even the first increment plus
 * the connect fee fits. Credit control uses it to know how long a call may run on the money it
 * reserved, so it is exact: a call of the returned length costs no more than the budget, and one
 * millisecond more costs more (unless the cap was reached).
 *
 * Why it is exact: `ceil(x) <= n` holds for a whole number n exactly when `x <= n`, so the charge
 * for s seconds fits in `room = budget - connect fee` exactly when `price * s <= 60 * room`, that
 * is when `s <= floor(60 * room / price)`. The billed seconds only take the values
 * `first + k * next`, and the longest call that bills `first + k * next` seconds lasts exactly
 * `(first + k * next) * 1000` ms; one millisecond more bills another increment.
 */
export function maxDurationMsWithin(tariff: Tariff, budget_micros: bigint): bigint | null {
  assertTariff(tariff);
  const room_micros = budget_micros - tariff.connect_fee_micros;
  if (room_micros < 0n) return null;
  // Rounds down: the most whole seconds whose exact price fits in the room.
  const affordable_s = (room_micros * SECONDS_PER_MINUTE) / tariff.price_per_minute_micros;
  const first_s = BigInt(tariff.first_increment_s);
  if (affordable_s < first_s) return null;
  const next_s = BigInt(tariff.next_increment_s);
  // Rounds down: only whole next increments are billed.
  const next_count = (affordable_s - first_s) / next_s;
  const duration_ms = (first_s + next_count * next_s) * MILLISECONDS_PER_SECOND;
  return duration_ms < MAX_RATED_DURATION_MS ? duration_ms : MAX_RATED_DURATION_MS;
}
