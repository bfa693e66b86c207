/**
 * What the control plane answers to a route request, and how it is written for Kamailio: a reject
 * (SIP code, phrase and a reason the buyer reads in Reason / X-Reason), or an rtjson serial route
 * document listing the sellers' trunks in order, with the call's maximum duration and, optionally,
 * a record the switch keeps with the dialog and writes with its own 'answered' record.
 */
import type { TransactionRef } from './events.ts';

/** Longest decision record the switch keeps, in characters (switch_call_records.decision_record). */
export const MAX_DECISION_RECORD_CHARS = 2000;

export interface SellerTarget {
  /** The dialled number as the seller should see it (E.164 digits, tech prefix stripped). */
  readonly number: string;
  readonly host: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
  /** Media straight between the carriers on this leg, not through the exchange's relay. */
  readonly direct_media?: boolean;
  /** What this seller receives of the caller's asserted identity; 'pass' when absent. */
  readonly identity?: 'pass' | 'strip' | 'assert';
}

export type RouteDecision =
  | {
      readonly kind: 'route';
      readonly targets: readonly SellerTarget[];
      readonly max_duration_s: number;
      /** The control plane's own account of the decision (JSON: buyer, currency, terms, lease, hold). */
      readonly record?: string;
    }
  | { readonly kind: 'reject'; readonly code: number; readonly phrase: string; readonly reason: string };

/** Characters we allow in a reason text: it is copied into a quoted header parameter. */
export const SAFE_REASON = /^[A-Za-z0-9 ,.:;()_/-]{1,120}$/;

/** Which route request a decision answers; the Call-ID lets the switch name a decision that came too late. */
export interface DecisionTarget {
  readonly transaction: TransactionRef;
  readonly call_id: string;
}

export function encodeDecision(request: DecisionTarget, decision: RouteDecision): string {
  const base = { tindex: request.transaction.index, tlabel: request.transaction.label, call_id: request.call_id };
  if (decision.kind === 'reject') {
    if (!SAFE_REASON.test(decision.reason) || !SAFE_REASON.test(decision.phrase)) {
      throw new Error(`unsafe reason text ${JSON.stringify(decision.reason)}`);
    }
    return JSON.stringify({ action: 'reject', ...base, code: decision.code, phrase: decision.phrase, reason: decision.reason });
  }
  if (decision.targets.length === 0) throw new Error('a route decision needs at least one target');
  if (decision.record !== undefined && decision.record.length > MAX_DECISION_RECORD_CHARS) {
    throw new RangeError(`a decision record holds at most ${MAX_DECISION_RECORD_CHARS} characters, got ${decision.record.length}`);
  }
  const routes = decision.targets.map((target) => {
    const transport = target.transport === 'tcp' ? ';transport=tcp' : '';
    return { uri: `sip:${target.number}@${target.host}:${target.port}${transport}` };
  });
  return JSON.stringify({
    action: 'route',
    ...base,
    max_duration_s: decision.max_duration_s,
    routes: { version: '1.0', routing: 'serial', routes },
    // Per leg, in route order (minutex-topology.cfg and minutex-media.cfg pick theirs by index).
    legs_direct_media: decision.targets.map((target) => (target.direct_media === true ? '1' : '0')).join(','),
    legs_identity: decision.targets.map((target) => target.identity ?? 'pass').join(','),
    ...(decision.record === undefined || decision.record === '' ? {} : { record: decision.record }),
  });
}
