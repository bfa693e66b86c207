/**
 * The NOC's call search and hang-up with real PostgreSQL, Kamailio and SIPp: a call refused for
 * credit found by its number with its reason; an answered call in progress found and hung up by a
 * noc operator (a BYE to both sides, audited); a viewer refused, the call untouched.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { eventually, startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

const SELLER_IP = '127.0.124.10';
const BROKE_IP = '127.0.124.1';
const RICH_IP = '127.0.124.2';
const SELLER_PORT = 12410;
const BUYER_PORT = 12420;
const REFUSED_NUMBER = '33140012401';
const ANSWERED_NUMBER = '33140012402';
const PAGE_NUMBER = '33140012403';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

interface StoryJson {
  call_id: string; source: string; state: string; number: string; buyer_id: string | null; final_sip_code: number | null; final_reason: string | null;
  ended_by: string | null; setup: { admitted: boolean; refusal_reason: string | null }; cut_off_reason: string | null; legs: Array<{ sip_code: number | null }>;
}

describe('the NOC call search and hang-up', function () {
  this.timeout(120_000);
  let running: RunningSystem;
  let broke: Carrier, rich: Carrier;
  const tokens: Record<string, string> = {};
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-noc-search-'));

  const as = async <T>(role: string, method: string, url: string) => {
    const response = await fetch(`${running.system.apiUrl}${url}`, { method, headers: { authorization: `Bearer ${tokens[role]}` } });
    return { status: response.status, body: await response.json() as T };
  };
  const search = async (q: string) => (await running.api<{ calls: StoryJson[] }>('GET', `/v1/noc/calls/search?q=${encodeURIComponent(q)}`)).body.calls;

  async function buyer(name: string, address: string, limit: string): Promise<Carrier> {
    const carrier = await createCarrier(running, name);
    await addTrunk(running, carrier, { direction: 'ingress', address });
    await setCreditLimit(running, carrier, limit, 'EUR');
    await placeOrder(running, { carrier_id: carrier.id, side: 'buy', prefix: '33', price_per_minute: '0.015000', currency: 'EUR', increments: '60/60', connect_fee: '0', channels: 50 });
    return carrier;
  }

  before(async () => {
    running = await startTestSystem({ sip: 12400, evapi: 12401, jsonrpc: 12402, api: 12403 });
    const seller = await createCarrier(running, 'Search Termination');
    await addTrunk(running, seller, { direction: 'egress', address: `${SELLER_IP}:${SELLER_PORT}`, channels: 100 });
    await createDestination(running, 'France', ['33']);
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '33', price_per_minute: '0.012000', currency: 'EUR', increments: '1/1', channels: 100 });
    broke = await buyer('Broke Calls Ltd', BROKE_IP, '0.000001');
    rich = await buyer('Rich Calls SA', RICH_IP, '10.000000');
    for (const [name, role] of [['nora', 'noc'], ['vera', 'viewer']] as const) {
      const created = await running.api<{ token: string }>('POST', '/v1/operators', { name, role });
      expect(created.status).to.equal(201);
      tokens[role] = created.body.token;
    }
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('finds a call refused for credit by its number and tells the refusal reason', async () => {
    const refused = await runSipp({ scenario: 'uac-call-expect-402.xml', localAddress: BROKE_IP, localPort: BUYER_PORT, remote: running.sipTarget, service: REFUSED_NUMBER, calls: 1, maxRunMs: 10_000 }, workDir);
    expect(refused.successfulCalls, refused.stderr).to.equal(1);
    const [story] = await eventually(async () => {
      const found = await search(REFUSED_NUMBER);
      return found.length > 0 ? found : undefined;
    }, 15_000, 'the refused call in the search');
    expect(story).to.include({ source: 'cdr', state: 'ended', number: REFUSED_NUMBER, buyer_id: broke.id, final_sip_code: 402, final_reason: 'rejected: insufficient credit', ended_by: 'not_answered' });
    expect(story!.setup).to.deep.equal({ admitted: false, refusal_reason: 'insufficient credit' });
    expect(story!.legs).to.deep.equal([]);
    // Found by its Call-ID and by its buyer's name too; another number finds nothing of it.
    expect((await search(story!.call_id)).map((call) => call.call_id)).to.deep.equal([story!.call_id]);
    expect((await search('broke calls')).map((call) => call.call_id)).to.include(story!.call_id);
    expect((await search('33149999999')).map((call) => call.call_id)).to.not.include(story!.call_id);
  });

  it('hangs up an answered call for a noc operator (BYE to both sides, audited); a viewer is refused', async () => {
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER_IP, localPort: SELLER_PORT, maxRunMs: 40_000 }, workDir);
    await uas.ready;
    const caller = startSipp({ scenario: 'uac-call-hold-until-bye.xml', localAddress: RICH_IP, localPort: BUYER_PORT, remote: running.sipTarget, service: ANSWERED_NUMBER, calls: 1, maxRunMs: 30_000 }, workDir);
    const live = await eventually(async () => (await search(ANSWERED_NUMBER)).find((call) => call.source === 'live' && call.state === 'answered'), 10_000, 'the answered call in the search');
    expect(live).to.include({ buyer_id: rich.id, number: ANSWERED_NUMBER, final_sip_code: null, cut_off_reason: null });
    expect(live.setup).to.deep.equal({ admitted: true, refusal_reason: null });
    expect(live.legs.map((leg) => leg.sip_code)).to.deep.equal([200]);

    const audited = async () => Number((await running.system.db.one<{ count: string }>("select count(*) from audit_log where action = 'call.hangup' and subject = $1", [`call:${live.call_id}`])).count);
    const url = `/v1/calls/${encodeURIComponent(live.call_id)}/hangup`;
    expect((await as('viewer', 'POST', url)).status).to.equal(403);
    expect(await audited()).to.equal(0);
    expect(running.system.calls.liveCall(live.call_id)?.state, 'the viewer changed nothing').to.equal('answered');

    const hungUp = await as<{ status: string }>('noc', 'POST', url);
    expect(hungUp.status).to.equal(200);
    expect(hungUp.body.status).to.equal('ending');
    const bought = await caller.done;
    const sold = await uas.stop();
    expect(bought.receivedByeCallIds, 'the buyer got a BYE').to.have.length(1);
    expect(sold.receivedByeCallIds, 'the seller got a BYE').to.have.length(1);
    const row = await running.system.db.one<{ actor: string }>("select actor from audit_log where action = 'call.hangup' and subject = $1", [`call:${live.call_id}`]);
    expect(row.actor).to.equal('operator:nora');

    const [ended] = await eventually(async () => {
      const found = (await search(live.call_id)).filter((call) => call.source === 'cdr');
      return found.length > 0 ? found : undefined;
    }, 15_000, 'the CDR of the hung-up call');
    expect(ended).to.include({ final_sip_code: 200, ended_by: 'switch', cut_off_reason: 'ended by operator' });
    // Ended now: hanging it up again is a 404, and nothing more is audited.
    expect((await as('noc', 'POST', url)).status).to.equal(404);
    expect((await as('noc', 'POST', '/v1/calls/no-such-call/hangup')).status).to.equal(404);
    expect(await audited()).to.equal(1);
  });
  it('finds a call on the live page and hangs it up from there after a confirmation', async () => {
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER_IP, localPort: SELLER_PORT, maxRunMs: 40_000 }, workDir);
    await uas.ready;
    const caller = startSipp({ scenario: 'uac-call-hold-until-bye.xml', localAddress: RICH_IP, localPort: BUYER_PORT, remote: running.sipTarget, service: PAGE_NUMBER, calls: 1, maxRunMs: 30_000 }, workDir);
    const live = await eventually(async () => (await search(PAGE_NUMBER)).find((call) => call.source === 'live' && call.state === 'answered'), 10_000, 'the answered call');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1400 } });
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      const dialogs: string[] = [];
      page.on('dialog', (dialog) => { dialogs.push(dialog.message()); void dialog.accept(); });
      await page.goto(`${running.system.apiUrl}/#token=${TEST_OPERATOR_TOKEN}`);
      await page.locator('#call-search-q').waitFor({ timeout: 10_000 });
      await page.waitForTimeout(500);
      await page.fill('#call-search-q', PAGE_NUMBER);
      await page.click('#call-search-form button[type=submit]');
      const callRow = page.locator('#call-search-rows tr', { hasText: live.call_id });
      await callRow.waitFor({ timeout: 10_000 });
      await callRow.getByText('Hang up').click();
      const bought = await caller.done;
      const sold = await uas.stop();
      expect(dialogs.some((message) => message.includes(live.call_id)), 'a confirmation was asked').to.equal(true);
      expect(bought.receivedByeCallIds, 'the buyer got a BYE').to.have.length(1);
      expect(sold.receivedByeCallIds, 'the seller got a BYE').to.have.length(1);
      const row = await running.system.db.one<{ actor: string }>("select actor from audit_log where action = 'call.hangup' and subject = $1", [`call:${live.call_id}`]);
      expect(row.actor).to.equal('operator:bootstrap');
      expect(errors, 'no error on the page').to.deep.equal([]);
    } finally {
      await browser.close();
    }
  });
});
