/**
 * Two switch nodes (each its own Kamailio and control plane) on one PostgreSQL: restarting one
 * leaves the other's calls alone. Reservations, leases and calls carry their node, and a node
 * reconciles only its own. Real PostgreSQL, Kamailio and SIPp.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const NODE_A = { sip: 6900, evapi: 10300, jsonrpc: 6911, api: 9900 };
const NODE_B = { sip: 6905, evapi: 10305, jsonrpc: 6916, api: 9905 };
const SELLER = { address: '127.0.0.172', port: 5080 };
const BUYER_ADDRESS = '127.0.0.171';
const NUMBER = '3222000000';

describe('two nodes, one restarted', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let nodeA: RunningSystem | undefined;
  let nodeB: RunningSystem | undefined;
  let buyer: Carrier;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-two-nodes-'));

  before(async () => {
    database = await createTestDatabase();
    nodeA = await startTestSystem(NODE_A, {}, { database });
    nodeB = await startTestSystem(NODE_B, {}, { database });
    const seller = await createCarrier(nodeA, 'Brussels Termination');
    await addTrunk(nodeA, seller, { direction: 'egress', address: `${SELLER.address}:${SELLER.port}` });
    await createDestination(nodeA, 'Belgium Brussels', ['322']);
    await placeOrder(nodeA, { carrier_id: seller.id, side: 'sell', prefix: '322', price_per_minute: '0.010000', increments: '1/1', channels: 50 });
    buyer = await createCarrier(nodeA, 'Two Node Buyer');
    await addTrunk(nodeA, buyer, { direction: 'ingress', address: BUYER_ADDRESS });
    await setCreditLimit(nodeA, buyer, '10.000000');
    await placeOrder(nodeA, { carrier_id: buyer.id, side: 'buy', prefix: '322', price_per_minute: '0.020000', increments: '1/1', channels: 50 });
  });

  after(async () => {
    await stopAllSipp();
    await nodeB?.stop();
    await nodeA?.stop();
    await database?.drop();
  });

  it("leaves the other node's call up, followed and billed once", async () => {
    const b = nodeB!;
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: 60_000 }, workDir);
    await uas.ready;
    // B learns the market made through A by NOTIFY, within moments.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const held = runSipp({
      scenario: 'uac-call-expect-200.xml', localAddress: BUYER_ADDRESS, localPort: 5070, remote: b.sipTarget, service: NUMBER, calls: 1, callDurationMs: 12_000, maxRunMs: 40_000,
    }, workDir);
    const call = await eventually(() => Promise.resolve(b.system.calls.liveCalls().find((live) => live.state === 'answered')), 15_000, 'a call up on B');
    const db = b.system.db;
    await eventually(async () => (await db.oneOrNone('select 1 from credit_reservations where call_id = $1', [call.call_id])) ?? undefined, 5000, 'its reservation written');

    // A restarts on the same database, and reconciles (at start, and once more on demand).
    await nodeA!.stop();
    nodeA = await startTestSystem(NODE_A, {}, { database });
    await nodeA.system.reconciled;
    await nodeA.system.heal();

    expect(b.system.calls.liveCall(call.call_id)?.state, "B still follows its call").to.equal('answered');
    const reservation = await db.one<{ state: string; node_id: string }>('select state, node_id from credit_reservations where call_id = $1', [call.call_id]);
    expect(reservation.state, 'untouched by A').to.be.oneOf(['pending', 'extended']);
    expect(reservation.node_id).to.equal(b.config.nodeId);
    expect(await db.oneOrNone('select 1 from cdrs where call_id = $1', [call.call_id]), 'no CDR written by A').to.equal(null);

    // The call ends as its caller hangs up: one CDR, billed once, its reservation posted.
    const result = await held;
    expect(result.successfulCalls, result.stderr).to.equal(1);
    const cdr = await eventually(async () => (await db.oneOrNone<{ final_reason: string; rated_at: Date | null }>(
      'select final_reason, rated_at from cdrs where call_id = $1 and rated_at is not null', [call.call_id])) ?? undefined, 15_000, 'the CDR billed');
    expect(cdr.final_reason).to.equal('hung up by caller');
    expect((await db.one<{ state: string }>('select state from credit_reservations where call_id = $1', [call.call_id])).state).to.equal('posted');
    expect(await db.any('select * from credit_overdrawn()')).to.deep.equal([]);
    expect(await db.any('select * from credit_leased_mismatches()')).to.deep.equal([]);
    await uas.stop();
  });
});
