/**
 * Topology hiding end to end, with real Kamailio, SIPp and PostgreSQL: every message each side
 * receives is recorded (SIPp -trace_msg) and searched for anything of the other side: addresses,
 * Call-ID, the identifying headers their equipment adds. Also that the control plane still keys
 * the call by the buyer's Call-ID (the CDR), through failover and a cutoff of both legs.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect } from '../../common/db/database.ts';
import { switchRolePassword, switchRoleUrl } from '../../control/store/switch-db-role.ts';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit } from '../support/market.ts';
import { headerOf, readRecordedMessages, traceMessagesTo, type RecordedMessage } from '../support/sipp-messages.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const BUYER_IP = '127.0.10.1';
const SELLER_A_IP = '127.0.10.2';
const SELLER_B_IP = '127.0.10.3';
/** A seller whose trunk takes the caller's identity asserted by the exchange. */
const SELLER_ASSERT_IP = '127.0.10.4';
const SELLER_STRIP_IP = '127.0.10.5';
const BUYER_PORT = 11610;
const SELLER_PORT = 11611;
const NUMBER = '493012345678';
const PORTS = { sip: 11600, evapi: 11601, jsonrpc: 11602, api: 11603 };
const AGENT_SECRET = 'anonymity-test-agent-secret-0000001';
const MEDIA = { MINUTEX_AGENT_SECRET: AGENT_SECRET, MINUTEX_RTPENGINE_CONTROL_ADDR: '127.0.0.1:11620', MINUTEX_RTP_PORT_MIN: '30000', MINUTEX_RTP_PORT_MAX: '30199' };

interface CdrJson { call_id: string; final_sip_code: number; ended_by: string; legs: Array<{ sip_code: number }> }

/** What of one side must never reach the other. */
function leaksOf(messages: readonly RecordedMessage[], forbidden: readonly string[]): string[] {
  return messages.filter((message) => message.direction === 'received').flatMap((message) =>
    forbidden.filter((needle) => message.text.toLowerCase().includes(needle.toLowerCase())).map((needle) => `${needle} in:\n${message.text}`));
}

describe('topology hiding: each side sees only the exchange', function () {
  this.timeout(90_000);
  let running: RunningSystem;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-anonymity-'));
  let run = 0;
  const traceFile = (name: string) => path.join(workDir, `${name}-${++run}.log`);

  const cdrs = async () => (await running.api<{ cdrs: CdrJson[] }>('GET', '/v1/cdrs?limit=100')).body.cdrs;
  const cdrOf = (call_id: string) => eventually(async () => (await cdrs()).find((cdr) => cdr.call_id === call_id), 10_000, `the CDR of ${call_id}`);
  const seller = (scenario: string, ip: string, trace: string) =>
    startSipp({ scenario, localAddress: ip, localPort: SELLER_PORT, maxRunMs: 30_000, extraArgs: traceMessagesTo(trace) }, workDir);
  const buyerCallId = (messages: readonly RecordedMessage[]) => headerOf(messages.find((message) => message.direction === 'sent')!.text, 'Call-ID')!;

  before(async () => {
    running = await startTestSystem(PORTS, MEDIA);
    const buyer = await createCarrier(running, 'Buyer Telecom');
    const sellerA = await createCarrier(running, 'Seller A');
    const sellerB = await createCarrier(running, 'Seller B');
    await addTrunk(running, buyer, { direction: 'ingress', address: BUYER_IP });
    await addTrunk(running, sellerA, { direction: 'egress', address: `${SELLER_A_IP}:${SELLER_PORT}` });
    await addTrunk(running, sellerB, { direction: 'egress', address: `${SELLER_B_IP}:${SELLER_PORT}` });
    await createDestination(running, 'Germany - Berlin', ['4930']);
    await setCreditLimit(running, buyer, '100.000000');
    await placeOrder(running, { carrier_id: sellerA.id, side: 'sell', prefix: '4930', price_per_minute: '0.010000', increments: '1/1', channels: 10 });
    await placeOrder(running, { carrier_id: sellerB.id, side: 'sell', prefix: '4930', price_per_minute: '0.011000', increments: '1/1', channels: 10 });
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '4930', price_per_minute: '0.015000', increments: '1/1', channels: 20 });
    const asserting = await createCarrier(running, 'Seller Asserting');
    const stripping = await createCarrier(running, 'Seller Stripping');
    await addTrunk(running, asserting, { direction: 'egress', address: `${SELLER_ASSERT_IP}:${SELLER_PORT}`, identity_policy: 'assert' });
    await addTrunk(running, stripping, { direction: 'egress', address: `${SELLER_STRIP_IP}:${SELLER_PORT}`, identity_policy: 'strip' });
    await createDestination(running, 'Spain', ['34']);
    await placeOrder(running, { carrier_id: asserting.id, side: 'sell', prefix: '34', price_per_minute: '0.010000', increments: '1/1', channels: 10 });
    await placeOrder(running, { carrier_id: stripping.id, side: 'sell', prefix: '34', price_per_minute: '0.011000', increments: '1/1', channels: 10 });
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '34', price_per_minute: '0.015000', increments: '1/1', channels: 20 });
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('shows the seller nothing of the buyer and the buyer nothing of the seller', async () => {
    const sellerTrace = traceFile('seller');
    const buyerTrace = traceFile('buyer');
    const uas = seller('uas-answer-leaky.xml', SELLER_A_IP, sellerTrace);
    await uas.ready;
    const result = await runSipp({ scenario: 'uac-call-leaky.xml', localAddress: BUYER_IP, localPort: BUYER_PORT, remote: running.sipTarget, service: NUMBER,
      calls: 1, callDurationMs: 500, maxRunMs: 20_000, extraArgs: traceMessagesTo(buyerTrace) }, workDir);
    expect(result.successfulCalls, result.stderr).to.equal(1);
    const sold = await uas.stop();
    expect(sold.receivedByeCallIds).to.have.length(1);

    const buyerMessages = readRecordedMessages(buyerTrace);
    const sellerMessages = readRecordedMessages(sellerTrace);
    const callId = buyerCallId(buyerMessages);
    const invite = sellerMessages.find((message) => message.direction === 'received' && message.text.startsWith('INVITE'))!.text;
    expect(headerOf(invite, 'Call-ID'), 'the seller gets a Call-ID of its own').to.not.equal(callId);
    expect(leaksOf(sellerMessages, [BUYER_IP, callId, 'BuyerSwitch', 'Buyer Telecom', 'buyer-internal', 'User-Agent', 'Organization', 'X-Buyer'])).to.deep.equal([]);
    expect(leaksOf(buyerMessages, [SELLER_A_IP, 'SellerGateway', 'Seller Networks', 'seller-route', 'Server:', 'Organization', 'X-Seller'])).to.deep.equal([]);
    // The numbers pass (they are the service); the exchange's domain is the host each side sees.
    expect(headerOf(invite, 'From')).to.match(/^<sip:caller@127\.0\.0\.1>/);
    expect(headerOf(invite, 'To')).to.match(new RegExp(`^<sip:${NUMBER}@127\\.0\\.0\\.1>`));
    expect(headerOf(invite, 'P-Asserted-Identity')).to.equal('<sip:441632960001@127.0.0.1>');
    // The control plane still knows the call by the buyer's Call-ID.
    expect(await cdrOf(callId)).to.include({ final_sip_code: 200, ended_by: 'caller' });
  });

  it('hides the buyer from every seller tried when it fails over', async () => {
    const traceA = traceFile('seller-a');
    const traceB = traceFile('seller-b');
    const buyerTrace = traceFile('buyer');
    const unavailable = seller('uas-unavailable-503.xml', SELLER_A_IP, traceA);
    const answering = seller('uas-answer-leaky.xml', SELLER_B_IP, traceB);
    await Promise.all([unavailable.ready, answering.ready]);
    const result = await runSipp({ scenario: 'uac-call-leaky.xml', localAddress: BUYER_IP, localPort: BUYER_PORT, remote: running.sipTarget, service: NUMBER,
      calls: 1, callDurationMs: 500, maxRunMs: 20_000, extraArgs: traceMessagesTo(buyerTrace) }, workDir);
    expect(result.successfulCalls, result.stderr).to.equal(1);
    await Promise.all([unavailable.stop(), answering.stop()]);
    const buyerMessages = readRecordedMessages(buyerTrace);
    const callId = buyerCallId(buyerMessages);
    for (const trace of [traceA, traceB]) {
      expect(leaksOf(readRecordedMessages(trace), [BUYER_IP, callId, 'BuyerSwitch', 'User-Agent', 'Organization', 'X-Buyer'])).to.deep.equal([]);
    }
    expect(leaksOf(buyerMessages, [SELLER_A_IP, SELLER_B_IP, 'SellerGateway', 'Server:', 'X-Seller'])).to.deep.equal([]);
    const cdr = await cdrOf(callId);
    expect(cdr.legs.map((leg) => leg.sip_code)).to.deep.equal([503, 200]);
  });

  it('cuts a call off with a BYE to both legs, each carrying nothing of the other side', async () => {
    const sellerTrace = traceFile('seller');
    const buyerTrace = traceFile('buyer');
    const uas = seller('uas-answer-leaky.xml', SELLER_A_IP, sellerTrace);
    await uas.ready;
    const caller = startSipp({ scenario: 'uac-call-hold-until-bye.xml', localAddress: BUYER_IP, localPort: BUYER_PORT, remote: running.sipTarget, service: NUMBER,
      calls: 1, maxRunMs: 20_000, extraArgs: traceMessagesTo(buyerTrace) }, workDir);
    const live = await eventually(async () => {
      const { body } = await running.api<{ calls: Array<{ call_id: string; state: string }> }>('GET', '/v1/calls/live');
      return body.calls.find((call) => call.state === 'answered');
    }, 10_000, 'an answered call');
    expect((await running.api('POST', `/v1/calls/${encodeURIComponent(live.call_id)}/hangup`)).status).to.equal(200);
    const bought = await caller.done;
    const sold = await uas.stop();
    expect(bought.receivedByeCallIds, 'the buyer got a BYE').to.have.length(1);
    expect(sold.receivedByeCallIds, 'the seller got a BYE').to.have.length(1);
    const buyerMessages = readRecordedMessages(buyerTrace);
    const callId = buyerCallId(buyerMessages);
    expect(live.call_id).to.equal(callId);
    expect(leaksOf(readRecordedMessages(sellerTrace), [BUYER_IP, callId])).to.deep.equal([]);
    expect(leaksOf(buyerMessages, [SELLER_A_IP, 'SellerGateway', 'Server:'])).to.deep.equal([]);
    expect(await cdrOf(callId)).to.include({ final_sip_code: 200, ended_by: 'switch' });
  });

  it('carries a re-INVITE inside the dialog both ways, still hiding each side from the other', async () => {
    const sellerTrace = traceFile('seller-reinvite');
    const buyerTrace = traceFile('buyer-reinvite');
    const uas = seller('uas-answer-reinvite.xml', SELLER_A_IP, sellerTrace);
    await uas.ready;
    const result = await runSipp({ scenario: 'uac-call-reinvite.xml', localAddress: BUYER_IP, localPort: BUYER_PORT, remote: running.sipTarget, service: NUMBER,
      calls: 1, callDurationMs: 300, maxRunMs: 20_000, extraArgs: traceMessagesTo(buyerTrace) }, workDir);
    const sold = await uas.stop();
    expect(result.successfulCalls, result.stderr).to.equal(1);
    expect(sold.receivedByeCallIds, 'the seller got the BYE').to.have.length(1);
    const buyerMessages = readRecordedMessages(buyerTrace);
    const sellerMessages = readRecordedMessages(sellerTrace);
    const callId = buyerCallId(buyerMessages);
    const invites = sellerMessages.filter((message) => message.direction === 'received' && message.text.startsWith('INVITE'));
    expect(invites, 'the seller got the INVITE and the re-INVITE').to.have.length(2);
    expect(headerOf(invites[1]!.text, 'Call-ID'), 'the same Call-ID of its own').to.equal(headerOf(invites[0]!.text, 'Call-ID'));
    expect(invites[1]!.text).to.match(/^c=IN IP4 127\.0\.0\.1/m);
    expect(leaksOf(sellerMessages, [BUYER_IP, callId, 'BuyerSwitch', 'User-Agent'])).to.deep.equal([]);
    expect(leaksOf(buyerMessages, [SELLER_A_IP, 'SellerGateway', 'Server:'])).to.deep.equal([]);
    expect(await cdrOf(callId)).to.include({ final_sip_code: 200, ended_by: 'caller' });
  });

  it('follows each seller trunk\'s identity policy: the caller asserted by the exchange, or no identity at all', async () => {
    const assertTrace = traceFile('seller-assert');
    const stripTrace = traceFile('seller-strip');
    const unavailable = seller('uas-unavailable-503.xml', SELLER_ASSERT_IP, assertTrace);
    const answering = seller('uas-answer-leaky.xml', SELLER_STRIP_IP, stripTrace);
    await Promise.all([unavailable.ready, answering.ready]);
    const result = await runSipp({ scenario: 'uac-call-leaky.xml', localAddress: BUYER_IP, localPort: BUYER_PORT, remote: running.sipTarget, service: '34911234567',
      calls: 1, callDurationMs: 200, maxRunMs: 20_000 }, workDir);
    await Promise.all([unavailable.stop(), answering.stop()]);
    expect(result.successfulCalls, result.stderr).to.equal(1);
    const inviteOf = (trace: string) => readRecordedMessages(trace).find((message) => message.direction === 'received' && message.text.startsWith('INVITE'))!.text;
    expect(headerOf(inviteOf(assertTrace), 'P-Asserted-Identity')).to.equal('<sip:caller@127.0.0.1>');
    expect(headerOf(inviteOf(stripTrace), 'P-Asserted-Identity')).to.equal(undefined);
  });

  it('answers JSON-RPC only to a client with the secret', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', method: 'dlg.list', id: 1 });
    for (const headers of [{}, { authorization: 'Bearer not-the-secret' }] as Array<Record<string, string>>) {
      const response = await fetch(`http://127.0.0.1:${PORTS.jsonrpc}/RPC`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      expect(response.status).to.equal(401);
      expect(await response.text()).to.equal('{"error":"unauthorized"}');
    }
    expect(await running.system.switchRpc.listDialogs()).to.be.an('array');
  });

  it('tells an evapi client without the secret nothing, and obeys none of its messages', async () => {
    const heard: Buffer[] = [];
    const stray = net.connect(PORTS.evapi, '127.0.0.1');
    stray.on('data', (chunk: Buffer) => heard.push(chunk));
    await new Promise((resolve) => stray.once('connect', resolve));
    const frame = (payload: object) => { const text = JSON.stringify(payload); return `${Buffer.byteLength(text)}:${text},`; };
    stray.write(frame({ action: 'hello', secret: 'a-guess-of-the-secret-000000000' }));
    // A forged decision for whatever transaction is waiting: it must not be obeyed.
    stray.write(frame({ action: 'reject', tindex: 0, tlabel: 0, call_id: 'x', code: 486, phrase: 'Busy Here', reason: 'forged' }));
    try {
      const uas = seller('uas-answer-leaky.xml', SELLER_A_IP, traceFile('seller'));
      await uas.ready;
      const result = await runSipp({ scenario: 'uac-call-leaky.xml', localAddress: BUYER_IP, localPort: BUYER_PORT, remote: running.sipTarget, service: NUMBER,
        calls: 1, callDurationMs: 200, maxRunMs: 20_000 }, workDir);
      await uas.stop();
      expect(result.successfulCalls, 'the agent routed the call: '.concat(result.stderr)).to.equal(1);
      expect(Buffer.concat(heard).toString(), 'the stray client heard nothing').to.equal('');
    } finally {
      stray.destroy();
    }
  });

  it('gives Kamailio a database account that can insert its call records and read nothing', async () => {
    const asSwitch = connect(switchRoleUrl(running.database.url, switchRolePassword(AGENT_SECRET)), 1);
    try {
      const settings = readFileSync(path.join(running.config.runDir, 'kamailio', 'settings.cfg'), 'utf8');
      expect(settings, 'the switch is rendered with its own account').to.include('postgres://minutex_switch:');
      await asSwitch.none(`insert into switch_call_records (call_id, kind, at_us, detail) values ('role-test', 'ended', 1, 'caller')`);
      for (const table of ['ledger_postings', 'cdrs', 'carriers', 'switch_call_records']) {
        const refused = await asSwitch.any(`select * from ${table} limit 1`).then(() => 'read', (error: Error) => error.message);
        expect(refused, table).to.match(/permission denied/);
      }
    } finally {
      await asSwitch.$pool.end();
    }
  });
});
