/**
 * A carrier's credit from sign-up to a missed payment and back, end to end: real PostgreSQL,
 * Kamailio and SIPp, the credit bureau sandbox and the financial services node sandbox each as its
 * own process, pre-trading approval by assessment (MINUTEX_CREDIT_APPROVAL=assessment).
 *
 * Delta Minutes (bureau id MXB-100004, grade D as a new carrier: 1,000 USD unsecured, up to 20,000
 * against collateral) signs up through the API alone and wants a line of 5,000: it posts a deposit
 * of 4,000 through the node, and the node's confirmation widens its line at once. It buys, its
 * first call is carried (within five minutes of sign-up), a statement is issued and not paid: the
 * reassessment on the missed due date refuses it (score 440, below the cut-off 450: grade E, limit
 * 0), so its next call is refused at setup with 403 "credit refused" and its next buy order with
 * `credit_refused`. It pays through the node: reassessed on the payment (510, grade D again, past
 * D's floor by the upgrade margin), its limit of 1,000 is back and its calls are carried again.
 * Every step is in its assessment history with its trigger. The scores are worked by hand in
 * docs/credit.md (scorecard 2) and in control/core/assessment/scorecard.test.ts.
 *
 * The statement is moved three days back once issued (as if issued three days ago and not paid
 * since) rather than waiting: the overdue policy, the assessment and the payment then all read the
 * same calendar, and the payment is three days late.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { addDays } from '../../billing/core/billing-period.ts';
import type { Db } from '../../common/db/database.ts';
import type { LocalService } from '../../common/local-service.ts';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { createApiKey, request, rowCounts } from '../support/exchange-api.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, type Carrier } from '../support/market.ts';
import { startSandbox } from '../support/sandboxes.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 12601, evapi: 12602, jsonrpc: 12603, api: 12604 };
const BUREAU_URL = 'http://127.0.0.1:12610';
const FSN_URL = 'http://127.0.0.1:12611';
const SECRET = 'credit-lifecycle-webhook-secret';
const SELLER = { address: '127.0.26.2', port: 12620 };
const BUYER_ADDRESS = '127.0.26.1';
const NUMBER = '3621000000';
const FIVE_MINUTES_MS = 5 * 60_000;

interface Assessment {
  trigger: string;
  score: number;
  grade: string;
  decision: string;
  decision_text: string;
  scorecard_version: number;
  inputs: Record<string, number | null>;
  reasons: Array<{ reason_code: string; points_lost: number }>;
  terms: { unsecured_limit: string; secured_limit: string; collateral_required: string; collateral_kinds: string[] };
  credit_limit: { applied: string; previous: string };
  history: Array<{ trigger: string; score: number; grade: string; decision: string; credit_limit: string }>;
}

interface Credit { limit: string; collateral: string; available: string }

async function node<T = Record<string, unknown>>(url: string, body: unknown, key: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${FSN_URL}${url}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'idempotency-key': key } });
  return { status: response.status, body: (await response.json()) as T };
}

describe('credit lifecycle: sign-up, deposit through the node, a missed payment and the payment', function () {
  this.timeout(180_000);
  let running: RunningSystem;
  let db: Db;
  let bureau: LocalService;
  let fsn: LocalService;
  let seller: Carrier;
  let delta: Carrier;
  let key: string;
  let statementOfDelta: string;
  let signedUpAt = 0;
  let uacPort = 12621;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-lifecycle-'));

  /** Delta's own API key, as it uses the API after sign-up. */
  const asDelta = <T>(method: string, url: string, body?: unknown) => request<T>(running, key, method, url, body);
  const latest = async () => (await asDelta<Assessment>('GET', `/v1/carriers/${delta.id}/credit-assessment`)).body;
  const credit = async () => (await asDelta<Credit>('GET', `/v1/carriers/${delta.id}/credit?currency=USD`)).body;
  const reassessedOn = (trigger: string) => eventually(async () => {
    const assessment = await latest();
    return assessment.trigger === trigger ? assessment : undefined;
  }, 20_000, `a reassessment on ${trigger}`);
  const buy = () => asDelta<{ error?: string }>('POST', '/v1/orders', {
    side: 'buy', prefix: '3621', price_per_minute: '0.015000', currency: 'USD', increments: '60/60', channels: 5, connect_fee: '0',
  });
  /** One call from Delta's trunk through the switch to the seller's SIPp. */
  const call = async (scenario: 'uac-call-expect-200.xml' | 'uac-call-expect-403.xml') => {
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: 30_000 }, workDir);
    await uas.ready;
    uacPort += 1;
    const result = await runSipp({
      scenario, localAddress: BUYER_ADDRESS, localPort: uacPort, remote: running.sipTarget, service: NUMBER, calls: 1, callDurationMs: 1500, maxRunMs: 20_000,
    }, workDir);
    const seen = (await uas.stop()).totalCalls;
    return { ...result, sellerCalls: seen };
  };

  before(async () => {
    bureau = await startSandbox('bureau', BUREAU_URL);
    running = await startTestSystem(PORTS, {
      MINUTEX_BUREAU_URL: BUREAU_URL, MINUTEX_CREDIT_APPROVAL: 'assessment', MINUTEX_CREDIT_WATCH_MS: '200',
      MINUTEX_FSN_URL: FSN_URL, MINUTEX_FSN_WEBHOOK_SECRET: SECRET, MINUTEX_EXCHANGE_FEE_PER_MINUTE: '0.000600',
    });
    db = running.system.db;
    fsn = await startSandbox('fsn', FSN_URL, { MINUTEX_FSN_WEBHOOK_URL: `${running.system.apiUrl}/fsn/webhooks`, MINUTEX_FSN_WEBHOOK_SECRET: SECRET });
    await createDestination(running, 'Lifecycle Land', ['3621']);
    seller = await createCarrier(running, 'Lifecycle Termination');
    await addTrunk(running, seller, { direction: 'egress', address: `${SELLER.address}:${SELLER.port}` });
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '3621', price_per_minute: '0.012000', increments: '60/60', channels: 10 });
  });

  after(async () => {
    await stopAllSipp();
    await fsn?.stop();
    await running?.stop();
    await bureau?.stop();
  });

  it('signs a carrier up through the API alone: carrier, key, trunk, terms, and an application decided at once (grade D)', async () => {
    signedUpAt = Date.now();
    delta = await createCarrier(running, 'Delta Minutes');
    key = (await createApiKey(running, delta)).key;
    await addTrunk(running, delta, { direction: 'ingress', address: BUYER_ADDRESS });
    // Daily statements in UTC, due the day they are issued.
    for (const carrier of [delta, seller]) {
      expect((await running.api('PUT', `/v1/carriers/${carrier.id}/billing-terms`, { period: 'daily', time_zone: 'UTC', payment_terms_days: 0, currency: 'USD' })).status).to.equal(200);
    }
    const applied = await asDelta<Assessment>('POST', `/v1/carriers/${delta.id}/credit-applications`, { bureau_id: 'MXB-100004' });
    expect(applied.status).to.equal(201);
    // 250 + 30 + 15 + 15 + 40 (nothing past due) + 5 (no statement paid yet) + 10 + 10 + 20 + 40 + 30 + 30
    expect(applied.body).to.include({ trigger: 'application', scorecard_version: 2, score: 495, grade: 'D', decision: 'unsecured' });
    expect(applied.body.terms).to.include({ unsecured_limit: '1000.000000', secured_limit: '20000.000000', collateral_required: '19000.000000' });
    // The collateral it is asked for, in words it can act on.
    expect(applied.body.decision_text).to.equal(
      'may buy unsecured up to 1000.000000 USD; up to 20000.000000 USD once it posts 19000.000000 USD more collateral (deposit or letter of credit)');
    expect(await credit()).to.include({ limit: '1000.000000', collateral: '0.000000', available: '1000.000000' });
  });

  it('widens its line at once when the node confirms its deposit; it buys and its first call is carried within five minutes of sign-up', async () => {
    // It wants a line of 5,000: it wires 4,000 of the collateral the decision asks for, at the node.
    const before = await rowCounts(db, ['collateral', 'fsn_events']);
    const wired = await node<{ deposit_id: string }>('/v1/test/deposits', { carrier_id: delta.id, amount: '4000.000000', currency: 'USD' }, 'delta-deposit');
    expect(wired.status).to.equal(202);
    // The node's webhook is the confirmation: nobody records the collateral by hand.
    const widened = await eventually(async () => {
      const now = await credit();
      return now.collateral === '4000.000000' ? now : undefined;
    }, 10_000, 'the deposit confirmed by the node');
    expect(widened).to.include({ limit: '1000.000000', available: '5000.000000' });
    expect(await rowCounts(db, ['collateral', 'fsn_events'])).to.deep.equal({ collateral: before['collateral']! + 1, fsn_events: before['fsn_events']! + 1 });

    const order = await buy();
    expect(order.status, JSON.stringify(order.body)).to.equal(201);
    const first = await call('uac-call-expect-200.xml');
    expect(first.successfulCalls, first.stderr).to.equal(1);
    expect(Date.now() - signedUpAt, 'sign-up to the first carried call').to.be.below(FIVE_MINUTES_MS);
    await eventually(async () => (await db.oneOrNone(`select 1 from cdrs where buyer_id = $1 and billing_status = 'rated' and billed_s > 0`, [delta.id])) ?? undefined,
      20_000, 'the first call rated');
  });

  it('lowers the grade and the limit when a statement falls past due unpaid: its calls are refused at setup, its buy orders with the reason', async () => {
    // The call is moved four days back and its day's statement run, as if that had happened then.
    await db.none(`update cdrs set setup_at = setup_at - interval '4 days', answer_at = answer_at - interval '4 days', end_at = end_at - interval '4 days' where buyer_id = $1`, [delta.id]);
    const periodEnd = addDays(new Date().toISOString().slice(0, 10), -4);
    const run = await running.api<{ statements: Array<{ id: string; carrier_id: string }> }>('POST', '/v1/statements/run', { period_end: periodEnd });
    expect(run.status, JSON.stringify(run.body)).to.equal(201);
    statementOfDelta = run.body.statements.find((one) => one.carrier_id === delta.id)!.id;
    // As if issued three days ago, due the same day, and not paid since. An issued statement's dates
    // never change (a trigger refuses it) and neither the statement run nor the assessment has a
    // clock to step, so this test's own database lets it move this one statement's dates, once.
    await db.tx(async (t) => {
      await t.none('alter table statements disable trigger statements_no_change');
      await t.none(`update statements set issued_at = issued_at - interval '3 days', due_date = due_date - 3 where id = $1`, [statementOfDelta]);
      await t.none('alter table statements enable trigger statements_no_change');
    });
    expect((await running.api('POST', '/v1/overdue/evaluate')).status).to.equal(200);
    const standing = (await running.api<{ carriers: Array<{ state: string; blocked: boolean; days_past_due: number }> }>('GET', `/v1/overdue?carrier_id=${delta.id}`)).body.carriers[0];
    expect(standing).to.include({ state: 'notice', blocked: false, days_past_due: 3 });

    const lowered = await reassessedOn('missed_due_date');
    expect(lowered.inputs).to.include({ days_past_due_now: 3, days_paid_late: null, exposure_percent: 0, net_position_units: -1 });
    // 495 + 10 (a line, little of it used) − 15 (it owes a statement) − 50 (3 days past due: 40 → −10) = 440, below 450.
    expect(lowered).to.include({ score: 440, grade: 'E', decision: 'refused' });
    // Delinquency score 55 points lost, payment index 50, past due now 50 (after the index: file order), the judgment 45.
    expect(lowered.reasons.map((reason) => [reason.reason_code, reason.points_lost])).to.deep.equal([['R02', 55], ['R01', 50], ['R04', 50], ['R03', 45]]);
    expect(lowered.credit_limit).to.deep.include({ applied: '0.000000', previous: '1000.000000' });
    expect((await credit()).limit).to.equal('0.000000');

    const refused = await call('uac-call-expect-403.xml');
    expect(refused.successfulCalls, refused.stderr).to.equal(1);
    expect(refused.rejections[0]?.reasonHeader).to.equal('Reason: SIP;cause=403;text="credit refused"');
    expect(refused.sellerCalls, 'the seller never saw the call').to.equal(0);
    const orders = await rowCounts(db, ['orders', 'trades']);
    const order = await buy();
    expect([order.status, order.body.error]).to.deep.equal([403, 'credit_refused']);
    expect(await rowCounts(db, ['orders', 'trades'])).to.deep.equal(orders);
  });

  it('restores the grade and the limit once it pays through the node, and carries its calls again', async () => {
    const collection = await running.api<{ collection_id: string; amount: string }>('POST', `/v1/statements/${statementOfDelta}/collect`);
    expect(collection.status).to.equal(201);
    const paid = await node(`/v1/test/collections/${collection.body.collection_id}/pay`, { amount: collection.body.amount }, 'delta-pays');
    expect(paid.status).to.equal(202);

    const restored = await reassessedOn('payment');
    expect(restored.inputs).to.include({ days_past_due_now: 0, days_paid_late: 3, net_position_units: 0 });
    // 440 + 50 (nothing past due) + 15 (owes nothing) + 5 (paid 1-7 days late: 10 instead of 5 for no history) = 510 ≥ 490 + 10.
    expect(restored).to.include({ score: 510, grade: 'D', decision: 'unsecured' });
    expect(restored.credit_limit).to.deep.include({ applied: '1000.000000', previous: '0.000000' });
    expect(await credit()).to.include({ limit: '1000.000000', collateral: '4000.000000' });
    expect(restored.history.map((entry) => [entry.trigger, entry.score, entry.grade, entry.decision, entry.credit_limit])).to.deep.equal([
      ['missed_due_date', 440, 'E', 'refused', '0.000000'],
      ['application', 495, 'D', 'unsecured', '1000.000000'],
    ]);
    await eventually(async () => ((await running.api<{ carriers: unknown[] }>('GET', `/v1/overdue?carrier_id=${delta.id}`)).body.carriers.length === 0 ? true : undefined),
      10_000, 'Delta in good standing again');

    const again = await call('uac-call-expect-200.xml');
    expect(again.successfulCalls, again.stderr).to.equal(1);
    expect(again.sellerCalls).to.equal(1);
    expect((await buy()).status).to.equal(201);
  });
});
