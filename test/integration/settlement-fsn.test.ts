/**
 * The financial services node sandbox as its own process, and minutex collecting a statement
 * through it: the buyer pays in two parts through the sandbox's test endpoint, each signed
 * webhook is applied to the ledger and the statement once (also when delivered again), and bad
 * webhooks (wrong signature, stale timestamp, unknown statement) change nothing.
 */
import { expect } from 'chai';
import type { LocalService } from '../../common/local-service.ts';
import type { Db } from '../../common/db/database.ts';
import { signWebhook } from '../../common/webhook-signature.ts';
import { carrierClient, rowCounts } from '../support/exchange-api.ts';
import { createCarrier, type Carrier } from '../support/market.ts';
import { ratedCall } from '../support/rated-calls.ts';
import { insertDestination, insertTrade } from '../support/rows.ts';
import { startSandbox } from '../support/sandboxes.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 7061, evapi: 10461, jsonrpc: 7071, api: 10061 };
const SANDBOX_URL = 'http://127.0.0.1:8092';
const SECRET = 'settlement-test-webhook-secret';

async function sandbox<T = Record<string, unknown>>(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: T; replayed: boolean }> {
  const response = await fetch(`${SANDBOX_URL}${path}`, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
  });
  return { status: response.status, body: (await response.json()) as T, replayed: response.headers.get('idempotent-replayed') === 'true' };
}

describe('settlement: collecting a statement through the financial services node', function () {
  let running: RunningSystem;
  let child: LocalService;
  let db: Db;
  let a: Carrier;
  let b: Carrier;
  let statementOfA: string;
  let statementOfB: string;

  const statement = async (id: string) => (await running.api<{ status: string; totals: Record<string, string> }>('GET', `/v1/statements/${id}`)).body;
  const position = async (carrier: Carrier) => (await running.api<{ positions: Array<Record<string, string>> }>('GET', `/v1/carriers/${carrier.id}/position`)).body.positions[0]!;
  const webhook = (body: string, signature: string) => fetch(`${running.system.apiUrl}/fsn/webhooks`, {
    method: 'POST', body, headers: { 'content-type': 'application/json', 'minutex-signature': signature },
  });

  before(async () => {
    running = await startTestSystem(PORTS, { MINUTEX_FSN_URL: SANDBOX_URL, MINUTEX_FSN_WEBHOOK_SECRET: SECRET });
    db = running.system.db;
    child = await startSandbox('fsn', SANDBOX_URL, { MINUTEX_FSN_WEBHOOK_URL: `${running.system.apiUrl}/fsn/webhooks`, MINUTEX_FSN_WEBHOOK_SECRET: SECRET });

    a = await createCarrier(running, 'Alpha Payer');
    b = await createCarrier(running, 'Bravo Payee');
    const destination = await insertDestination(db, 'Testland Mobile');
    const trade = await insertTrade(db, { buyer: a.id, seller: b.id, destination }, { price_per_minute_micros: 12_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n });
    // One call of 90 s, billed 120 s: 0.024000 to B, fee 0.001200, A owes 0.025200.
    await ratedCall(running, trade, '2026-11-01T09:00:00Z', 90_000);
    for (const carrier of [a, b]) {
      await running.api('PUT', `/v1/carriers/${carrier.id}/billing-terms`, { period: 'daily', time_zone: 'UTC', payment_terms_days: 10, currency: 'USD' });
    }
    const run = await running.api<{ statements: Array<{ id: string; carrier_id: string }> }>('POST', '/v1/statements/run', { period_end: '2026-11-01' });
    expect(run.status).to.equal(201);
    statementOfA = run.body.statements.find((one) => one.carrier_id === a.id)!.id;
    statementOfB = run.body.statements.find((one) => one.carrier_id === b.id)!.id;
  });

  after(async () => {
    await child?.stop();
    await running?.stop();
  });

  it('asks the node to collect what the buyer owes, once per amount', async () => {
    expect((await (await carrierClient(running, a))('POST', `/v1/statements/${statementOfA}/collect`)).status).to.equal(403);
    const first = await running.api<{ collection_id: string; amount: string }>('POST', `/v1/statements/${statementOfA}/collect`);
    expect(first.status).to.equal(201);
    expect(first.body.amount).to.equal('0.025200');
    const again = await running.api<{ collection_id: string }>('POST', `/v1/statements/${statementOfA}/collect`);
    expect(again.body.collection_id).to.equal(first.body.collection_id);
    const seller = await running.api<{ error: string }>('POST', `/v1/statements/${statementOfB}/collect`);
    expect(seller.status).to.equal(409);
    expect(seller.body.error).to.equal('nothing_to_collect');
  });

  it('applies a partial and then a full payment once each, even when a webhook comes twice', async () => {
    const collection = (await running.api<{ collection_id: string }>('POST', `/v1/statements/${statementOfA}/collect`)).body.collection_id;
    const partial = await sandbox<{ event_id: string }>('POST', `/v1/test/collections/${collection}/pay`, { amount: '0.010000' }, 'pay-1');
    expect(partial.status).to.equal(202);
    await eventually(async () => ((await statement(statementOfA)).status === 'partially_paid' ? true : undefined), 10_000, 'the partial payment');
    expect((await statement(statementOfA)).totals).to.include({ paid: '0.010000', amount_due: '0.025200' });
    expect(await position(a)).to.include({ payable: '0.015200', billed_unpaid: '0.015200' });

    // Delivered again: acknowledged, applied no second time.
    const before = await rowCounts(db, ['ledger_transactions', 'ledger_postings', 'fsn_events']);
    expect((await sandbox('POST', `/v1/test/events/${partial.body.event_id}/redeliver`, {}, 'redeliver-1')).status).to.equal(202);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await rowCounts(db, ['ledger_transactions', 'ledger_postings', 'fsn_events'])).to.deep.equal(before);
    expect((await statement(statementOfA)).totals['paid']).to.equal('0.010000');

    // The rest, with the webhook held back a little.
    expect((await sandbox('POST', `/v1/test/collections/${collection}/pay`, { amount: '0.015200', webhook_delay_ms: 300 }, 'pay-2')).status).to.equal(202);
    await eventually(async () => ((await statement(statementOfA)).status === 'paid' ? true : undefined), 10_000, 'the full payment');
    expect(await position(a)).to.include({ payable: '0.000000', billed_unpaid: '0.000000', net: '0.000000' });
    expect(await running.system.ledger.accountBalance({ carrier_id: null, kind: 'cash', currency: 'USD' })).to.equal(25_200n);
    expect(await running.system.ledger.trialBalance()).to.deep.equal([{ currency: 'USD', total_micros: 0n }]);
  });

  it('pays the seller what it is owed once the bank confirms, and posts nothing for a failed payout', async () => {
    expect((await running.api<{ error: string }>('POST', `/v1/statements/${statementOfA}/payout`)).body.error).to.equal('nothing_to_pay');
    // A payout the bank refuses: the statement and the ledger stay as they are.
    const failed = await sandbox('POST', '/v1/payouts', { reference: statementOfB, amount: '0.024000', currency: 'USD', test_outcome: 'failed' }, 'payout-fails');
    expect(failed.status).to.equal(201);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect((await statement(statementOfB)).status).to.equal('issued');
    expect(await position(b)).to.include({ receivable: '0.024000' });

    const payout = await running.api<{ payout_id: string; amount: string }>('POST', `/v1/statements/${statementOfB}/payout`);
    expect(payout.status).to.equal(201);
    expect(payout.body.amount).to.equal('0.024000');
    await eventually(async () => ((await statement(statementOfB)).status === 'paid' ? true : undefined), 10_000, 'the payout');
    expect((await statement(statementOfB)).totals).to.include({ paid: '0.024000', amount_payable: '0.024000' });
    expect(await position(b)).to.include({ receivable: '0.000000', payable: '0.000000', net: '0.000000' });
    // 0.025200 collected from A, 0.024000 paid to B: the exchange keeps its fee of 0.001200.
    expect(await running.system.ledger.accountBalance({ carrier_id: null, kind: 'cash', currency: 'USD' })).to.equal(1_200n);
  });

  it('refuses a bad signature, a stale timestamp and a payment for an unknown statement, changing nothing', async () => {
    const before = await rowCounts(db, ['ledger_transactions', 'fsn_events', 'audit_log']);
    const now = Math.floor(Date.now() / 1000);
    const event = (reference: string) => JSON.stringify({ id: `evt_${reference}`, type: 'collection.payment_received', data: { reference, amount: '1.000000', currency: 'USD' } });
    const forged = await webhook(event(statementOfA), signWebhook('not-the-secret', now, event(statementOfA)));
    expect(forged.status).to.equal(400);
    expect(((await forged.json()) as { error: string }).error).to.equal('bad_signature');
    const stale = await webhook(event(statementOfA), signWebhook(SECRET, now - 301, event(statementOfA)));
    expect(((await stale.json()) as { error: string }).error).to.equal('timestamp_out_of_tolerance');
    const unknown = await webhook(event('00000000-0000-4000-8000-000000000000'), signWebhook(SECRET, now, event('00000000-0000-4000-8000-000000000000')));
    expect(unknown.status).to.equal(422);
    expect(((await unknown.json()) as { error: string }).error).to.equal('unknown_statement');
    expect(await rowCounts(db, ['ledger_transactions', 'fsn_events', 'audit_log'])).to.deep.equal(before);
  });

  it('answers a repeated Idempotency-Key with the first answer, and refuses it for another request', async () => {
    const body = { reference: 'manual', amount: '5.000000', currency: 'USD' };
    const first = await sandbox<{ id: string }>('POST', '/v1/collections', body, 'same-key');
    const again = await sandbox<{ id: string }>('POST', '/v1/collections', body, 'same-key');
    expect(again.body.id).to.equal(first.body.id);
    expect(again.replayed).to.equal(true);
    const other = await sandbox<{ error: string }>('POST', '/v1/collections', { ...body, amount: '6.000000' }, 'same-key');
    expect(other.status).to.equal(422);
    expect(other.body.error).to.equal('idempotency_key_reused');
    expect((await sandbox<{ error: string }>('POST', '/v1/collections', body)).body.error).to.equal('idempotency_key_required');
  });

  it('passes the independent audit: ledger and statements recomputed from the calls, to the micro-unit', async () => {
    const audit = await running.api('GET', '/v1/ledger/audit');
    expect(audit.status).to.equal(200);
    expect(audit.body).to.deep.equal({ ok: true, accounts_checked: 2, statements_checked: 2, mismatches: [] });
  });
});
