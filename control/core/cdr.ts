/**
 * A live call as the control plane follows it, and the CDR it becomes when it ends.
 * Pure: times are the switch's own microsecond timestamps, passed in.
 */
import type { CallState } from './call-lifecycle.ts';
import type { Leg } from './routing.ts';

export interface TriedLeg {
  readonly leg: Leg;
  /** The seller's final SIP code for this leg (200 when it answered), null while pending. */
  sip_code: number | null;
}

/** What the media relay measured on an anchored call (the switch's media_stats event). */
export interface MediaStats {
  /** RTP packets relayed in both directions. */
  readonly packets: number | null;
  /** From the carriers' RTCP reports; null without them. */
  readonly mos_x10: number | null;
  readonly packet_loss_pct: number | null;
  readonly jitter_ms: number | null;
}

export interface LiveCall {
  readonly call_id: string;
  readonly buyer_id: string;
  readonly ingress_trunk_id: string;
  readonly dialled_number: string;
  readonly number: string;
  readonly destination_id: string;
  readonly legs: TriedLeg[];
  state: CallState;
  readonly setup_us: bigint;
  ring_us: bigint | null;
  answer_us: bigint | null;
  answered_leg: number | null;
  /** The leg being tried now (the answered one once answered): it holds a channel of its trade and trunk. */
  current_leg: number;
  /** Set when the exchange ends the call itself (credit cutoff, operator): goes into the CDR. */
  end_reason: string | null;
  /** When its media stopped, if the relay reported it (media timeout): the call is billed to then. */
  media_end_us?: bigint;
  /** What the media relay measured, once it released the call's media. */
  media?: MediaStats;
  /** The switch's handles of the answered dialog (to move its timeout or end it). */
  dialog: { readonly h_entry: number; readonly h_id: number } | null;
  /** The exchange fee per minute the call's credit reservation was made with, in micro-units: the CDR is rated with it. */
  readonly fee_per_minute_micros: bigint;
  /** The buyer's risk premium (basis points of the trade price) the reservation was made with; absent: 0. */
  readonly premium_bps?: number;
}

/**
 * The terms a CDR is rated with, stored on it: those of the leg that answered and the exchange fee
 * its reservation used. Rating reads nothing else, so re-rating a CDR later gives the same amount.
 */
export interface CdrTerms {
  readonly currency: string;
  readonly price_per_minute_micros: bigint;
  readonly first_increment_s: number;
  readonly next_increment_s: number;
  readonly connect_fee_micros: bigint;
  readonly fee_per_minute_micros: bigint;
  /** The buyer's risk premium in basis points of the trade price. */
  readonly premium_bps: number;
}

export type EndedBy = 'caller' | 'callee' | 'switch' | 'not_answered';

export interface CdrRecord {
  readonly call_id: string;
  readonly buyer_id: string | null;
  readonly seller_id: string | null;
  readonly ingress_trunk_id: string | null;
  readonly egress_trunk_id: string | null;
  readonly trade_id: string | null;
  readonly dialled_number: string;
  readonly destination_id: string | null;
  readonly legs: ReadonlyArray<{ seller_id: string; trunk_id: string; trade_id: string; sip_code: number | null }>;
  readonly setup_us: bigint;
  readonly ring_us: bigint | null;
  readonly answer_us: bigint | null;
  readonly end_us: bigint;
  /** Answered time, truncated to whole milliseconds (rating rounds up to increments after). */
  readonly duration_ms: bigint;
  readonly final_sip_code: number;
  readonly final_reason: string;
  readonly ended_by: EndedBy;
  /** The media relay's measures of an anchored call (absent: direct media, or not known in time). */
  readonly media?: MediaStats;
  /** Null when no leg answered: nothing to rate. */
  readonly terms: CdrTerms | null;
}

export function legsTried(call: LiveCall): CdrRecord['legs'] {
  return call.legs
    .filter((tried) => tried.sip_code !== null)
    .map((tried) => ({ seller_id: tried.leg.trade.seller_id, trunk_id: tried.leg.trunk.id, trade_id: tried.leg.trade.id, sip_code: tried.sip_code }));
}

/** The CDR of a call that was answered and then hung up (by a party or by the switch). */
export function answeredCdr(call: LiveCall, end_us: bigint, ended_by: EndedBy, final_reason: string): CdrRecord {
  if (call.answer_us === null || call.answered_leg === null) throw new Error(`call ${call.call_id} was not answered`);
  const answered = call.legs[call.answered_leg];
  if (!answered) throw new Error(`call ${call.call_id} has no leg ${call.answered_leg}`);
  const end = end_us > call.answer_us ? end_us : call.answer_us;
  return {
    call_id: call.call_id,
    buyer_id: call.buyer_id,
    seller_id: answered.leg.trade.seller_id,
    ingress_trunk_id: call.ingress_trunk_id,
    egress_trunk_id: answered.leg.trunk.id,
    trade_id: answered.leg.trade.id,
    dialled_number: call.dialled_number,
    destination_id: call.destination_id,
    legs: legsTried(call),
    setup_us: call.setup_us,
    ring_us: call.ring_us,
    answer_us: call.answer_us,
    end_us: end,
    duration_ms: (end - call.answer_us) / 1000n,
    final_sip_code: 200,
    final_reason,
    ended_by,
    ...(call.media === undefined ? {} : { media: call.media }),
    terms: {
      currency: answered.leg.trade.currency,
      price_per_minute_micros: answered.leg.trade.price_per_minute_micros,
      first_increment_s: answered.leg.trade.first_increment_s,
      next_increment_s: answered.leg.trade.next_increment_s,
      connect_fee_micros: answered.leg.trade.connect_fee_micros,
      fee_per_minute_micros: call.fee_per_minute_micros,
      premium_bps: call.premium_bps ?? 0,
    },
  };
}

/** The CDR of a call that no seller answered. */
export function failedCdr(call: LiveCall, end_us: bigint, final_sip_code: number): CdrRecord {
  return {
    call_id: call.call_id,
    buyer_id: call.buyer_id,
    seller_id: null,
    ingress_trunk_id: call.ingress_trunk_id,
    egress_trunk_id: null,
    trade_id: null,
    dialled_number: call.dialled_number,
    destination_id: call.destination_id,
    legs: legsTried(call),
    setup_us: call.setup_us,
    ring_us: call.ring_us,
    answer_us: null,
    end_us,
    duration_ms: 0n,
    final_sip_code,
    final_reason: `not answered: ${final_sip_code}`,
    ended_by: 'not_answered',
    terms: null,
  };
}

/** The CDR of a call refused at setup (unknown trunk, no trade ...): nothing to bill. */
export function rejectedCdr(input: {
  call_id: string; buyer_id: string | null; ingress_trunk_id: string | null; dialled_number: string;
  destination_id: string | null; setup_us: bigint; code: number; reason: string;
}): CdrRecord {
  return {
    call_id: input.call_id,
    buyer_id: input.buyer_id,
    seller_id: null,
    ingress_trunk_id: input.ingress_trunk_id,
    egress_trunk_id: null,
    trade_id: null,
    dialled_number: input.dialled_number,
    destination_id: input.destination_id,
    legs: [],
    setup_us: input.setup_us,
    ring_us: null,
    answer_us: null,
    end_us: input.setup_us,
    duration_ms: 0n,
    final_sip_code: input.code,
    final_reason: `rejected: ${input.reason}`,
    ended_by: 'not_answered',
    terms: null,
  };
}
