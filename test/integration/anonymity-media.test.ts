/**
 * Media anchored through rtpengine, with real Kamailio, rtpengine, SIPp and PostgreSQL: each side's
 * media endpoint (a UDP socket of the test, named in its SIPp scenario's SDP) sends RTP to the
 * address its SDP answer or offer gave, and receives the other side's RTP from the exchange only.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit } from '../support/market.ts';
import { openRtpEndpoint, sdpMediaAddress } from '../support/rtp-endpoint.ts';
import { readRecordedMessages, traceMessagesTo } from '../support/sipp-messages.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const BUYER_IP = '127.0.10.11';
const SELLER_IP = '127.0.10.12';
/** A buyer and a seller whose trunks both ask for direct media. */
const DIRECT_BUYER_IP = '127.0.10.13';
const DIRECT_SELLER_IP = '127.0.10.14';
const BUYER_MEDIA_PORT = 30990;
const SELLER_MEDIA_PORT = 30991;
const NUMBER = '493012345678';
const PORTS = { sip: 11630, evapi: 11631, jsonrpc: 11632, api: 11633 };
/** rtpengine gives a call up after 5 s without RTP (the shortest the settings allow). */
const MEDIA = { MINUTEX_RTPENGINE_CONTROL_ADDR: '127.0.0.1:11634', MINUTEX_RTP_PORT_MIN: '30200', MINUTEX_RTP_PORT_MAX: '30399', MINUTEX_RTP_TIMEOUT_S: '5' };

/** The SDP a side received (an INVITE for the seller, a 200 for the buyer), once SIPp has logged it. */
function receivedSdp(traceFile: string, firstLine: RegExp) {
  return eventually(() => {
    if (!existsSync(traceFile)) return Promise.resolve(undefined);
    const message = readRecordedMessages(traceFile).find((entry) => entry.direction === 'received' && firstLine.test(entry.text) && /\r?\n\r?\nv=0/.test(entry.text));
    return Promise.resolve(message === undefined ? undefined : { text: message.text, media: sdpMediaAddress(message.text) });
  }, 10_000, `SDP in ${traceFile}`);
}

describe('media anchored through the exchange', function () {
  this.timeout(90_000);
  let running: RunningSystem;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-media-'));

  before(async () => {
    running = await startTestSystem(PORTS, MEDIA);
    const buyer = await createCarrier(running, 'Buyer Telecom');
    const seller = await createCarrier(running, 'Seller');
    await addTrunk(running, buyer, { direction: 'ingress', address: BUYER_IP });
    await addTrunk(running, seller, { direction: 'egress', address: `${SELLER_IP}:11636` });
    await createDestination(running, 'Germany - Berlin', ['4930']);
    await setCreditLimit(running, buyer, '100.000000');
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '4930', price_per_minute: '0.010000', increments: '1/1', channels: 10 });
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '4930', price_per_minute: '0.015000', increments: '1/1', channels: 10 });
    const directBuyer = await createCarrier(running, 'Direct Buyer');
    const directSeller = await createCarrier(running, 'Direct Seller');
    await addTrunk(running, directBuyer, { direction: 'ingress', address: DIRECT_BUYER_IP, direct_media: true });
    await addTrunk(running, directSeller, { direction: 'egress', address: `${DIRECT_SELLER_IP}:11636`, direct_media: true });
    await createDestination(running, 'France', ['33']);
    await setCreditLimit(running, directBuyer, '100.000000');
    await placeOrder(running, { carrier_id: directSeller.id, side: 'sell', prefix: '33', price_per_minute: '0.010000', increments: '1/1', channels: 10 });
    await placeOrder(running, { carrier_id: directBuyer.id, side: 'buy', prefix: '33', price_per_minute: '0.015000', increments: '1/1', channels: 10 });
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('relays RTP both ways, each side seeing only the exchange\'s media address', async () => {
    const buyerMedia = await openRtpEndpoint(BUYER_IP, BUYER_MEDIA_PORT);
    const sellerMedia = await openRtpEndpoint(SELLER_IP, SELLER_MEDIA_PORT);
    const sellerTrace = path.join(workDir, 'seller.log');
    const buyerTrace = path.join(workDir, 'buyer.log');
    try {
      const uas = startSipp({ scenario: 'uas-answer-media-endpoint.xml', localAddress: SELLER_IP, localPort: 11636, maxRunMs: 30_000,
        variables: { rtp_ip: SELLER_IP, rtp_port: String(SELLER_MEDIA_PORT) }, extraArgs: traceMessagesTo(sellerTrace) }, workDir);
      await uas.ready;
      const caller = startSipp({ scenario: 'uac-call-media-endpoint.xml', localAddress: BUYER_IP, localPort: 11635, remote: running.sipTarget, service: NUMBER,
        calls: 1, callDurationMs: 4000, maxRunMs: 20_000, variables: { rtp_ip: BUYER_IP, rtp_port: String(BUYER_MEDIA_PORT) }, extraArgs: traceMessagesTo(buyerTrace) }, workDir);
      const offer = await receivedSdp(sellerTrace, /^INVITE /);
      const answer = await receivedSdp(buyerTrace, /^SIP\/2\.0 200/);
      // Each side's SDP names the exchange's relay, never the other side's endpoint.
      expect(offer.media?.host).to.equal('127.0.0.1');
      expect(answer.media?.host).to.equal('127.0.0.1');
      expect(offer.text).to.not.include(BUYER_IP);
      expect(answer.text).to.not.include(SELLER_IP);
      expect(offer.media!.port).to.be.within(30200, 30399);
      expect(answer.media!.port).to.be.within(30200, 30399);

      await Promise.all([
        buyerMedia.send(answer.media!.host, answer.media!.port, 50),
        sellerMedia.send(offer.media!.host, offer.media!.port, 50),
      ]);
      await eventually(() => Promise.resolve(buyerMedia.received >= 45 && sellerMedia.received >= 45 ? true : undefined), 3000, 'RTP on both sides');
      expect([...buyerMedia.sources]).to.deep.equal([`127.0.0.1:${answer.media!.port}`]);
      expect([...sellerMedia.sources]).to.deep.equal([`127.0.0.1:${offer.media!.port}`]);
      const bought = await caller.done;
      expect(bought.successfulCalls, bought.stderr).to.equal(1);
      await uas.stop();
      // The relay's measures reach the CDR: 50 packets each way (no RTCP, so no MOS).
      const callId = (await receivedSdp(buyerTrace, /^SIP\/2\.0 200/)).text.match(/^Call-ID:\s*(\S+)/mi)![1]!;
      const cdr = await eventually(async () => {
        const { body } = await running.api<{ cdrs: Array<{ call_id: string; media: { packets: number; mos: number | null } | null }> }>('GET', '/v1/cdrs?limit=100');
        return body.cdrs.find((row) => row.call_id === callId);
      }, 10_000, 'the CDR');
      expect(cdr.media?.packets).to.be.within(90, 100);
      expect(cdr.media?.mos).to.equal(null);
    } finally {
      await Promise.all([buyerMedia.close(), sellerMedia.close()]);
    }
  });

  it('leaves media between the carriers when both trunks ask for direct media', async () => {
    const sellerTrace = path.join(workDir, 'direct-seller.log');
    const buyerTrace = path.join(workDir, 'direct-buyer.log');
    const uas = startSipp({ scenario: 'uas-answer-media-endpoint.xml', localAddress: DIRECT_SELLER_IP, localPort: 11636, maxRunMs: 30_000,
      variables: { rtp_ip: DIRECT_SELLER_IP, rtp_port: String(SELLER_MEDIA_PORT) }, extraArgs: traceMessagesTo(sellerTrace) }, workDir);
    await uas.ready;
    const bought = await runSipp({ scenario: 'uac-call-media-endpoint.xml', localAddress: DIRECT_BUYER_IP, localPort: 11635, remote: running.sipTarget, service: '33140000000',
      calls: 1, callDurationMs: 300, maxRunMs: 20_000, variables: { rtp_ip: DIRECT_BUYER_IP, rtp_port: String(BUYER_MEDIA_PORT) }, extraArgs: traceMessagesTo(buyerTrace) }, workDir);
    await uas.stop();
    expect(bought.successfulCalls, bought.stderr).to.equal(1);
    expect((await receivedSdp(sellerTrace, /^INVITE /)).media).to.deep.equal({ host: DIRECT_BUYER_IP, port: BUYER_MEDIA_PORT });
    expect((await receivedSdp(buyerTrace, /^SIP\/2\.0 200/)).media).to.deep.equal({ host: DIRECT_SELLER_IP, port: SELLER_MEDIA_PORT });
  });

  it('ends a call whose media stopped, on both legs, and bills it to its last media', async () => {
    const buyerMedia = await openRtpEndpoint(BUYER_IP, BUYER_MEDIA_PORT);
    const sellerMedia = await openRtpEndpoint(SELLER_IP, SELLER_MEDIA_PORT);
    const sellerTrace = path.join(workDir, 'timeout-seller.log');
    const buyerTrace = path.join(workDir, 'timeout-buyer.log');
    try {
      const uas = startSipp({ scenario: 'uas-answer-media-endpoint.xml', localAddress: SELLER_IP, localPort: 11636, maxRunMs: 40_000,
        variables: { rtp_ip: SELLER_IP, rtp_port: String(SELLER_MEDIA_PORT) }, extraArgs: traceMessagesTo(sellerTrace) }, workDir);
      await uas.ready;
      const caller = startSipp({ scenario: 'uac-call-media-endpoint-hold.xml', localAddress: BUYER_IP, localPort: 11635, remote: running.sipTarget, service: NUMBER,
        calls: 1, maxRunMs: 30_000, variables: { rtp_ip: BUYER_IP, rtp_port: String(BUYER_MEDIA_PORT) }, extraArgs: traceMessagesTo(buyerTrace) }, workDir);
      const offer = await receivedSdp(sellerTrace, /^INVITE /);
      const answer = await receivedSdp(buyerTrace, /^SIP\/2\.0 200/);
      // One second of media each way, then silence: the relay's 5 s timeout ends the call.
      await Promise.all([buyerMedia.send(answer.media!.host, answer.media!.port, 50), sellerMedia.send(offer.media!.host, offer.media!.port, 50)]);
      const bought = await caller.done;
      const sold = await uas.stop();
      expect(bought.receivedByeCallIds, 'the buyer got a BYE').to.have.length(1);
      expect(sold.receivedByeCallIds, 'the seller got a BYE').to.have.length(1);
      const callId = bought.receivedByeCallIds[0]!;
      const cdr = await eventually(async () => {
        const { body } = await running.api<{ cdrs: Array<{ call_id: string; ended_by: string; final_reason: string; duration_ms: number }> }>('GET', '/v1/cdrs?limit=100');
        return body.cdrs.find((row) => row.call_id === callId);
      }, 10_000, 'the CDR of the call whose media stopped');
      expect(cdr).to.include({ ended_by: 'switch', final_reason: 'media timeout: no RTP for 5 s' });
      // Billed to the last media (about 1 s after the answer; rtpengine keeps packet times to the
      // second), not to the BYE about 5 s later.
      expect(cdr.duration_ms).to.be.within(0, 2500);
    } finally {
      await Promise.all([buyerMedia.close(), sellerMedia.close()]);
    }
  });
});

describe('media anchoring when the relay is down', function () {
  this.timeout(60_000);
  let running: RunningSystem;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-media-down-'));

  before(async () => {
    // A relay that never runs: every offer fails.
    running = await startTestSystem({ sip: 11640, evapi: 11641, jsonrpc: 11642, api: 11643 },
      { MINUTEX_RTPENGINE_CONTROL_ADDR: '127.0.0.1:11644', MINUTEX_RTPENGINE_BIN: '/bin/false', MINUTEX_RTP_PORT_MIN: '30400', MINUTEX_RTP_PORT_MAX: '30499' });
    const buyer = await createCarrier(running, 'Buyer Telecom');
    const seller = await createCarrier(running, 'Seller');
    await addTrunk(running, buyer, { direction: 'ingress', address: '127.0.10.21' });
    await addTrunk(running, seller, { direction: 'egress', address: '127.0.10.22:11646' });
    await createDestination(running, 'Germany - Berlin', ['4930']);
    await setCreditLimit(running, buyer, '100.000000');
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '4930', price_per_minute: '0.010000', increments: '1/1', channels: 10 });
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '4930', price_per_minute: '0.015000', increments: '1/1', channels: 10 });
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('fails closed: no seller ever sees the buyer\'s SDP, the caller gets 500', async () => {
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: '127.0.10.22', localPort: 11646, maxRunMs: 20_000 }, workDir);
    await uas.ready;
    const result = await runSipp({ scenario: 'uac-call-expect-200-or-503.xml', localAddress: '127.0.10.21', localPort: 11645, remote: running.sipTarget, service: NUMBER,
      calls: 1, callDurationMs: 200, maxRunMs: 15_000 }, workDir);
    const sold = await uas.stop();
    expect(sold.totalCalls, 'the seller never got the INVITE').to.equal(0);
    expect(result.successfulCalls).to.equal(0);
    const cdr = await eventually(async () => {
      const { body } = await running.api<{ cdrs: Array<{ final_sip_code: number; final_reason: string }> }>('GET', '/v1/cdrs?limit=10');
      return body.cdrs[0];
    }, 10_000, 'the CDR of the refused call');
    expect(cdr).to.include({ final_sip_code: 500, final_reason: 'setup failed: relay failed' });
  });
});

