/**
 * The NOC's live page in a real browser (Debian's Chromium driven by playwright-core) against the
 * whole system: the sign-in form, the health badges, carriers' names, and the market table, first
 * as loaded and then as the live stream changes it.
 */
import { expect } from 'chai';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { eventually, startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 5360, evapi: 8748, jsonrpc: 5371, api: 8380 };
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** Long enough for a page load and one round of requests on a loaded machine; short enough to fail fast. */
const UI_WAIT_MS = 5_000;
/** A carrier name that is also markup: the page must show it as text and never run it. */
const MARKUP_NAME = '<img src=x onerror="window.injected=1">Markup & Co';

/** The text of every cell of every data row of a table body, as the operator reads it. */
async function tableText(page: Page, tbodyId: string): Promise<string[][]> {
  const rows = await page.locator(`#${tbodyId} tr:not(.empty)`).all();
  return Promise.all(rows.map((row) => row.locator('td').allTextContents()));
}

/** Waits until the element's text is `expected` (the page updates itself: no reload). */
async function waitForText(page: Page, selector: string, expected: string): Promise<void> {
  await eventually(async () => ((await page.locator(selector).textContent()) === expected ? true : undefined), UI_WAIT_MS, `${selector} to read "${expected}"`);
}

/** Waits until a table body holds `count` data rows, and returns their text. */
async function waitForRows(page: Page, tbodyId: string, count: number): Promise<string[][]> {
  return eventually(async () => {
    const rows = await tableText(page, tbodyId);
    return rows.length === count ? rows : undefined;
  }, UI_WAIT_MS, `${count} rows in #${tbodyId}`);
}

const storedToken = (page: Page) => page.evaluate<string | null>('sessionStorage.getItem("minutex.operatorToken")');

describe('the NOC live page in Chromium', function () {
  this.timeout(30_000);
  let running: RunningSystem;
  let browser: Browser;
  let buyer: Carrier;
  let markupSeller: Carrier;
  const contexts: BrowserContext[] = [];

  const openPage = async (path: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${running.system.apiUrl}${path}`);
    return page;
  };

  before(async () => {
    [running, browser] = await Promise.all([
      startTestSystem(PORTS),
      chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
    ]);
    buyer = await createCarrier(running, 'Acme Telecom');
    const seller = await createCarrier(running, 'Globex Voice');
    markupSeller = await createCarrier(running, MARKUP_NAME);
    await addTrunk(running, buyer, { direction: 'ingress', address: '127.0.0.31' });
    await addTrunk(running, seller, { direction: 'egress', address: '127.0.0.32:5090' });
    await createDestination(running, 'United Kingdom London', ['4420']);
    await createDestination(running, 'Germany Mobile', ['4915']);
    await setCreditLimit(running, buyer, '50.000000');
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '4420', price_per_minute: '0.012500', increments: '60/6', channels: 10 });
    const { trades } = await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '4420', price_per_minute: '0.014000', increments: '60/6', channels: 10 });
    expect(trades).to.have.length(1);
  });

  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await running?.stop();
  });

  it('asks for the operator token when the address carries none', async () => {
    const page = await openPage('/');
    await page.locator('#sign-in').waitFor({ state: 'visible', timeout: UI_WAIT_MS });
    expect(await page.isVisible('#dashboard')).to.equal(false);
    expect(await page.isVisible('#health-badges')).to.equal(false);
    expect(await page.locator('#token-input:focus').count()).to.equal(1);
  });

  it('goes back to the form when the API refuses the token typed in it', async () => {
    const page = await openPage('/');
    await page.fill('#token-input', 'not-the-operator-token');
    await page.click('#sign-in-form button[type=submit]');
    await waitForText(page, '#sign-in-message', 'The API refused the token. Enter it again.');
    expect(await page.isVisible('#sign-in')).to.equal(true);
    expect(await page.isVisible('#dashboard')).to.equal(false);
    expect(await storedToken(page)).to.equal(null);
  });

  describe('signed in with the token from the address', () => {
    let page: Page;

    before(async () => {
      page = await openPage(`/#token=${encodeURIComponent(TEST_OPERATOR_TOKEN)}`);
      await waitForText(page, '#badge-stream', 'stream live');
    });

    it('keeps the token for the tab and takes it out of the address bar', async () => {
      expect(new URL(page.url()).hash).to.equal('');
      expect(await storedToken(page)).to.equal(TEST_OPERATOR_TOKEN);
    });

    it('shows the health of the API, the database, the switch and the agent as green badges', async () => {
      await waitForText(page, '#badge-api', 'API ok');
      for (const part of ['database', 'switch', 'agent']) {
        const badge = page.locator(`#badge-${part}`);
        expect(await badge.textContent()).to.equal(part);
        expect(await badge.getAttribute('class')).to.equal('badge badge-ok');
      }
      await waitForText(page, '#badge-ledger', 'ledger balanced');
    });

    it('lists every carrier by name in the balances, markup shown as text', async () => {
      const names = (await waitForRows(page, 'balances-rows', 3)).map((cells) => cells[0]);
      // The API lists carriers by name: '<' sorts before letters.
      expect(names).to.deep.equal([MARKUP_NAME, 'Acme Telecom', 'Globex Voice']);
      expect(await page.locator('#balances-rows img').count()).to.equal(0);
    });

    it('shows the trade in the market table with names, the exact price and its terms', async () => {
      const [row] = await waitForRows(page, 'trade-rows', 1);
      // The resting sell order's price, 0.0125 a minute, to the micro: trailing zeros are dimmed, not dropped.
      expect(row!.slice(1)).to.deep.equal(['Acme Telecom', 'Globex Voice', 'United Kingdom London', '0.012500', '60/6', '10', 'live']);
      expect(row![0]).to.match(/^\d\d:\d\d:\d\d$/);
    });

    it('adds a trade made while the page is open, from the live stream, without a reload', async () => {
      await placeOrder(running, { carrier_id: markupSeller.id, side: 'sell', prefix: '4915', price_per_minute: '0.031000', increments: '1/1', channels: 5 });
      await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '4915', price_per_minute: '0.035000', increments: '1/1', channels: 5 });
      // The slow resynchronising poll runs every 30 s, so a row within 5 s came through the stream.
      const [newest] = await waitForRows(page, 'trade-rows', 2);
      expect(newest!.slice(1)).to.deep.equal(['Acme Telecom', MARKUP_NAME, 'Germany Mobile', '0.031000', '1/1', '5', 'live']);
      expect(await page.locator('#trade-rows img').count()).to.equal(0);
      expect(await page.evaluate<unknown>('window.injected')).to.equal(undefined);
    });
  });
});
