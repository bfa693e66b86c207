/**
 * What the control plane answers to a route request, and how it is written for Kamailio: a reject
 * (SIP code, phrase and a reason the buyer reads in Reason / X-Reason), or an rtjson serial route
 * document listing the sellers' trunks in order, with the call's maximum duration.
 */
import type { TransactionRef } from './events.ts';

export interface SellerTarget {
  /** The dialled number as the seller should see it (E.164 digits, tech prefix stripped). */
  readonly number: string;
  readonly host: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
}

export type RouteDecision =
  | { readonly kind: 'route'; readonly targets: readonly SellerTarget[]; readonly max_duration_s: number }
  | { readonly kind: 'reject'; readonly code: number; readonly phrase: string; readonly reason: string };

/** Characters we allow in a reason text: it is copied into a quoted header parameter. */
export const SAFE_REASON = /^[A-Za-z0-9 ,.:;()_/-]{1,120}$/;

export function encodeDecision(transaction: TransactionRef, decision: RouteDecision): string {
  const base = { tindex: transaction.index, tlabel: transaction.label };
  if (decision.kind === 'reject') {
    if (!SAFE_REASON.test(decision.reason) || !SAFE_REASON.test(decision.phrase)) {
      throw new Error(`unsafe reason text ${JSON.stringify(decision.reason)}`);
    }
    return JSON.stringify({ action: 'reject', ...base, code: decision.code, phrase: decision.phrase, reason: decision.reason });
  }
  if (decision.targets.length === 0) throw new Error('a route decision needs at least one target');
  const routes = decision.targets.map((target) => {
    const transport = target.transport === 'tcp' ? ';transport=tcp' : '';
    return { uri: `sip:${target.number}@${target.host}:${target.port}${transport}` };
  });
  return JSON.stringify({
    action: 'route',
    ...base,
    max_duration_s: decision.max_duration_s,
    routes: { version: '1.0', routing: 'serial', routes },
  });
}
