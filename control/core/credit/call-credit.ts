/**
 * The credit of ONE answered call over time: when to extend its reservation and when to cut it.
 * It keeps no timers and reads no clock: every question carries the current time, so the code that
 * owns the timers (and a test stepping through a three-hour call in milliseconds) decides what
 * "now" is.
 *
 *                extensionStarted              extensionFailed
 *   covered ─────────────────────▶ extending ─────────────────▶ exhausted
 *      ▲                               │                            │
 *      └────────── extended ───────────┘                            │ (cut, hang-up)
 *                                                                   ▼
 *   (any phase) ───────────────────── ended ──────────────────────▶ ended
 *
 * covered: the reservation pays up to the planned end; an extension is due `lead_ms` before it.
 * extending: an extension was asked for and has not answered; the cut at the planned end stands
 * as a backstop, so a slow database can never let the call run unpaid. exhausted: an extension
 * failed; the call is cut at its planned end. ended: the call is over; nothing more to do.
 *
 * All instants are bigint milliseconds on the caller's clock; `planned_end_ms` durations count
 * from the answer, as `firstReservation` and the store return them.
 */

export type CallCreditPhase = 'covered' | 'extending' | 'exhausted' | 'ended';

/**
 * What the owner of the timers should do next. `at_ms` may be at or before the `now_ms` it was
 * asked with: then it is due at once.
 */
export type CreditAction =
  | { readonly kind: 'extend'; readonly at_ms: bigint }
  | { readonly kind: 'cut'; readonly at_ms: bigint }
  | { readonly kind: 'none' };

/** Never extend later than this before the planned end, whatever the chunk: a database round trip must fit. */
export const MIN_LEAD_MS = 10_000n;

/** The default lead: max(10 s, half a chunk); half a chunk rounds down to the millisecond. */
export function defaultLeadMs(chunk_s: number): bigint {
  if (!Number.isSafeInteger(chunk_s) || chunk_s < 1) throw new RangeError(`chunk_s must be a positive whole number, got ${chunk_s}`);
  const half_chunk_ms = (BigInt(chunk_s) * 1000n) / 2n;
  return half_chunk_ms > MIN_LEAD_MS ? half_chunk_ms : MIN_LEAD_MS;
}

export interface CallCreditInput {
  /** When the call was answered. */
  readonly answer_at_ms: bigint;
  /** How long after the answer the reservation lets the call run; >= 0. */
  readonly planned_end_ms: bigint;
  /** How long before the planned end to extend; > 0 (see `defaultLeadMs`). */
  readonly lead_ms: bigint;
}

export class CallCredit {
  private currentPhase: CallCreditPhase = 'covered';
  private plannedEndMs: bigint;
  private readonly answerAtMs: bigint;
  private readonly leadMs: bigint;
  private extensionCount = 0;

  constructor(input: CallCreditInput) {
    if (input.planned_end_ms < 0n) throw new RangeError(`planned_end_ms must not be negative, got ${input.planned_end_ms}`);
    if (input.lead_ms <= 0n) throw new RangeError(`lead_ms must be positive, got ${input.lead_ms}`);
    this.answerAtMs = input.answer_at_ms;
    this.plannedEndMs = input.planned_end_ms;
    this.leadMs = input.lead_ms;
  }

  get phase(): CallCreditPhase {
    return this.currentPhase;
  }

  /** The instant the call must be cut unless the reservation is extended first. */
  get cutAtMs(): bigint {
    return this.answerAtMs + this.plannedEndMs;
  }

  /** How long after the answer the call may run now (what the switch's own timer should allow). */
  get plannedEndAfterAnswerMs(): bigint {
    return this.plannedEndMs;
  }

  /** How many extensions succeeded. */
  get extensions(): number {
    return this.extensionCount;
  }

  nextAction(now_ms: bigint): CreditAction {
    switch (this.currentPhase) {
      case 'ended':
        return { kind: 'none' };
      case 'extending':
      case 'exhausted':
        return { kind: 'cut', at_ms: this.cutAtMs };
      case 'covered': {
        // Past the planned end with no extension asked for: the owner missed its moment, and the
        // only safe move left is the cut.
        if (now_ms >= this.cutAtMs) return { kind: 'cut', at_ms: this.cutAtMs };
        const extend_at_ms = this.cutAtMs - this.leadMs;
        return { kind: 'extend', at_ms: extend_at_ms > this.answerAtMs ? extend_at_ms : this.answerAtMs };
      }
    }
  }

  /** An extension was sent to the store; until it answers, the cut at the planned end stands. */
  extensionStarted(): void {
    if (this.currentPhase === 'covered') this.currentPhase = 'extending';
  }

  /**
   * The store extended the reservation: the call may now run to `new_planned_end_ms` after the
   * answer. Ignored once the call has ended or an extension has failed (for instance one that the
   * owner gave up waiting for and that succeeded later): the cut stands, and the extra credit is
   * released when the call is settled.
   */
  extended(new_planned_end_ms: bigint): void {
    if (this.currentPhase === 'ended' || this.currentPhase === 'exhausted') return;
    if (new_planned_end_ms <= this.plannedEndMs) {
      throw new RangeError(`an extension must move the planned end later: ${new_planned_end_ms} <= ${this.plannedEndMs}`);
    }
    this.plannedEndMs = new_planned_end_ms;
    this.extensionCount += 1;
    this.currentPhase = 'covered';
  }

  /** The store could add nothing: the call is cut at its planned end. */
  extensionFailed(): void {
    if (this.currentPhase === 'ended') return;
    this.currentPhase = 'exhausted';
  }

  /** The call is over (cut, or hung up by either side). */
  ended(): void {
    this.currentPhase = 'ended';
  }
}
