/**
 * Loads the routing snapshot (carriers' status, trunks, destination prefixes, live trades) from
 * PostgreSQL. Call setup reads the snapshot in memory; any write that changes the market marks it
 * stale and the next call setup reloads it, so no call is routed on a trade that has ended.
 */
import type { Db } from '../../common/db/database.ts';
import { PrefixTable } from '../core/numbers.ts';
import type { StoredTrade } from '../exchange/stored-rows.ts';
import type { EgressTrunk, IngressTrunk, RoutableTrade, RoutingSnapshot } from '../core/routing.ts';

interface TrunkRow {
  id: string;
  carrier_id: string;
  direction: 'ingress' | 'egress';
  host: string;
  port: number | null;
  transport: 'udp' | 'tcp';
  tech_prefix: string | null;
  channels: number;
  cps: number;
}

/** A live trade as the snapshot query selects it: the stored columns routing needs, and an order. */
type TradeRow = Pick<StoredTrade, 'id' | 'buyer_id' | 'seller_id' | 'destination_id' | 'currency' | 'price_per_minute_micros'
  | 'first_increment_s' | 'next_increment_s' | 'connect_fee_micros' | 'channels'> & { seq: bigint };

const DEFAULT_SIP_PORT = 5060;

export async function loadRoutingSnapshot(db: Db): Promise<RoutingSnapshot> {
  return db.task('routing-snapshot', async (t) => {
    const carriers = await t.any<{ id: string; status: 'active' | 'suspended' }>('select id, status from carriers');
    const trunks = await t.any<TrunkRow>('select id, carrier_id, direction, host(host) as host, port, transport, tech_prefix, channels, cps from trunks');
    const prefixes = await t.any<{ prefix: string; destination_id: string }>('select prefix, destination_id from destination_prefixes where effective_from <= now()');
    const trades = await t.any<TradeRow>(
      `select t.id, t.buyer_id, t.seller_id, t.destination_id, t.currency, t.price_per_minute_micros, t.first_increment_s,
              t.next_increment_s, t.connect_fee_micros, t.channels, row_number() over (order by t.created_at, t.id) as seq
       from trades t where t.status = 'live'`,
    );

    const ingressByHost = new Map<string, IngressTrunk[]>();
    const egressBySeller = new Map<string, EgressTrunk[]>();
    for (const row of trunks) {
      if (row.direction === 'ingress') {
        push(ingressByHost, row.host, { id: row.id, carrier_id: row.carrier_id, host: row.host, tech_prefix: row.tech_prefix, channels: row.channels, cps: row.cps });
      } else {
        push(egressBySeller, row.carrier_id, { id: row.id, carrier_id: row.carrier_id, host: row.host, port: row.port ?? DEFAULT_SIP_PORT, transport: row.transport, channels: row.channels });
      }
    }
    const destinations = new PrefixTable<string>();
    for (const row of prefixes) destinations.set(row.prefix, row.destination_id);
    const tradesByBuyerDestination = new Map<string, RoutableTrade[]>();
    for (const row of trades) {
      push(tradesByBuyerDestination, `${row.buyer_id}|${row.destination_id}`, { ...row, currency: row.currency.trim(), seq: Number(row.seq) });
    }
    return {
      carrierStatus: new Map(carriers.map((row) => [row.id, row.status])),
      ingressByHost,
      egressBySeller,
      destinations,
      tradesByBuyerDestination,
    };
  });
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** Keeps one snapshot and reloads it after `invalidate()`; concurrent callers share one reload,
 * and a caller that arrives after an invalidation never gets a snapshot loaded before it. */
export class RoutingSnapshotCache {
  private current: RoutingSnapshot | undefined;
  private loading: { generation: number; promise: Promise<RoutingSnapshot> } | undefined;
  private generation = 0;

  private broadcast: (() => void) | undefined;

  constructor(private readonly db: Db) {}

  /** How an invalidation here reaches the other nodes (see MarketSignal). */
  setBroadcast(broadcast: () => void): void {
    this.broadcast = broadcast;
  }

  /** The market changed: reload here, and tell the other nodes. */
  invalidate(): void {
    this.invalidateLocally();
    this.broadcast?.();
  }

  invalidateLocally(): void {
    this.generation += 1;
    this.current = undefined;
  }

  async get(): Promise<RoutingSnapshot> {
    if (this.current) return this.current;
    if (this.loading?.generation !== this.generation) {
      const generation = this.generation;
      const promise = loadRoutingSnapshot(this.db).finally(() => {
        if (this.loading?.generation === generation) this.loading = undefined;
      });
      this.loading = { generation, promise };
      void promise.then((snapshot) => {
        if (generation === this.generation) this.current = snapshot;
      }, () => undefined);
    }
    return this.loading.promise;
  }
}
