/**
 * The NOC's call search: what happened to a call and why, told the same way for a call in progress
 * (from memory) and an ended one (its CDR). Pure: the route reads the live calls and the CDRs and
 * hands them here.
 */
import type { LiveCall } from '../core/cdr.ts';

export interface LegOutcome {
  readonly seller_id: string;
  readonly trunk_id: string;
  readonly trade_id: string;
  /** The seller's SIP answer to this leg; null while it is still being tried. */
  readonly sip_code: number | null;
}

export interface CallStory {
  readonly call_id: string;
  readonly source: 'live' | 'cdr';
  readonly state: string;
  readonly buyer_id: string | null;
  readonly seller_id: string | null;
  readonly number: string;
  readonly setup_at: string;
  readonly answer_at: string | null;
  readonly end_at: string | null;
  readonly legs: readonly LegOutcome[];
  /** The final SIP code and Reason sent to the buyer; null while the call is in progress. */
  readonly final_sip_code: number | null;
  readonly final_reason: string | null;
  readonly ended_by: string | null;
  /** The credit decision at setup: refused calls carry the refusal reason. */
  readonly setup: { readonly admitted: boolean; readonly refusal_reason: string | null };
  /** Why the exchange cut the call off (credit, media timeout, operator), or null when a party hung up. */
  readonly cut_off_reason: string | null;
}

/** A CDR row as the search reads it. */
export interface CdrRow {
  readonly call_id: string;
  readonly buyer_id: string | null;
  readonly seller_id: string | null;
  readonly dialled_number: string;
  readonly legs: ReadonlyArray<{ seller_id: string; trunk_id: string; trade_id: string; sip_code: number | null }>;
  readonly setup_at: Date;
  readonly answer_at: Date | null;
  readonly end_at: Date;
  readonly final_sip_code: number;
  readonly final_reason: string;
  readonly ended_by: string;
}

// The switch refuses at setup with a "rejected: ..." Reason (credit, channel or rate limits, ...).
const REJECTED = 'rejected: ';

const iso = (us: bigint | null) => (us === null ? null : new Date(Number(us / 1000n)).toISOString());

/** Whether a search text names this call: its Call-ID, a part of its number, or one of its carriers. */
export function liveCallMatches(call: LiveCall, query: string, carrierIds: ReadonlySet<string>): boolean {
  if (call.call_id === query) return true;
  const digits = query.replace(/^\+/, '');
  if (/^[0-9]{3,}$/.test(digits) && (call.number.includes(digits) || call.dialled_number.includes(digits))) return true;
  return carrierIds.has(call.buyer_id) || call.legs.some((tried) => carrierIds.has(tried.leg.trade.seller_id));
}

export function liveCallStory(call: LiveCall): CallStory {
  const answered = call.answered_leg === null ? undefined : call.legs[call.answered_leg];
  return {
    call_id: call.call_id, source: 'live', state: call.state, buyer_id: call.buyer_id,
    seller_id: answered?.leg.trade.seller_id ?? null, number: call.dialled_number,
    setup_at: iso(call.setup_us)!, answer_at: iso(call.answer_us), end_at: null,
    legs: call.legs.filter((tried, index) => tried.sip_code !== null || index === call.current_leg).map((tried) => ({
      seller_id: tried.leg.trade.seller_id, trunk_id: tried.leg.trunk.id, trade_id: tried.leg.trade.id, sip_code: tried.sip_code,
    })),
    final_sip_code: null, final_reason: null, ended_by: null,
    // A call the switch routes was admitted: its credit was reserved at setup.
    setup: { admitted: true, refusal_reason: null },
    cut_off_reason: call.end_reason,
  };
}

export function cdrStory(row: CdrRow): CallStory {
  const refused = row.final_reason.startsWith(REJECTED);
  return {
    call_id: row.call_id, source: 'cdr', state: 'ended', buyer_id: row.buyer_id, seller_id: row.seller_id, number: row.dialled_number,
    setup_at: row.setup_at.toISOString(), answer_at: row.answer_at?.toISOString() ?? null, end_at: row.end_at.toISOString(),
    legs: row.legs.map((leg) => ({ seller_id: leg.seller_id, trunk_id: leg.trunk_id, trade_id: leg.trade_id, sip_code: leg.sip_code })),
    final_sip_code: row.final_sip_code, final_reason: row.final_reason, ended_by: row.ended_by,
    setup: { admitted: !refused, refusal_reason: refused ? row.final_reason.slice(REJECTED.length) : null },
    cut_off_reason: row.ended_by === 'switch' ? row.final_reason : null,
  };
}
