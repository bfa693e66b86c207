/**
 * Past due, collateral and draws end to end: real PostgreSQL, Kamailio and SIPp, the financial
 * services node sandbox as its own process, and a carrier's own webhook receiver.
 *
 * The market (the exchange's fee is 0.000600 per minute on every call):
 * - B buys from S on "Overdueland" (prefix 4477) at 0.012000/min, 60/60, through the switch: two
 *   short calls, each billed 60 s, 0.012000 to S and 0.000600 fee: B owes 0.025200;
 * - N buys from S at 0.030000/min (one call of 60 s: 0.030000 + 0.000600) and sells to S at
 *   0.010000/min (one call of 120 s: 0.020000): netted, N owes only 0.010600.
 * Every carrier settles daily in UTC, due the day the statement is issued; the policy's clock is
 * stepped forward by days from there.
 */
import { expect } from 'chai';
import type { LocalService } from '../../common/local-service.ts';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { addDays } from '../../billing/core/billing-period.ts';
import { OverdueService } from '../../billing/overdue/overdue-service.ts';
import { createLogger } from '../../common/logger.ts';
import type { Db } from '../../common/db/database.ts';
import { verifyWebhook } from '../../common/webhook-signature.ts';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { carrierClient, rowCounts } from '../support/exchange-api.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { ratedCall } from '../support/rated-calls.ts';
import { insertDestination, insertTrade } from '../support/rows.ts';
import { startSandbox } from '../support/sandboxes.ts';
import { eventually, startTestSystem, TEST_OPERATOR_TOKEN, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 11060, evapi: 11048, jsonrpc: 11071, api: 11080 };
const SANDBOX_URL = 'http://127.0.0.1:11091';
const RECEIVER_PORT = 11092;
const SECRET = 'overdue-test-webhook-secret';
const BUYER_IP = '127.0.11.1';
const SELLER_IP = '127.0.11.2';
const SELLER_PORT = 11085;
const NUMBER = '447700900123';
const DAY_MS = 86_400_000;
const MONEY_TABLES = ['ledger_transactions', 'ledger_postings', 'fsn_events', 'collateral', 'collateral_draws', 'audit_log'];

interface Notice { id: string; carrier_id: string; state: string | null; message: string; delivery: string; payload: { data: { to_state: string | null; blocked: boolean } } }
interface Standing { carrier_id: string; state: string | null; blocked: boolean; days_past_due: number; past_due: Record<string, string> }
interface StatementJson { id: string; status: string; totals: Record<string, string>; lines: Array<{ section: string; calls: number; billed_seconds: number; amount: string; fee: string }> }

async function sandbox<T = Record<string, unknown>>(method: string, url: string, body: unknown, key: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${SANDBOX_URL}${url}`, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'idempotency-key': key } });
  return { status: response.status, body: (await response.json()) as T };
}

describe('settlement: past due, collateral and draws', function () {
  this.timeout(180_000);
  let running: RunningSystem;
  let db: Db;
  let child: LocalService;
  let receiver: Server;
  const received: Array<{ body: string; signature: string | undefined }> = [];
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-overdue-'));
  let b: Carrier;
  let s: Carrier;
  let n: Carrier;
  let statementOfB: string;
  let statementOfN: string;
  let webhookSecretOfB: string;
  let lastPaymentOfB: string;

  const api = <T>(method: string, url: string, body?: unknown) => running.api<T>(method, url, body);
  const statement = async (id: string) => (await api<StatementJson>('GET', `/v1/statements/${id}`)).body;
  const position = async (carrier: Carrier) => (await api<{ positions: Array<Record<string, string>> }>('GET', `/v1/carriers/${carrier.id}/position`)).body.positions[0]!;
  const credit = async (carrier: Carrier) => (await api<Record<string, string>>('GET', `/v1/carriers/${carrier.id}/credit?currency=USD`)).body;
  const standing = async (carrier: Carrier) => (await api<{ carriers: Standing[] }>('GET', `/v1/overdue?carrier_id=${carrier.id}`)).body.carriers[0];
  const notices = async (carrier: Carrier) => (await api<{ notices: Notice[] }>('GET', `/v1/overdue/notices?carrier_id=${carrier.id}`)).body.notices;
  /** The policy's clock, `days` after now. */
  const clockAt = (days: number) => running.system.overdue.setClock(() => new Date(Date.now() + days * DAY_MS));
  const evaluate = () => api('POST', '/v1/overdue/evaluate');
  const collect = async (statement_id: string) => (await api<{ collection_id: string }>('POST', `/v1/statements/${statement_id}/collect`)).body.collection_id;
  const creditAudits = async () => ({
    overdrawn: await db.any('select * from credit_overdrawn()'),
    collateral: await db.any('select * from credit_collateral_mismatches()'),
    balance: await db.any('select * from credit_balance_mismatches()'),
    trial: await db.any('select currency from ledger_postings group by 1 having sum(amount_micros) <> 0'),
  });
  const call = (scenario: string) => runSipp({
    scenario, localAddress: BUYER_IP, localPort: 11070, remote: running.sipTarget, service: NUMBER, calls: 1, callDurationMs: 1000, maxRunMs: 20_000,
  }, workDir);

  before(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const signature = request.headers['minutex-signature'];
        received.push({ body: Buffer.concat(chunks).toString('utf8'), signature: typeof signature === 'string' ? signature : undefined });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(RECEIVER_PORT, '127.0.0.1', resolve));
    running = await startTestSystem(PORTS, {
      MINUTEX_FSN_URL: SANDBOX_URL, MINUTEX_FSN_WEBHOOK_SECRET: SECRET, MINUTEX_EXCHANGE_FEE_PER_MINUTE: '0.000600', MINUTEX_NOTICE_DELIVERY_EVERY_MS: '200',
    });
    db = running.system.db;
    child = await startSandbox('fsn', SANDBOX_URL, { MINUTEX_FSN_WEBHOOK_URL: `${running.system.apiUrl}/fsn/webhooks`, MINUTEX_FSN_WEBHOOK_SECRET: SECRET, MINUTEX_FSN_DRAW_DECISION_MS: '300' });

    s = await createCarrier(running, 'Sierra Termination');
    b = await createCarrier(running, 'Bravo Late Payer');
    n = await createCarrier(running, 'November Netting');
    await addTrunk(running, s, { direction: 'egress', address: `${SELLER_IP}:${SELLER_PORT}` });
    await addTrunk(running, b, { direction: 'ingress', address: BUYER_IP });
    await createDestination(running, 'Overdueland', ['4477']);
    await setCreditLimit(running, b, '10.000000');
    await placeOrder(running, { carrier_id: s.id, side: 'sell', prefix: '4477', price_per_minute: '0.012000', increments: '60/60' });
    await placeOrder(running, { carrier_id: b.id, side: 'buy', prefix: '4477', price_per_minute: '0.015000', increments: '60/60' });
    for (const carrier of [s, b, n]) {
      expect((await api('PUT', `/v1/carriers/${carrier.id}/billing-terms`, { period: 'daily', time_zone: 'UTC', payment_terms_days: 0, currency: 'USD' })).status).to.equal(200);
    }
  });

  after(async () => {
    await stopAllSipp();
    await child?.stop();
    await running?.stop();
    receiver?.close();
  });

  it('issues statements with hand-checkable totals for calls made through the switch, netted for a carrier on both sides', async () => {
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER_IP, localPort: SELLER_PORT, maxRunMs: 30_000 }, workDir);
    await uas.ready;
    const calls = await runSipp({
      scenario: 'uac-call-expect-200.xml', localAddress: BUYER_IP, localPort: 11070, remote: running.sipTarget, service: NUMBER,
      calls: 2, ratePerSecond: 5, callDurationMs: 1000, maxRunMs: 20_000,
    }, workDir);
    await uas.stop();
    expect(calls.successfulCalls, calls.stderr).to.equal(2);
    await eventually(async () => {
      const row = await db.one<{ rated: number }>(`select count(*)::int as rated from cdrs where buyer_id = $1 and billing_status = 'rated' and billed_s > 0`, [b.id]);
      return row.rated === 2 ? true : undefined;
    }, 20_000, 'two rated calls');
    // The calls are moved to yesterday, as if the statement ran the day after them.
    await db.none(`update cdrs set setup_at = setup_at - interval '1 day', answer_at = answer_at - interval '1 day', end_at = end_at - interval '1 day' where buyer_id = $1`, [b.id]);
    const yesterday = addDays(new Date().toISOString().slice(0, 10), -1);
    const destination = await insertDestination(db, 'Netland');
    const nBuys = await insertTrade(db, { buyer: n.id, seller: s.id, destination }, { price_per_minute_micros: 30_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n });
    const nSells = await insertTrade(db, { buyer: s.id, seller: n.id, destination }, { price_per_minute_micros: 10_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n });
    await ratedCall(running, nBuys, `${yesterday}T10:00:00Z`, 60_000);
    await ratedCall(running, nSells, `${yesterday}T11:00:00Z`, 120_000);

    const run = await api<{ statements: Array<{ id: string; carrier_id: string; balance: string }> }>('POST', '/v1/statements/run', { period_end: yesterday });
    expect(run.status, JSON.stringify(run.body)).to.equal(201);
    statementOfB = run.body.statements.find((one) => one.carrier_id === b.id)!.id;
    statementOfN = run.body.statements.find((one) => one.carrier_id === n.id)!.id;
    const ofB = await statement(statementOfB);
    expect(ofB.totals).to.include({ bought: '0.024000', fees: '0.001200', amount_due: '0.025200' });
    expect(ofB.lines).to.deep.equal([{ ...ofB.lines[0], section: 'bought', calls: 2, billed_seconds: 120, amount: '0.024000', fee: '0.001200' }]);
    const ofN = await statement(statementOfN);
    expect(ofN.totals).to.include({ bought: '0.030000', fees: '0.000600', sold: '0.020000', netting: '0.020000', amount_due: '0.010600' });
  });

  it('collects only the net from the netting carrier, and applies its payment once though the webhook comes twice', async () => {
    const collection = await collect(statementOfN);
    const before = await rowCounts(db, ['ledger_transactions', 'ledger_postings', 'fsn_events']);
    const paid = await sandbox<{ event_id: string }>('POST', `/v1/test/collections/${collection}/pay`, { amount: '0.010600' }, 'n-pays');
    expect(paid.status).to.equal(202);
    await eventually(async () => ((await statement(statementOfN)).status === 'paid' ? true : undefined), 10_000, 'the payment of N');
    expect((await sandbox('POST', `/v1/test/events/${paid.body.event_id}/redeliver`, {}, 'n-redeliver')).status).to.equal(202);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const after = await rowCounts(db, ['ledger_transactions', 'ledger_postings', 'fsn_events']);
    expect(after).to.deep.equal({ ledger_transactions: before['ledger_transactions']! + 1, ledger_postings: before['ledger_postings']! + 2, fsn_events: before['fsn_events']! + 1 });
    expect(await position(n)).to.include({ billed_unpaid: '0.000000', past_due: '0.000000', payable: '0.000000' });
  });

  it('counts a deposit received through the node as collateral for credit, once', async () => {
    // Test mode "webhook delayed": the confirmation arrives later, and only then counts.
    const deposit = await sandbox<{ event_id: string; deposit_id: string }>('POST', '/v1/test/deposits', { carrier_id: b.id, amount: '0.010000', currency: 'USD', webhook_delay_ms: 500 }, 'b-deposit');
    expect(deposit.status).to.equal(202);
    await eventually(async () => ((await credit(b))['collateral'] === '0.010000' ? true : undefined), 10_000, 'the deposit');
    expect((await sandbox('POST', `/v1/test/events/${deposit.body.event_id}/redeliver`, {}, 'b-deposit-again')).status).to.equal(202);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await credit(b))['collateral']).to.equal('0.010000');
    expect(await running.system.ledger.accountBalance({ carrier_id: b.id, kind: 'deposit', currency: 'USD' })).to.equal(-10_000n);
    expect((await db.one<{ count: number }>(`select count(*)::int as count from collateral where carrier_id = $1`, [b.id])).count).to.equal(1);
  });

  it('sends a notice at 1 day past due and blocks buying at 7: 403 "account past due" at setup, buy orders refused', async () => {
    const registered = await api<{ secret: string }>('PUT', `/v1/carriers/${b.id}/webhook`, { url: `http://127.0.0.1:${RECEIVER_PORT}/notices` });
    expect(registered.status).to.equal(200);
    webhookSecretOfB = registered.body.secret;

    clockAt(1);
    await evaluate();
    expect(await standing(b)).to.include({ state: 'notice', blocked: false, days_past_due: 1 });
    clockAt(8);
    await evaluate();
    expect(await standing(b)).to.deep.include({ state: 'blocked', blocked: true, days_past_due: 8, past_due: { USD: '0.025200' } });
    expect((await statement(statementOfB)).status).to.equal('overdue');
    expect((await notices(b)).map((notice) => notice.state)).to.deep.equal(['blocked', 'notice']);

    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER_IP, localPort: SELLER_PORT, maxRunMs: 15_000 }, workDir);
    await uas.ready;
    const refused = await call('uac-call-expect-403.xml');
    expect(refused.successfulCalls, refused.stderr).to.equal(1);
    expect(refused.rejections[0]?.reasonHeader).to.equal('Reason: SIP;cause=403;text="account past due"');
    expect((await uas.stop()).totalCalls, 'no seller may see the INVITE').to.equal(0);

    // A node starting now loads the blocked buyers before routing its first call.
    const starting = new OverdueService(db, running.system.ledger, undefined, createLogger('silent'), () => new Date(Date.now() + 8 * DAY_MS));
    await starting.start(3_600_000);
    await starting.stop();
    expect(starting.blocks.list()).to.deep.equal([b.id]);

    const orders = await rowCounts(db, ['orders', 'trades']);
    const order = await api<{ error: string }>('POST', '/v1/orders', { carrier_id: b.id, side: 'buy', prefix: '4477', price_per_minute: '0.016000', currency: 'USD', connect_fee: '0', channels: 5, increments: '60/60' });
    expect(order.status).to.equal(403);
    expect(order.body.error).to.equal('account_past_due');
    expect(await rowCounts(db, ['orders', 'trades'])).to.deep.equal(orders);

    // Each transition reached B's webhook, signed with B's secret over `timestamp.body`.
    const delivered = await eventually(() => Promise.resolve(received.length >= 2 ? received : undefined), 10_000, 'two notices at the webhook');
    for (const one of delivered) expect(verifyWebhook(webhookSecretOfB, one.signature, one.body, Math.floor(Date.now() / 1000)).ok).to.equal(true);
    expect(delivered.map((one) => (JSON.parse(one.body) as Notice['payload']).data.to_state)).to.deep.equal(['notice', 'blocked']);
  });

  it('shows the blocked buyer and its notices on the NOC page', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(`${running.system.apiUrl}/#token=${encodeURIComponent(TEST_OPERATOR_TOKEN)}`);
      const row = await eventually(async () => {
        const cells = await page.locator('#overdue-rows tr:not(.empty) td').allTextContents();
        return cells.length === 5 && cells[0] === 'Bravo Late Payer' ? cells : undefined;
      }, 10_000, 'the past-due panel');
      expect(row).to.deep.equal(['Bravo Late Payer', 'blocked', '8', 'USD 0.025200', 'blocked']);
      expect(await page.locator('#overdue-summary').textContent()).to.equal('1 past due, 1 blocked');
      expect(await page.locator('#overdue-notices li').count()).to.equal(2);
    } finally {
      await browser.close();
    }
  });

  it('draws the deposit for the past-due amount at 10 days, keeping credit whole', async () => {
    expect(await credit(b)).to.include({ collateral: '0.010000', balance: '-0.025200' });
    clockAt(10);
    await evaluate();
    expect(await standing(b)).to.deep.include({ state: 'collateral_drawn', blocked: true, past_due: { USD: '0.015200' } });
    expect((await statement(statementOfB)).totals).to.include({ paid: '0.010000' });
    const afterDraw = await credit(b);
    // The deposit left collateral and settled what B owed: what it may spend is the same.
    expect(afterDraw).to.include({ collateral: '0.000000', balance: '-0.015200' });
    expect(await running.system.ledger.accountBalance({ carrier_id: b.id, kind: 'deposit', currency: 'USD' })).to.equal(0n);
    expect(await creditAudits()).to.deep.equal({ overdrawn: [], collateral: [], balance: [], trial: [] });
    // Evaluated again, nothing is drawn twice.
    const draws = await rowCounts(db, ['collateral_draws', 'ledger_transactions']);
    await evaluate();
    expect(await rowCounts(db, ['collateral_draws', 'ledger_transactions'])).to.deep.equal(draws);
  });

  it('re-evaluates at once on each payment: a partial payment keeps the block, paying the rest reinstates', async () => {
    const collection = await collect(statementOfB);
    await sandbox('POST', `/v1/test/collections/${collection}/pay`, { amount: '0.005000' }, 'b-pays-part');
    await eventually(async () => ((await standing(b))?.past_due['USD'] === '0.010200' ? true : undefined), 10_000, 'the partial payment evaluated');
    expect((await statement(statementOfB)).totals['paid']).to.equal('0.015000');
    expect(await standing(b)).to.deep.include({ state: 'collateral_drawn', blocked: true });
    const rest = await sandbox<{ payment_id: string }>('POST', `/v1/test/collections/${collection}/pay`, { amount: '0.010200' }, 'b-pays-rest');
    await eventually(async () => ((await standing(b)) === undefined ? true : undefined), 10_000, 'B back in good standing');
    expect((await statement(statementOfB)).status).to.equal('paid');
    expect((await notices(b))[0]).to.include({ state: null, message: 'Your account is in good standing again: nothing is past due.' });

    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER_IP, localPort: SELLER_PORT, maxRunMs: 15_000 }, workDir);
    await uas.ready;
    const allowed = await call('uac-call-expect-200.xml');
    await uas.stop();
    expect(allowed.successfulCalls, allowed.stderr).to.equal(1);
    lastPaymentOfB = rest.body.payment_id;
  });

  it('reverses a payment that bounced after confirmation, and draws a letter of credit once another refuses', async () => {
    const expires = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString();
    // The letter expiring first is drawn first; its bank refuses, so the other one is drawn next.
    await sandbox('POST', '/v1/test/letters-of-credit', { carrier_id: b.id, amount: '0.050000', currency: 'USD', expires_at: expires(20), test_draw_outcome: 'refused' }, 'lc-refusing');
    await sandbox('POST', '/v1/test/letters-of-credit', { carrier_id: b.id, amount: '0.050000', currency: 'USD', expires_at: expires(60) }, 'lc-honouring');
    await eventually(async () => ((await credit(b))['collateral'] === '0.100000' ? true : undefined), 10_000, 'two letters of credit');

    const bounced = await sandbox('POST', `/v1/test/payments/${lastPaymentOfB}/bounce`, {}, 'b-bounce');
    expect(bounced.status).to.equal(202);
    // Reopened, and at once overdue again: the policy's clock is still 10 days on.
    await eventually(async () => {
      const reopened = await statement(statementOfB);
      return reopened.totals['paid'] === '0.015000' && reopened.status === 'overdue' ? true : undefined;
    }, 10_000, 'the reversal');
    expect(await position(b)).to.include({ billed_unpaid: '0.010200' });

    // Past due again, so the letters of credit are drawn.
    await eventually(async () => {
      await evaluate();
      return (await statement(statementOfB)).status === 'paid' ? true : undefined;
    }, 15_000, 'a draw honoured');
    const draws = (await api<{ draws: Array<{ status: string; amount: string; refusal_reason: string | null }> }>('GET', `/v1/carriers/${b.id}/collateral`)).body.draws;
    expect(draws.map((draw) => [draw.status, draw.amount])).to.deep.equal([['honoured', '0.010000'], ['refused', '0.010200'], ['honoured', '0.010200']]);
    await eventually(async () => ((await standing(b)) === undefined ? true : undefined), 10_000, 'B reinstated');
    expect((await credit(b))['collateral']).to.equal('0.089800');
    expect(await creditAudits()).to.deep.equal({ overdrawn: [], collateral: [], balance: [], trial: [] });
  });

  it('refuses a draw on an expired letter of credit, a draw beyond what is owed and a payment for an unknown statement, changing nothing', async () => {
    await sandbox('POST', '/v1/test/letters-of-credit', { carrier_id: n.id, amount: '1.000000', currency: 'USD', expires_at: new Date(Date.now() + 1_500).toISOString() }, 'lc-short');
    const lc = await eventually(async () => (await db.oneOrNone<{ id: string }>(`select id from collateral where carrier_id = $1 and kind = 'letter_of_credit'`, [n.id])) ?? undefined, 10_000, 'the short letter of credit');
    const deposit = await sandbox('POST', '/v1/test/deposits', { carrier_id: s.id, amount: '1.000000', currency: 'USD' }, 's-deposit');
    expect(deposit.status).to.equal(202);
    const depositOfS = await eventually(async () => (await db.oneOrNone<{ id: string }>(`select id from collateral where carrier_id = $1`, [s.id])) ?? undefined, 10_000, 'the deposit of S');
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    const before = await rowCounts(db, MONEY_TABLES);

    const expired = await api<{ error: string }>('POST', `/v1/collateral/${lc.id}/draws`, { statement_id: statementOfN, amount: '0.001000' });
    expect([expired.status, expired.body.error]).to.deep.equal([422, 'letter_of_credit_expired']);
    // B's statement is not S's to pay.
    const paidOff = await api<{ error: string }>('POST', `/v1/collateral/${depositOfS.id}/draws`, { statement_id: statementOfB, amount: '0.001000' });
    expect([paidOff.status, paidOff.body.error]).to.deep.equal([422, 'carrier_mismatch']);
    const unknown = await api<{ error: string }>('POST', `/v1/collateral/${depositOfS.id}/draws`, { statement_id: '00000000-0000-4000-8000-000000000000', amount: '0.001000' });
    expect([unknown.status, unknown.body.error]).to.deep.equal([404, 'unknown_statement']);
    // A payment at the node for a statement minutex never issued: the webhook is refused (and retried), nothing posted.
    const stray = await sandbox<{ id: string }>('POST', '/v1/collections', { reference: '00000000-0000-4000-8000-00000000abcd', amount: '1.000000', currency: 'USD' }, 'stray');
    expect((await sandbox('POST', `/v1/test/collections/${stray.body.id}/pay`, { amount: '1.000000' }, 'stray-pay')).status).to.equal(202);
    // A bounce of a payment that never happened is refused by the node itself.
    expect((await sandbox('POST', '/v1/test/payments/pay_unknown/bounce', {}, 'stray-bounce')).status).to.equal(404);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await rowCounts(db, MONEY_TABLES)).to.deep.equal(before);
  });

  it('refuses a malformed policy and a bad webhook URL, and shows a carrier only its own notices', async () => {
    const asN = await carrierClient(running, n);
    const before = await rowCounts(db, ['overdue_policy', 'carrier_webhooks', 'audit_log']);
    const policy = (await api<{ states: unknown[] }>('GET', '/v1/overdue/policy')).body;
    const outOfOrder = await api<{ error: string }>('PUT', '/v1/overdue/policy', { states: [...policy.states].reverse() });
    expect([outOfOrder.status, outOfOrder.body.error]).to.deep.equal([400, 'invalid_policy']);
    expect((await asN('PUT', '/v1/overdue/policy', policy)).status).to.equal(403);
    const plain = await asN('PUT', `/v1/carriers/${n.id}/webhook`, { url: 'http://n.example/notices' });
    expect([plain.status, (plain.body as { error: string }).error]).to.deep.equal([400, 'https_required']);
    expect((await asN('PUT', `/v1/carriers/${b.id}/webhook`, { url: 'https://n.example/notices' })).status).to.equal(404);
    const junk = await api<{ error: string }>('PUT', `/v1/carriers/${n.id}/webhook`, { url: 'not a url' });
    expect([junk.status, junk.body.error]).to.deep.equal([400, 'invalid_url']);
    expect(await rowCounts(db, ['overdue_policy', 'carrier_webhooks', 'audit_log'])).to.deep.equal(before);
    expect((await asN('GET', '/v1/overdue/notices')).body).to.deep.equal({ notices: [] });
    expect((await asN('GET', `/v1/overdue/notices?carrier_id=${b.id}`)).body).to.deep.equal({ notices: [] });
    expect((await asN('GET', `/v1/carriers/${b.id}/collateral`)).status).to.equal(404);
  });

  it('passes the independent audit, draws and reversals included, to the micro-unit', async () => {
    const audit = await api<{ ok: boolean; mismatches: unknown[] }>('GET', '/v1/ledger/audit');
    expect(audit.body.mismatches).to.deep.equal([]);
    expect(audit.body.ok).to.equal(true);
  });
});
