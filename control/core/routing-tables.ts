/**
 * The routing data in memory, changed in place one entity at a time (a trade made or ended, a
 * trunk added, changed or removed, a carrier's status, a prefix moved), so the market can change
 * while calls are routed without ever rebuilding the whole of it. A route decision is synchronous,
 * so it always sees the tables between two changes, never in the middle of one.
 */
import { PrefixTable } from './numbers.ts';
import type { EgressTrunk, IngressTrunk, RoutableTrade, RoutingSnapshot } from './routing.ts';

export type CarrierStatus = 'active' | 'suspended';

export type TrunkRecord =
  | ({ readonly direction: 'ingress' } & IngressTrunk)
  | ({ readonly direction: 'egress' } & EgressTrunk);

/** A live trade as the tables take it; the tables number trades in the order they arrive. */
export type TradeRecord = Omit<RoutableTrade, 'seq'>;

export class RoutingTables implements RoutingSnapshot {
  readonly carrierStatus = new Map<string, CarrierStatus>();
  readonly ingressByHost = new Map<string, IngressTrunk[]>();
  readonly egressBySeller = new Map<string, EgressTrunk[]>();
  readonly destinations: PrefixTable<string>;
  readonly tradesByBuyerDestination = new Map<string, RoutableTrade[]>();
  private readonly trunks = new Map<string, TrunkRecord>();
  private readonly trades = new Map<string, RoutableTrade>();
  private nextSeq = 1;

  constructor(expectedPrefixes = 0) {
    this.destinations = new PrefixTable<string>(expectedPrefixes);
  }

  get tradeCount(): number {
    return this.trades.size;
  }

  /** null: the carrier is gone. */
  setCarrierStatus(carrier_id: string, status: CarrierStatus | null): void {
    if (status === null) this.carrierStatus.delete(carrier_id);
    else this.carrierStatus.set(carrier_id, status);
  }

  upsertTrunk(trunk: TrunkRecord): void {
    this.removeTrunk(trunk.id);
    this.trunks.set(trunk.id, trunk);
    if (trunk.direction === 'ingress') push(this.ingressByHost, trunk.host, trunk);
    else push(this.egressBySeller, trunk.carrier_id, trunk);
  }

  removeTrunk(trunk_id: string): void {
    const trunk = this.trunks.get(trunk_id);
    if (trunk === undefined) return;
    this.trunks.delete(trunk_id);
    if (trunk.direction === 'ingress') remove(this.ingressByHost, trunk.host, (item) => item.id === trunk_id);
    else remove(this.egressBySeller, trunk.carrier_id, (item) => item.id === trunk_id);
  }

  /** A trade made, or a trade seen again (a reload, a repeated message): it keeps its place. */
  upsertTrade(record: TradeRecord): void {
    const earlier = this.trades.get(record.id);
    const trade: RoutableTrade = { ...record, seq: earlier?.seq ?? this.nextSeq++ };
    if (earlier !== undefined) this.removeTrade(record.id);
    this.trades.set(trade.id, trade);
    const key = `${trade.buyer_id}|${trade.destination_id}`;
    const list = this.tradesByBuyerDestination.get(key);
    if (list === undefined) {
      this.tradesByBuyerDestination.set(key, [trade]);
      return;
    }
    // Kept cheapest first, so sorting it for a call finds it already in order.
    let position = list.length;
    while (position > 0 && cheaperOrEarlier(trade, list[position - 1]!)) position -= 1;
    list.splice(position, 0, trade);
  }

  removeTrade(trade_id: string): void {
    const trade = this.trades.get(trade_id);
    if (trade === undefined) return;
    this.trades.delete(trade_id);
    remove(this.tradesByBuyerDestination, `${trade.buyer_id}|${trade.destination_id}`, (item) => item.id === trade_id);
  }

  hasTrade(trade_id: string): boolean {
    return this.trades.has(trade_id);
  }

  /** null: the prefix routes nowhere (removed, or not yet in effect). */
  setPrefix(prefix: string, destination_id: string | null): void {
    if (destination_id === null) this.destinations.delete(prefix);
    else this.destinations.set(prefix, destination_id);
  }
}

function cheaperOrEarlier(a: RoutableTrade, b: RoutableTrade): boolean {
  return a.price_per_minute_micros < b.price_per_minute_micros || (a.price_per_minute_micros === b.price_per_minute_micros && a.seq < b.seq);
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function remove<K, V>(map: Map<K, V[]>, key: K, matches: (value: V) => boolean): void {
  const list = map.get(key);
  if (list === undefined) return;
  const position = list.findIndex(matches);
  if (position >= 0) list.splice(position, 1);
  if (list.length === 0) map.delete(key);
}
