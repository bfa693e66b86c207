/**
 * The live page with many calls in progress, in Chromium against the whole system: stream events
 * change what the page knows at once and the table is drawn once per animation frame, each call's
 * row kept (the same element) for as long as it is on show, one page of the newest calls at a time
 * with the counts for all of them, and durations that tick without rows being made again.
 *
 * The calls are given to the page's own module (the one the stream feeds), all in one task, so
 * that "many events in one frame" is exactly that; what the stream itself carries is covered by
 * web-page.test.ts.
 */
import { expect } from 'chai';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createCarrier, createDestination, setCreditLimit, type Carrier } from '../support/market.ts';
import { eventually, startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 12960, evapi: 12961, jsonrpc: 12962, api: 12963 };
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const UI_WAIT_MS = 5_000;
/** More calls than one page of rows holds (100). */
const CALLS = 250;

interface PageCall { call_id: string; buyer_id: string; number: string; destination_id: string; state: string; setup_at: string; answer_at: string | null; seller_id: string | null; legs_tried: number }

/**
 * Runs `body` in the page (as text: the page's code is the browser's, not this process's), with
 * `calls` the calls panel's module, the very instance the stream feeds, and `value` the argument.
 */
async function inPage<T>(page: Page, body: string, arg: unknown = null): Promise<T> {
  return page.evaluate<T>(`(async () => {
    const calls = await import(location.origin + '/panel-calls.js');
    const value = ${JSON.stringify(arg)};
    ${body}
  })()`);
}

/** Resolves after the page drew a frame (and the one after it: the draw itself runs in a frame callback). */
const afterFrames = (page: Page) => page.evaluate('new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)))');

/** One data attribute of every row of a table body (null where a row has none). */
const rowData = (page: Page, selector: string, name: string) =>
  page.evaluate<Array<string | null>>(`[...document.querySelectorAll(${JSON.stringify(selector)})].map((row) => row.dataset[${JSON.stringify(name)}] ?? null)`);

/** Marks every row the selector finds (with `mark`, or its index for 'index'), to tell later whether they are still the same elements. */
const markRows = (page: Page, selector: string, mark: string) =>
  page.evaluate(`document.querySelectorAll(${JSON.stringify(selector)}).forEach((row, index) => { row.dataset.mark = ${mark === 'index' ? 'String(index)' : JSON.stringify(mark)}; })`);

describe('the live page with many calls in progress', function () {
  this.timeout(60_000);
  let running: RunningSystem;
  let browser: Browser;
  let page: Page;
  let buyer: Carrier;
  let seller: Carrier;
  let destination: string;
  const calls: PageCall[] = [];

  before(async () => {
    [running, browser] = await Promise.all([
      startTestSystem(PORTS, { MINUTEX_MEDIA_ANCHORING: 'false' }),
      chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS }),
    ]);
    buyer = await createCarrier(running, 'Many Calls Buyer');
    seller = await createCarrier(running, 'Many Calls Seller');
    await setCreditLimit(running, buyer, '100.000000');
    destination = await createDestination(running, 'Spain Madrid', ['3491']);
    const context = await browser.newContext({ viewport: { width: 1400, height: 1800 } });
    page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${running.system.apiUrl}/#token=${encodeURIComponent(TEST_OPERATOR_TOKEN)}`);
    await eventually(async () => ((await page.locator('#badge-stream').textContent()) === 'stream live' ? true : undefined), UI_WAIT_MS, 'the stream');
    // The hello's snapshot of the (no) calls in progress is drawn before the test's calls come.
    await eventually(async () => ((await page.locator('#live-summary').textContent()) === '0 in progress · 0 answered' ? true : undefined), UI_WAIT_MS, 'the first snapshot');
    expect(errors).to.deep.equal([]);
    const setupBaseMs = Date.now() - 10 * 60_000;
    for (let index = 0; index < CALLS; index += 1) {
      calls.push({
        call_id: `many-${String(index).padStart(4, '0')}@127.0.0.1`, buyer_id: buyer.id, number: `3491${String(1_000_000 + index)}`, destination_id: destination,
        state: 'routing', setup_at: new Date(setupBaseMs + index * 1000).toISOString(), answer_at: null, seller_id: null, legs_tried: 0,
      });
    }
  });

  after(async () => {
    await browser?.close();
    await running?.stop();
  });

  it('draws a burst of events in one frame once, the newest page of calls with the counts for all', async () => {
    const draws = await inPage<number[]>(page, `
      const before = calls.liveDrawCount();
      for (const call of value) calls.applyCallEvent(call);
      const sameTask = calls.liveDrawCount();
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      return [sameTask - before, calls.liveDrawCount() - before];`, calls);
    // Nothing drawn while the events came, one draw at the next frame.
    expect(draws).to.deep.equal([0, 1]);
    expect(await page.locator('#live-summary').textContent()).to.equal(`${CALLS} in progress · 0 answered`);
    const shown = await rowData(page, '#live-rows tr', 'callId');
    const newest = calls.map((call) => call.call_id).reverse().slice(0, 100);
    expect(shown).to.deep.equal(newest);
    expect(await page.locator('#live-pager').isVisible()).to.equal(true);
    expect(await page.locator('#live-pager-text').textContent()).to.equal(`showing 1–100 of ${CALLS}, newest first`);
    const row = await page.locator('#live-rows tr').first().locator('td').allTextContents();
    expect(row.slice(1, 6)).to.deep.equal(['Many Calls Buyer', calls[CALLS - 1]!.number, 'Spain Madrid', '—', 'routing']);
  });

  it('updates a call where it is: every row on show keeps its element, only the changed texts change', async () => {
    await markRows(page, '#live-rows tr', 'index');
    const answeredAt = new Date(Date.now() - 65_000).toISOString();
    const answered = calls.slice(-10).map((call) => ({ ...call, state: 'answered', answer_at: answeredAt, seller_id: seller.id, legs_tried: 1 }));
    const draws = await inPage<number>(page, `
      const before = calls.liveDrawCount();
      for (const call of value) calls.applyCallEvent(call);
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      return calls.liveDrawCount() - before;`, answered);
    expect(draws).to.equal(1);
    const marks = await rowData(page, '#live-rows tr', 'mark');
    expect(marks).to.deep.equal(Array.from({ length: 100 }, (_, index) => String(index)));
    expect(await page.locator('#live-summary').textContent()).to.equal(`${CALLS} in progress · 10 answered`);
    const first = await page.locator('#live-rows tr').first().locator('td').allTextContents();
    expect(first.slice(4, 8)).to.deep.equal(['Many Calls Seller', 'answered', '1', first[7]]);
    // Answered 65 s ago by this clock; the page counts by the server clock it learnt from the stream (within a second or so).
    expect(first[7]).to.match(/^1:0[3-9]$/);
  });

  it('ticks the durations without making rows again', async () => {
    const durationOf = () => page.locator('#live-rows tr').first().locator('td').nth(7).textContent();
    const before = await durationOf();
    await eventually(async () => ((await durationOf()) !== before ? true : undefined), UI_WAIT_MS, 'the duration to tick');
    const marks = await rowData(page, '#live-rows tr', 'mark');
    expect(marks).to.deep.equal(Array.from({ length: 100 }, (_, index) => String(index)));
  });

  it('takes ended calls out, the next newest moving up with their rows made once', async () => {
    const ended = calls.slice(-5).map((call) => ({ ...call, state: 'ended' }));
    await inPage(page, 'for (const call of value) calls.applyCallEvent(call);', ended);
    await afterFrames(page);
    expect(await page.locator('#live-summary').textContent()).to.equal(`${CALLS - 5} in progress · 5 answered`);
    expect(await rowData(page, '#live-rows tr', 'callId')).to.deep.equal(calls.map((call) => call.call_id).reverse().slice(5, 105));
    // The 95 rows still on show are the same elements; the five that moved up onto the page are new.
    const marks = await rowData(page, '#live-rows tr', 'mark');
    expect(marks.slice(0, 95)).to.deep.equal(Array.from({ length: 95 }, (_, index) => String(index + 5)));
    expect(marks.slice(95)).to.deep.equal([null, null, null, null, null]);
  });

  it('pages to the older calls; a late event for an ended call does not bring it back', async () => {
    await page.click('#live-older');
    await page.locator('#live-pager-text', { hasText: `showing 101–200 of ${CALLS - 5}` }).waitFor({ timeout: UI_WAIT_MS });
    expect(await page.locator('#live-rows tr').count()).to.equal(100);
    expect(await page.locator('#live-rows tr').first().getAttribute('data-call-id')).to.equal(calls[CALLS - 106]!.call_id);
    await page.click('#live-newer');
    await page.locator('#live-pager-text', { hasText: `showing 1–100 of ${CALLS - 5}` }).waitFor({ timeout: UI_WAIT_MS });
    await inPage(page, 'calls.applyCallEvent(value);', { ...calls[CALLS - 1], state: 'answered' });
    await afterFrames(page);
    expect(await page.locator(`#live-rows tr[data-call-id="${calls[CALLS - 1]!.call_id}"]`).count()).to.equal(0);
  });

  it('keeps the balances rows and the credit bars across refreshes', async () => {
    await page.locator('#credit-rows', { hasText: 'Many Calls Buyer' }).waitFor({ timeout: 10_000 });
    await page.locator('#balances-rows tr', { hasText: 'Many Calls Seller' }).waitFor({ timeout: UI_WAIT_MS });
    await markRows(page, '#credit-rows tr, #balances-rows tr', 'kept');
    // The NOC panels poll every 2 s; the balances are read again on demand.
    await page.evaluate('import(location.origin + "/state.js").then(({ state }) => state.session.refreshBalances())');
    await page.waitForTimeout(2_500);
    const marks = await rowData(page, '#credit-rows tr, #balances-rows tr', 'mark');
    expect(marks.length).to.be.at.least(3);
    expect(marks.every((mark) => mark === 'kept')).to.equal(true);
  });
});
