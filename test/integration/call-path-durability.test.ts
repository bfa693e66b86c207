/**
 * The call path when PostgreSQL stalls, with real PostgreSQL, Kamailio and SIPp: another session
 * locks the hot tables for 3 s while a buyer sends 100 calls/s. Calls in that window are carried
 * (credit comes from the node's lease in memory) or refused with 503; afterwards nothing leaks:
 * every INVITE got a final answer, every call has exactly one CDR, no reservation or lease holds
 * money beyond live calls, and the channel counts are back to zero.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const NUMBER = '35120000000';
const SELLER = { address: '127.0.0.62', port: 5080 };
const BUYER_ADDRESS = '127.0.0.61';
const CALLS = 400;

describe('the call path while PostgreSQL stalls', function () {
  this.timeout(180_000);
  let running: RunningSystem;
  let buyer: Carrier;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-durability-'));

  before(async () => {
    running = await startTestSystem({ sip: 6860, evapi: 10260, jsonrpc: 6871, api: 9860 });
    const seller = await createCarrier(running, 'Lisbon Termination');
    await addTrunk(running, seller, { direction: 'egress', address: `${SELLER.address}:${SELLER.port}`, channels: 500 });
    await createDestination(running, 'Portugal', ['351']);
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '351', price_per_minute: '0.010000', currency: 'EUR', increments: '1/1', channels: 500 });
    buyer = await createCarrier(running, 'Steady Caller SA');
    await addTrunk(running, buyer, { direction: 'ingress', address: BUYER_ADDRESS, channels: 150, cps: 500 });
    await setCreditLimit(running, buyer, '100.000000', 'EUR');
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '351', price_per_minute: '0.020000', currency: 'EUR', increments: '60/60', connect_fee: '0', channels: 500 });
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('carries or refuses every call, and leaks nothing once the database is back', async () => {
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: 90_000 }, workDir);
    await uas.ready;
    const traffic = runSipp({
      scenario: 'uac-call-expect-200-or-503.xml', localAddress: BUYER_ADDRESS, localPort: 5070, remote: running.sipTarget, service: NUMBER,
      calls: CALLS, ratePerSecond: 100, callDurationMs: 1000, concurrentLimit: 300, maxRunMs: 60_000,
    }, workDir);
    // One second into the traffic, another session holds every hot table for 3 s.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await running.database.db.tx(async (t) => {
      await t.none('lock table credit_accounts, credit_leases, credit_reservations, calls, cdrs in access exclusive mode');
      await t.any('select pg_sleep(3)');
    });
    const callers = await traffic;
    await uas.stop();
    expect(callers.totalCalls, callers.stderr).to.equal(CALLS);
    expect(callers.successfulCalls, `every INVITE ended with a final answer: ${callers.stderr}`).to.equal(CALLS);
    const refusals = callers.rejections.map((rejection) => rejection.reasonHeader);
    const carried = CALLS - refusals.length;
    expect(carried, 'most calls are carried from the lease while the database stalls').to.be.greaterThan(CALLS / 2);
    for (const header of refusals) expect(header, 'a refusal says why').to.match(/^(X-)?Reason: .*(control plane|channel limit)/i);

    // Calls the switch lost (a decision too late) are ended by the sweep after a grace period.
    await new Promise((resolve) => setTimeout(resolve, 5500));
    await running.system.heal();
    await eventually(() => Promise.resolve(running.system.calls.liveCalls().length === 0 ? true : undefined), 20_000, 'no live calls');
    const counts = running.system.calls.channelCounts();
    for (const map of [counts.byIngressTrunk, counts.byEgressTrunk, counts.byTrade]) {
      for (const [id, count] of map) expect(count, `channels of ${id}`).to.equal(0);
    }
    const db = running.database.db;
    await eventually(async () => {
      const { unrated } = await db.one<{ unrated: number }>('select count(*)::int as unrated from cdrs where buyer_id = $1 and rated_at is null', [buyer.id]);
      return unrated === 0 ? true : undefined;
    }, 30_000, 'every CDR rated');
    const { cdrs, distinct } = await db.one<{ cdrs: number; distinct: number }>(
      'select count(*)::int as cdrs, count(distinct call_id)::int as distinct from cdrs where buyer_id = $1', [buyer.id]);
    expect(cdrs, 'one CDR per INVITE').to.equal(CALLS);
    expect(distinct).to.equal(CALLS);
    const answered = await db.one<{ n: number }>('select count(*)::int as n from cdrs where buyer_id = $1 and final_sip_code = 200', [buyer.id]);
    expect(answered.n, 'every carried call is billed').to.equal(carried);
    const open = await db.one<{ n: number }>(`select count(*)::int as n from credit_reservations where carrier_id = $1 and state in ('pending', 'extended')`, [buyer.id]);
    expect(open.n, 'no reservation outstanding').to.equal(0);
    expect(running.system.credit.callsWithCredit(), 'no credit held in memory').to.deep.equal([]);
    expect(await db.any('select * from credit_overdrawn()')).to.deep.equal([]);
    expect(await db.any('select * from credit_leased_mismatches()')).to.deep.equal([]);
    expect(await db.any('select * from credit_reserved_mismatches()')).to.deep.equal([]);
    expect(await db.any('select * from credit_balance_mismatches()')).to.deep.equal([]);
  });
});
