import { expect } from 'chai';
import { routeCall } from '../core/routing.ts';
import type { CarrierStatus, TradeRecord, TrunkRecord } from '../core/routing-tables.ts';
import type { MarketEvent } from '../exchange/market-events.ts';
import type { ImportedPrefix } from './destination-import.ts';
import type { MarketChange } from './market-change.ts';
import { RoutingSnapshotCache } from './routing-snapshot.ts';
import type { PrefixFilter, PrefixRow, RoutingSource, TradeState } from './routing-source.ts';

const BUYER = 'b0000000-0000-4000-8000-000000000001';
const SELLER = 'c0000000-0000-4000-8000-000000000002';
const LONDON = 'd0000000-0000-4000-8000-000000000003';
const IMPORT = 'e0000000-0000-4000-8000-000000000004';

const ingress: TrunkRecord = { direction: 'ingress', id: 'in-1', carrier_id: BUYER, host: '127.0.0.2', tech_prefix: null, channels: 10, cps: 10 };
const egress: TrunkRecord = { direction: 'egress', id: 'out-1', carrier_id: SELLER, host: '127.0.0.3', port: 5080, transport: 'udp', channels: 10 };

function trade(id: string, price: bigint, destination_id = LONDON): TradeRecord {
  return {
    id, buyer_id: BUYER, seller_id: SELLER, destination_id, currency: 'USD', price_per_minute_micros: price,
    first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n, channels: 10,
  };
}

function tradeMade(record: TradeRecord): MarketEvent {
  return {
    kind: 'trade_made', trade_id: record.id, destination_id: record.destination_id, currency: record.currency, price_per_minute_micros: record.price_per_minute_micros,
    first_increment_s: record.first_increment_s, next_increment_s: record.next_increment_s, connect_fee_micros: record.connect_fee_micros, channels: record.channels,
    buyer_id: BUYER, seller_id: SELLER, buy_order_id: 'buy', sell_order_id: 'sell', at: new Date().toISOString(),
  };
}

/** PostgreSQL as the cache sees it, in memory; a full load can be held at its first reading. */
class FakeSource implements RoutingSource {
  carrierRows = new Map<string, CarrierStatus>([[BUYER, 'active'], [SELLER, 'active']]);
  trunkRows = new Map<string, TrunkRecord>([[ingress.id, ingress], [egress.id, egress]]);
  tradeRows = new Map<string, TradeState>();
  prefixRows = new Map<string, { destination_id: string; import_id: string | null; later_ms: number | null }>([['4420', { destination_id: LONDON, import_id: null, later_ms: null }]]);
  fullLoads = 0;
  readings: string[] = [];
  hold: Promise<void> | undefined;

  carriers(ids?: readonly string[]) {
    this.readings.push(`carriers${ids ? `:${ids.length}` : ''}`);
    return Promise.resolve([...this.carrierRows].filter(([id]) => !ids || ids.includes(id)).map(([id, status]) => ({ id, status })));
  }

  trunks(ids?: readonly string[]) {
    this.readings.push(`trunks${ids ? `:${ids.length}` : ''}`);
    return Promise.resolve([...this.trunkRows.values()].filter((trunk) => !ids || ids.includes(trunk.id))
      .map((trunk) => ({ trunk, carrier_status: this.carrierRows.get(trunk.carrier_id) ?? 'suspended' })));
  }

  async trades(ids?: readonly string[]) {
    this.readings.push(`trades${ids ? `:${ids.length}` : ''}`);
    if (!ids) {
      this.fullLoads += 1;
      // A snapshot of the rows as they are when the load reads them.
      const rows = [...this.tradeRows.values()].filter((row) => row.live);
      await this.hold;
      return rows;
    }
    return [...this.tradeRows.values()].filter((row) => ids.includes(row.trade.id));
  }

  prefixes(filter: PrefixFilter, onRows: (rows: readonly PrefixRow[]) => void) {
    this.readings.push(`prefixes:${Object.keys(filter)[0]}`);
    const rows: PrefixRow[] = [...this.prefixRows].filter(([, row]) => 'all' in filter
      || ('import_id' in filter ? row.import_id === filter.import_id : filter.destination_ids.includes(row.destination_id)))
      .map(([prefix, row]) => [prefix, row.destination_id, row.later_ms]);
    onRows(rows);
    return Promise.resolve(rows.length);
  }
}

async function started(source: FakeSource): Promise<{ cache: RoutingSnapshotCache; told: MarketChange[] }> {
  const cache = new RoutingSnapshotCache(source);
  const told: MarketChange[] = [];
  cache.setBroadcast((change) => told.push(change));
  void cache.reloadAll();
  await cache.ready;
  return { cache, told };
}

function legsOf(cache: RoutingSnapshotCache, called = '442079460000'): string[] | string {
  const outcome = routeCall(cache.current(), { source_ip: '127.0.0.2', called });
  return outcome.ok ? outcome.legs.map((leg) => leg.trade.id) : outcome.reason;
}

describe('RoutingSnapshotCache', () => {
  it('applies a trade made and a trade ended here at once, reads nothing, and tells the other nodes', async () => {
    const source = new FakeSource();
    const { cache, told } = await started(source);
    const readings = source.readings.length;
    expect(legsOf(cache)).to.equal('no_trade');
    const snapshot = cache.current();
    cache.applyMarketEvent(tradeMade(trade('t-1', 10_000n)));
    cache.applyMarketEvent(tradeMade(trade('t-2', 9_000n)));
    expect(legsOf(cache)).to.deep.equal(['t-2', 't-1']);
    cache.applyMarketEvent({ kind: 'trade_ended', trade_id: 't-2', buyer_id: BUYER, seller_id: SELLER, destination_id: LONDON });
    expect(legsOf(cache)).to.deep.equal(['t-1']);
    expect(cache.current(), 'changed in place, not rebuilt').to.equal(snapshot);
    expect(source.readings.length).to.equal(readings);
    await Promise.resolve();
    expect(told).to.deep.equal([{ kind: 'trades', ids: ['t-1', 't-2', 't-2'] }]);
  });

  it('reads just the trades, trunk and carrier another node names, without a full load', async () => {
    const source = new FakeSource();
    const { cache } = await started(source);
    source.tradeRows.set('t-9', { trade: trade('t-9', 8_000n), live: true });
    cache.changedElsewhere({ kind: 'trades', ids: ['t-9'] });
    source.trunkRows.set('out-2', { ...egress, id: 'out-2', host: '127.0.0.4' });
    cache.changedElsewhere({ kind: 'trunks', ids: ['out-2'] });
    await cache.changed({ kind: 'carriers', ids: [] });
    expect(legsOf(cache)).to.deep.equal(['t-9', 't-9']);
    const outcome = routeCall(cache.current(), { source_ip: '127.0.0.2', called: '442079460000' });
    expect(outcome.ok && outcome.legs.map((leg) => leg.trunk.host)).to.deep.equal(['127.0.0.3', '127.0.0.4']);

    source.trunkRows.delete('out-1');
    source.tradeRows.set('t-9', { trade: trade('t-9', 8_000n), live: false });
    source.carrierRows.set(SELLER, 'suspended');
    cache.changedElsewhere({ kind: 'trunks', ids: ['out-1'] });
    await cache.changed({ kind: 'trades', ids: ['t-9'] });
    expect(legsOf(cache)).to.equal('no_trade');
    source.tradeRows.set('t-10', { trade: trade('t-10', 8_000n), live: true });
    await cache.changed({ kind: 'trades', ids: ['t-10'] });
    // The seller's suspension is not read until a change names the seller.
    expect(legsOf(cache)).to.deep.equal(['t-10']);
    await cache.changed({ kind: 'carriers', ids: [SELLER] });
    expect(legsOf(cache)).to.equal('no_seller_trunk');
    source.carrierRows.set(SELLER, 'active');
    await cache.changed({ kind: 'carriers', ids: [SELLER] });
    expect(legsOf(cache)).to.deep.equal(['t-10']);
    expect(source.fullLoads).to.equal(1);
  });

  it('applies an import’s prefixes in place, and a prefix that takes effect later when it does', async () => {
    const source = new FakeSource();
    const { cache, told } = await started(source);
    cache.applyMarketEvent(tradeMade(trade('t-1', 10_000n)));
    const PARIS = 'f0000000-0000-4000-8000-000000000005';
    cache.applyMarketEvent(tradeMade(trade('t-paris', 10_000n, PARIS)));
    source.prefixRows.set('3314', { destination_id: PARIS, import_id: IMPORT, later_ms: null });
    source.prefixRows.set('3315', { destination_id: PARIS, import_id: IMPORT, later_ms: Date.now() + 100 });
    expect(legsOf(cache, '33145678901')).to.equal('unknown_destination');
    await cache.changed({ kind: 'import', import_id: IMPORT });
    expect(told).to.deep.include({ kind: 'import', import_id: IMPORT });
    expect(legsOf(cache, '33145678901')).to.deep.equal(['t-paris']);
    expect(legsOf(cache, '33155678901')).to.equal('unknown_destination');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(legsOf(cache, '33155678901')).to.deep.equal(['t-paris']);
    expect(source.fullLoads).to.equal(1);
    cache.stop();
  });

  it('applies an import written here from its lines, without reading it back, and tells its id', async () => {
    const source = new FakeSource();
    const { cache, told } = await started(source);
    const PARIS = 'f0000000-0000-4000-8000-000000000005';
    cache.applyMarketEvent(tradeMade(trade('t-paris', 10_000n, PARIS)));
    const lines: ImportedPrefix[] = Array.from({ length: 50_000 }, (_, index) => ({ prefix: String(331_000_000 + index), name: 'Paris', effective_from_ms: null }));
    lines.push({ prefix: '3399', name: 'Paris', effective_from_ms: Date.now() + 60_000 });
    const readings = source.readings.length;
    await cache.imported(IMPORT, lines, new Map([['Paris', PARIS]]));
    expect(source.readings.length, 'nothing read back').to.equal(readings);
    expect(told).to.deep.include({ kind: 'import', import_id: IMPORT });
    expect(cache.current().destinations.size).to.equal(50_001);
    expect(legsOf(cache, '3310004999123')).to.deep.equal(['t-paris']);
    expect(legsOf(cache, '33991234567'), 'dated later: not yet').to.equal('unknown_destination');
    // The same line again without a date leaves the prefix to take effect when it was to.
    await cache.imported(IMPORT, [{ prefix: '3399', name: 'Paris', effective_from_ms: null }], new Map([['Paris', PARIS]]));
    expect(legsOf(cache, '33991234567')).to.equal('unknown_destination');
    cache.stop();
  });

  it('swaps a full load in whole, with the changes made here while it ran', async () => {
    const source = new FakeSource();
    const { cache } = await started(source);
    cache.applyMarketEvent(tradeMade(trade('t-old', 10_000n)));
    source.tradeRows.set('t-old', { trade: trade('t-old', 10_000n), live: true });
    source.tradeRows.set('t-db', { trade: trade('t-db', 11_000n), live: true });
    let release: () => void = () => undefined;
    source.hold = new Promise((resolve) => {
      release = resolve;
    });
    const before = cache.current();
    const reload = cache.reloadAll();
    await new Promise((resolve) => setImmediate(resolve));
    expect(source.fullLoads).to.equal(2);
    // While the load runs calls use the old data, and changes made here reach it as usual.
    cache.applyMarketEvent(tradeMade(trade('t-new', 9_000n)));
    cache.applyMarketEvent({ kind: 'trade_ended', trade_id: 't-old', buyer_id: BUYER, seller_id: SELLER, destination_id: LONDON });
    expect(cache.current()).to.equal(before);
    expect(legsOf(cache)).to.deep.equal(['t-new']);
    release();
    await reload;
    expect(cache.current()).to.not.equal(before);
    // The load read t-old as live and missed t-new; the changes made while it ran are applied to it before the swap.
    expect(legsOf(cache)).to.deep.equal(['t-new', 't-db']);
    // A reading of another node's change taken before the trade ended cannot bring it back.
    await cache.changed({ kind: 'trades', ids: ['t-old'] });
    expect(legsOf(cache)).to.deep.equal(['t-new', 't-db']);
  });

  it('answers get() at once once loaded, and routes nothing before the first load', async () => {
    const source = new FakeSource();
    const cache = new RoutingSnapshotCache(source);
    expect(legsOf(cache)).to.equal('unknown_trunk');
    void cache.reloadAll();
    const snapshot = await cache.get();
    expect(snapshot).to.equal(cache.current());
    expect(snapshot.destinations.size).to.equal(1);
  });
});
