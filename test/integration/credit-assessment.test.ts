/**
 * Credit assessments end to end, with the credit bureau sandbox as its own process: applications
 * decided from the bureau's report and the scorecard, the limit applied to credit control,
 * pre-trading approval refusing buyers without a passing assessment, the bureau client's cache
 * when the bureau is slow or failing, a changed bureau report, and reassessment on a missed due
 * date, on a payment (scorecard 2 gives the grade back), on the net position and on a jump in
 * traffic, all kept in the assessment history.
 */
import { expect } from 'chai';
import type { LocalService } from '../../common/local-service.ts';
import type { Db } from '../../common/db/database.ts';
import { carrierClient, rowCounts, type CarrierClient } from '../support/exchange-api.ts';
import { createCarrier, createDestination, type Carrier } from '../support/market.ts';
import { ratedCall } from '../support/rated-calls.ts';
import { insertDestination, insertTrade } from '../support/rows.ts';
import { startSandbox } from '../support/sandboxes.ts';
import { eventually, startTestSystem, TEST_BUREAU_WEBHOOK_SECRET, type RunningSystem } from '../support/system.ts';
import { SIGNATURE_HEADER, signWebhook } from '../../common/webhook-signature.ts';

const PORTS = { sip: 11401, evapi: 11402, jsonrpc: 11403, api: 11404 };
const BUREAU_URL = 'http://127.0.0.1:11590';

interface Assessment {
  id: string;
  trigger: string;
  score: number;
  grade: string;
  decision: string;
  bureau: { source: string };
  inputs: Record<string, number | null>;
  points: Array<{ attribute: string; points: number; value: number | null }>;
  reasons: Array<{ reason_code: string; points_lost: number }>;
  terms: Record<string, unknown>;
  credit_limit: { applied: string; previous: string; operator_override: boolean };
  history: Array<{ trigger: string; grade: string; credit_limit: string }>;
}

async function bureau(path: string, body: unknown): Promise<void> {
  const response = await fetch(`${BUREAU_URL}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  if (!response.ok) throw new Error(`bureau ${path}: ${response.status}`);
}

describe('credit assessment: bureau, scorecard, approval and reassessment', function () {
  let running: RunningSystem;
  let child: LocalService;
  let db: Db;
  let atlas: Carrier;
  let asAtlas: CarrierClient;

  const assessment = async (carrier: Carrier) => (await running.api<Assessment>('GET', `/v1/carriers/${carrier.id}/credit-assessment`)).body;
  const limitOf = async (carrier: Carrier) => (await running.api<{ limit: string }>('GET', `/v1/carriers/${carrier.id}/credit?currency=USD`)).body.limit;
  const assessmentsOf = async (carrier: Carrier) => Number((await db.one<{ count: string }>('select count(*) from credit_assessments where carrier_id = $1', [carrier.id])).count);

  before(async () => {
    // The bureau's monitoring alerts reach this system's API.
    child = await startSandbox('bureau', BUREAU_URL, { MINUTEX_BUREAU_WEBHOOK_URL: `http://127.0.0.1:${PORTS.api}/bureau/webhooks` });
    running = await startTestSystem(PORTS, {
      MINUTEX_BUREAU_URL: BUREAU_URL, MINUTEX_CREDIT_APPROVAL: 'assessment', MINUTEX_BUREAU_TIMEOUT_MS: '300', MINUTEX_BUREAU_RETRIES: '1',
      MINUTEX_CREDIT_WATCH_MS: '200',
    });
    db = running.system.db;
    await createDestination(running, 'France', ['33']);
    atlas = await createCarrier(running, 'Atlas Voice');
    asAtlas = await carrierClient(running, atlas);
  });

  after(async () => {
    await running?.stop();
    await child?.stop();
  });

  it('refuses a buy from a carrier without an assessment, storing nothing but the audit entry', async () => {
    const before = await rowCounts(db, ['orders', 'order_events', 'trades']);
    const response = await asAtlas<{ error: string }>('POST', '/v1/orders', { side: 'buy', prefix: '33', price_per_minute: '0.010000', currency: 'USD', increments: '60/60', channels: 2, connect_fee: '0' });
    expect(response.status).to.equal(403);
    expect(response.body.error).to.equal('credit_assessment_required');
    expect(await rowCounts(db, ['orders', 'order_events', 'trades'])).to.deep.equal(before);
  });

  it('decides an application from the bureau: grade A, points per attribute, reasons, terms, and the limit applied', async () => {
    const response = await asAtlas<Assessment>('POST', `/v1/carriers/${atlas.id}/credit-applications`, { bureau_id: 'MXB-100001' });
    expect(response.status).to.equal(201);
    const decided = response.body;
    expect(decided).to.include({ trigger: 'application', score: 645, grade: 'A', decision: 'unsecured' });
    expect(decided.bureau.source).to.equal('bureau');
    expect(decided.inputs).to.include({ payment_index: 82, delinquency_score: 92, filings_severity: 0, days_past_due_now: 0, days_paid_late: null });
    // Scorecard 2: nothing past due (40), no statement paid yet (5).
    expect(decided.points.map((point) => point.points)).to.deep.equal([80, 70, 60, 40, 5, 10, 10, 20, 40, 30, 30]);
    expect(decided.reasons.map((reason) => reason.reason_code)).to.deep.equal(['R05', 'R06', 'R11', 'R07']);
    expect(decided.terms).to.include({ unsecured_limit: '50000.000000', secured_limit: '250000.000000', collateral_required: '200000.000000', risk_premium_bps: 0 });
    expect(decided.credit_limit).to.deep.equal({ applied: '50000.000000', previous: '0.000000', operator_override: false });
    expect(await limitOf(atlas)).to.equal('50000.000000');
    const audits = await db.map(`select action from audit_log where subject = $1 and action like 'credit.%' order by id`, [`carrier:${atlas.id}`], (row: { action: string }) => row.action);
    expect(audits).to.deep.equal(['credit.bureau_id_set', 'credit.assessed', 'credit.set_limit']);
    const buy = await asAtlas('POST', '/v1/orders', { side: 'buy', prefix: '33', price_per_minute: '0.010000', currency: 'USD', increments: '60/60', channels: 2, connect_fee: '0' });
    expect(buy.status).to.equal(201);
  });

  it('shows a carrier its own assessment only', async () => {
    expect((await asAtlas<Assessment>('GET', `/v1/carriers/${atlas.id}/credit-assessment`)).body.grade).to.equal('A');
    const other = await createCarrier(running, 'Borealis Telecom');
    expect((await asAtlas('GET', `/v1/carriers/${other.id}/credit-assessment`)).status).to.equal(404);
    expect((await asAtlas('POST', `/v1/carriers/${atlas.id}/credit-assessment`, {})).status).to.equal(403);
    // Its bureau file is its own: it cannot swap in another company's.
    const swapped = await asAtlas<{ error: string }>('POST', `/v1/carriers/${atlas.id}/credit-applications`, { bureau_id: 'MXB-100002' });
    expect(swapped.status).to.equal(403);
    expect(swapped.body.error).to.equal('bureau_id_locked');
  });

  it('refuses a carrier the scorecard refuses, and its buys with the reason', async () => {
    const echo = await createCarrier(running, 'Echo Route');
    const response = await running.api<Assessment>('POST', `/v1/carriers/${echo.id}/credit-applications`, { bureau_id: 'MXB-100005' });
    expect(response.status).to.equal(201);
    expect(response.body).to.include({ decision: 'refused', grade: 'E' });
    expect(response.body.reasons[0]!.reason_code).to.equal('R03');
    expect(await limitOf(echo)).to.equal('0.000000');
    const buy = await running.api<{ error: string }>('POST', '/v1/orders', { carrier_id: echo.id, side: 'buy', prefix: '33', price_per_minute: '0.010000', currency: 'USD', increments: '60/60', channels: 2, connect_fee: '0' });
    expect(buy.status).to.equal(403);
    expect(buy.body.error).to.equal('credit_refused');
  });

  it('uses the cached report while it is valid, an older one when the bureau is slow, and says so when it has none', async () => {
    const cached = await running.api<Assessment>('POST', `/v1/carriers/${atlas.id}/credit-assessment`, {});
    expect(cached.body.bureau.source).to.equal('cache');
    await bureau('/v1/test/behaviour', { delay_ms: 1000 });
    try {
      const slow = await running.api<Assessment>('POST', `/v1/carriers/${atlas.id}/credit-assessment`, { refresh_bureau: true });
      expect(slow.status).to.equal(201);
      expect(slow.body.bureau.source).to.equal('stale_cache');
      const newcomer = await createCarrier(running, 'Cobalt Carrier Services');
      const before = await rowCounts(db, ['credit_assessments', 'credit_profiles', 'bureau_reports', 'audit_log']);
      const unavailable = await running.api<{ error: string }>('POST', `/v1/carriers/${newcomer.id}/credit-applications`, { bureau_id: 'MXB-100003' });
      expect(unavailable.status).to.equal(503);
      expect(unavailable.body.error).to.equal('bureau_unavailable');
      expect(await rowCounts(db, ['credit_assessments', 'credit_profiles', 'bureau_reports', 'audit_log'])).to.deep.equal(before);
    } finally {
      await bureau('/v1/test/behaviour', { delay_ms: 0 });
    }
    // One failure, then an answer: the client's retry gets the report.
    await bureau('/v1/test/behaviour', { fail_next: 1 });
    const cobalt = await createCarrier(running, 'Cobalt again');
    const retried = await running.api<Assessment>('POST', `/v1/carriers/${cobalt.id}/credit-applications`, { bureau_id: 'MXB-100003' });
    expect(retried.status).to.equal(201);
    expect(retried.body).to.include({ grade: 'C', decision: 'unsecured' });
    expect(retried.body.bureau.source).to.equal('bureau');
    const unknown = await running.api<{ error: string }>('POST', `/v1/carriers/${cobalt.id}/credit-assessment`, { bureau_id: 'MXB-999999' });
    expect(unknown.status).to.equal(422);
    expect(unknown.body.error).to.equal('unknown_company');
  });

  it('reassesses on a missed due date (grade and limit down) and on the payment (grade and limit back), all in the history', async () => {
    // A statement of 1,000 USD that fell due 20 days ago, unpaid.
    const statement = await db.one<{ id: string }>(
      `insert into statements (id, number, carrier_id, currency, period_kind, time_zone, period_start, period_end, period_start_at, period_end_at, status,
         bought_micros, balance_micros, issued_at, due_date)
       values (gen_random_uuid(), 900001, $1, 'USD', 'monthly', 'UTC', current_date - 80, current_date - 51, now() - interval '80 days', now() - interval '50 days', 'issued',
         1000000000, 1000000000, now() - interval '50 days', current_date - 20) returning id`, [atlas.id]);
    const lowered = await eventually(async () => {
      const latest = await assessment(atlas);
      return latest.trigger === 'missed_due_date' ? latest : undefined;
    }, 15_000, 'a reassessment on the missed due date');
    expect(lowered.inputs['days_past_due_now']).to.equal(20);
    // 645, +10 now that a line exists and none of it is used, −90 for 20 days past due now (40 → −50).
    expect(lowered).to.include({ grade: 'C', score: 565 });
    expect(lowered.reasons[0]).to.include({ reason_code: 'R04', points_lost: 90 });
    expect(lowered.credit_limit).to.include({ applied: '5000.000000', previous: '50000.000000' });
    expect(await limitOf(atlas)).to.equal('5000.000000');
    // The payment arrives (as the financial services node's confirmation records it).
    await db.none(`update statements set paid_micros = balance_micros, status = 'paid' where id = $1`, [statement.id]);
    await db.none(`insert into fsn_events (event_id, type, statement_id, amount_micros, currency) values ('evt_test_paid', 'collection.payment_received', $1, 1000000000, 'USD')`, [statement.id]);
    const paid = await eventually(async () => {
      const latest = await assessment(atlas);
      return latest.trigger === 'payment' ? latest : undefined;
    }, 15_000, 'a reassessment on the payment');
    // Paid 20 days late: nothing past due now (40) and a late payment on record (−10): 640, which
    // clears A's floor by the upgrade margin, so A and its limit again; the history keeps every step.
    expect(paid.inputs).to.include({ days_past_due_now: 0, days_paid_late: 20 });
    expect(paid).to.include({ grade: 'A', score: 640 });
    expect(paid.credit_limit).to.include({ applied: '50000.000000', previous: '5000.000000' });
    expect(await limitOf(atlas)).to.equal('50000.000000');
    expect(paid.history.map((entry) => [entry.trigger, entry.grade, entry.credit_limit]).slice(0, 2)).to.deep.equal([
      ['missed_due_date', 'C', '5000.000000'], ['operator', 'A', '50000.000000']]);
  });

  it('reassesses at once when the bureau alerts a changed report: a bankruptcy drops the grade to C and the limit with it', async () => {
    const count = await assessmentsOf(atlas);
    await bureau('/v1/test/companies/MXB-100001/report', { filings: [{ kind: 'bankruptcy', filed_on: '2026-11-01', status: 'open' }] });
    // No operator and no schedule: the bureau's signed alert reassesses the carrier filed under that company.
    const reassessed = await eventually(async () => {
      const latest = await assessment(atlas);
      return latest.trigger === 'bureau_change' ? latest : undefined;
    }, 15_000, 'the reassessment the bureau alert asks for');
    // 250 + 80 + 70 - 40 (bankruptcy) + 40 (nothing past due) - 10 (paid 20 days late) + 10 + 10 + 20 + 40 + 40 (no exposure) + 30
    expect(reassessed).to.include({ score: 540, grade: 'C', decision: 'unsecured' });
    expect(reassessed.bureau.source).to.equal('bureau');
    expect(reassessed.inputs['filings_severity']).to.equal(3);
    expect(reassessed.terms).to.include({ risk_premium_bps: 150 });
    expect(await limitOf(atlas)).to.equal('5000.000000');
    expect(await assessmentsOf(atlas)).to.equal(count + 1);

    // The same alert again (a bureau delivers at least once) changes nothing; nor does a forged one.
    const sent = (await (await fetch(`${BUREAU_URL}/v1/test/alerts`)).json()) as { alerts: Array<{ id: string; delivered: boolean; report_version: number }> };
    expect(sent.alerts).to.have.length(1);
    expect(sent.alerts[0]!.delivered).to.equal(true);
    const body = JSON.stringify({ id: sent.alerts[0]!.id, type: 'report.changed', data: { bureau_id: 'MXB-100001', report_version: sent.alerts[0]!.report_version } });
    const post = (signature: string) => fetch(`${running.system.apiUrl}/bureau/webhooks`, { method: 'POST', body, headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature } });
    const again = await post(signWebhook(TEST_BUREAU_WEBHOOK_SECRET, Math.floor(Date.now() / 1000), body));
    expect(again.status).to.equal(200);
    expect(await again.json()).to.deep.equal({ status: 'duplicate' });
    const forged = await post(signWebhook('not-the-bureau', Math.floor(Date.now() / 1000), body.replace(sent.alerts[0]!.id, 'evt_forged')));
    expect(forged.status).to.equal(400);
    expect(((await forged.json()) as { error: string }).error).to.equal('bad_signature');
    expect(await assessmentsOf(atlas)).to.equal(count + 1);
    expect(await db.one<{ count: string }>('select count(*)::text as count from bureau_alerts')).to.deep.equal({ count: '1' });
  });

  it('lets an operator override a term with a reason and an expiry, shown beside the computed terms, audited', async () => {
    const borealis = await createCarrier(running, 'Borealis Override');
    expect((await running.api<Assessment>('POST', `/v1/carriers/${borealis.id}/credit-applications`, { bureau_id: 'MXB-100002' })).body.grade).to.equal('B');
    const tables = ['credit_overrides', 'credit_assessments', 'audit_log'];
    const before = await rowCounts(db, tables);
    const bad = await running.api<{ error: string }>('POST', `/v1/carriers/${borealis.id}/credit-overrides`, {
      term: 'premium_bps', value: '20000', reason: 'typo', expires_at: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(bad.status).to.equal(400);
    expect(bad.body.error).to.equal('invalid_override');
    const asBorealis = await carrierClient(running, borealis);
    const forbidden = await asBorealis('POST', `/v1/carriers/${borealis.id}/credit-overrides`, {
      term: 'unsecured_limit', value: '99999', reason: 'self-service', expires_at: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(forbidden.status).to.equal(403);
    expect(await rowCounts(db, tables)).to.deep.equal({ ...before, audit_log: before['audit_log']! + 1 }); // the new key only

    const set = await running.api<{ id: string; assessment: Assessment & { computed_terms: Record<string, unknown>; overrides: Array<Record<string, unknown>> } }>(
      'POST', `/v1/carriers/${borealis.id}/credit-overrides`, {
        term: 'unsecured_limit', value: '35000', reason: 'bank guarantee on its way', expires_at: new Date(Date.now() + 1500).toISOString(),
      });
    expect(set.status).to.equal(201);
    expect(set.body.assessment).to.include({ trigger: 'override', grade: 'B' });
    expect(set.body.assessment.terms).to.include({ unsecured_limit: '35000.000000' });
    expect(set.body.assessment.computed_terms).to.include({ unsecured_limit: '20000.000000' });
    expect(set.body.assessment.overrides[0]).to.include({ term: 'unsecured_limit', value: '35000.000000', reason: 'bank guarantee on its way' });
    expect(await limitOf(borealis)).to.equal('35000.000000');
    // It expires: the watch reassesses and the computed limit applies again.
    const expired = await eventually(async () => {
      const latest = await assessment(borealis);
      return latest.trigger === 'override_expired' ? latest : undefined;
    }, 15_000, 'a reassessment when the override expires');
    expect(expired.credit_limit.applied).to.equal('20000.000000');
    expect(await limitOf(borealis)).to.equal('20000.000000');

    const refusal = await running.api<{ id: string; assessment: Assessment }>('POST', `/v1/carriers/${borealis.id}/credit-overrides`, {
      term: 'decision', value: 'refused', reason: 'fraud investigation', expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(refusal.body.assessment).to.include({ decision: 'refused' });
    expect(await limitOf(borealis)).to.equal('0.000000');
    const revoked = await running.api<{ status: string; assessment: Assessment }>('DELETE', `/v1/credit-overrides/${refusal.body.id}`);
    expect(revoked.body.status).to.equal('revoked');
    expect(revoked.body.assessment).to.include({ decision: 'unsecured' });
    expect(await limitOf(borealis)).to.equal('20000.000000');
    expect((await running.api('DELETE', `/v1/credit-overrides/${refusal.body.id}`)).status).to.equal(404);
    const audits = await db.map(`select action from audit_log where subject = $1 and action like 'credit.override%' order by id`, [`carrier:${borealis.id}`], (row: { action: string }) => row.action);
    expect(audits).to.deep.equal(['credit.override_set', 'credit.override_set', 'credit.override_revoked']);

    // Any term: the secured limit (the collateral required follows) and a financing term, shown beside what the scorecard gave.
    await running.api('POST', `/v1/carriers/${borealis.id}/credit-overrides`, {
      term: 'secured_limit', value: '150000', reason: 'parent company guarantee', expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const financed = await running.api<{ assessment: Assessment & { computed_terms: { secured_limit: string; financing: Record<string, number> } } }>(
      'POST', `/v1/carriers/${borealis.id}/credit-overrides`, {
        term: 'deferral_days', value: '45', reason: 'seasonal cash cycle', expires_at: new Date(Date.now() + 3_600_000).toISOString(),
      });
    expect(financed.body.assessment.terms).to.include({ secured_limit: '150000.000000', collateral_required: '130000.000000' });
    expect(financed.body.assessment.computed_terms.secured_limit).to.equal('100000.000000');
    expect(financed.body.assessment.terms['financing']).to.include({ deferral_days: 45 });
    expect(financed.body.assessment.computed_terms.financing).to.include({ deferral_days: 15 });
    const outOfRange = await running.api<{ error: string }>('POST', `/v1/carriers/${borealis.id}/credit-overrides`, {
      term: 'advance_rate_percent', value: '120', reason: 'typo', expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect([outOfRange.status, outOfRange.body.error]).to.deep.equal([400, 'invalid_override']);
  });

  it('records only the collateral kinds a carrier\'s terms accept (grade E: deposits), unless an operator overrides them', async () => {
    const gamma = await createCarrier(running, 'Gamma Transit');
    const applied = await running.api<Assessment>('POST', `/v1/carriers/${gamma.id}/credit-applications`, { bureau_id: 'MXB-100007' });
    expect(applied.body).to.include({ grade: 'E', decision: 'secured' });
    expect(applied.body.terms['collateral_kinds']).to.deep.equal(['deposit']);
    const letter = { kind: 'letter_of_credit', amount: '5000.000000', currency: 'USD', reference: 'LC 42', valid_until: new Date(Date.now() + 90 * 86_400_000).toISOString() };
    const refused = await running.api<{ error: string }>('POST', `/v1/carriers/${gamma.id}/collateral`, letter);
    expect([refused.status, refused.body.error]).to.deep.equal([409, 'collateral_kind_not_accepted']);
    expect(await db.one<{ count: string }>('select count(*)::text as count from collateral where carrier_id = $1', [gamma.id])).to.deep.equal({ count: '0' });
    const badKinds = await running.api<{ error: string }>('POST', `/v1/carriers/${gamma.id}/credit-overrides`, {
      term: 'collateral_kinds', value: 'deposit,deposit', reason: 'typo', expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect([badKinds.status, badKinds.body.error]).to.deep.equal([400, 'invalid_override']);
    const widened = await running.api<{ assessment: Assessment }>('POST', `/v1/carriers/${gamma.id}/credit-overrides`, {
      term: 'collateral_kinds', value: 'deposit,letter_of_credit', reason: 'confirmed LC from a first-class bank', expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(widened.body.assessment.terms['collateral_kinds']).to.deep.equal(['deposit', 'letter_of_credit']);
    expect((await running.api('POST', `/v1/carriers/${gamma.id}/collateral`, letter)).status).to.equal(201);
  });

  it('reassesses when the net position moves by 10,000 or more', async () => {
    const mover = await createCarrier(running, 'Net Mover');
    expect((await running.api<Assessment>('POST', `/v1/carriers/${mover.id}/credit-applications`, { bureau_id: 'MXB-100002' })).status).to.equal(201);
    // The exchange comes to owe it 20,000 USD (as sales would), against a clearing account.
    await running.system.ledger.post({
      idempotency_key: `test:net-position:${mover.id}`, kind: 'test', description: 'net position moves',
      postings: [
        { account: { carrier_id: mover.id, kind: 'payable', currency: 'USD' }, amount_micros: -20_000_000_000n },
        { account: { carrier_id: null, kind: 'clearing', currency: 'USD' }, amount_micros: 20_000_000_000n },
      ],
    });
    const moved = await eventually(async () => {
      const latest = await assessment(mover);
      return latest.trigger === 'net_position' ? latest : undefined;
    }, 15_000, 'a reassessment on the net position');
    expect(moved.inputs['net_position_units']).to.equal(20_000);
  });

  it('reassesses on a jump in traffic: 3 times the daily average and at least 1,000 minutes within a day, once per jump', async () => {
    const MINUTE_MS = 60_000;
    const DAY_MS = 86_400_000;
    const destination = await insertDestination(db, 'Surgeland');
    const termination = await createCarrier(running, 'Surge Termination');
    const terms = { price_per_minute_micros: 1_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n };
    /** A rated call of `minutes` that ended `ago_ms` ago. */
    const call = (trade: string, minutes: number, ago_ms: number) => ratedCall(running, trade, new Date(Date.now() - ago_ms - minutes * MINUTE_MS).toISOString(), minutes * MINUTE_MS);
    const quietly = async (carrier: Carrier) => {
      const count = await assessmentsOf(carrier);
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // five passes of the watch
      expect(await assessmentsOf(carrier), 'no reassessment').to.equal(count);
    };

    // Surge: 300 minutes over the month before (10 a day on average), then a day of 900 and 200 more.
    const surge = await createCarrier(running, 'Surge Buyer');
    expect((await running.api<Assessment>('POST', `/v1/carriers/${surge.id}/credit-applications`, { bureau_id: 'MXB-100002' })).status).to.equal(201);
    const surgeTrade = await insertTrade(db, { buyer: surge.id, seller: termination.id, destination }, terms);
    for (const days of [5, 10, 20]) await call(surgeTrade, 100, days * DAY_MS);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await call(surgeTrade, 900, 100);
    // 900 minutes is 90 times its average, but fewer than 1,000: no jump yet.
    await quietly(surge);
    await call(surgeTrade, 200, 100);
    const jumped = await eventually(async () => {
      const latest = await assessment(surge);
      return latest.trigger === 'traffic' ? latest : undefined;
    }, 15_000, 'a reassessment on the jump in traffic');
    expect(jumped.inputs['traffic_minutes_30d']).to.equal(1_400);
    // The jump was assessed: counted from this assessment on, it triggers nothing more.
    await quietly(surge);

    // Steady: 15,400 minutes over the month before (513 a day), then 1,200 in a day: more than 1,000, less than 3 times its average.
    const steady = await createCarrier(running, 'Steady Buyer');
    expect((await running.api<Assessment>('POST', `/v1/carriers/${steady.id}/credit-applications`, { bureau_id: 'MXB-100002' })).status).to.equal(201);
    const steadyTrade = await insertTrade(db, { buyer: steady.id, seller: termination.id, destination }, terms);
    for (let day = 2; day <= 12; day += 1) await call(steadyTrade, 1_400, day * DAY_MS);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await call(steadyTrade, 1_200, 100);
    await quietly(steady);
    expect((await assessment(steady)).trigger).to.equal('application');
  });

  it('keeps scorecards and assessments as history that cannot change', async () => {
    const versions = await db.map('select version from credit_scorecards', [], (row: { version: number }) => row.version);
    expect(versions).to.deep.equal([1, 2]);
    let refused = '';
    await db.none(`update credit_scorecards set sha256 = repeat('0', 64)`).catch((error: Error) => { refused = error.message; });
    expect(refused).to.match(/cannot change/);
    await db.none(`delete from credit_assessments`).catch((error: Error) => { refused = error.message; });
    expect(refused).to.match(/history/);
  });
});
