/**
 * How big a slice of a buyer's pool a control-plane node leases, and what it holds for each call
 * from it. Pure: no I/O, no clock.
 *
 * A lease lets a node serve first chunks and extensions from memory, so a route decision never
 * waits for PostgreSQL. The slice is sized from the buyer's recent call rate on this node, so a
 * busy buyer's node goes to the database about once per `horizon_s`, not once per call; it is
 * capped at a share of what the pool has left, so other nodes (and other currencies of work) still
 * find credit; and when the pool runs low the slice shrinks to exactly what the waiting call needs,
 * so the last credit of a buyer is never stranded in a lease that cannot use it.
 */

export interface LeaseSizingInput {
  /** What one call's first chunk costs at the dearest of its legs; > 0. */
  readonly first_chunk_micros: bigint;
  /** Calls per second this node set up for the buyer lately (a rate estimate; may be 0). */
  readonly calls_per_s: number;
  /** Seconds of calls one slice should serve before the node comes back for more; >= 1. */
  readonly horizon_s: number;
  /** The fewest first chunks a slice should cover, so a quiet buyer's next calls need no trip. */
  readonly min_calls: number;
  /** The pool's available credit now (limit + collateral + balance − reserved − leased). */
  readonly available_micros: bigint;
  /** What must be covered now (a call waiting for credit); 0 for a top-up ahead of need. */
  readonly needed_micros: bigint;
  /** A slice never takes more than available / pool_share_divisor, unless a call needs it; >= 1. */
  readonly pool_share_divisor: bigint;
}

/**
 * The slice to add to a node's lease: 0 when the pool has nothing left (the caller then refuses
 * with the exact reason), all that is left when that is no more than `needed_micros`, otherwise at
 * least `needed_micros` and never more than `available_micros`.
 */
export function leaseSliceMicros(input: LeaseSizingInput): bigint {
  if (input.first_chunk_micros <= 0n) throw new RangeError(`first_chunk_micros must be positive, got ${input.first_chunk_micros}`);
  if (input.needed_micros < 0n) throw new RangeError(`needed_micros must not be negative, got ${input.needed_micros}`);
  if (input.pool_share_divisor < 1n) throw new RangeError(`pool_share_divisor must be at least 1, got ${input.pool_share_divisor}`);
  if (!Number.isFinite(input.calls_per_s) || input.calls_per_s < 0) throw new RangeError(`calls_per_s must be finite and >= 0, got ${input.calls_per_s}`);
  if (!Number.isSafeInteger(input.horizon_s) || input.horizon_s < 1) throw new RangeError(`horizon_s must be a whole number >= 1, got ${input.horizon_s}`);
  if (!Number.isSafeInteger(input.min_calls) || input.min_calls < 1) throw new RangeError(`min_calls must be a whole number >= 1, got ${input.min_calls}`);
  const available_micros = input.available_micros;
  if (available_micros <= 0n) return 0n;
  // Less left than the waiting call needs: all of it (the caller sees whether it still buys a first increment).
  if (available_micros <= input.needed_micros) return available_micros;
  // Calls expected within the horizon, rounded up (a fraction of a call still needs a whole chunk).
  const expected_calls = BigInt(Math.max(input.min_calls, Math.ceil(input.calls_per_s * input.horizon_s)));
  const wanted_micros = input.first_chunk_micros * expected_calls;
  const share_micros = available_micros / input.pool_share_divisor; // rounds down: never more than the share
  const slice_micros = wanted_micros < share_micros ? wanted_micros : share_micros;
  // Near the bottom of the pool the share is smaller than what the waiting call needs: take exactly
  // that; and a share that rounds to nothing takes the few micro-units left.
  if (slice_micros > input.needed_micros) return slice_micros;
  return input.needed_micros > 0n ? input.needed_micros : available_micros;
}

/**
 * What a node gives back of a lease: everything its calls do not hold, less a reserve kept for the
 * calls it expects next (`keep_micros`), never negative.
 */
export function leaseGiveBackMicros(lease_micros: bigint, held_micros: bigint, keep_micros: bigint): bigint {
  if (held_micros < 0n || keep_micros < 0n) throw new RangeError('held_micros and keep_micros must not be negative');
  if (held_micros > lease_micros) throw new Error(`credit invariant broken: calls hold ${held_micros} micros of a lease of ${lease_micros}`);
  const free_micros = lease_micros - held_micros;
  return free_micros > keep_micros ? free_micros - keep_micros : 0n;
}
