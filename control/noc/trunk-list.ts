/**
 * The switch's trunk list (dispatcher list file) from the routing data, and the trunks' states
 * from the switch's `dispatcher.list`. Pure.
 *
 * Set 1: sellers' egress trunks, pinged with OPTIONS. Set 2: buyers' ingress addresses, never
 * pinged (flag 4), listed so the switch answers their OPTIONS. The trunk id travels as the
 * destination's `duid` attribute.
 */
import type { RoutingSnapshot } from '../core/routing.ts';

export const EGRESS_SET = 1;
export const INGRESS_SET = 2;

export type TrunkState = 'up' | 'down';

export function renderTrunkList(snapshot: Pick<RoutingSnapshot, 'egressBySeller' | 'ingressByHost'>): string {
  const lines: string[] = [];
  for (const trunks of snapshot.egressBySeller.values()) {
    for (const trunk of trunks) {
      const transport = trunk.transport === 'tcp' ? ';transport=tcp' : '';
      lines.push(`${EGRESS_SET} sip:${trunk.host}:${trunk.port}${transport} 0 0 duid=${trunk.id}`);
    }
  }
  for (const host of snapshot.ingressByHost.keys()) lines.push(`${INGRESS_SET} sip:${host} 4 0 duid=ingress-${host}`);
  return `${lines.sort().join('\n')}\n`;
}

/**
 * Egress trunk states from `dispatcher.list`: the first letter of FLAGS is A (active), T (trying:
 * it missed pings, still routed), I (inactive: out of routing) or D (disabled).
 */
export function trunkStates(result: unknown): Map<string, TrunkState> {
  const states = new Map<string, TrunkState>();
  const records = (result as { RECORDS?: unknown } | null)?.RECORDS;
  if (!Array.isArray(records)) return states;
  for (const record of records) {
    const set = (record as { SET?: { ID?: unknown; TARGETS?: unknown } }).SET;
    if (set?.ID !== EGRESS_SET || !Array.isArray(set.TARGETS)) continue;
    for (const target of set.TARGETS) {
      const dest = (target as { DEST?: { FLAGS?: unknown; ATTRS?: { DUID?: unknown } } }).DEST;
      const id = dest?.ATTRS?.DUID;
      const flags = dest?.FLAGS;
      if (typeof id !== 'string' || typeof flags !== 'string') continue;
      states.set(id, flags.startsWith('I') || flags.startsWith('D') ? 'down' : 'up');
    }
  }
  return states;
}
