/**
 * Credit control end to end, with real PostgreSQL, Kamailio and SIPp: blocking at setup, cutting
 * calls at the last reserved moment with a BYE to both sides, one pool for concurrent calls, and
 * channel and call-rate limits.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDecimalToMicros } from '../../common/money.ts';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { eventually, startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

const NUMBER = '33140000000';
const SELLER_PORT = 5080;

interface CdrJson {
  call_id: string; buyer_id: string | null; final_sip_code: number; final_reason: string; duration_ms: number; ended_by: string;
  billed_s: number | null; buyer_amount: string | null; rated: boolean; seller_id: string | null;
}
interface CreditJson { limit: string; balance: string; reserved: string; available: string }

describe('real-time credit control through the switch', function () {
  this.timeout(120_000);
  let running: RunningSystem;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-credit-'));

  const cdrsOf = async (carrier: Carrier) => (await running.api<{ cdrs: CdrJson[] }>('GET', `/v1/cdrs?carrier_id=${carrier.id}&limit=1000`)).body.cdrs.filter((cdr) => cdr.buyer_id === carrier.id);
  const creditOf = async (carrier: Carrier) => (await running.api<CreditJson>('GET', `/v1/carriers/${carrier.id}/credit?currency=EUR`)).body;
  const ratedCdrs = (carrier: Carrier, count: number) => eventually(async () => {
    const list = await cdrsOf(carrier);
    return list.length >= count && list.every((cdr) => cdr.rated) ? list : undefined;
  }, 20_000, `${count} rated CDRs`);

  /** A buyer on its own loopback address with a trade at 0.012000 EUR/min on 1/1 billing. */
  async function buyerWithTrade(name: string, address: string, trunk: { channels?: number; cps?: number } = {}): Promise<Carrier> {
    const buyer = await createCarrier(running, name);
    await addTrunk(running, buyer, { direction: 'ingress', address, ...trunk });
    await setCreditLimit(running, buyer, '0.000001', 'EUR');
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '33', price_per_minute: '0.015000', currency: 'EUR', increments: '60/60', connect_fee: '0', channels: 50 });
    return buyer;
  }

  before(async () => {
    running = await startTestSystem({ sip: 5560, evapi: 8948, jsonrpc: 5571, api: 8580 }, { MINUTEX_CREDIT_CHUNK_S: '10' });
    const seller = await createCarrier(running, 'Paris Termination');
    await addTrunk(running, seller, { direction: 'egress', address: `127.0.0.42:${SELLER_PORT}`, channels: 200 });
    await createDestination(running, 'France', ['33']);
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '33', price_per_minute: '0.012000', currency: 'EUR', increments: '1/1', channels: 1000 });
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('cuts a call at its last reserved moment with a BYE to both sides, then blocks the next at setup', async () => {
    const buyer = await buyerWithTrade('Five Seconds Ltd', '127.0.0.41');
    // 0.001600 EUR at 0.012000/min on 1/1 covers exactly 8 s (0.012 × 8 / 60 = 0.0016); the switch's
    // 3 s slack leaves a planned end of 5 s after the answer.
    await setCreditLimit(running, buyer, '0.001600', 'EUR');
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: '127.0.0.42', localPort: SELLER_PORT, maxRunMs: 30_000 }, workDir);
    await uas.ready;
    const caller = await runSipp({ scenario: 'uac-call-hold-until-bye.xml', localAddress: '127.0.0.41', localPort: 5070, remote: running.sipTarget, service: NUMBER, calls: 1, maxRunMs: 20_000 }, workDir);
    const seller = await uas.stop();
    expect(caller.successfulCalls, caller.stderr).to.equal(1);
    expect(caller.receivedByeCallIds, 'the buyer got a BYE').to.have.length(1);
    expect(seller.receivedByeCallIds, 'the seller got a BYE').to.have.length(1);

    const [cdr] = await ratedCdrs(buyer, 1);
    expect(cdr).to.include({ final_sip_code: 200, ended_by: 'switch', final_reason: 'cutoff: insufficient credit' });
    expect(cdr!.duration_ms).to.be.within(4900, 6000);
    // The NOC's Grafana sees it: one cutoff counted.
    const metrics = await (await fetch(`${running.system.apiUrl}/metrics`, { headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` } })).text();
    expect(metrics).to.match(/^minutex_credit_cutoffs_total 1$/m);
    // Charged exactly for the time it ran, on 1/1: ceil(duration) seconds at 0.012000/min, rounded up.
    const billed_s = Math.ceil(cdr!.duration_ms / 1000);
    expect(cdr!.billed_s).to.equal(billed_s);
    expect(parseDecimalToMicros(cdr!.buyer_amount!)).to.equal((12_000n * BigInt(billed_s) + 59n) / 60n);
    const credit = await creditOf(buyer);
    expect(parseDecimalToMicros(credit.available) >= 0n, `available ${credit.available}`).to.equal(true);
    expect(credit.reserved).to.equal('0.000000');

    const blockedSeller = startSipp({ scenario: 'uas-answer.xml', localAddress: '127.0.0.42', localPort: SELLER_PORT, maxRunMs: 15_000 }, workDir);
    await blockedSeller.ready;
    const blocked = await runSipp({ scenario: 'uac-call-expect-402.xml', localAddress: '127.0.0.41', localPort: 5070, remote: running.sipTarget, service: NUMBER, calls: 1, maxRunMs: 10_000 }, workDir);
    expect(blocked.successfulCalls, blocked.stderr).to.equal(1);
    expect((await blockedSeller.stop()).totalCalls, 'no seller may see the INVITE').to.equal(0);
    const [refused] = await ratedCdrs(buyer, 2);
    expect(refused).to.include({ final_sip_code: 402, final_reason: 'rejected: insufficient credit' });
  });

  it('draws twenty concurrent calls from one pool and never charges past it, to the micro-unit', async () => {
    const buyer = await buyerWithTrade('Twenty Calls SA', '127.0.0.43', { channels: 50, cps: 100 });
    const pool = '0.008000';
    await setCreditLimit(running, buyer, pool, 'EUR');
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: '127.0.0.42', localPort: SELLER_PORT, maxRunMs: 60_000 }, workDir);
    await uas.ready;
    const callers = await runSipp({
      scenario: 'uac-call-hold-until-bye.xml', localAddress: '127.0.0.43', localPort: 5070, remote: running.sipTarget, service: NUMBER,
      calls: 20, ratePerSecond: 20, concurrentLimit: 20, maxRunMs: 45_000,
    }, workDir);
    await uas.stop();
    const cdrs = await ratedCdrs(buyer, 20);
    const charged = cdrs.reduce((sum, cdr) => sum + (cdr.buyer_amount === null ? 0n : parseDecimalToMicros(cdr.buyer_amount)), 0n);
    expect(charged <= parseDecimalToMicros(pool), `charged ${charged} of a pool of ${pool}`).to.equal(true);
    const answered = cdrs.filter((cdr) => cdr.final_sip_code === 200);
    const refused = cdrs.filter((cdr) => cdr.final_sip_code === 402);
    expect(answered.length, 'some calls are carried').to.be.greaterThan(0);
    expect(refused.length, 'some calls are refused for credit').to.be.greaterThan(0);
    expect(answered.length + refused.length).to.equal(20);
    expect(answered.every((cdr) => cdr.final_reason === 'cutoff: insufficient credit')).to.equal(true);
    expect(callers.receivedByeCallIds.length).to.equal(answered.length);
    const credit = await creditOf(buyer);
    expect(credit.reserved).to.equal('0.000000');
    expect(parseDecimalToMicros(credit.available) >= 0n, `available ${credit.available}`).to.equal(true);
  });

  it('refuses a call over the ingress trunk’s channel limit with 503 and a reason', async () => {
    const buyer = await buyerWithTrade('Two Channels Inc', '127.0.0.44', { channels: 2, cps: 100 });
    await setCreditLimit(running, buyer, '10.000000', 'EUR');
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: '127.0.0.42', localPort: SELLER_PORT, maxRunMs: 30_000 }, workDir);
    await uas.ready;
    const holding = runSipp({ scenario: 'uac-call-expect-200.xml', localAddress: '127.0.0.44', localPort: 5070, remote: running.sipTarget, service: NUMBER, calls: 2, ratePerSecond: 10, callDurationMs: 4000, maxRunMs: 20_000 }, workDir);
    await eventually(() => Promise.resolve(running.system.calls.liveCalls().filter((call) => call.buyer_id === buyer.id && call.state === 'answered').length === 2 ? true : undefined), 5000, 'two answered calls');
    const third = await runSipp({ scenario: 'uac-call-expect-503.xml', localAddress: '127.0.0.44', localPort: 5071, remote: running.sipTarget, service: NUMBER, calls: 1, maxRunMs: 10_000 }, workDir);
    expect(third.successfulCalls, third.stderr).to.equal(1);
    expect((await holding).successfulCalls).to.equal(2);
    await uas.stop();
    const cdrs = await ratedCdrs(buyer, 3);
    expect(cdrs.find((cdr) => cdr.final_sip_code === 503)?.final_reason).to.equal('rejected: channel limit reached');
  });

  it('refuses calls past the ingress trunk’s calls-per-second limit with 503 and a reason', async () => {
    const buyer = await buyerWithTrade('One Per Second Ltd', '127.0.0.45', { channels: 50, cps: 1 });
    await setCreditLimit(running, buyer, '10.000000', 'EUR');
    await createDestination(running, 'Italy', ['39']);
    // Three setups within a few milliseconds to a destination nobody sells: the first is counted
    // and refused for having no trade, the two after it for the call rate.
    const burst = await runSipp({ scenario: 'uac-call-expect-503.xml', localAddress: '127.0.0.45', localPort: 5070, remote: running.sipTarget, service: '390612345678', calls: 3, ratePerSecond: 100, maxRunMs: 10_000 }, workDir);
    expect(burst.successfulCalls, burst.stderr).to.equal(3);
    const reasons = (await ratedCdrs(buyer, 3)).map((cdr) => cdr.final_reason).sort();
    expect(reasons).to.deep.equal(['rejected: call rate limit exceeded', 'rejected: call rate limit exceeded', 'rejected: no trade for destination']);
  });

  it('keeps one buyer within its pool when two switch nodes carry its calls at once', async () => {
    // A second node: its own Kamailio and control plane, on the same PostgreSQL.
    const second = await startTestSystem({ sip: 5565, evapi: 8953, jsonrpc: 5576, api: 8585 }, { MINUTEX_CREDIT_CHUNK_S: '10' }, { database: running.database });
    try {
      const buyer = await buyerWithTrade('Two Nodes GmbH', '127.0.0.46', { channels: 50, cps: 100 });
      // Ten first chunks of 10 s (0.002 each at 0.012/min) for twenty calls: half of them are refused.
      const pool = '0.020000';
      await setCreditLimit(running, buyer, pool, 'EUR');
      const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: '127.0.0.42', localPort: SELLER_PORT, maxRunMs: 60_000 }, workDir);
      await uas.ready;
      const calls = (target: string, localPort: number) => runSipp({
        scenario: 'uac-call-hold-until-bye.xml', localAddress: '127.0.0.46', localPort, remote: target, service: NUMBER,
        calls: 10, ratePerSecond: 20, concurrentLimit: 10, maxRunMs: 45_000,
      }, workDir);
      const [first, other] = await Promise.all([calls(running.sipTarget, 5070), calls(second.sipTarget, 5071)]);
      await uas.stop();
      const cdrs = await ratedCdrs(buyer, 20);
      const charged = cdrs.reduce((sum, cdr) => sum + (cdr.buyer_amount === null ? 0n : parseDecimalToMicros(cdr.buyer_amount)), 0n);
      expect(charged <= parseDecimalToMicros(pool), `charged ${charged} of a pool of ${pool}`).to.equal(true);
      expect(first.receivedByeCallIds.length + other.receivedByeCallIds.length).to.equal(cdrs.filter((cdr) => cdr.final_sip_code === 200).length);
      expect(first.successfulCalls, 'node A carried calls').to.be.greaterThan(0);
      expect(other.successfulCalls, 'node B carried calls').to.be.greaterThan(0);
      const credit = await creditOf(buyer);
      expect(credit.reserved).to.equal('0.000000');
    } finally {
      await second.stop();
    }
  });
});
