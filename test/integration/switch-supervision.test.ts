/**
 * Kamailio supervised by the control plane, with real PostgreSQL, Kamailio and SIPp: its main
 * process killed with SIGKILL while the control plane is up. Its workers must not outlive it, it
 * must be back by itself within seconds, the agent must reconnect, and calls must be carried again.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import type { KamailioRestart } from '../../switch/kamailio-process.ts';
import { isAlive, listProcesses } from '../../switch/process-table.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit } from '../support/market.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 6560, evapi: 9960, jsonrpc: 6570, api: 9560 };
const BUYER = { address: '127.0.0.161', port: 6565 };
const SELLER = { address: '127.0.0.162', port: 6566 };
const NUMBER = '4940123456';

describe('Kamailio under supervision', function () {
  this.timeout(90_000);
  let running: RunningSystem;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-supervision-'));
  const call = () => runSipp({
    scenario: 'uac-call-expect-200.xml', localAddress: BUYER.address, localPort: BUYER.port, remote: running.sipTarget, service: NUMBER, calls: 1, callDurationMs: 500, maxRunMs: 15_000,
  }, workDir);
  const health = async () => (await running.api<{ switch: boolean; agent: boolean }>('GET', '/healthz')).body;

  before(async () => {
    running = await startTestSystem(PORTS);
    const buyer = await createCarrier(running, 'Hamburg Buyer');
    const seller = await createCarrier(running, 'Hamburg Termination');
    await addTrunk(running, buyer, { direction: 'ingress', address: BUYER.address });
    await addTrunk(running, seller, { direction: 'egress', address: `${SELLER.address}:${SELLER.port}` });
    await createDestination(running, 'Germany Hamburg', ['4940']);
    await setCreditLimit(running, buyer, '100.000000');
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '4940', price_per_minute: '0.010000', increments: '1/1' });
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '4940', price_per_minute: '0.020000', increments: '1/1' });
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('restarts Kamailio killed with SIGKILL, ends its orphaned workers, and carries calls again', async () => {
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: 60_000 }, workDir);
    await uas.ready;
    expect((await call()).successfulCalls, 'a call before the kill').to.equal(1);

    const supervisor = running.system.switchProcess!;
    const mainPid = supervisor.pid!;
    const workers = listProcesses().filter((entry) => entry.pgid === mainPid && entry.pid !== mainPid).map((entry) => entry.pid);
    expect(workers.length, 'Kamailio forks its workers into its own process group').to.be.greaterThan(4);
    const restarts: KamailioRestart[] = [];
    const unsubscribe = supervisor.onRestarted((restart) => restarts.push(restart));

    // A call up when the switch dies: the switch takes it down with it.
    const lost = runSipp({
      scenario: 'uac-call-expect-200.xml', localAddress: BUYER.address, localPort: BUYER.port + 10, remote: running.sipTarget, service: NUMBER, calls: 1, callDurationMs: 30_000, maxRunMs: 40_000,
    }, workDir);
    const lostCall = await eventually(() => Promise.resolve(running.system.calls.liveCalls().find((live) => live.state === 'answered')), 10_000, 'a call up');

    const killedAt = Date.now();
    process.kill(mainPid, 'SIGKILL');
    const restart = await eventually(() => Promise.resolve(restarts[0]), 10_000, 'Kamailio to be started again');
    unsubscribe();
    expect(restart.previous.signal).to.equal('SIGKILL');
    expect(restart.pid).to.not.equal(mainPid);
    expect(workers.filter(isAlive), 'no worker of the killed Kamailio may remain').to.deep.equal([]);

    await running.system.waitForSwitch(10_000);
    const backAfterMs = Date.now() - killedAt;
    expect(backAfterMs, 'back within seconds').to.be.below(10_000);
    expect(await health()).to.include({ switch: true, agent: true });

    // The first calls after the restart may meet a switch that is still binding its sockets.
    await eventually(async () => ((await call()).successfulCalls === 1 ? true : undefined), 20_000, 'a call carried after the restart');

    // The call the switch lost is ended and settled within its reservation by the next pass of
    // reconciliation and sweep (they run on every reconnection and periodically).
    await eventually(async () => {
      await running.system.heal();
      return running.system.calls.liveCall(lostCall.call_id) === undefined ? true : undefined;
    }, 15_000, 'the lost call ended');
    const settled = await eventually(async () => (await running.system.db.oneOrNone<{ final_reason: string; state: string; charged_micros: bigint; amount_micros: bigint }>(
      `select c.final_reason, r.state, r.charged_micros, r.amount_micros from cdrs c join credit_reservations r using (call_id)
       where c.call_id = $1 and c.rated_at is not null and r.state = 'posted'`, [lostCall.call_id])) ?? undefined, 15_000, 'the lost call billed');
    expect(settled.final_reason).to.equal('ended by the switch: dialog lost');
    expect(settled.charged_micros <= settled.amount_micros, 'charged within its reservation').to.equal(true);
    expect(await running.system.db.any('select * from credit_overdrawn()')).to.deep.equal([]);
    void lost.catch(() => undefined);
    await uas.stop();
  });

  it('ends the whole process group on stop and does not start it again', async () => {
    const supervisor = running.system.switchProcess!;
    const pid = supervisor.pid!;
    await supervisor.stop();
    expect(supervisor.running).to.equal(false);
    expect(listProcesses().filter((entry) => entry.pgid === pid && entry.state !== 'Z')).to.deep.equal([]);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(supervisor.pid, 'no new Kamailio after stop').to.equal(pid);
    expect((await health()).switch).to.equal(false);
  });
});
