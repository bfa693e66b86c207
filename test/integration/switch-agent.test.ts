/**
 * The switch's side of the route decision, with real Kamailio, SIPp and PostgreSQL: only the
 * authenticated agent hears and answers route requests, a decision that comes too late or cannot
 * be carried out is reported, requests beyond the bounds are refused before any decision, and the
 * control plane's decision record is written with the switch's own 'answered' record.
 *
 * The route decider is replaced by one the test controls (slow, or answering what the test wants),
 * so what is checked is the switch and the agent, not the market.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import type { CallEvent, RouteDecider, RouteRequest } from '../../switch/agent.ts';
import type { RouteDecision } from '../../switch/decisions.ts';
import { encodeNetstring, NetstringDecoder } from '../../switch/evapi/netstring.ts';
import { addTrunk, createCarrier } from '../support/market.ts';
import { probeInvite } from '../support/sip-probe.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 6563, evapi: 9963, jsonrpc: 6573, api: 9563 };
const CALLER = { address: '127.0.0.163', port: 6562 };
const SELLER = { address: '127.0.0.164', port: 6564 };
const NUMBER = '4930555000';
const ROUTE_TIMEOUT_MS = 400;

/** A raw evapi client, and what it receives. */
interface StrayClient {
  readonly frames: string[];
  send(payload: string): void;
  destroy(): void;
}

async function connectStray(port: number): Promise<StrayClient> {
  const socket = net.createConnection({ host: '127.0.0.1', port });
  const decoder = new NetstringDecoder();
  const frames: string[] = [];
  socket.on('data', (chunk: Buffer) => frames.push(...decoder.push(chunk)));
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { frames, send: (payload) => socket.write(encodeNetstring(payload)), destroy: () => socket.destroy() };
}

describe('the switch answers to one authenticated agent and reports every setup', function () {
  this.timeout(60_000);
  let running: RunningSystem;
  const events: CallEvent[] = [];
  const requests: RouteRequest[] = [];
  /** What the test's decider does with the next route requests. */
  let decide: (request: RouteRequest) => Promise<RouteDecision>;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-switch-agent-'));
  const probe = (callId: string) => probeInvite({ target: running.sipTarget, localAddress: CALLER.address, localPort: CALLER.port, callId, number: NUMBER, timeoutMs: 5000 });
  const eventFor = <K extends CallEvent['kind']>(kind: K, callId: string) =>
    eventually(() => Promise.resolve(events.find((event): event is Extract<CallEvent, { kind: K }> => event.kind === kind && event.call_id === callId)), 5000, `${kind} for ${callId}`);

  before(async () => {
    running = await startTestSystem(PORTS, { MINUTEX_ROUTE_TIMEOUT_MS: String(ROUTE_TIMEOUT_MS) });
    const decider: RouteDecider = {
      decide: (request) => {
        requests.push(request);
        return decide(request);
      },
    };
    // The agent's decider is private: the test swaps it for its own.
    (running.system.agent as unknown as { decider: RouteDecider }).decider = decider;
    running.system.agent.addSink({ onCallEvent: (event) => events.push(event) });
    // The switch answers strangers itself (minutex-edge.cfg): the caller and the seller are trunks.
    const carrier = await createCarrier(running, 'Agent Test Carrier');
    await addTrunk(running, carrier, { direction: 'ingress', address: CALLER.address });
    await addTrunk(running, carrier, { direction: 'egress', address: `${SELLER.address}:${SELLER.port}` });
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('sends route requests to the authenticated agent only, and obeys no other client', async () => {
    const stray = await connectStray(PORTS.evapi);
    // The secret Kamailio was rendered with (settings.cfg, readable by its owner): a second agent
    // that knows it is still refused while the first one is connected.
    const settings = readFileSync(path.resolve(running.config.runDir, 'kamailio', 'settings.cfg'), 'utf8');
    const secret = /MINUTEX_AGENT_SECRET!([^!]+)!/.exec(settings)?.[1];
    expect(secret).to.be.a('string');
    const second = await connectStray(PORTS.evapi);
    second.send(JSON.stringify({ action: 'hello', secret }));

    let seen: RouteRequest | undefined;
    decide = async (request) => {
      seen = request;
      await sleep(300);
      return { kind: 'reject', code: 403, phrase: 'Forbidden', reason: 'decided by the agent' };
    };
    const answer = probe('stray-client-call');
    const request = await eventually(() => Promise.resolve(seen), 3000, 'the route request at the agent');
    // The stray client and the second agent answer first, with the real transaction ids: Kamailio
    // must ignore them and apply the authenticated agent's decision when it comes.
    const forged = (reason: string) => JSON.stringify({ action: 'reject', tindex: request.transaction.index, tlabel: request.transaction.label, call_id: request.call_id, code: 486, phrase: 'Busy Here', reason });
    stray.send(forged('forged by a stray'));
    second.send(forged('forged by a second agent'));
    expect((await answer).code).to.equal(403);
    expect(stray.frames, 'the stray client must receive nothing').to.deep.equal([]);
    expect(second.frames, 'the second agent must receive nothing, not even an acceptance').to.deep.equal([]);
    expect(running.system.agent.connected).to.equal(true);
    stray.destroy();
    second.destroy();
  });

  it('gives nothing to a client that takes the connection slot the agent held, and tells the control plane of the reconnection', async () => {
    await running.system.disconnectSwitch();
    // Kamailio hands out the lowest free slot: the one the agent had, tag and all, until cleared.
    const stray = await connectStray(PORTS.evapi);
    let reconnections = 0;
    const unsubscribe = running.system.onSwitchConnected(() => (reconnections += 1));
    await running.system.reconnectSwitch();
    unsubscribe();
    expect(reconnections).to.equal(1);
    decide = () => Promise.resolve({ kind: 'reject', code: 404, phrase: 'Not Found', reason: 'after reconnection' });
    expect((await probe('after-reconnection-call')).code).to.equal(404);
    expect(stray.frames).to.deep.equal([]);
    stray.destroy();
  });

  it('reports a decision that reaches the switch after the route timeout as route_late', async () => {
    decide = async () => {
      await sleep(ROUTE_TIMEOUT_MS * 2 + 200);
      return { kind: 'route', targets: [{ number: NUMBER, host: SELLER.address, port: SELLER.port, transport: 'udp' }], max_duration_s: 60 };
    };
    const answer = await probe('late-decision-call');
    expect(answer.code).to.equal(503);
    expect(answer.headers).to.include('X-Reason: control plane timeout');
    const late = await eventFor('route_late', 'late-decision-call');
    expect(late.at_us > 0n).to.equal(true);
  });

  it('reports a route the switch cannot relay to as setup_failed, and the caller gets 500', async () => {
    decide = () => Promise.resolve({ kind: 'route', targets: [{ number: NUMBER, host: 'no-such-seller.invalid', port: SELLER.port, transport: 'udp' }], max_duration_s: 60 });
    const answer = await probe('unroutable-call');
    expect(answer.code).to.equal(500);
    const failed = await eventFor('setup_failed', 'unroutable-call');
    expect(failed).to.include({ code: 500, reason: 'relay failed' });
  });

  it('refuses an INVITE with a 300-character Call-ID with 400 before asking the control plane', async () => {
    const before = requests.length;
    const answer = await probe('x'.repeat(300));
    expect(answer.code).to.equal(400);
    expect(answer.headers).to.include('Reason: SIP;cause=400;text="Call-ID too long"');
    expect(requests.length, 'no route request for it').to.equal(before);
    // A Call-ID of 255 characters is still a call.
    decide = () => Promise.resolve({ kind: 'reject', code: 404, phrase: 'Not Found', reason: 'test' });
    expect((await probe('y'.repeat(255))).code).to.equal(404);
  });

  it("keeps the decision record with the switch's own 'answered' record", async () => {
    const record = JSON.stringify({ buyer: 'buyer-1', currency: 'USD', price_per_minute_micros: '15000', lease: 'lease-7', hold_micros: '30000' });
    decide = () => Promise.resolve({ kind: 'route', targets: [{ number: NUMBER, host: SELLER.address, port: SELLER.port, transport: 'udp' }], max_duration_s: 60, record });
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: 20_000 }, workDir);
    await uas.ready;
    const first = requests.length;
    const result = await runSipp({ scenario: 'uac-call-expect-200.xml', localAddress: CALLER.address, localPort: CALLER.port, remote: running.sipTarget, service: NUMBER, calls: 1, callDurationMs: 500, maxRunMs: 15_000 }, workDir);
    expect(result.successfulCalls, result.stderr).to.equal(1);
    await uas.stop();
    const callId = requests[first]!.call_id;
    // With the agent connected, the switch keeps its records in memory (no database write per call).
    const rpc = running.system.switchRpc;
    const ended = await eventually(() => rpc.switchRecord(callId, 'ended'), 5000, 'the switch\'s end record');
    const answered = await rpc.switchRecord(callId, 'answered');
    expect(answered?.detail, 'answered on the first leg').to.equal('0');
    expect(ended.detail).to.equal('caller');
    expect(ended.at_us >= answered!.at_us).to.equal(true);
    expect(await rpc.decisionRecord(callId)).to.equal(record);
    expect(await running.system.db.any('select * from switch_call_records where call_id = $1', [callId])).to.deep.equal([]);
    // The maximum duration was set: no call of this test ran without the switch's backstop.
    expect(events.filter((event) => event.kind === 'timeout_not_set')).to.deep.equal([]);
  });
});
