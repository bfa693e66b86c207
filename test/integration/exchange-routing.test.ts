/**
 * The trades route the calls, with real PostgreSQL, Kamailio and SIPp: two sellers trade with one
 * buyer for the same destination, the cheaper trade for one channel. Of two concurrent calls from
 * the buyer, the first goes to the cheaper seller; the second overflows to the other, because the
 * cheaper trade's only channel is in use. The carriers' CDR views show each other only as aliases.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { carrierClient, type CarrierClient } from '../support/exchange-api.ts';
import { addTrunk, createCarrier, createDestination, setCreditLimit, type Carrier } from '../support/market.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const BUYER_IP = '127.0.5.81';
const CHEAP_SELLER_IP = '127.0.5.82';
const OTHER_SELLER_IP = '127.0.5.83';
const SELLER_PORT = 5080;
const NUMBER = '3361234567';

interface CdrJson { call_id: string; buyer_id: string | null; seller_id: string | null; trade_id: string | null; final_sip_code: number; rated: boolean; legs: Array<Record<string, unknown>> }
interface TradeJson { id: string; counterparty: string; price_per_minute: string; channels: number }

describe('routing on the trades of two sellers', function () {
  this.timeout(90_000);
  let running: RunningSystem;
  let buyer: Carrier, cheap: Carrier, other: Carrier;
  let asBuyer: CarrierClient, asCheap: CarrierClient;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-exchange-routing-'));

  const operatorCdrs = (count: number) => eventually(async () => {
    const list = (await running.api<{ cdrs: CdrJson[] }>('GET', `/v1/cdrs?carrier_id=${buyer.id}`)).body.cdrs;
    return list.length >= count && list.every((cdr) => cdr.rated) ? list : undefined;
  }, 15_000, `${count} rated CDRs`);
  const answerer = (ip: string) => startSipp({ scenario: 'uas-answer.xml', localAddress: ip, localPort: SELLER_PORT, maxRunMs: 40_000 }, workDir);

  before(async () => {
    running = await startTestSystem({ sip: 5860, evapi: 9248, jsonrpc: 5871, api: 8880 });
    buyer = await createCarrier(running, 'Routing Buyer');
    cheap = await createCarrier(running, 'Cheap Seller');
    other = await createCarrier(running, 'Other Seller');
    await addTrunk(running, buyer, { direction: 'ingress', address: BUYER_IP });
    await addTrunk(running, cheap, { direction: 'egress', address: `${CHEAP_SELLER_IP}:${SELLER_PORT}` });
    await addTrunk(running, other, { direction: 'egress', address: `${OTHER_SELLER_IP}:${SELLER_PORT}` });
    await createDestination(running, 'France - Mobile', ['336']);
    await setCreditLimit(running, buyer, '100.000000');
    let asOther: CarrierClient;
    [asBuyer, asCheap, asOther] = await Promise.all([carrierClient(running, buyer), carrierClient(running, cheap), carrierClient(running, other)]);
    const order = (client: CarrierClient, body: object) => client<{ trades: TradeJson[] }>('POST', '/v1/orders', { prefix: '336', currency: 'USD', increments: '60/60', ...body });
    await order(asCheap, { side: 'sell', price_per_minute: '0.010000', channels: 1 });
    await order(asOther, { side: 'sell', price_per_minute: '0.012000', channels: 10 });
    const bought = await order(asBuyer, { side: 'buy', price_per_minute: '0.020000', channels: 5 });
    // Cheapest first: 1 channel from the cheap seller, the other 4 from the other seller.
    expect(bought.body.trades.map((trade) => [trade.price_per_minute, trade.channels])).to.deep.equal([['0.010000', 1], ['0.012000', 4]]);
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('sends the first call to the cheaper seller and overflows the second to the other', async () => {
    const cheapUas = answerer(CHEAP_SELLER_IP);
    const otherUas = answerer(OTHER_SELLER_IP);
    await Promise.all([cheapUas.ready, otherUas.ready]);
    // Two calls 100 ms apart, each held for 3 s: both are up at the same time.
    const callers = await runSipp({
      scenario: 'uac-call-expect-200.xml', localAddress: BUYER_IP, localPort: 5070, remote: running.sipTarget, service: NUMBER,
      calls: 2, ratePerSecond: 10, callDurationMs: 3000, maxRunMs: 30_000,
    }, workDir);
    expect(callers.successfulCalls, callers.stderr).to.equal(2);
    const [cheapResult, otherResult] = await Promise.all([cheapUas.stop(), otherUas.stop()]);
    expect([cheapResult.totalCalls, otherResult.totalCalls], 'one call reached each seller').to.deep.equal([1, 1]);

    const cdrs = await operatorCdrs(2);
    expect(cdrs.map((cdr) => cdr.seller_id).sort()).to.deep.equal([cheap.id, other.id].sort());
    for (const cdr of cdrs) {
      // Neither call tried a seller it did not reach: the full trade was skipped, not tried.
      expect(cdr.legs.map((leg) => [leg['seller_id'], leg['sip_code']])).to.deep.equal([[cdr.seller_id, 200]]);
    }
  });

  it('sends a call to the cheaper seller again once its channel is free', async () => {
    const cheapUas = answerer(CHEAP_SELLER_IP);
    await cheapUas.ready;
    const caller = await runSipp({
      scenario: 'uac-call-expect-200.xml', localAddress: BUYER_IP, localPort: 5070, remote: running.sipTarget, service: NUMBER,
      calls: 1, callDurationMs: 500, maxRunMs: 20_000,
    }, workDir);
    expect(caller.successfulCalls, caller.stderr).to.equal(1);
    expect((await cheapUas.stop()).totalCalls).to.equal(1);
    const cdrs = await operatorCdrs(3);
    expect(cdrs.filter((cdr) => cdr.seller_id === cheap.id)).to.have.length(2);
  });

  it("shows the buyer its sellers, and a seller its buyer, only as the trade's alias", async () => {
    const trades = (await asBuyer<{ trades: TradeJson[] }>('GET', '/v1/trades')).body.trades;
    const aliasOfTrade = new Map(trades.map((trade) => [trade.id, trade.counterparty]));
    const buyerView = await asBuyer<{ cdrs: CdrJson[] }>('GET', '/v1/cdrs');
    expect(buyerView.body.cdrs).to.have.length(3);
    for (const cdr of buyerView.body.cdrs) {
      expect(cdr.buyer_id).to.equal(buyer.id);
      expect(cdr.seller_id, 'the alias of the trade the call used').to.equal(aliasOfTrade.get(cdr.trade_id!));
      expect(cdr.legs.map((leg) => Object.keys(leg).sort())).to.deep.equal([['seller_id', 'sip_code', 'trade_id']]);
    }
    for (const hidden of [cheap.id, other.id, 'Cheap Seller', 'Other Seller']) expect(buyerView.text).to.not.include(hidden);

    const sellerView = await asCheap<{ cdrs: CdrJson[] }>('GET', '/v1/cdrs');
    expect(sellerView.body.cdrs.map((cdr) => cdr.seller_id)).to.deep.equal([cheap.id, cheap.id]);
    expect(sellerView.text).to.not.include(buyer.id);
    expect(sellerView.body.cdrs[0]!.buyer_id).to.match(/^cp_/);
  });
});
