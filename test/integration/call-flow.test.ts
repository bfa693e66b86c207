/**
 * The walking skeleton end to end, with real PostgreSQL, Kamailio and SIPp: a buyer's trunk calls
 * through the switch to a seller's trunk on a trade, and the CDR and the ledger show exactly what
 * the hand-computed rating says.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rateAndPostCdr } from '../../billing/cdr-posting.ts';
import { startSipp, runSipp, stopAllSipp } from '../../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const BUYER_IP = '127.0.0.21';
const SELLER_A_IP = '127.0.0.22';
const SELLER_B_IP = '127.0.0.23';
const UNKNOWN_IP = '127.0.0.29';
const SELLER_PORT = 5080;
const NUMBER = '442079460000';
/** Exchange fee on top of the trade price, per minute. */
const FEE = '0.001200';

interface CdrJson {
  call_id: string; seller_id: string | null; final_sip_code: number; final_reason: string; legs: Array<{ seller_id: string; sip_code: number }>;
  billed_s: number | null; buyer_amount: string | null; seller_amount: string | null; fee_amount: string | null; posted: boolean; rated: boolean;
  duration_ms: number; ended_by: string;
}
type Balances = { balances: Array<{ account: string; currency: string; balance: string }> };

describe('a call through the switch, from trade to ledger', function () {
  this.timeout(60_000);
  let running: RunningSystem;
  let buyer: Carrier;
  let sellerA: Carrier;
  let sellerB: Carrier;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-sipp-'));

  const cdrs = async () => (await running.api<{ cdrs: CdrJson[] }>('GET', '/v1/cdrs?limit=100')).body.cdrs;
  const balance = async (carrier: Carrier, account: string) => {
    const { body } = await running.api<Balances>('GET', `/v1/carriers/${carrier.id}/balances`);
    // The operators' view of every carrier's balances at once says the same.
    const all = await running.api<{ carriers: Array<{ carrier_id: string; balances: Balances['balances'] }> }>('GET', '/v1/ledger/balances');
    expect(all.body.carriers.find((entry) => entry.carrier_id === carrier.id)?.balances ?? []).to.deep.equal(body.balances);
    return body.balances.find((row) => row.account === account)?.balance ?? '0.000000';
  };
  const waitForCdr = (count: number) => eventually(async () => {
    const list = await cdrs();
    return list.length >= count && list.every((cdr) => cdr.rated) ? list : undefined;
  }, 10_000, `${count} rated CDRs`);
  const seller = (scenario: string, ip: string) => startSipp({ scenario, localAddress: ip, localPort: SELLER_PORT, maxRunMs: 30_000 }, workDir);
  const call = (scenario: string, from = BUYER_IP, callDurationMs = 3000) =>
    runSipp({ scenario, localAddress: from, localPort: 5070, remote: running.sipTarget, service: NUMBER, calls: 1, callDurationMs, maxRunMs: 20_000 }, workDir);

  before(async () => {
    running = await startTestSystem({ sip: 5460, evapi: 8848, jsonrpc: 5471, api: 8480 }, { MINUTEX_EXCHANGE_FEE_PER_MINUTE: FEE });
    buyer = await createCarrier(running, 'Buyer Telecom');
    sellerA = await createCarrier(running, 'Seller A');
    sellerB = await createCarrier(running, 'Seller B');
    await addTrunk(running, buyer, { direction: 'ingress', address: BUYER_IP });
    await addTrunk(running, sellerA, { direction: 'egress', address: `${SELLER_A_IP}:${SELLER_PORT}` });
    await addTrunk(running, sellerB, { direction: 'egress', address: `${SELLER_B_IP}:${SELLER_PORT}` });
    await createDestination(running, 'United Kingdom - London', ['4420']);
    await setCreditLimit(running, buyer, '100.000000');
    // Seller A is cheaper, so it is tried first; both bill 30/6 with a 0.005 connect fee.
    await placeOrder(running, { carrier_id: sellerA.id, side: 'sell', prefix: '4420', price_per_minute: '0.012000', increments: '30/6', connect_fee: '0.005000', channels: 10 });
    await placeOrder(running, { carrier_id: sellerB.id, side: 'sell', prefix: '4420', price_per_minute: '0.013000', increments: '30/6', connect_fee: '0.005000', channels: 10 });
    const { trades } = await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '4420', price_per_minute: '0.015000', increments: '60/60', connect_fee: '0.010000', channels: 20 });
    expect(trades.map((trade) => trade.price_per_minute)).to.deep.equal(['0.012000', '0.013000']);
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('carries an answered call and posts exactly the hand-computed amounts', async () => {
    const uas = seller('uas-answer.xml', SELLER_A_IP);
    await uas.ready;
    const result = await call('uac-call-expect-200.xml');
    expect(result.successfulCalls, result.stderr).to.equal(1);
    await uas.stop();
    const [cdr] = await waitForCdr(1);
    // A 3 s call on 30/6 bills the first 30 s increment in full:
    //   seller = 0.005000 connect + 0.012000 × 30 / 60 = 0.005000 + 0.006000 = 0.011000
    //   fee    = 0.001200 × 30 / 60 = 0.000600;  buyer = 0.011000 + 0.000600 = 0.011600
    expect(cdr).to.include({ final_sip_code: 200, seller_id: sellerA.id, billed_s: 30, seller_amount: '0.011000', fee_amount: '0.000600', buyer_amount: '0.011600', posted: true, ended_by: 'caller' });
    expect(cdr!.duration_ms).to.be.within(2900, 4000);
    expect(await balance(buyer, 'receivable')).to.equal('0.011600');
    expect(await balance(sellerA, 'payable')).to.equal('-0.011000');
    const trial = await running.api<{ balanced: boolean; totals: Array<{ total: string }> }>('GET', '/v1/ledger/trial-balance');
    expect(trial.body.balanced).to.equal(true);
    expect(trial.body.totals.map((total) => total.total)).to.deep.equal(['0.000000']);
  });

  it('fails over from a seller answering 503 to the next one, and the CDR records both attempts', async () => {
    const unavailable = seller('uas-unavailable-503.xml', SELLER_A_IP);
    const answering = seller('uas-answer.xml', SELLER_B_IP);
    await Promise.all([unavailable.ready, answering.ready]);
    const result = await call('uac-call-expect-200.xml', BUYER_IP, 1000);
    expect(result.successfulCalls, result.stderr).to.equal(1);
    await Promise.all([unavailable.stop(), answering.stop()]);
    const [cdr] = await waitForCdr(2);
    expect(cdr!.seller_id).to.equal(sellerB.id);
    expect(cdr!.legs.map((leg) => [leg.seller_id, leg.sip_code])).to.deep.equal([[sellerA.id, 503], [sellerB.id, 200]]);
    // 1 s on 30/6 at 0.013000 plus the 0.005 connect fee: 0.005 + 0.013 × 30 / 60 = 0.011500.
    expect(cdr).to.include({ seller_amount: '0.011500', buyer_amount: '0.012100' });
  });

  it('does not fail over on 486: the buyer gets the busy signal', async () => {
    const busy = seller('uas-busy-486.xml', SELLER_A_IP);
    const answering = seller('uas-answer.xml', SELLER_B_IP);
    await Promise.all([busy.ready, answering.ready]);
    const result = await call('uac-call-expect-486.xml');
    expect(result.successfulCalls, result.stderr).to.equal(1);
    const [busyResult, answeringResult] = await Promise.all([busy.stop(), answering.stop()]);
    expect(busyResult.totalCalls).to.equal(1);
    expect(answeringResult.totalCalls, 'seller B must never see the INVITE').to.equal(0);
    const [cdr] = await waitForCdr(3);
    expect(cdr).to.include({ final_sip_code: 486, seller_id: null, buyer_amount: null, posted: false });
    expect(cdr!.legs.map((leg) => leg.sip_code)).to.deep.equal([486]);
  });

  it('refuses an unknown source address with 403 and a Reason header, billing and writing nothing', async () => {
    const before = await balance(buyer, 'receivable');
    const result = await call('uac-call-expect-403.xml', UNKNOWN_IP);
    expect(result.successfulCalls, result.stderr).to.equal(1);
    // The switch refuses it itself (minutex-edge.cfg): no call row, no CDR.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await cdrs()).to.have.length(3);
    expect(await balance(buyer, 'receivable')).to.equal(before);
  });

  it('posts the same CDR only once, whatever is replayed', async () => {
    const [answered] = (await cdrs()).filter((cdr) => cdr.final_sip_code === 200);
    const before = [await balance(buyer, 'receivable'), await balance(sellerA, 'payable'), await balance(sellerB, 'payable')];
    const replay = await rateAndPostCdr(running.system.db, running.system.ledger, answered!.call_id);
    expect(replay.outcome).to.equal('already_posted');
    expect([await balance(buyer, 'receivable'), await balance(sellerA, 'payable'), await balance(sellerB, 'payable')]).to.deep.equal(before);
  });

  it('answers 503 at once when no control plane is connected (fail closed)', async () => {
    await running.system.disconnectSwitch();
    try {
      const started = Date.now();
      const result = await call('uac-call-expect-503.xml');
      expect(result.successfulCalls, result.stderr).to.equal(1);
      expect(Date.now() - started).to.be.below(5000);
    } finally {
      await running.system.reconnectSwitch();
    }
  });
});
