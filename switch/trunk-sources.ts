/**
 * The switch's list of known sources (htable "trunks" in minutex-edge.cfg): Kamailio loads it from
 * the view switch_trunk_sources at start; after every trunk change the control plane asks it to
 * load it again, so a new trunk's first call is not refused as a stranger's. A failed reload is
 * logged and left: the next change, or the switch's next start, loads the list whole.
 *
 * The edge's counters (htable "edge") are exported as metrics.
 */
import { Gauge, register, type Registry } from 'prom-client';
import type { Logger } from '../common/logger.ts';
import type { KamailioRpc } from './jsonrpc-client.ts';

export function trunkSourceReloader(rpc: KamailioRpc, log: Logger): () => Promise<void> {
  return async () => {
    try {
      await rpc.call('htable.reload', ['trunks']);
    } catch (error) {
      log.warn({ err: error }, 'the switch did not reload its trunk addresses');
    }
  };
}

/** The edge's counters as Kamailio holds them: name → count. */
export async function edgeCounters(rpc: KamailioRpc): Promise<Record<string, number>> {
  const slots = (await rpc.call('htable.dump', ['edge'])) as Array<{ slot: Array<{ name: string; value: number | string }> }> | null;
  const counters: Record<string, number> = { unknown_refused: 0, flood_dropped: 0, scanner_dropped: 0 };
  for (const entry of slots ?? []) for (const item of entry.slot) counters[item.name] = Number(item.value);
  return counters;
}

/** `minutex_sip_edge_requests{outcome}`: requests the edge refused (403) or dropped, read from the switch when scraped. */
export function registerEdgeMetrics(rpc: KamailioRpc, registry: Registry = register): Gauge {
  const existing = registry.getSingleMetric('minutex_sip_edge_requests');
  if (existing) registry.removeSingleMetric('minutex_sip_edge_requests');
  return new Gauge({
    name: 'minutex_sip_edge_requests',
    help: 'SIP requests the edge refused with 403 (unknown_refused) or dropped unanswered (flood_dropped, scanner_dropped) since the switch started',
    labelNames: ['outcome'],
    registers: [registry],
    async collect() {
      try {
        for (const [outcome, count] of Object.entries(await edgeCounters(rpc))) this.set({ outcome }, count);
      } catch {
        // The switch is down or restarting: the last values stay.
      }
    },
  });
}
