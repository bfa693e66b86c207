/**
 * The operator's actions on a carrier from the live page's carrier panel, in real Chromium against
 * real PostgreSQL, Kamailio and SIPp: a noc operator suspends a buyer (its next call refused 403
 * with the Reason, its new orders refused, audited with the operator's name) and reinstates it (a
 * call goes through); a finance operator raises a buyer's credit limit (credit control admits the
 * call it refused before; audited), while a limit the API refuses shows the API's reason and
 * changes nothing; a noc operator cancels an order (gone from the book, audited). Each action
 * passes through the page's own confirmation dialog. The same actions from the operator CLI.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { runSipp, startSipp, stopAllSipp, type SippProcess } from '../../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

const SUSPENDED_IP = '127.0.127.1';
const CREDIT_IP = '127.0.127.2';
const SELLER_IP = '127.0.127.10';
const BUYER_PORT = 12710;
const SELLER_PORT = 12720;
const NUMBER = '4930127001';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOT = fileURLToPath(new URL('../../docs/noc-carrier-panel.png', import.meta.url));
// Media relay and RTP ports of this test's own (the test port block), so it runs beside others.
const MEDIA = { MINUTEX_RTPENGINE_CONTROL_ADDR: '127.0.0.1:12790', MINUTEX_RTP_PORT_MIN: '12740', MINUTEX_RTP_PORT_MAX: '12789' };

describe('operator actions on a carrier from the live page', function () {
  this.timeout(180_000);
  let running: RunningSystem;
  let browser: Browser;
  let suspendable: Carrier, watched: Carrier;
  let spareOrderId: string;
  let restingAtSuspension: string;
  let answerer: SippProcess;
  const tokens: Record<string, string> = {};
  const pageErrors: string[] = [];
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-noc-actions-'));

  const call = (ip: string, scenario: string) => runSipp({
    scenario, localAddress: ip, localPort: BUYER_PORT, remote: running.sipTarget, service: NUMBER, calls: 1, callDurationMs: 200, maxRunMs: 20_000,
  }, workDir);
  const auditRows = (action: string, subject: string) => running.system.db.any<{ actor: string; details: Record<string, unknown> | null }>(
    'select actor, details from audit_log where action = $1 and subject = $2 order by id', [action, subject]);
  const limitMicros = async (carrier: Carrier) => (await running.system.db.one<{ limit_micros: string }>(
    "select limit_micros::text from credit_accounts where carrier_id = $1 and currency = 'USD'", [carrier.id])).limit_micros;

  /** The live page signed in with an operator's token, the carrier panel showing `name`. */
  async function pageFor(operator: string, name: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1900 } });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    // The page asks with its own dialog: a browser dialog would be a mistake.
    page.on('dialog', (dialog) => {
      pageErrors.push(`a browser dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(`${running.system.apiUrl}/#token=${tokens[operator]}`);
    await page.locator('#carrier-q').waitFor({ timeout: 10_000 });
    await page.fill('#carrier-q', name.slice(0, 8).toLowerCase());
    await page.locator('#carrier-matches button', { hasText: name }).click({ timeout: 15_000 });
    await page.locator('#carrier-name', { hasText: name }).waitFor({ timeout: 10_000 });
    return page;
  }

  /** Answers the page's confirmation dialog, after checking it asks about `about`. */
  async function confirm(page: Page, about: RegExp, answer: 'yes' | 'no' = 'yes'): Promise<void> {
    const dialog = page.locator('#confirm-dialog');
    await dialog.waitFor({ state: 'visible', timeout: 5_000 });
    expect(await page.locator('#confirm-question').textContent()).to.match(about);
    await page.click(answer === 'yes' ? '#confirm-yes' : '#confirm-no');
    await dialog.waitFor({ state: 'hidden', timeout: 5_000 });
  }

  before(async () => {
    running = await startTestSystem({ sip: 12700, evapi: 12701, jsonrpc: 12702, api: 12703 }, MEDIA);
    const seller = await createCarrier(running, 'Actions Termination');
    await addTrunk(running, seller, { direction: 'egress', address: `${SELLER_IP}:${SELLER_PORT}`, channels: 100 });
    await createDestination(running, 'Germany', ['49']);
    await createDestination(running, 'Spain', ['34']);
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '49', price_per_minute: '0.010000', increments: '1/1', channels: 100 });
    suspendable = await createCarrier(running, 'Suspendable Telecom');
    watched = await createCarrier(running, 'Credit Watch Ltd');
    for (const [buyer, ip] of [[suspendable, SUSPENDED_IP], [watched, CREDIT_IP]] as const) {
      await addTrunk(running, buyer, { direction: 'ingress', address: ip });
      await setCreditLimit(running, buyer, '100.000000');
      await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '49', price_per_minute: '0.020000', increments: '60/60', channels: 20 });
    }
    // An order with no seller to meet it: it rests on the book until a suspension or someone cancels it.
    restingAtSuspension = (await placeOrder(running, { carrier_id: suspendable.id, side: 'buy', prefix: '34', price_per_minute: '0.025000', increments: '60/60', channels: 3 })).order.id;
    // The credit buyer has no credit left before any call: its calls are refused until it gets some.
    await setCreditLimit(running, watched, '0');
    for (const [name, role] of [['nora', 'noc'], ['fiona', 'finance']] as const) {
      const created = await running.api<{ token: string }>('POST', '/v1/operators', { name, role });
      expect(created.status).to.equal(201);
      tokens[name] = created.body.token;
    }
    answerer = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER_IP, localPort: SELLER_PORT, maxRunMs: 170_000 }, workDir);
    await answerer.ready;
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });

  after(async () => {
    await browser?.close();
    await stopAllSipp();
    await running?.stop();
  });

  afterEach(() => {
    expect(pageErrors, 'no error on the page, and no browser dialog').to.deep.equal([]);
  });

  it('suspends a carrier from the page: its calls refused with the SIP reason, its orders refused, audited; reinstated, it calls again', async () => {
    const page = await pageFor('nora', 'Suspendable Telecom');
    expect(await page.locator('#carrier-status').textContent()).to.equal('active');

    // Cancelling the dialog sends nothing.
    await page.click('#carrier-suspend');
    await confirm(page, /Suspend Suspendable Telecom\?/, 'no');
    expect(await auditRows('carrier.suspend', `carrier:${suspendable.id}`)).to.deep.equal([]);

    await page.click('#carrier-suspend');
    await confirm(page, /Suspend Suspendable Telecom\?.*refused at setup/);
    await page.locator('#carrier-result', { hasText: 'is suspended' }).waitFor({ timeout: 10_000 });
    await page.locator('#carrier-status', { hasText: 'suspended' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#carrier-reinstate').isVisible()).to.equal(true);
    expect((await auditRows('carrier.suspend', `carrier:${suspendable.id}`)).map((row) => row.actor)).to.deep.equal(['operator:nora']);

    // At once: the next call is refused at setup, saying why; so is a new order.
    const refused = await call(SUSPENDED_IP, 'uac-call-expect-403.xml');
    expect(refused.successfulCalls, refused.stderr).to.equal(1);
    expect(refused.rejections[0]?.reasonHeader).to.match(/^Reason: SIP;cause=403;text="carrier suspended"/);
    const order = await running.api<{ error: string }>('POST', '/v1/orders', {
      carrier_id: suspendable.id, side: 'buy', prefix: '49', price_per_minute: '0.020000', currency: 'USD', increments: '60/60', connect_fee: '0', channels: 1,
    });
    expect(order.status).to.equal(403);
    expect(order.body.error).to.equal('carrier_suspended');
    // Its order resting on the book went with the suspension (no one else trades with a suspended
    // carrier), as the operator's cancel; its filled order's trade stands.
    const resting = await running.system.db.one<{ status: string }>('select status from orders where id = $1', [restingAtSuspension]);
    expect(resting.status).to.equal('cancelled');
    expect((await auditRows('order.cancel', `order:${restingAtSuspension}`)).map((row) => row.actor)).to.deep.equal(['operator:nora']);
    expect((await running.api<{ bids: unknown[] }>('GET', '/v1/market/34')).body.bids).to.deep.equal([]);

    await page.click('#carrier-reinstate');
    await confirm(page, /Reinstate Suspendable Telecom\?/);
    await page.locator('#carrier-status', { hasText: 'active' }).waitFor({ timeout: 10_000 });
    expect((await auditRows('carrier.reactivate', `carrier:${suspendable.id}`)).map((row) => row.actor)).to.deep.equal(['operator:nora']);
    const answered = await call(SUSPENDED_IP, 'uac-call-expect-200.xml');
    expect(answered.successfulCalls, answered.stderr).to.equal(1);
    await page.close();
    // Reinstated, it trades again: an order with no seller to meet it rests on the book until someone cancels it.
    spareOrderId = (await placeOrder(running, { carrier_id: suspendable.id, side: 'buy', prefix: '34', price_per_minute: '0.030000', increments: '60/60', channels: 7 })).order.id;
  });

  it("changes a buyer's credit limit from the page: a refused limit shows the API's reason and changes nothing; a good one is held by credit control at once", async () => {
    const before = await call(CREDIT_IP, 'uac-call-expect-402.xml');
    expect(before.successfulCalls, 'no credit: refused at setup').to.equal(1);
    const page = await pageFor('fiona', 'Credit Watch Ltd');
    const audited = () => auditRows('credit.set_limit', `carrier:${watched.id}`);
    const setsBefore = (await audited()).length;

    // Not a decimal amount: the page says so and sends nothing.
    await page.fill('#carrier-limit-amount', '12.3456789');
    await page.click('#carrier-limit-form button');
    await page.locator('#carrier-result', { hasText: 'Not sent' }).waitFor({ timeout: 5_000 });
    expect(await page.locator('#confirm-dialog').isVisible()).to.equal(false);

    // Beyond what the ledger holds: the API refuses it, and the page shows the API's reason.
    await page.fill('#carrier-limit-amount', '2000000000000');
    await page.click('#carrier-limit-form button');
    await confirm(page, /credit limit of Credit Watch Ltd to 2000000000000 USD/);
    await page.locator('#carrier-result', { hasText: 'invalid_amount' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('#carrier-result').textContent()).to.match(/Refused \(400 invalid_amount\): amount must be a decimal string/);
    expect(await limitMicros(watched)).to.equal('0');
    expect(await audited()).to.have.length(setsBefore);

    await page.fill('#carrier-limit-amount', '50.00');
    await page.click('#carrier-limit-form button');
    await confirm(page, /credit limit of Credit Watch Ltd to 50\.00 USD/);
    await page.locator('#carrier-result', { hasText: 'is now 50.00 USD' }).waitFor({ timeout: 10_000 });
    await page.locator('#carrier-credit-rows tr[data-currency="USD"] td', { hasText: '50.00' }).first().waitFor({ timeout: 10_000 });
    expect(await limitMicros(watched)).to.equal('50000000');
    const rows = await audited();
    expect(rows).to.have.length(setsBefore + 1);
    expect(rows.at(-1)).to.deep.include({ actor: 'operator:fiona' });
    expect(rows.at(-1)?.details).to.include({ limit_micros: '50000000', previous_limit_micros: '0', currency: 'USD' });

    // Credit control holds the new limit from the next call.
    const after = await call(CREDIT_IP, 'uac-call-expect-200.xml');
    expect(after.successfulCalls, after.stderr).to.equal(1);
    await page.close();
  });

  it('cancels an order from the page: gone from the book and from the panel, audited (and keeps a noc operator from changing a limit)', async () => {
    const bids = async () => (await running.api<{ bids: Array<{ price_per_minute: string; channels: number }> }>('GET', '/v1/market/34')).body.bids;
    expect(await bids()).to.deep.equal([{ price_per_minute: '0.030000', channels: 7, orders: 1 }]);
    const page = await pageFor('nora', 'Suspendable Telecom');
    // A noc operator may not change a credit limit: the page shows the API's refusal, nothing changes.
    await page.fill('#carrier-limit-amount', '1');
    await page.click('#carrier-limit-form button');
    await confirm(page, /credit limit of Suspendable Telecom to 1 USD/);
    await page.locator('#carrier-result', { hasText: 'Refused (403 forbidden)' }).waitFor({ timeout: 10_000 });
    expect(await limitMicros(suspendable)).to.equal('100000000');

    const row = page.locator(`#carrier-orders-rows tr[data-order-id="${spareOrderId}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.textContent()).to.match(/buy.*Spain.*0\.03/);
    // The page's NOC panels have drawn once (their credit utilisation names this carrier) before the screenshot.
    await page.locator('#credit-rows tr', { hasText: 'Suspendable Telecom' }).waitFor({ timeout: 10_000 });
    await row.locator('button.cancel-order').click();
    // The screenshot for the operator's guide: the panel, and the question it asks.
    await page.locator('#confirm-dialog').waitFor({ state: 'visible', timeout: 5_000 });
    // The panel's head (the search box and its matches) just below the page's top bar.
    await page.evaluate("window.scrollTo(0, document.getElementById('panel-carrier').offsetTop - 48)");
    await page.screenshot({ path: SCREENSHOT });
    await confirm(page, new RegExp(`Cancel the buy order for Spain at 0\\.030000 USD/min of Suspendable Telecom \\(order ${spareOrderId}\\)`));
    await page.locator('#carrier-result', { hasText: `Order ${spareOrderId} cancelled.` }).waitFor({ timeout: 10_000 });
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await bids()).to.deep.equal([]);
    const order = await running.system.db.one<{ status: string }>('select status from orders where id = $1', [spareOrderId]);
    expect(order.status).to.equal('cancelled');
    expect((await auditRows('order.cancel', `order:${spareOrderId}`)).map((audit) => audit.actor)).to.deep.equal(['operator:nora']);

    // Once more, from the API: the order is closed, and nothing more is audited.
    const again = await running.api<{ error: string }>('DELETE', `/v1/orders/${spareOrderId}`);
    expect(again.status).to.equal(409);
    expect(await auditRows('order.cancel', `order:${spareOrderId}`)).to.have.length(1);
    await page.close();
  });

  it('does the same from the CLI: suspend, reinstate, a credit limit, an order cancel, a hang-up', async () => {
    const cli = async (...args: string[]) => {
      const run = promisify(execFile)('npx', ['tsx', 'control/cli/main.ts', '--api', running.system.apiUrl, '--token', tokens['nora']!, ...args], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
      return run.then(({ stdout }) => stdout, (error: { stderr?: string }) => `failed: ${error.stderr ?? ''}`);
    };
    expect(await cli('carrier', 'suspend', watched.id)).to.match(/suspended/);
    expect((await running.api<{ status: string }>('GET', `/v1/carriers/${watched.id}`)).body.status).to.equal('suspended');
    expect(await cli('carrier', 'reinstate', watched.id)).to.match(/active/);
    expect((await auditRows('carrier.reactivate', `carrier:${watched.id}`)).map((row) => row.actor)).to.deep.equal(['operator:nora']);
    // nora is a noc operator: the API refuses her a credit limit, and the CLI says why.
    expect(await cli('carrier', 'limit', watched.id, '75.5')).to.match(/failed: .*403 forbidden/);
    expect(await cli('order', 'cancel', spareOrderId)).to.match(/failed: .*409 already_closed/);
    expect(await cli('hangup', 'no-such-call@nowhere')).to.match(/failed: .*404 not_found/);
    const limit = await promisify(execFile)('npx', ['tsx', 'control/cli/main.ts', '--api', running.system.apiUrl, '--token', TEST_OPERATOR_TOKEN, '--json', 'carrier', 'limit', watched.id, '75.5'],
      { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
    expect(JSON.parse(limit.stdout)).to.include({ limit: '75.500000', currency: 'USD' });
  });
});
