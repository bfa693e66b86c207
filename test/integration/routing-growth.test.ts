/**
 * Routing data that grows, on two nodes over one database: node A is the whole system (Kamailio,
 * agent, API); node B is a second control plane's routing data and exchange. Each follows the
 * other's changes through NOTIFY payloads, reading just what changed; calls set up right after a
 * trade, and during and after a large destination import, are answered without waiting.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, type Db } from '../../common/db/database.ts';
import { createLogger } from '../../common/logger.ts';
import { routeCall } from '../../control/core/routing.ts';
import { Exchange } from '../../control/exchange/exchange.ts';
import { MarketSignal } from '../../control/store/market-signal.ts';
import { RoutingSnapshotCache } from '../../control/store/routing-snapshot.ts';
import { PostgresRoutingSource, type PrefixFilter, type PrefixRow } from '../../control/store/routing-source.ts';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { request } from '../support/exchange-api.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { SipProber } from '../support/sip-prober.ts';
import { eventually, startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

const BUYER_IP = '127.0.6.61';
const SELLER_IP = '127.0.6.62';
const SELLER_PORT = 5080;
const NUMBER = '3361234567';
const UNKNOWN_NUMBER = '8881234567';
const IMPORTED_PREFIXES = 200_000;

/** Counts the full loads, so a test can tell a change read by itself from a reload of everything. */
class CountingSource extends PostgresRoutingSource {
  fullLoads = 0;
  prefixReadings: string[] = [];

  override trades(ids?: readonly string[]) {
    if (ids === undefined) this.fullLoads += 1;
    return super.trades(ids);
  }

  override prefixes(filter: PrefixFilter, onRows: (rows: readonly PrefixRow[]) => void) {
    this.prefixReadings.push(Object.keys(filter)[0]!);
    return super.prefixes(filter, onRows);
  }
}

/** Polls a condition on memory until it holds. */
function until(condition: () => boolean, timeoutMs: number, what: string): Promise<true> {
  return eventually(() => Promise.resolve(condition() ? true : undefined), timeoutMs, what);
}

describe('routing data on two nodes', function () {
  this.timeout(180_000);
  let running: RunningSystem;
  let dbB: Db;
  let sourceB: CountingSource;
  let nodeB: RoutingSnapshotCache;
  let signalB: MarketSignal;
  let exchangeB: Exchange;
  let buyer: Carrier, seller: Carrier;
  let destination_id: string;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-routing-growth-'));
  const onB = (called = NUMBER) => {
    const outcome = routeCall(nodeB.current(), { source_ip: BUYER_IP, called });
    return outcome.ok ? outcome.legs.map((leg) => leg.trade.id) : outcome.reason;
  };

  before(async () => {
    running = await startTestSystem({ sip: 6462, evapi: 9862, jsonrpc: 6472, api: 9462 });
    // A connection string of its own, as a second process would have.
    dbB = connect(`${running.database.url}?application_name=node-b`, 5);
    const log = createLogger('silent');
    sourceB = new CountingSource(dbB);
    nodeB = new RoutingSnapshotCache(sourceB, log);
    signalB = new MarketSignal(dbB, (change) => nodeB.changedElsewhere(change), log);
    nodeB.setBroadcast((change) => signalB.broadcast(change));
    await signalB.start();
    await nodeB.ready;
    exchangeB = new Exchange(dbB, log);
    exchangeB.events.subscribe((event) => nodeB.applyMarketEvent(event));
    await exchangeB.start();

    buyer = await createCarrier(running, 'Growth Buyer');
    seller = await createCarrier(running, 'Growth Seller');
    await addTrunk(running, buyer, { direction: 'ingress', address: BUYER_IP });
    await addTrunk(running, seller, { direction: 'egress', address: `${SELLER_IP}:${SELLER_PORT}` });
    destination_id = await createDestination(running, 'France - Mobile', ['336']);
    await setCreditLimit(running, buyer, '100.000000');
  });

  after(async () => {
    await stopAllSipp();
    exchangeB?.stop();
    signalB?.stop();
    nodeB?.stop();
    await dbB?.$pool.end();
    await running?.stop();
  });

  it('node B follows carriers, trunks, a destination and trades made and ended on node A, without reloading', async () => {
    await until(() => onB() === 'no_trade', 5_000, 'node B to learn the trunks and the destination');
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '336', price_per_minute: '0.010000', increments: '60/60', channels: 5 });
    const bought = await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '336', price_per_minute: '0.020000', increments: '60/60', channels: 5 });
    const [trade] = bought.trades;
    expect(trade).to.not.equal(undefined);
    await until(() => JSON.stringify(onB()) === JSON.stringify([trade!.id]), 5_000, 'node B to route on the trade');

    const cancelled = await running.api('DELETE', `/v1/orders/${bought.order.id}`);
    expect(cancelled.status).to.equal(200);
    await until(() => onB() === 'no_trade', 5_000, 'node B to drop the ended trade');
    expect(sourceB.fullLoads, 'one full load, at start').to.equal(1);
  });

  it('node A follows a trade made on node B, and carries a call on it', async () => {
    const order = (side: 'buy' | 'sell', carrier_id: string, price: bigint) => exchangeB.submit({
      carrier_id, side, prefix: '336', currency: 'USD', channels: 2, price_per_minute_micros: price, first_increment_s: 60, next_increment_s: 60,
      connect_fee_micros: 0n, client_order_id: null, quality: null, valid_until_ms: null,
    }, 'node-b');
    await order('sell', seller.id, 9_000n);
    const bought = await order('buy', buyer.id, 20_000n);
    expect(bought.ok && bought.trades.length, JSON.stringify(bought, (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value))).to.equal(1);
    // Node B applied its own trade at once; node A reads it by the id in the payload.
    expect(onB()).to.have.length(1);
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER_IP, localPort: SELLER_PORT, maxRunMs: 60_000 }, workDir);
    await uas.ready;
    const carried = await eventually(async () => {
      const caller = await runSipp({
        scenario: 'uac-call-expect-200.xml', localAddress: BUYER_IP, localPort: 5070, remote: running.sipTarget, service: NUMBER,
        calls: 1, callDurationMs: 200, maxRunMs: 10_000,
      }, workDir);
      return caller.successfulCalls === 1 ? caller : undefined;
    }, 20_000, 'a call on node B’s trade through node A');
    expect(carried.successfulCalls).to.equal(1);
    expect((await uas.stop()).totalCalls).to.be.at.least(1);
  });

  it('answers call setups during and right after a large import and trades, and both nodes take the import by its id', async () => {
    const prober = await SipProber.open(BUYER_IP, running.sipTarget);
    const answers: Array<{ code: number | null; ms: number }> = [];
    let importing = true;
    try {
      // Trades go on all the while: each one used to throw the routing data away.
      const trading = (async () => {
        let made = 0;
        while (importing && made < 200) {
          await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '336', price_per_minute: '0.011000', increments: '60/60', channels: 1 });
          await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '336', price_per_minute: '0.020000', increments: '60/60', channels: 1 });
          answers.push(await prober.invite(UNKNOWN_NUMBER));
          made += 1;
        }
        return made;
      })();
      const lines = ['prefix,name'];
      for (let index = 0; index < IMPORTED_PREFIXES; index += 1) lines.push(`${77_000_000 + index},Imported ${index % 500}`);
      const imported = await request<{ prefixes_created: number }>(running, TEST_OPERATOR_TOKEN, 'POST', '/v1/destinations/import', lines.join('\n'), 'text/csv');
      // The API answered once node A had the prefixes: a call to one now finds its destination.
      const right = await prober.invite(`${77_000_000 + 12_345}4567`);
      importing = false;
      const made = await trading;
      expect(imported.status, JSON.stringify(imported.body)).to.equal(200);
      expect(imported.body.prefixes_created).to.equal(IMPORTED_PREFIXES);
      expect(right.code, 'no trade for the imported destination, rather than no destination').to.equal(503);
      expect(made).to.be.above(0);
      const codes = new Set(answers.map((answer) => answer.code));
      expect([...codes], 'every probe answered 404 within the switch’s route timeout').to.deep.equal([404]);
      await until(() => nodeB.current().destinations.size === IMPORTED_PREFIXES + 1, 30_000, 'node B to take the import');
      expect(sourceB.prefixReadings.filter((kind) => kind === 'import_id')).to.have.length(1);
      expect(sourceB.fullLoads, 'still one full load, at start').to.equal(1);
      const onImported = routeCall(nodeB.current(), { source_ip: BUYER_IP, called: `${77_000_000 + 99}4567` });
      expect(!onImported.ok && onImported.reason).to.equal('no_trade');
      expect(onB()).to.not.equal('no_trade');
      expect(destination_id).to.be.a('string');
    } finally {
      importing = false;
      prober.close();
    }
  });
});
