/**
 * Disputes end to end against PostgreSQL and the running API: a buyer uploads its own CDRs, gets
 * a stored reconciliation, opens a dispute on a statement line with it as evidence, the operator
 * accepts it, and the credit note settles part of the statement once (position, past due, ledger,
 * audit); an operator's rate correction issues credit and debit notes, and nothing the second
 * time. Refused requests (a bad file, a volume difference under 1%, a late rate dispute, another
 * carrier's statement) change nothing.
 *
 * The market: A buys from B on "Testland Mobile" (prefix 999) at 0.012000/min, 60/60, with the
 * exchange's fee of 0.000600/min. On 1 November 2026 (UTC), four calls to 99900123:
 *   c1 09:00  90 s → 120 s: B 0.024000, fee 0.001200, A 0.025200
 *   c2 10:00  30 s →  60 s: B 0.012000, fee 0.000600, A 0.012600
 *   c3 11:00  60 s →  60 s: B 0.012000, fee 0.000600, A 0.012600
 *   c4 12:00 120 s → 120 s: B 0.024000, fee 0.001200, A 0.025200
 * A's statement: bought 0.072000 + fees 0.003600 = 0.075600 due.
 */
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { signWebhook } from '../../common/webhook-signature.ts';
import { carrierClient, rowCounts, type CarrierClient } from '../support/exchange-api.ts';
import { createCarrier, type Carrier } from '../support/market.ts';
import { readPdf } from '../support/pdf.ts';
import { ratedCall } from '../support/rated-calls.ts';
import { insertDestination, insertTrade } from '../support/rows.ts';
import { startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 11200, evapi: 11210, jsonrpc: 11220, api: 11230 };
/** Payments are confirmed by webhooks signed with this secret; no node is asked for anything here. */
const FSN = { MINUTEX_FSN_URL: 'http://127.0.0.1:11240', MINUTEX_FSN_WEBHOOK_SECRET: 'disputes-test-webhook-secret' };
const CSV = 'text/csv';
const TABLES = ['reconciliations', 'disputes', 'notes', 'rate_corrections', 'rate_correction_calls', 'ledger_transactions', 'ledger_postings', 'audit_log'];

type Json = Record<string, unknown>;
interface Problems { error: string; problems: Array<{ line: number; reason: string }> }

describe('disputes: CDR reconciliation, disputes, credit and debit notes, re-rating', function () {
  this.timeout(120_000);
  let running: RunningSystem;
  let a: Carrier, b: Carrier, c: Carrier;
  let asA: CarrierClient, asB: CarrierClient, asC: CarrierClient;
  let trade: string;
  let c1: string;
  let statementOfA: string, statementOfB: string;
  let reconciliationId: string;
  let disputeId: string;

  const counts = () => rowCounts(running.system.db, TABLES);
  const position = async (carrier: Carrier) =>
    (await running.api<{ positions: Json[] }>('GET', `/v1/carriers/${carrier.id}/position`)).body.positions.find((one) => one['currency'] === 'USD')!;
  /** Time passes: the statement was issued `days` earlier than it was (its figures are kept). */
  const ageStatement = (id: string, days: number) => running.system.db.tx(async (t) => {
    await t.none('alter table statements disable trigger statements_no_change');
    await t.none(`update statements set issued_at = issued_at - make_interval(days => $2), due_date = due_date - $2::integer where id = $1`, [id, days]);
    await t.none('alter table statements enable trigger statements_no_change');
  });
  const upload = (client: CarrierClient, carrier: Carrier, csv: string, query = 'section=bought&first_day=2026-11-01&last_day=2026-11-01') =>
    client<Json & Problems>('POST', `/v1/carriers/${carrier.id}/reconciliations?${query}`, csv, CSV);

  before(async () => {
    running = await startTestSystem(PORTS, FSN);
    const db = running.system.db;
    a = await createCarrier(running, 'Alpha Telecom');
    b = await createCarrier(running, 'Bravo Networks');
    c = await createCarrier(running, 'Charlie Voice');
    [asA, asB, asC] = await Promise.all([carrierClient(running, a), carrierClient(running, b), carrierClient(running, c)]);
    const mobile = await insertDestination(db, 'Testland Mobile');
    await db.none(`insert into destination_prefixes (prefix, destination_id) values ('999', $1)`, [mobile]);
    trade = await insertTrade(db, { buyer: a.id, seller: b.id, destination: mobile }, { price_per_minute_micros: 12_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n });
    c1 = await ratedCall(running, trade, '2026-11-01T09:00:00Z', 90_000);
    await ratedCall(running, trade, '2026-11-01T10:00:00Z', 30_000);
    await ratedCall(running, trade, '2026-11-01T11:00:00Z', 60_000);
    await ratedCall(running, trade, '2026-11-01T12:00:00Z', 120_000);
    for (const carrier of [a, b, c]) {
      const terms = await running.api('PUT', `/v1/carriers/${carrier.id}/billing-terms`, { period: 'daily', time_zone: 'UTC', payment_terms_days: 10, currency: 'USD' });
      expect(terms.status).to.equal(200);
    }
    const run = await running.api<{ statements: Array<{ id: string; carrier_id: string; balance: string }> }>('POST', '/v1/statements/run', { period_end: '2026-11-01' });
    expect(run.status).to.equal(201);
    statementOfA = run.body.statements.find((one) => one.carrier_id === a.id)!.id;
    statementOfB = run.body.statements.find((one) => one.carrier_id === b.id)!.id;
    expect(run.body.statements.find((one) => one.carrier_id === a.id)!.balance).to.equal('0.075600');
    // Issued 20 days ago, due 10 days ago: past due, and still within the 30 days for a rate dispute.
    await ageStatement(statementOfA, 20);
  });

  after(async () => {
    await running?.stop();
  });

  it('refuses a CDR file with bad lines whole, listing every one, and stores nothing', async () => {
    const before = await counts();
    const bad = await upload(asA, a, [
      'start_time,called_number,duration,amount',
      '2026-11-01T09:00:00Z,99900123,90,0.025200',
      'yesterday,99900123,90,0.025200',
      '2026-11-01T09:00:00Z,abc,90,0.025200',
      '2026-11-01T09:00:00Z,99900123,-1,0.025200',
      '2026-11-02T09:00:00Z,99900123,90,0.025200',
      '2026-11-01T09:00:00Z,99900123,90',
      '2026-11-01T09:00:00Z,99900123,90,0.0252001',
    ].join('\n'));
    expect(bad.status).to.equal(400);
    expect(bad.body.error).to.equal('invalid_csv');
    expect(bad.body.problems.map((problem) => [problem.line, problem.reason])).to.deep.equal([
      [3, 'invalid_start_time'], [4, 'invalid_called_number'], [5, 'invalid_duration'], [6, 'outside_period'], [7, 'wrong_column_count'], [8, 'invalid_amount'],
    ]);
    const broken = await upload(asA, a, '2026-11-01T09:00:00Z,99900123,90,0.025200\n2026-11-01T10:00:00Z,"99900123,30,0.012600\n');
    expect([broken.status, broken.body.problems.map((problem) => [problem.line, problem.reason])]).to.deep.equal([400, [[2, 'invalid_csv']]]);
    expect((await upload(asA, a, '')).body.problems.map((problem) => problem.reason)).to.deep.equal(['empty_file']);
    expect((await asA('POST', `/v1/carriers/${a.id}/reconciliations?section=bought&first_day=2026-11-01&last_day=2026-11-01`, { csv: 'x' })).status, 'JSON is not CSV').to.equal(400);
    expect((await upload(asA, b, '2026-11-01T09:00:00Z,99900123,90,0.025200\n')).status, "another carrier's CDRs").to.equal(404);
    expect(await counts()).to.deep.equal(before);
  });

  it('reconciles the buyer\'s own CDRs: daily totals first, then call by call, mismatches by day and destination', async () => {
    const response = await upload(asA, a, [
      'start_time,called_number,duration,amount,call_id',
      `2026-11-01T09:00:00Z,99900123,90,0.025200,${c1}`, // c1, by its Call-ID
      '2026-11-01T10:00:02Z,+999 00123,30.4,0.012600,', // c2, 2 s and 0.4 s off: the same call
      // c3 (11:00) is not in A's records
      '2026-11-01T12:00:00Z,99900123,120,0.020000,', // c4 at a lower price: 0.005200 in question
      '2026-11-01T13:00:00Z,99900123,60,0.012600,', // a call the exchange never carried
    ].join('\r\n'));
    expect(response.status, JSON.stringify(response.body)).to.equal(201);
    const body = response.body as unknown as Json & { id: string };
    reconciliationId = body.id;
    expect(body['calls']).to.deep.equal({ ours: 4, theirs: 4, matched: 3 });
    expect(body['matched_by_call_id']).to.equal(1);
    expect(body['days']).to.deep.equal([{
      day: '2026-11-01',
      ours: { calls: 4, minutes: '5.00', amount: '0.075600' },
      theirs: { calls: 4, minutes: '5.01', amount: '0.070400' },
      difference: { calls: 0, amount: '-0.005200' },
    }]);
    expect((body['mismatches'] as Json[]).map((one) => [one['kind'], one['start_time'], one['destination'], one['difference']])).to.deep.equal([
      ['missing_on_their_side', '2026-11-01T11:00:00.000Z', 'Testland Mobile', '-0.012600'],
      ['amount_difference', '2026-11-01T12:00:00.000Z', 'Testland Mobile', '-0.005200'],
      ['missing_on_our_side', '2026-11-01T13:00:00.000Z', 'Testland Mobile', '0.012600'],
    ]);
    expect(body['mismatches_by_day_and_destination']).to.deep.equal([{
      day: '2026-11-01', destination: 'Testland Mobile', destination_id: (body['destinations'] as Json[])[0]!['destination_id'], mismatches: 3, amount_in_question: '0.030400', difference: '-0.005200',
    }]);
    expect(body['amount_in_question']).to.equal('0.030400');
    // Stored and retrievable, by its carrier and the operator only; nothing in it names the other side.
    const stored = await asA<Json>('GET', `/v1/reconciliations/${reconciliationId}`);
    expect(stored.body).to.deep.equal(body);
    for (const other of [b.id, 'Bravo']) expect(stored.text).not.to.include(other);
    expect((await running.api('GET', `/v1/reconciliations/${reconciliationId}`)).status).to.equal(200);
    expect((await asC('GET', `/v1/reconciliations/${reconciliationId}`)).status).to.equal(404);
    expect((await asA<{ reconciliations: Json[] }>('GET', `/v1/carriers/${a.id}/reconciliations`)).body.reconciliations).to.have.length(1);
  });

  it('refuses a volume dispute under 1%, a dispute on another carrier\'s statement and evidence of another period, changing nothing', async () => {
    const other = await upload(asA, a, '2026-11-02T09:00:00Z,99900123,90,0.025200\n', 'section=bought&first_day=2026-11-02&last_day=2026-11-02');
    expect(other.status).to.equal(201);
    const before = await counts();
    const otherPeriod = await asA<{ error: string }>('POST', '/v1/disputes', { statement_id: statementOfA, line_no: 1, reconciliation_id: other.body['id'], kind: 'volume' });
    expect([otherPeriod.status, otherPeriod.body.error]).to.deep.equal([400, 'evidence_does_not_cover_line']);
    const volume = await asA<{ error: string; message: string }>('POST', '/v1/disputes', { statement_id: statementOfA, line_no: 1, reconciliation_id: reconciliationId, kind: 'volume' });
    // 300.4 s against 300 s: 0.13%.
    expect([volume.status, volume.body.error]).to.deep.equal([422, 'below_volume_threshold']);
    expect(volume.body.message).to.include('0.13%');
    const foreign = await asC<{ error: string }>('POST', '/v1/disputes', { statement_id: statementOfA, line_no: 1, reconciliation_id: reconciliationId, kind: 'rate' });
    expect([foreign.status, foreign.body.error]).to.deep.equal([404, 'not_found']);
    const onB = await asA<{ error: string }>('POST', '/v1/disputes', { statement_id: statementOfB, line_no: 1, reconciliation_id: reconciliationId, kind: 'rate' });
    expect(onB.status).to.equal(404);
    const noLine = await asA('POST', '/v1/disputes', { statement_id: statementOfA, line_no: 9, reconciliation_id: reconciliationId, kind: 'rate' });
    expect(noLine.status).to.equal(404);
    expect(await counts()).to.deep.equal(before);
  });

  it('opens a rate dispute with the reconciliation as evidence, and the operator\'s acceptance issues a credit note once', async () => {
    expect(await position(a)).to.include({ payable: '0.075600', billed_unpaid: '0.075600', past_due: '0.075600', credit_notes: '0.000000' });
    const opened = await asA<Json & { id: string }>('POST', '/v1/disputes', {
      statement_id: statementOfA, line_no: 1, reconciliation_id: reconciliationId, kind: 'rate', reason: 'c4 billed above the agreed rate',
    });
    expect(opened.status, opened.text).to.equal(201);
    disputeId = opened.body.id;
    expect(opened.body).to.include({ status: 'open', kind: 'rate', claimed: '0.005200', destination: 'Testland Mobile', volume_difference_percent: '0.13' });
    const again = await asA<{ error: string }>('POST', '/v1/disputes', { statement_id: statementOfA, line_no: 1, reconciliation_id: reconciliationId, kind: 'rate' });
    expect([again.status, again.body.error]).to.deep.equal([409, 'dispute_already_open']);
    expect((await asA('POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'accepted', amount: '0.005200' })).status, 'operators resolve').to.equal(403);
    expect((await running.api('POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'accepted', amount: '1.000000' })).status, 'at most the line').to.equal(400);

    const resolved = await running.api<{ dispute: Json; credit_note: Json & { id: string } }>('POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'accepted', amount: '0.005200', note: 'rate confirmed at 0.010000' });
    expect(resolved.status).to.equal(200);
    expect(resolved.body.dispute).to.include({ status: 'accepted', accepted: '0.005200' });
    expect(resolved.body.credit_note).to.include({ kind: 'credit', number: 'CN-000001', amount: '0.005200', allocated_to_statement: '0.005200' });
    const twice = await running.api<{ error: string }>('POST', `/v1/disputes/${disputeId}/resolve`, { outcome: 'accepted', amount: '0.005200' });
    expect([twice.status, twice.body.error]).to.deep.equal([409, 'dispute_already_resolved']);

    // Settled like a payment: what is unpaid and past due drops by 0.005200, once.
    expect(await position(a)).to.include({ payable: '0.070400', billed_unpaid: '0.070400', past_due: '0.070400', credit_notes: '0.005200', debit_notes: '0.000000' });
    expect(((await position(a))['aging'] as Json)['days_1_15']).to.equal('0.070400');
    const statement = (await asA<{ status: string; totals: Json }>('GET', `/v1/statements/${statementOfA}`)).body;
    // Partly settled, and still past due: the overdue policy, evaluated at once after the credit, marks it overdue.
    expect(statement.status).to.equal('overdue');
    expect(statement.totals).to.include({ balance: '0.075600', paid: '0.000000', credited: '0.005200' });
    const audited = await running.system.db.any<{ action: string }>(`select action from audit_log where subject in ($1, $2) order by id`, [`dispute:${disputeId}`, `note:${resolved.body.credit_note.id}`]);
    expect(audited.map((row) => row.action)).to.deep.equal(['dispute.open', 'credit_note.issue', 'dispute.accept']);
  });

  it('lets the carrier download its credit note as JSON, CSV and a PDF that opens, and no one else', async () => {
    const [note] = (await asA<{ notes: Array<Json & { id: string }> }>('GET', '/v1/notes')).body.notes;
    expect(note).to.include({ number: 'CN-000001', section: 'bought' });
    const download = (format: string) => fetch(`${running.system.apiUrl}/v1/notes/${note!.id}.${format}`, { headers: { authorization: `Bearer ${running.system.operatorToken}` } });
    const csv = await download('csv');
    expect(csv.status).to.equal(200);
    const rows = parse<Record<string, string>>(await csv.text(), { columns: true });
    expect(rows.map((row) => [row['note'], row['record'], row['destination'], row['amount']])).to.deep.equal([
      ['CN-000001', 'line', 'Testland Mobile', '0.005200'], ['CN-000001', 'total', 'amount', '0.005200'], ['CN-000001', 'total', 'allocated_to_statement', '0.005200'],
    ]);
    const pdf = await download('pdf');
    expect(pdf.status).to.equal(200);
    const facts = readPdf(Buffer.from(await pdf.arrayBuffer()));
    expect(facts.text).to.include('CN-000001');
    expect(facts.text).to.include('0.005200 USD');
    expect((await asB('GET', `/v1/notes/${note!.id}`)).status).to.equal(404);
    expect((await asB<{ notes: Json[] }>('GET', '/v1/notes')).body.notes).to.deep.equal([]);
  });

  it('takes a seller\'s volume dispute of more than 1%, and a rejection issues nothing', async () => {
    // B's own records: the four calls it terminated, and a fifth of 60 s it says it carried too.
    const evidence = await upload(asB, b, [
      '2026-11-01T09:00:00Z,99900123,90,0.024000', '2026-11-01T10:00:00Z,99900123,30,0.012000', '2026-11-01T11:00:00Z,99900123,60,0.012000',
      '2026-11-01T12:00:00Z,99900123,120,0.024000', '2026-11-01T14:00:00Z,99900123,60,0.012000',
    ].join('\n'), 'section=sold&first_day=2026-11-01&last_day=2026-11-01');
    expect(evidence.status, evidence.text).to.equal(201);
    expect(evidence.body['calls']).to.deep.equal({ ours: 4, theirs: 5, matched: 4 });
    const opened = await asB<Json & { id: string }>('POST', '/v1/disputes', { statement_id: statementOfB, line_no: 1, reconciliation_id: evidence.body['id'], kind: 'volume' });
    expect(opened.status, opened.text).to.equal(201);
    // 360 s against 300 s: 20%; 0.012000 more than B is paid.
    expect(opened.body).to.include({ section: 'sold', kind: 'volume', claimed: '0.012000', volume_difference_percent: '20.00' });
    const before = await counts();
    const positionBefore = await position(b);
    const rejected = await running.api<{ dispute: Json; credit_note: null }>('POST', `/v1/disputes/${opened.body.id}/resolve`, { outcome: 'rejected', note: 'no such call on the switch' });
    expect(rejected.status).to.equal(200);
    expect(rejected.body.dispute).to.include({ status: 'rejected', accepted: null, resolution_note: 'no such call on the switch' });
    expect(rejected.body.credit_note).to.equal(null);
    expect(await counts()).to.deep.equal({ ...before, audit_log: before['audit_log']! + 1 });
    expect(await position(b)).to.deep.equal(positionBefore);
    expect((await asA('GET', `/v1/disputes/${opened.body.id}`)).status, "another carrier's dispute").to.equal(404);
    expect((await asB<{ disputes: Json[] }>('GET', '/v1/disputes')).body.disputes.map((one) => one['status'])).to.deep.equal(['rejected']);
  });

  it('refuses a rate dispute more than 30 days after issue, changing nothing', async () => {
    await ageStatement(statementOfA, 11);
    const before = await counts();
    const late = await asA<{ error: string }>('POST', '/v1/disputes', { statement_id: statementOfA, line_no: 1, reconciliation_id: reconciliationId, kind: 'rate' });
    expect([late.status, late.body.error]).to.deep.equal([422, 'dispute_window_closed']);
    expect(await counts()).to.deep.equal(before);
  });

  it('re-rates a closed period: a credit note to the over-charged buyer, a debit note to the over-paid seller, and nothing the second time', async () => {
    const correction = { price_per_minute: '0.010000', calls_from: '2026-11-01T00:00:00Z', calls_to: '2026-11-02T00:00:00Z', reason: 'agreed rate was 0.010000' };
    expect((await asA('POST', `/v1/trades/${trade}/rate-corrections`, correction)).status).to.equal(403);
    const first = await running.api<{ correction_id: string; calls_corrected: number; notes: Json[] }>('POST', `/v1/trades/${trade}/rate-corrections`, correction);
    expect(first.status).to.equal(201);
    // 6 billed minutes at 0.002000 less: 0.012000 each way; the fees do not change.
    expect(first.body.calls_corrected).to.equal(4);
    expect(first.body.notes.map((note) => [note['kind'], note['number'], note['carrier_id'], note['amount']])).to.deep.equal([
      ['credit', 'CN-000002', a.id, '0.012000'], ['debit', 'DN-000001', b.id, '0.012000'],
    ]);
    expect(await position(a)).to.include({ payable: '0.058400', billed_unpaid: '0.058400', past_due: '0.058400', credit_notes: '0.017200' });
    expect(await position(b)).to.include({ receivable: '0.060000', debit_notes: '0.012000' });
    const before = await counts();
    const second = await running.api<{ correction_id: string | null; notes: Json[] }>('POST', `/v1/trades/${trade}/rate-corrections`, correction);
    expect([second.status, second.body.correction_id, second.body.notes]).to.deep.equal([200, null, []]);
    const after = await counts();
    expect({ ...after, audit_log: before['audit_log'] }).to.deep.equal(before);
    expect(after['audit_log']).to.equal(before['audit_log']! + 1);
    // The statements' figures never changed; the notes are allocated to them: the exchange now
    // pays B 0.060000, and A owes 0.058400.
    const ofB = (await asB<{ status: string; totals: Json }>('GET', `/v1/statements/${statementOfB}`)).body;
    expect(ofB.totals).to.include({ sold: '0.072000', balance: '-0.072000', debited: '0.012000', credited: '0.000000' });
    expect(ofB.status).to.equal('partially_paid');
    const ofA = (await asA<{ totals: Json }>('GET', `/v1/statements/${statementOfA}`)).body;
    expect(ofA.totals).to.include({ balance: '0.075600', credited: '0.017200', debited: '0.000000' });
  });

  it('collects what is left after the notes: a payment of the rest settles the statement', async () => {
    const body = JSON.stringify({ id: 'evt_disputes_rest', type: 'collection.payment_received', data: { reference: statementOfA, amount: '0.058400', currency: 'USD' } });
    const response = await fetch(`${running.system.apiUrl}/fsn/webhooks`, {
      method: 'POST', body, headers: { 'content-type': 'application/json', 'minutex-signature': signWebhook(FSN.MINUTEX_FSN_WEBHOOK_SECRET, Math.floor(Date.now() / 1000), body) },
    });
    expect(response.status).to.equal(200);
    expect(await response.json()).to.deep.equal({ status: 'applied', statement_status: 'paid' });
    expect(await position(a)).to.include({ payable: '0.000000', billed_unpaid: '0.000000', past_due: '0.000000', credit_notes: '0.017200' });
  });

  it('documents the dispute routes in the OpenAPI document', async () => {
    const document = await (await fetch(`${running.system.apiUrl}/openapi.json`)).json() as { paths: Record<string, unknown> };
    for (const path of ['/v1/carriers/{id}/reconciliations', '/v1/reconciliations/{id}', '/v1/disputes', '/v1/disputes/{id}/resolve', '/v1/trades/{id}/rate-corrections', '/v1/notes/{file}']) {
      expect(document.paths, path).to.have.property(path);
    }
  });

  it('keeps the ledger balanced and the independent audit matching, notes included', async () => {
    const audit = await running.api<{ ok: boolean; mismatches: Json[] }>('GET', '/v1/ledger/audit');
    expect(audit.body.mismatches).to.deep.equal([]);
    expect(audit.body.ok).to.equal(true);
    expect(await running.system.db.any('select * from ledger_balance_mismatches()')).to.deep.equal([]);
    // Notes are documents: PostgreSQL refuses to change them.
    let refused = false;
    try {
      await running.system.db.none(`update notes set amount_micros = 1`);
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
  });
});
