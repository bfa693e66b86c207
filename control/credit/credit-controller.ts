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
import type { Logger } from '../../common/logger.ts';
import type { Tariff } from '../../billing/core/rating.ts';
import type { DialogRef } from '../../switch/events.ts';
import { CallCredit, defaultLeadMs } from '../core/credit/call-credit.ts';
import type { LiveCall } from '../core/cdr.ts';
import type { Leg } from '../core/routing.ts';
import type { CreditStore, ReserveRefusal } from './credit-store.ts';

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
}

export type ReservationOutcome =
  | { readonly ok: true; readonly max_duration_s: number; readonly planned_end_ms: bigint }
  | { readonly ok: false; readonly reason: ReserveRefusal };

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

  constructor(
    private readonly store: CreditStore,
    private readonly commands: SwitchCommands,
    private readonly settings: CreditSettings,
    private readonly log: Logger,
    private readonly clock: () => bigint = () => BigInt(Date.now()),
  ) {}

  /** Reserves the first chunk for a call about to be routed on `legs`. */
  async reserve(call_id: string, buyer_id: string, legs: readonly Leg[]): Promise<ReservationOutcome> {
    const currency = legs[0]!.trade.currency;
    const tariffs: Tariff[] = legs.map(({ trade }) => trade);
    const result = await this.store.reserve({
      call_id, carrier_id: buyer_id, currency, legs: tariffs, fee_per_minute_micros: this.settings.exchangeFeePerMinuteMicros,
      chunk_s: this.settings.chunkS, slack_ms: this.settings.slackMs,
    });
    if (!result.ok) return result;
    return { ok: true, planned_end_ms: result.planned_end_ms, max_duration_s: backstopTimeoutS(result.planned_end_ms, 0n, this.settings.maxCallDurationS) };
  }

  /** The call was answered: from now on its credit runs on the clock. */
  answered(call: LiveCall, planned_end_ms: bigint): void {
    if (call.answer_us === null || this.followed.has(call.call_id)) return;
    const credit = new CallCredit({ answer_at_ms: call.answer_us / 1000n, planned_end_ms, lead_ms: defaultLeadMs(this.settings.chunkS) });
    const followed: Followed = { credit, call, timer: undefined };
    this.followed.set(call.call_id, followed);
    this.schedule(followed);
  }

  /** The call is over (for whatever reason): stop its timers. The reservation settles with its CDR. */
  ended(call_id: string): void {
    const followed = this.followed.get(call_id);
    if (!followed) return;
    clearTimeout(followed.timer);
    followed.credit.ended();
    this.followed.delete(call_id);
  }

  stop(): void {
    for (const call_id of [...this.followed.keys()]) this.ended(call_id);
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
      const result = await this.store.extend(followed.call.call_id, this.settings.chunkS, answered_leg === undefined ? {} : { answered_leg });
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
