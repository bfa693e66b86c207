/**
 * Credit control during calls: reserves before the route answer, extends ahead of time while a
 * call is up, and cuts the call (BYE both ways) at the last reserved moment when an extension
 * fails. The money decisions are CreditStore's (PostgreSQL); the timing is CallCredit's (pure);
 * this class owns the timers and talks to the switch.
 *
 * The switch's own timer backs every call up: its timeout is set to ceil(planned end) + 1 s after
 * the answer (and moved with every extension), so it fires after the planned end and less than 3 s
 * past it, which the reservation's slack pays for. A call therefore never runs unpaid, even when this process is gone.
 */
import { Subject } from 'rxjs';
import { withDeadline } from '../../common/deadline.ts';
import type { Logger } from '../../common/logger.ts';
import { rateTradeCall, type Tariff } from '../../billing/core/rating.ts';
import type { DialogRef } from '../../switch/events.ts';
import { CallCredit, defaultLeadMs } from '../core/credit/call-credit.ts';
import type { CdrRecord, LiveCall } from '../core/cdr.ts';
import { extensionAmount, firstReservation, plannedEndMs, type CallPricing, type CreditPosition } from '../core/credit/credit-math.ts';
import type { Leg } from '../core/routing.ts';
import type { CreditLeases } from './credit-leases.ts';
import type { CreditStore, ExtendResult, ReserveRefusal } from './credit-store.ts';
import type { ReservationJournal } from './reservation-journal.ts';
import type { DecidedCall } from './write-ahead.ts';

export interface SwitchCommands {
  setCallTimeout(dialog: DialogRef, timeout_s: number): boolean;
  endCall(call_id: string, dialog: DialogRef, reason: string): boolean;
}

export interface CreditSettings {
  /** Seconds of talk each reservation chunk covers. */
  readonly chunkS: number;
  /** Extra time every reservation pays for, so the switch's backstop timer never overshoots, ms. */
  readonly slackMs: bigint;
  readonly exchangeFeePerMinuteMicros: bigint;
  /** Upper bound of any call, s (the switch's default timeout). */
  readonly maxCallDurationS: number;
  /** This node's id, written with every reservation it serves. */
  readonly nodeId: string;
  /** The longest a route decision waits for a credit slice from PostgreSQL before failing closed, ms. */
  readonly waitForCreditMs: number;
}

/** `control_plane_busy`: PostgreSQL did not grant a slice in time, or the reservation journal is full. */
export type ReservationRefusal = ReserveRefusal | 'control_plane_busy';

/** How many times a setup waits for a slice and tries to hold its chunk again before giving up. */
const MAX_HOLD_ATTEMPTS = 4;

/** A position no chunk can exhaust: prices a whole chunk as if credit were unlimited. */
const PLENTY: CreditPosition = { limit_micros: 9_000_000_000_000_000_000n, collateral_micros: 0n, balance_micros: 0n, reserved_micros: 0n };

/** What the controller knows of a call's credit from its reservation until it is over. */
interface CallTerms {
  readonly carrier_id: string;
  readonly currency: string;
  readonly pricing: CallPricing;
  readonly trade_ids: readonly string[];
  /** True when its reservation is served from this node's lease; false for one adopted after a restart. */
  readonly leased: boolean;
  readonly first_chunk_micros: bigint;
  reserved_micros: bigint;
  planned_end_ms: bigint;
  /** Credit control has followed it since its answer (set once: a cut call is not followed again). */
  followed: boolean;
}

export type ReservationOutcome =
  | { readonly ok: true; readonly max_duration_s: number; readonly planned_end_ms: bigint }
  | { readonly ok: false; readonly reason: ReservationRefusal };

interface Followed {
  readonly credit: CallCredit;
  readonly call: LiveCall;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The switch's timeout, in seconds from now, for a call `elapsed_ms` after its answer whose planned
 * end is `planned_end_ms` after the answer. The dialog timer ticks once a second, so a timeout of
 * T fires in (T - 1, T + 1) s: T = ceil(remaining) + 1 fires after the planned end (the precise cut
 * is ours) and less than 3 s past it, which the reservation's slack pays for.
 */
export function backstopTimeoutS(planned_end_ms: bigint, elapsed_ms: bigint, maxCallDurationS: number): number {
  const remaining_ms = planned_end_ms > elapsed_ms ? planned_end_ms - elapsed_ms : 0n;
  const timeout_s = Number((remaining_ms + 999n) / 1000n) + 1;
  return Math.min(timeout_s, maxCallDurationS);
}

/** A cutoff as it happened: when the reservation ran out and when the command left for the switch. */
export interface Cutoff {
  readonly call_id: string;
  readonly reserved_end_ms: bigint;
  readonly commanded_at_ms: bigint;
  readonly sent: boolean;
}

export class CreditController {
  private readonly followed = new Map<string, Followed>();
  /** Every cutoff, for the live view and the cutoff benchmark. */
  readonly cutoffs = new Subject<Cutoff>();

  /** Credit terms of every call reserved here and not over yet. */
  private readonly terms = new Map<string, CallTerms>();
  private premiums: ((buyer_id: string) => number) | undefined;
  private refusedCredit: ((buyer_id: string) => boolean) | undefined;

  constructor(
    private readonly store: CreditStore,
    private readonly leases: CreditLeases,
    private readonly journal: ReservationJournal,
    private readonly commands: SwitchCommands,
    private readonly settings: CreditSettings,
    private readonly log: Logger,
    private readonly clock: () => bigint = () => BigInt(Date.now()),
  ) {}

  /**
   * Reserves the first chunk for a call about to be routed on `legs`, from this node's lease in
   * memory; PostgreSQL is asked only when the lease is short (and then for at most
   * `waitForCreditMs`). The reservation's row is written after the answer, with others.
   */
  async reserve(call_id: string, buyer_id: string, legs: readonly Leg[], call?: DecidedCall, premium_bps = 0): Promise<ReservationOutcome> {
    if (this.journal.full) return { ok: false, reason: 'control_plane_busy' };
    const currency = legs[0]!.trade.currency;
    // The buyer's risk premium is priced into every leg, so it is reserved like the rest of the price.
    const tariffs: Tariff[] = legs.map(({ trade }) => (premium_bps > 0 ? { ...trade, premium_bps } : trade));
    const pricing: CallPricing = { legs: tariffs, fee_per_minute_micros: this.settings.exchangeFeePerMinuteMicros };
    const chunk = { chunk_s: this.settings.chunkS, slack_ms: this.settings.slackMs };
    const whole = firstReservation({ pricing, position: PLENTY, ...chunk });
    if (!whole.ok) return whole;
    let decision = whole;
    const deadline_ms = Date.now() + this.settings.waitForCreditMs;
    let lease_id = this.leases.hold(call_id, buyer_id, currency, whole.amount_micros, whole.amount_micros);
    // Short: wait for a slice, then try again (other calls may take it first, so a few times).
    for (let attempt = 0; lease_id === null && attempt < MAX_HOLD_ATTEMPTS; attempt += 1) {
      const ensured = await withDeadline(this.leases.ensureFree(buyer_id, currency, whole.amount_micros, whole.amount_micros), deadline_ms - Date.now());
      if (ensured === undefined) return { ok: false, reason: 'control_plane_busy' };
      if (ensured.ok) {
        lease_id = this.leases.tryHold(call_id, buyer_id, currency, whole.amount_micros);
        continue;
      }
      // Near the bottom of the pool the lease may cover less than a whole chunk: as much time as it pays for.
      const free_micros = this.leases.free(buyer_id, currency);
      const partial = firstReservation({ pricing, position: { ...PLENTY, limit_micros: free_micros > 0n ? free_micros : 0n }, ...chunk });
      // Some credit left (in the pool or in this lease) that buys no first increment: insufficient;
      // none at all: the pool's own reason.
      if (!partial.ok) return { ok: false, reason: free_micros > 0n ? 'insufficient_credit' : ensured.reason };
      decision = partial;
      lease_id = this.leases.tryHold(call_id, buyer_id, currency, partial.amount_micros);
      if (lease_id === null) return { ok: false, reason: 'insufficient_credit' };
    }
    if (lease_id === null) return { ok: false, reason: 'control_plane_busy' };
    this.terms.set(call_id, {
      carrier_id: buyer_id, currency, pricing, trade_ids: legs.map(({ trade }) => trade.id), leased: true, first_chunk_micros: whole.amount_micros,
      reserved_micros: decision.amount_micros, planned_end_ms: decision.planned_end_ms, followed: false,
    });
    this.journal.insert({
      call_id, node_id: this.settings.nodeId, lease_id, carrier_id: buyer_id, currency, amount_micros: decision.amount_micros,
      planned_end_ms: decision.planned_end_ms, legs: tariffs, fee_per_minute_micros: pricing.fee_per_minute_micros, slack_ms: this.settings.slackMs,
      ...(call ? { call } : {}),
    });
    return { ok: true, planned_end_ms: decision.planned_end_ms, max_duration_s: backstopTimeoutS(decision.planned_end_ms, 0n, this.settings.maxCallDurationS) };
  }

  /** The buyer's risk premium in basis points, from its latest credit assessment (0 without one). */
  premiumOf(buyer_id: string): number {
    return this.premiums?.(buyer_id) ?? 0;
  }

  /** True when the buyer's latest credit assessment refused it (and approval follows assessments). */
  refused(buyer_id: string): boolean {
    return this.refusedCredit?.(buyer_id) ?? false;
  }

  /** Where premiums and refusals come from (control/assessment/premium-book.ts); none: every premium is 0, nobody refused. */
  setPremiums(premiums: (buyer_id: string) => number, refused?: (buyer_id: string) => boolean): void {
    this.premiums = premiums;
    this.refusedCredit = refused;
  }

  /** The call was answered: from now on its credit runs on the clock. */
  answered(call: LiveCall, planned_end_ms?: bigint): void {
    const terms = this.terms.get(call.call_id);
    const planned = terms?.planned_end_ms ?? planned_end_ms;
    // Once per call: a call already followed, or already cut, is not followed again.
    if (call.answer_us === null || planned === undefined || this.followed.has(call.call_id) || terms?.followed === true) return;
    if (terms) terms.followed = true;
    const credit = new CallCredit({ answer_at_ms: call.answer_us / 1000n, planned_end_ms: planned, lead_ms: defaultLeadMs(this.settings.chunkS) });
    const followed: Followed = { credit, call, timer: undefined };
    this.followed.set(call.call_id, followed);
    this.schedule(followed);
  }

  /**
   * The call is over (for whatever reason): stop its timers at once, and free its hold on the
   * lease less what its CDR will be charged (nothing without a CDR: a call dropped at setup).
   * The reservation's row settles when billing posts the CDR.
   */
  ended(call_id: string, cdr?: CdrRecord): void {
    const followed = this.followed.get(call_id);
    if (followed) {
      clearTimeout(followed.timer);
      followed.credit.ended();
      this.followed.delete(call_id);
    }
    const terms = this.terms.get(call_id);
    if (!terms) return;
    this.terms.delete(call_id);
    if (!terms.leased) return;
    this.leases.release(call_id, cdr === undefined ? 0n : chargeOf(terms, cdr));
    if (cdr === undefined) this.journal.void(call_id);
  }

  /** How long after its answer a call's reservation lets it run now, ms (undefined when not followed here). */
  plannedEndMs(call_id: string): bigint | undefined {
    return this.terms.get(call_id)?.planned_end_ms;
  }

  /** Calls whose credit this controller follows (reserved and not over). */
  callsWithCredit(): string[] {
    return [...this.terms.keys()];
  }

  /**
   * Stops every timer. Calls still up keep their credit: the switch's own timer ends them within
   * what was reserved, and reconciliation after a restart bills them.
   */
  stop(): void {
    for (const followed of this.followed.values()) {
      clearTimeout(followed.timer);
      followed.credit.ended();
    }
    this.followed.clear();
  }

  get followedCalls(): number {
    return this.followed.size;
  }

  private schedule(followed: Followed): void {
    clearTimeout(followed.timer);
    const action = followed.credit.nextAction(this.clock());
    this.log.debug({ call_id: followed.call.call_id, action: action.kind, in_ms: action.kind === 'none' ? null : Number(action.at_ms - this.clock()), phase: followed.credit.phase }, 'credit schedule');
    if (action.kind === 'none') return;
    const delay_ms = Number(action.at_ms - this.clock());
    followed.timer = setTimeout(() => void this.act(followed), Math.max(0, delay_ms));
  }

  private async act(followed: Followed): Promise<void> {
    const now = this.clock();
    const action = followed.credit.nextAction(now);
    if (action.kind === 'none' || action.at_ms > now) {
      this.schedule(followed);
      return;
    }
    if (action.kind === 'cut') {
      this.cut(followed);
      return;
    }
    followed.credit.extensionStarted();
    this.schedule(followed);
    try {
      const answered_leg = followed.call.answered_leg ?? undefined;
      const terms = this.terms.get(followed.call.call_id);
      const result = terms?.leased
        ? await this.extendFromLease(followed.call.call_id, terms, answered_leg ?? null)
        : await this.store.extend(followed.call.call_id, this.settings.chunkS, answered_leg === undefined ? {} : { answered_leg });
      if (result.ok) {
        this.log.debug({ call_id: followed.call.call_id, planned_end_ms: Number(result.planned_end_ms), amount_micros: Number(result.amount_micros) }, 'credit extended');
        followed.credit.extended(result.planned_end_ms);
        const elapsed_ms = this.clock() - followed.credit.cutAtMs + followed.credit.plannedEndAfterAnswerMs;
        if (followed.call.dialog) this.commands.setCallTimeout(followed.call.dialog, backstopTimeoutS(result.planned_end_ms, elapsed_ms, this.settings.maxCallDurationS));
      } else {
        this.log.info({ call_id: followed.call.call_id, reason: result.reason }, 'credit extension refused: the call will be cut at its planned end');
        followed.credit.extensionFailed();
      }
    } catch (error) {
      // A failed extension is no extension: the cut at the planned end stands.
      this.log.error({ err: error, call_id: followed.call.call_id }, 'credit extension failed');
      followed.credit.extensionFailed();
    }
    if (this.followed.has(followed.call.call_id)) this.schedule(followed);
  }

  /**
   * Another chunk from the lease (a slice is taken first if the lease is short); as much time as
   * the lease can still pay for when the pool runs out; refused when not a millisecond more fits.
   */
  private async extendFromLease(call_id: string, terms: CallTerms, answered_leg: number | null): Promise<ExtendResult> {
    const leg = answered_leg === null ? undefined : terms.pricing.legs[answered_leg];
    const pricing: CallPricing = leg === undefined ? terms.pricing : { legs: [leg], fee_per_minute_micros: terms.pricing.fee_per_minute_micros };
    const chunk_s = this.settings.chunkS;
    const extension = (position: CreditPosition) => extensionAmount({ pricing, reserved_micros: terms.reserved_micros, position, chunk_s });
    let added_micros = extension(PLENTY);
    if (added_micros === 0n) return { ok: false, reason: 'insufficient_credit' };
    if (!this.leases.grow(call_id, added_micros)) {
      await this.leases.ensureFree(terms.carrier_id, terms.currency, added_micros, terms.first_chunk_micros);
      if (!this.terms.has(call_id)) return { ok: false, reason: 'reservation_closed' };
      if (!this.leases.grow(call_id, added_micros)) {
        const free_micros = this.leases.free(terms.carrier_id, terms.currency);
        added_micros = extension({ ...PLENTY, limit_micros: free_micros > 0n ? free_micros : 0n });
        if (added_micros === 0n || !this.leases.grow(call_id, added_micros)) return { ok: false, reason: 'insufficient_credit' };
      }
    }
    terms.reserved_micros += added_micros;
    const planned_end_ms = plannedEndMs(pricing, terms.reserved_micros, this.settings.slackMs);
    if (planned_end_ms === null || planned_end_ms <= terms.planned_end_ms) throw new Error(`credit invariant broken: extension of ${call_id} moved its planned end nowhere`);
    terms.planned_end_ms = planned_end_ms;
    this.journal.change({ call_id, amount_micros: terms.reserved_micros, planned_end_ms, answered_leg });
    return { ok: true, amount_micros: terms.reserved_micros, planned_end_ms };
  }

  private cut(followed: Followed): void {
    const call = followed.call;
    call.end_reason = 'cutoff: insufficient credit';
    const reserved_end_ms = followed.credit.cutAtMs;
    followed.credit.ended();
    this.followed.delete(call.call_id);
    const sent = call.dialog !== null && this.commands.endCall(call.call_id, call.dialog, 'insufficient credit');
    if (!sent) this.log.error({ call_id: call.call_id }, 'could not send the cutoff: the switch timer ends the call');
    this.cutoffs.next({ call_id: call.call_id, reserved_end_ms, commanded_at_ms: this.clock(), sent });
  }
}

/** What billing will charge the buyer for this CDR: the same pure rating, on the leg that answered. */
function chargeOf(terms: CallTerms, cdr: CdrRecord): bigint {
  if (cdr.answer_us === null || cdr.trade_id === null) return 0n;
  const leg = terms.pricing.legs[terms.trade_ids.indexOf(cdr.trade_id)];
  if (leg === undefined) return 0n;
  return rateTradeCall(leg, terms.pricing.fee_per_minute_micros, cdr.duration_ms).buyer_amount_micros;
}
