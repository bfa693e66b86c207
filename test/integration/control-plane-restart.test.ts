/**
 * The control plane dies and comes back while the switch carries calls: new calls are refused at
 * once, calls up end by the switch's own timer inside what was reserved, and the restarted
 * control plane reconciles with the switch and PostgreSQL so that every reservation ends settled
 * and every call has exactly one CDR. Real PostgreSQL, Kamailio and SIPp.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDecimalToMicros } from '../../common/money.ts';
import { runSipp, startSipp, stopAllSipp, type SippProcess } from '../../sipp/runner.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { startStandaloneSwitch, type StandaloneSwitch } from '../support/switch.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 6360, evapi: 9748, jsonrpc: 6371, api: 9380 };
const ENV = { MINUTEX_EXTERNAL_SWITCH: 'true', MINUTEX_CREDIT_CHUNK_S: '10' };
const SELLER = { address: '127.0.0.82', port: 5080 };
const NUMBER = '4319876543';

describe('the control plane killed and restarted during calls', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let kamailio: StandaloneSwitch;
  let running: RunningSystem | undefined;
  let seller: SippProcess;
  let buyer: Carrier;
  let patientBuyer: Carrier;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-restart-'));
  const start = async () => {
    running = await startTestSystem(PORTS, ENV, { database });
    await running.system.reconciled;
    return running;
  };
  const stop = async () => {
    await running?.stop();
    running = undefined;
  };
  const cdrsOf = (carrier: Carrier) => database.db.any<{ call_id: string; final_sip_code: number; final_reason: string; buyer_amount_micros: bigint | null; rated_at: Date | null; duration_ms: bigint }>(
    'select call_id, final_sip_code, final_reason, buyer_amount_micros, rated_at, duration_ms from cdrs where buyer_id = $1', [carrier.id]);

  before(async () => {
    database = await createTestDatabase();
    kamailio = startStandaloneSwitch(PORTS, database.url);
    const first = await start();
    const sellerCarrier = await createCarrier(first, 'Vienna Termination');
    await addTrunk(first, sellerCarrier, { direction: 'egress', address: `${SELLER.address}:${SELLER.port}` });
    await createDestination(first, 'Austria Vienna', ['431']);
    await placeOrder(first, { carrier_id: sellerCarrier.id, side: 'sell', prefix: '431', price_per_minute: '0.012000', increments: '1/1', channels: 100 });
    buyer = await createCarrier(first, 'Steady Buyer');
    await addTrunk(first, buyer, { direction: 'ingress', address: '127.0.0.81' });
    await setCreditLimit(first, buyer, '10.000000');
    await placeOrder(first, { carrier_id: buyer.id, side: 'buy', prefix: '431', price_per_minute: '0.020000', increments: '60/60', channels: 50 });
    patientBuyer = await createCarrier(first, 'Patient Buyer');
    await addTrunk(first, patientBuyer, { direction: 'ingress', address: '127.0.0.83' });
    // 0.003800 at 0.012/min covers 19 s: a first chunk of 10 s, then 9 s more, minus 3 s of slack.
    await setCreditLimit(first, patientBuyer, '0.003800');
    await placeOrder(first, { carrier_id: patientBuyer.id, side: 'buy', prefix: '431', price_per_minute: '0.020000', increments: '60/60', channels: 50 });
    seller = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: 110_000 }, workDir);
    await seller.ready;
  });

  after(async () => {
    await stopAllSipp();
    await stop();
    await kamailio?.stop();
    await database?.drop();
  });

  it('refuses new calls at once while it is down, ends calls up by the switch timer, and bills them once after restart', async () => {
    const callers = runSipp({ scenario: 'uac-call-hold-until-bye.xml', localAddress: '127.0.0.81', localPort: 5070, remote: `127.0.0.1:${PORTS.sip}`, service: NUMBER, calls: 3, ratePerSecond: 10, maxRunMs: 40_000 }, workDir);
    await eventually(() => Promise.resolve(running!.system.calls.liveCalls().filter((call) => call.state === 'answered').length === 3 ? true : undefined), 10_000, 'three answered calls');
    await stop();

    const refused = await runSipp({ scenario: 'uac-call-expect-503.xml', localAddress: '127.0.0.81', localPort: 5071, remote: `127.0.0.1:${PORTS.sip}`, service: NUMBER, calls: 1, maxRunMs: 10_000 }, workDir);
    expect(refused.successfulCalls, refused.stderr).to.equal(1);
    expect(refused.rejections[0]?.reasonHeader ?? '').to.match(/control plane unavailable/);

    // The switch's timer ends the calls, a little after the planned end the control plane last set.
    const held = await callers;
    expect(held.receivedByeCallIds, 'every buyer leg got its BYE from the switch').to.have.length(3);

    const restarted = await start();
    const report = await restarted.system.reconciled;
    expect(report?.ended_while_away).to.equal(3);
    const cdrs = await eventually(async () => {
      const list = await cdrsOf(buyer);
      return list.length === 3 && list.every((cdr) => cdr.rated_at !== null) ? list : undefined;
    }, 15_000, 'three rated CDRs');
    const reservations = await database.db.any<{ call_id: string; state: string; charged_micros: bigint | null; amount_micros: bigint; planned_end_ms: bigint }>(
      'select call_id, state, charged_micros, amount_micros, planned_end_ms from credit_reservations where carrier_id = $1', [buyer.id]);
    for (const cdr of cdrs) {
      expect(cdr.final_sip_code).to.equal(200);
      expect(cdr.final_reason).to.equal('ended by the switch while the control plane was away');
      // Ended by the switch's own timer after the planned end the control plane had last set, and
      // within the 3 s of slack the reservation paid for.
      const planned_end_ms = Number(reservations.find((reservation) => reservation.call_id === cdr.call_id)!.planned_end_ms);
      expect(Number(cdr.duration_ms)).to.be.within(planned_end_ms, planned_end_ms + 3000);
    }
    expect(reservations.map((reservation) => reservation.state)).to.deep.equal(['posted', 'posted', 'posted']);
    for (const reservation of reservations) expect(reservation.charged_micros! <= reservation.amount_micros, 'charged within the reservation').to.equal(true);
    const mismatches = await database.db.any('select * from credit_reserved_mismatches()');
    expect(mismatches).to.deep.equal([]);
  });

  it('resumes credit control of a call that is still up when it comes back, and cuts it at its last reserved moment', async () => {
    const caller = runSipp({ scenario: 'uac-call-hold-until-bye.xml', localAddress: '127.0.0.83', localPort: 5072, remote: `127.0.0.1:${PORTS.sip}`, service: NUMBER, calls: 1, maxRunMs: 60_000 }, workDir);
    await eventually(() => Promise.resolve(running!.system.calls.liveCalls().some((call) => call.buyer_id === patientBuyer.id && call.state === 'answered') ? true : undefined), 10_000, 'the call answered');
    // Its first extension (due at once: the 10 s lead is a whole chunk) takes all that is left, and
    // is written before the control plane goes: the switch's timer now allows 16 s plus the slack,
    // so the restart has time to take the call back before that timer could end it.
    await eventually(async () => (await database.db.oneOrNone(
      `select 1 from credit_reservations r join calls c using (call_id) where c.buyer_id = $1 and r.state = 'extended'`, [patientBuyer.id])) ?? undefined, 10_000, 'the extension written');
    await stop();
    const restarted = await start();
    expect((await restarted.system.reconciled)?.resumed).to.equal(1);
    const result = await caller;
    expect(result.receivedByeCallIds).to.have.length(1);
    const [cdr] = await eventually(async () => {
      const list = await cdrsOf(patientBuyer);
      return list.length === 1 && list[0]!.rated_at !== null ? list : undefined;
    }, 15_000, 'the rated CDR');
    expect(cdr!.final_reason).to.equal('cutoff: insufficient credit');
    // Extended up to 16 s of talk (19 s covered minus 3 s of slack), cut there by the restarted control plane.
    expect(Number(cdr!.duration_ms)).to.be.within(15_900, 16_500);
    expect(cdr!.buyer_amount_micros! <= parseDecimalToMicros('0.003800')).to.equal(true);
  });
});
