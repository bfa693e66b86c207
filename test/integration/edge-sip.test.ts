/**
 * The switch's edge, against real Kamailio, SIPp and PostgreSQL: a stranger's request is answered
 * 403 by the switch itself with no row written; a scanner gets no answer at all and learns nothing
 * naming the software; a flood from a stranger is refused (then dropped) while a known trunk's
 * calls are carried, and leaves the database as it was.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import type { KamailioRpc } from '../../switch/jsonrpc-client.ts';
import { edgeCounters } from '../../switch/trunk-sources.ts';
import { rowCounts } from '../support/exchange-api.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit } from '../support/market.ts';
import { rawSipPeer, sipRequest } from '../support/raw-sip.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 11810, evapi: 11811, jsonrpc: 11812, api: 11813 };
const SELLER_PORT = 11814;
const BUYER_PORT = 11815;
const FLOOD_PORT = 11816;
const BUYER_IP = '127.0.0.121';
const SELLER_IP = '127.0.0.122';
const STRANGER_IP = '127.0.0.129';
const FLOOD_IP = '127.0.0.130';
const NUMBER = '442079460000';
const TABLES = ['calls', 'cdrs', 'credit_reservations', 'switch_call_records', 'ledger_postings', 'audit_log'];
const FLOOD_INVITES = 5000;
const FLOOD_RATE = 1000;
const KNOWN_CALLS = 20;

describe('the SIP edge: strangers, scanners and floods', function () {
  this.timeout(120_000);
  let running: RunningSystem;
  let workDir: string;
  let rpc: KamailioRpc;
  const target = { host: '127.0.0.1', port: PORTS.sip };

  before(async () => {
    workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-edge-sip-'));
    running = await startTestSystem(PORTS);
    rpc = running.system.switchRpc;
    const buyer = await createCarrier(running, 'Known Buyer');
    const seller = await createCarrier(running, 'Known Seller');
    await addTrunk(running, buyer, { direction: 'ingress', address: BUYER_IP, cps: 1000 });
    await addTrunk(running, seller, { direction: 'egress', address: `${SELLER_IP}:${SELLER_PORT}` });
    await createDestination(running, 'United Kingdom - London', ['4420']);
    await setCreditLimit(running, buyer, '1000.000000');
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '4420', price_per_minute: '0.010000', increments: '1/1', channels: 100 });
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '4420', price_per_minute: '0.020000', increments: '1/1', channels: 100 });
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('answers a stranger 403 in the switch, names no software, and writes nothing', async () => {
    const before = await rowCounts(running.system.db, TABLES);
    const counted = await edgeCounters(rpc);
    const peer = await rawSipPeer(STRANGER_IP, target);
    try {
      await peer.send(sipRequest('INVITE', `${STRANGER_IP}:${peer.port}`));
      expect(await peer.waitFor(0, 2000), 'an answer').to.equal(true);
      const answer = peer.received[0]!;
      expect(answer).to.match(/^SIP\/2\.0 403 /);
      expect(answer).to.match(/^X-Reason: unknown trunk\r$/m);
      expect(answer).to.not.match(/^(Server|User-Agent):/mi);
      expect(answer.toLowerCase()).to.not.include('kamailio');
      expect(answer.toLowerCase()).to.not.include('minutex');
    } finally {
      await peer.close();
    }
    expect((await edgeCounters(rpc))['unknown_refused']).to.equal(counted['unknown_refused']! + 1);
    expect(await rowCounts(running.system.db, TABLES)).to.deep.equal(before);
  });

  it('gives scanners no answer at all: svmap finds nothing', async () => {
    const counted = await edgeCounters(rpc);
    const { stdout } = await promisify(execFile)('svmap', ['-p', String(PORTS.sip), '-b', STRANGER_IP, '127.0.0.1'], { timeout: 30_000 });
    expect(stdout.toLowerCase()).to.not.match(/kamailio|minutex|5\.6/);
    expect(stdout).to.not.include(`127.0.0.1:${PORTS.sip}`);
    expect((await edgeCounters(rpc))['scanner_dropped']).to.be.greaterThan(counted['scanner_dropped']!);
  });

  it(`carries a known trunk's calls through a flood of ${FLOOD_INVITES} INVITEs at ${FLOOD_RATE}/s from a stranger; the database is untouched by the flood`, async () => {
    const before = await rowCounts(running.system.db, TABLES);
    const counted = await edgeCounters(rpc);
    const seller = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER_IP, localPort: SELLER_PORT, maxRunMs: 60_000 }, workDir);
    await seller.ready;
    const flood = runSipp({
      scenario: 'uac-call-expect-403.xml', localAddress: FLOOD_IP, localPort: FLOOD_PORT, remote: `127.0.0.1:${PORTS.sip}`, service: NUMBER,
      calls: FLOOD_INVITES, ratePerSecond: FLOOD_RATE, concurrentLimit: FLOOD_INVITES, maxRunMs: 20_000, extraArgs: ['-max_invite_retrans', '1'],
    }, workDir);
    // The known trunk's calls start once the flood is under way and end before it does.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const known = await runSipp({
      scenario: 'uac-call-expect-200.xml', localAddress: BUYER_IP, localPort: BUYER_PORT, remote: `127.0.0.1:${PORTS.sip}`, service: NUMBER,
      calls: KNOWN_CALLS, ratePerSecond: 10, callDurationMs: 300, maxRunMs: 30_000,
    }, workDir);
    const flooded = await flood;
    await seller.stop();
    expect(known.successfulCalls, known.stderr).to.equal(KNOWN_CALLS);

    const counters = await edgeCounters(rpc);
    const refused = counters['unknown_refused']! - counted['unknown_refused']!;
    const dropped = counters['flood_dropped']! - counted['flood_dropped']!;
    console.log(`      flood: ${flooded.totalCalls} INVITEs started by SIPp, ${refused} answered 403, ${dropped} dropped unanswered (retransmissions included); known trunk: ${known.successfulCalls}/${KNOWN_CALLS} calls carried`);
    expect(refused + dropped).to.be.at.least(FLOOD_INVITES);
    // Only the known trunk's calls were written: one call row and one CDR each.
    const after = await eventually(async () => {
      const counts = await rowCounts(running.system.db, TABLES);
      return counts['cdrs'] === before['cdrs']! + KNOWN_CALLS ? counts : undefined;
    }, 15_000, 'the known calls’ CDRs');
    expect(after['calls']).to.equal(before['calls']! + KNOWN_CALLS);
  });

  it('answers malformed requests from a known trunk with a 4xx or not at all, bills nothing, and calls keep flowing', async () => {
    const before = await rowCounts(running.system.db, ['ledger_postings', 'credit_reservations']);
    const peer = await rawSipPeer(BUYER_IP, target);
    const from = `${BUYER_IP}:${peer.port}`;
    const longCallId = `${'c'.repeat(400)}@edge-test`;
    const cases: Array<[string, string | Buffer]> = [
      ['no Call-ID', sipRequest('INVITE', from, { 'Call-ID': null })],
      ['no CSeq', sipRequest('INVITE', from, { CSeq: null })],
      ['no From', sipRequest('INVITE', from, { From: null })],
      ['no Via', sipRequest('INVITE', from, { Via: null })],
      ['two Call-IDs', sipRequest('INVITE', from).replace('\r\nCSeq:', '\r\nCall-ID: second@edge-test\r\nCSeq:')],
      ['two CSeqs', sipRequest('INVITE', from).replace('\r\nContact:', '\r\nCSeq: 7 INVITE\r\nContact:')],
      ['Content-Length beyond the body', sipRequest('INVITE', from, { 'Content-Length': '500' }, 'v=0\r\n')],
      ['negative Content-Length', sipRequest('INVITE', from, { 'Content-Length': '-5' })],
      ['CSeq not a number', sipRequest('INVITE', from, { CSeq: 'abc INVITE' })],
      ['CSeq method not the request\'s', sipRequest('INVITE', from, { CSeq: '1 BYE' })],
      ['a Call-ID of 400 characters', sipRequest('INVITE', from, { 'Call-ID': longCallId })],
      ['a header of 6,000 bytes', sipRequest('INVITE', from, { 'X-Padding': 'x'.repeat(6000) })],
      ['a BYE for no dialog', sipRequest('BYE', from, { To: '<sip:442079460000@127.0.0.1>;tag=nosuchdialog' })],
      ['an ACK for no transaction', sipRequest('ACK', from, { To: '<sip:442079460000@127.0.0.1>;tag=nosuchdialog' })],
      ['a CANCEL for no transaction', sipRequest('CANCEL', from)],
      ['a re-INVITE for no dialog', sipRequest('INVITE', from, { To: '<sip:442079460000@127.0.0.1>;tag=nosuchdialog' })],
      ['garbage bytes', Buffer.from(Array.from({ length: 700 }, (_, i) => (i * 7919) % 256))],
      ['a request line only', 'INVITE sip:1@127.0.0.1 SIP/2.0\r\n\r\n'],
      ['SIP/3.0', sipRequest('INVITE', from).replace('SIP/2.0\r\n', 'SIP/3.0\r\n')],
    ];
    try {
      for (const [what, message] of cases) {
        const seen = peer.received.length;
        await peer.send(message);
        await peer.waitFor(seen, 400);
        for (const answer of peer.received.slice(seen)) {
          const status = /^SIP\/2\.0 (\d{3}) /.exec(answer)?.[1] ?? 'none';
          // A provisional 100 may come first; every final answer must be a refusal of the request.
          if (status === '100') {
            expect(answer.split('\r\n')[0], 'a 100 names no software').to.equal('SIP/2.0 100 Trying');
            continue;
          }
          expect(status, `${what}: ${answer.split('\r\n')[0]}`).to.match(/^4\d\d$/);
        }
      }
    } finally {
      await peer.close();
    }
    expect(await rowCounts(running.system.db, ['ledger_postings', 'credit_reservations'])).to.deep.equal(before);
    const answered = await running.system.db.one<{ n: string }>("select count(*)::text as n from cdrs where final_sip_code = 200 and call_id like '%edge-test%'");
    expect(answered.n).to.equal('0');

    const seller = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER_IP, localPort: SELLER_PORT, maxRunMs: 30_000 }, workDir);
    await seller.ready;
    const call = await runSipp({
      scenario: 'uac-call-expect-200.xml', localAddress: BUYER_IP, localPort: BUYER_PORT, remote: `127.0.0.1:${PORTS.sip}`, service: NUMBER, calls: 3, callDurationMs: 200, maxRunMs: 20_000,
    }, workDir);
    await seller.stop();
    expect(call.successfulCalls, call.stderr).to.equal(3);
  });
});
