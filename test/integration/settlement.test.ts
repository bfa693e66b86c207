/**
 * Settlement end to end against PostgreSQL and the running API: calls rated and posted through
 * billing's own path, billing terms set through the API, statement runs, netting in the ledger,
 * net positions, late calls as adjustments, downloads as CSV and PDF, and each carrier limited
 * to its own statements.
 *
 * The market, with the exchange's fee of 0.000600 per minute on every call:
 * - A buys from B on "Testland Mobile" at 0.012000/min, 60/60: 0.000200 a second;
 * - C buys from B on "Testland Fixed" at 0.012000/min, 1/1;
 * - A buys from C on "Testland Mobile" at 0.030000/min, 60/60.
 */
import { expect } from 'chai';
import { parse } from 'csv-parse/sync';
import { addDays } from '../../billing/core/billing-period.ts';
import { carrierClient, createApiKey, request, rowCounts, type CarrierClient } from '../support/exchange-api.ts';
import { createCarrier, type Carrier } from '../support/market.ts';
import { readPdf } from '../support/pdf.ts';
import { ratedCall } from '../support/rated-calls.ts';
import { insertDestination, insertTrade } from '../support/rows.ts';
import { startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 7060, evapi: 10460, jsonrpc: 7070, api: 10060 };

interface StatementJson {
  id: string;
  number: string;
  carrier: { id: string; name: string };
  status: string;
  period: { kind: string; first_day: string; last_day: string; starts_at: string; ends_at: string };
  issued_at: string;
  due_date: string;
  totals: Record<string, string>;
  lines: Array<{ section: string; destination: string; destination_id: string | null; adjustment: boolean; calls: number; billed_seconds: number; billed_minutes: string; amount: string; fee: string }>;
}

interface RunJson {
  statements: Array<{ id: string; number: string; carrier_id: string; currency: string; balance: string }>;
}

interface PositionJson {
  positions: Array<Record<string, unknown>>;
}

describe('settlement: positions, statements, netting and downloads', function () {
  let running: RunningSystem;
  let a: Carrier;
  let b: Carrier;
  let c: Carrier;
  let asA: CarrierClient;
  let asC: CarrierClient;
  let keyOfC: string;
  let mobileAB: string;
  let statementsOfNov1: RunJson['statements'];

  const statementOf = (run: RunJson['statements'], carrier: Carrier) => run.find((one) => one.carrier_id === carrier.id)!;
  const getStatement = async (id: string) => {
    const response = await running.api<StatementJson>('GET', `/v1/statements/${id}`);
    expect(response.status).to.equal(200);
    return response.body;
  };
  const positionOf = async (carrier: Carrier) => {
    const response = await running.api<PositionJson>('GET', `/v1/carriers/${carrier.id}/position`);
    expect(response.status).to.equal(200);
    return response.body.positions.find((one) => one['currency'] === 'USD')!;
  };
  const balance = async (carrier: Carrier, kind: 'receivable' | 'payable') => running.system.ledger.accountBalance({ carrier_id: carrier.id, kind, currency: 'USD' });

  before(async () => {
    running = await startTestSystem(PORTS);
    const db = running.system.db;
    a = await createCarrier(running, 'Alpha Telecom');
    b = await createCarrier(running, 'Bravo Networks');
    c = await createCarrier(running, 'Charlie Voice');
    asA = await carrierClient(running, a);
    keyOfC = (await createApiKey(running, c)).key;
    asC = (method, url, body) => request(running, keyOfC, method, url, body);
    const mobile = await insertDestination(db, 'Testland Mobile');
    const fixed = await insertDestination(db, 'Testland Fixed');
    const minute = { first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n };
    mobileAB = await insertTrade(db, { buyer: a.id, seller: b.id, destination: mobile }, { ...minute, price_per_minute_micros: 12_000n });
    const fixedCB = await insertTrade(db, { buyer: c.id, seller: b.id, destination: fixed }, { price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n });
    const mobileAC = await insertTrade(db, { buyer: a.id, seller: c.id, destination: mobile }, { ...minute, price_per_minute_micros: 30_000n });
    // 1 November 2026 (UTC):
    // A→B 90 s bills 120 s: 0.024000 to B, fee 0.001200, A pays 0.025200.
    await ratedCall(running, mobileAB, '2026-11-01T09:00:00Z', 90_000);
    // A→B 30 s bills 60 s: 0.012000, fee 0.000600, A pays 0.012600.
    await ratedCall(running, mobileAB, '2026-11-01T10:00:00Z', 30_000);
    // C→B 299.5 s bills 300 s at 1/1: 0.060000 to B, fee 0.003000, C pays 0.063000.
    await ratedCall(running, fixedCB, '2026-11-01T11:00:00Z', 299_500);
    // A→C 30 s bills 60 s: 0.030000 to C, fee 0.000600, A pays 0.030600.
    await ratedCall(running, mobileAC, '2026-11-01T23:59:59Z', 30_000);
    // 2 November: A→B 60 s bills 60 s: 0.012000, fee 0.000600, A pays 0.012600.
    await ratedCall(running, mobileAB, '2026-11-02T00:00:00Z', 60_000);
  });

  after(async () => {
    await running?.stop();
  });

  it('sets billing terms through the API, audited, and refuses an unknown time zone', async () => {
    for (const carrier of [a, b, c]) {
      const response = await running.api('PUT', `/v1/carriers/${carrier.id}/billing-terms`, { period: 'daily', time_zone: 'UTC', payment_terms_days: 10, currency: 'USD' });
      expect(response.status).to.equal(200);
      expect(response.body).to.deep.equal({ carrier_id: carrier.id, period: 'daily', time_zone: 'UTC', payment_terms_days: 10, currency: 'USD', netting_minimum: '0.000000' });
    }
    const bad = await running.api<{ error: string }>('PUT', `/v1/carriers/${a.id}/billing-terms`, { period: 'daily', time_zone: 'Mars/Olympus', payment_terms_days: 10, currency: 'USD' });
    expect(bad.status).to.equal(400);
    expect(bad.body.error).to.equal('invalid_time_zone');
    const byCarrier = await asA('PUT', `/v1/carriers/${a.id}/billing-terms`, { period: 'monthly', time_zone: 'UTC', payment_terms_days: 10, currency: 'USD' });
    expect(byCarrier.status).to.equal(403);
    expect((await asA<{ period: string }>('GET', `/v1/carriers/${a.id}/billing-terms`)).body.period).to.equal('daily');
    const audited = await running.system.db.one<{ count: number }>(`select count(*)::integer as count from audit_log where action = 'billing_terms.set'`);
    expect(audited.count).to.equal(3);
  });

  it('shows rated calls as unbilled in the net position, to the micro-unit', async () => {
    // A owes 0.025200 + 0.012600 + 0.030600 + 0.012600 = 0.081000, none of it billed yet.
    expect(await positionOf(a)).to.deep.equal({
      currency: 'USD', receivable: '0.000000', payable: '0.081000', net: '-0.081000',
      unbilled_receivable: '0.000000', unbilled_payable: '0.081000', unbilled: '-0.081000', billed_unpaid: '0.000000', past_due: '0.000000', credit_notes: '0.000000', debit_notes: '0.000000',
      aging: { current: '0.000000', days_1_15: '0.000000', days_16_30: '0.000000', days_31_60: '0.000000', over_60: '0.000000' },
    });
    // C owes 0.063000 and is owed 0.030000.
    expect(await positionOf(c)).to.include({ receivable: '0.030000', payable: '0.063000', net: '-0.033000', unbilled: '-0.033000' });
  });

  it('issues one statement per carrier for the day, numbered without gaps, with hand-checkable totals', async () => {
    const refused = await asA('POST', '/v1/statements/run', { period_end: '2026-11-01' });
    expect(refused.status).to.equal(403);
    const response = await running.api<RunJson>('POST', '/v1/statements/run', { period_end: '2026-11-01' });
    expect(response.status).to.equal(201);
    statementsOfNov1 = response.body.statements;
    expect(statementsOfNov1.map((one) => one.number).sort()).to.deep.equal(['ST-000001', 'ST-000002', 'ST-000003']);

    const ofA = await getStatement(statementOf(statementsOfNov1, a).id);
    expect(ofA.status).to.equal('issued');
    expect(ofA.period).to.include({ kind: 'daily', first_day: '2026-11-01', last_day: '2026-11-01', starts_at: '2026-11-01T00:00:00.000Z', ends_at: '2026-11-02T00:00:00.000Z' });
    expect(ofA.due_date).to.equal(addDays(ofA.issued_at.slice(0, 10), 10));
    // Three calls to Testland Mobile, 120 + 60 + 60 s; 0.024000 + 0.012000 + 0.030000 bought, 0.001200 + 0.000600 + 0.000600 fees.
    expect(ofA.lines).to.deep.equal([
      { section: 'bought', destination: 'Testland Mobile', destination_id: ofA.lines[0]!.destination_id, adjustment: false, calls: 3, billed_seconds: 240, billed_minutes: '4.00', amount: '0.066000', fee: '0.002400' },
    ]);
    expect(ofA.totals).to.deep.equal({
      bought: '0.066000', fees: '0.002400', sold: '0.000000', netting: '0.000000', balance: '0.068400', amount_due: '0.068400', amount_payable: '0.000000', paid: '0.000000', credited: '0.000000', debited: '0.000000',
    });

    // B only sold: 0.060000 on Testland Fixed and 0.036000 on Testland Mobile, all payable to it.
    const ofB = await getStatement(statementOf(statementsOfNov1, b).id);
    expect(ofB.lines.map((line) => [line.section, line.destination, line.calls, line.billed_seconds, line.amount, line.fee])).to.deep.equal([
      ['sold', 'Testland Fixed', 1, 300, '0.060000', '0.000000'],
      ['sold', 'Testland Mobile', 2, 180, '0.036000', '0.000000'],
    ]);
    expect(ofB.totals).to.include({ sold: '0.096000', balance: '-0.096000', amount_due: '0.000000', amount_payable: '0.096000', netting: '0.000000' });
  });

  it('nets a carrier that buys and sells: it owes only its net, and the netting is in the ledger', async () => {
    const ofC = await getStatement(statementOf(statementsOfNov1, c).id);
    // Owes 0.060000 + 0.003000 = 0.063000, is owed 0.030000: 0.030000 offset, 0.033000 due.
    expect(ofC.totals).to.deep.equal({
      bought: '0.060000', fees: '0.003000', sold: '0.030000', netting: '0.030000', balance: '0.033000', amount_due: '0.033000', amount_payable: '0.000000', paid: '0.000000', credited: '0.000000', debited: '0.000000',
    });
    expect(await balance(c, 'receivable')).to.equal(33_000n);
    expect(await balance(c, 'payable')).to.equal(0n);
    const netting = await running.system.db.one<{ kind: string; postings: number }>(
      `select t.kind, count(p.id)::integer as postings from statements s join ledger_transactions t on t.id = s.netting_transaction_id
       join ledger_postings p on p.transaction_id = t.id where s.id = $1 group by t.kind`, [ofC.id]);
    expect(netting).to.deep.equal({ kind: 'netting', postings: 2 });
    expect(await positionOf(c)).to.deep.equal({
      currency: 'USD', receivable: '0.000000', payable: '0.033000', net: '-0.033000',
      unbilled_receivable: '0.000000', unbilled_payable: '0.000000', unbilled: '0.000000', billed_unpaid: '0.033000', past_due: '0.000000', credit_notes: '0.000000', debit_notes: '0.000000',
      aging: { current: '0.033000', days_1_15: '0.000000', days_16_30: '0.000000', days_31_60: '0.000000', over_60: '0.000000' },
    });
    // A: 0.068400 billed, 0.012600 of 2 November still unbilled.
    expect(await positionOf(a)).to.include({ payable: '0.081000', unbilled_payable: '0.012600', billed_unpaid: '0.068400', past_due: '0.000000' });
    expect(await running.system.ledger.trialBalance()).to.deep.equal([{ currency: 'USD', total_micros: 0n }]);
    expect(await running.system.ledger.balanceMismatches()).to.equal(0);
  });

  it('refuses a second run for the same period and changes nothing', async () => {
    const tables = ['statements', 'statement_lines', 'ledger_transactions', 'ledger_postings', 'audit_log'];
    const before = await rowCounts(running.system.db, tables);
    const again = await running.api<{ error: string; statements_count: number }>('POST', '/v1/statements/run', { period_end: '2026-11-01' });
    expect(again.status).to.equal(409);
    expect(again.body.error).to.equal('period_already_run');
    expect(again.body.statements_count).to.equal(3);
    expect(await rowCounts(running.system.db, tables)).to.deep.equal(before);
    const counter = await running.system.db.one<{ last_number: bigint }>(`select last_number from statement_counters where name = 'statement'`);
    expect(counter.last_number).to.equal(3n);
    // A period not over yet is refused too, and not recorded as run.
    const early = await running.api<{ error: string }>('POST', '/v1/statements/run', { period_end: '2099-12-31' });
    expect(early.status).to.equal(409);
    expect(early.body.error).to.equal('period_not_over');
    expect(await rowCounts(running.system.db, [...tables, 'statement_runs'])).to.deep.equal({ ...before, statement_runs: 1 });
    const invalid = await running.api<{ error: string }>('POST', '/v1/statements/run', { period_end: '2026-02-30' });
    expect(invalid.status).to.equal(400);
    expect(invalid.body.error).to.equal('invalid_date');
  });

  it('keeps issued statements immutable in the database itself', async () => {
    const id = statementOf(statementsOfNov1, a).id;
    let refusal: unknown;
    try {
      await running.system.db.none('update statements set due_date = due_date + 30 where id = $1', [id]);
    } catch (error) {
      refusal = error;
    }
    expect(String(refusal)).to.match(/is issued: its figures cannot change/);
    let lineRefusal: unknown;
    try {
      await running.system.db.none('delete from statement_lines where statement_id = $1', [id]);
    } catch (error) {
      lineRefusal = error;
    }
    expect(String(lineRefusal)).to.match(/cannot change/);
  });

  it('puts a call rated after its period closed on the next statement, as an adjustment', async () => {
    // Started on 1 November, rated only now: A→B 20 s bills 60 s, 0.012000 + fee 0.000600.
    await ratedCall(running, mobileAB, '2026-11-01T20:00:00Z', 20_000);
    // The closed statement is untouched.
    expect((await getStatement(statementOf(statementsOfNov1, a).id)).totals['balance']).to.equal('0.068400');
    expect(await positionOf(a)).to.include({ unbilled_payable: '0.025200', billed_unpaid: '0.068400' });

    const response = await running.api<RunJson>('POST', '/v1/statements/run', { period_end: '2026-11-02' });
    expect(response.status).to.equal(201);
    // A and B have calls to bill; C has none and gets no statement. Numbers carry on from 3.
    expect(response.body.statements.map((one) => one.number).sort()).to.deep.equal(['ST-000004', 'ST-000005']);
    expect(response.body.statements.map((one) => one.carrier_id).sort()).to.deep.equal([a.id, b.id].sort());
    const ofA = await getStatement(statementOf(response.body.statements, a).id);
    expect(ofA.lines.map((line) => [line.destination, line.adjustment, line.calls, line.billed_seconds, line.amount, line.fee])).to.deep.equal([
      ['Testland Mobile', false, 1, 60, '0.012000', '0.000600'],
      ['Testland Mobile', true, 1, 60, '0.012000', '0.000600'],
    ]);
    expect(ofA.totals).to.include({ bought: '0.024000', fees: '0.001200', amount_due: '0.025200' });
    expect(await positionOf(a)).to.include({ payable: '0.093600', unbilled_payable: '0.000000', billed_unpaid: '0.093600' });
    // Every number from 1 to 5, each once.
    const numbers = await running.system.db.map('select number from statements order by number', [], (row: { number: bigint }) => row.number);
    expect(numbers).to.deep.equal([1n, 2n, 3n, 4n, 5n]);
  });

  it('numbers statements without gaps or repeats when two runs race', async () => {
    await ratedCall(running, mobileAB, '2026-11-03T12:00:00Z', 60_000);
    await ratedCall(running, mobileAB, '2026-11-04T12:00:00Z', 60_000);
    // Two runs of the same period race for the counter: one issues, the other is refused and takes
    // no number; the next period's run numbers on from there.
    const racing = await Promise.all([0, 1].map(() => running.api<RunJson>('POST', '/v1/statements/run', { period_end: '2026-11-03' })));
    expect(racing.map((one) => one.status).sort()).to.deep.equal([201, 409]);
    const third = racing.find((one) => one.status === 201);
    const fourth = await running.api<RunJson>('POST', '/v1/statements/run', { period_end: '2026-11-04' });
    expect(fourth.status).to.equal(201);
    // Each run issued A's and B's statements; together they took 6 to 9, each once.
    const numbers = [...third!.body.statements, ...fourth.body.statements].map((one) => one.number).sort();
    expect(numbers).to.deep.equal(['ST-000006', 'ST-000007', 'ST-000008', 'ST-000009']);
    // Runs take turns on the counter: each run's numbers are consecutive.
    for (const run of [third!, fourth]) {
      const own = run.body.statements.map((one) => Number(one.number.slice(3))).sort((x, y) => x - y);
      expect(own[1]! - own[0]!).to.equal(1);
    }
  });

  it('downloads a statement as CSV and as a PDF that opens', async () => {
    const id = statementOf(statementsOfNov1, c).id;
    const download = (format: string) => fetch(`${running.system.apiUrl}/v1/statements/${id}.${format}`, { headers: { authorization: `Bearer ${keyOfC}` } });
    const csv = await download('csv');
    expect(csv.status).to.equal(200);
    expect(csv.headers.get('content-type')).to.equal('text/csv; charset=utf-8');
    const records = parse<Record<string, string>>(await csv.text(), { columns: true });
    expect(records.filter((record) => record['record'] === 'line').map((record) => [record['section'], record['destination'], record['amount']])).to.deep.equal([
      ['bought', 'Testland Fixed', '0.060000'], ['sold', 'Testland Mobile', '0.030000'],
    ]);
    expect(records.find((record) => record['section'] === 'amount_due')!['amount']).to.equal('0.033000');

    const response = await download('pdf');
    expect(response.status).to.equal(200);
    expect(response.headers.get('content-type')).to.equal('application/pdf');
    const pdf = Buffer.from(await response.arrayBuffer());
    expect(pdf.subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    const facts = readPdf(pdf);
    expect(facts.pages).to.equal(1);
    expect(facts.text).to.include(statementOf(statementsOfNov1, c).number);
    expect(facts.text).to.include('0.033000 USD');
    expect(facts.text).to.include('Charlie Voice');
  });

  it('shows a carrier only its own statements and position', async () => {
    const ofB = statementOf(statementsOfNov1, b).id;
    for (const url of [`/v1/statements/${ofB}`, `/v1/statements/${ofB}.csv`, `/v1/statements/${ofB}.pdf`, `/v1/carriers/${b.id}/position`, `/v1/carriers/${b.id}/billing-terms`]) {
      const response = await asA<{ error: string }>('GET', url);
      expect(response.status, url).to.equal(404);
      expect(response.body.error).to.equal('not_found');
    }
    const own = await asA<{ statements: Array<{ carrier: { id: string } }> }>('GET', `/v1/statements?carrier_id=${b.id}`);
    expect(own.status).to.equal(200);
    expect(own.body.statements).to.have.length(4);
    expect(own.body.statements.every((one) => one.carrier.id === a.id)).to.equal(true);
    // Nothing on a statement names the other side of a call.
    const text = (await asA('GET', `/v1/statements/${statementOf(statementsOfNov1, a).id}`)).text;
    for (const other of [b.id, c.id, 'Bravo', 'Charlie']) expect(text).not.to.include(other);
    const ownPosition = await asC<PositionJson>('GET', `/v1/carriers/${c.id}/position`);
    expect(ownPosition.status).to.equal(200);
    expect(ownPosition.body.positions[0]).to.include({ currency: 'USD', payable: '0.033000' });
    const all = await running.api<{ statements: unknown[] }>('GET', '/v1/statements');
    expect(all.body.statements).to.have.length(9);
    const missing = await running.api<{ error: string }>('GET', '/v1/statements/00000000-0000-4000-8000-000000000000.pdf');
    expect(missing.status).to.equal(404);
  });

  it('passes the independent audit: ledger and statements recomputed from the calls, to the micro-unit', async () => {
    const audit = await running.api('GET', '/v1/ledger/audit');
    expect(audit.status).to.equal(200);
    expect(audit.body).to.deep.equal({ ok: true, accounts_checked: 4, statements_checked: 9, mismatches: [] });
  });

  it('documents the settlement routes in the OpenAPI document', async () => {
    const response = await fetch(`${running.system.apiUrl}/openapi.json`);
    expect(response.status).to.equal(200);
    const paths = Object.keys(((await response.json()) as { paths: Record<string, unknown> }).paths);
    for (const path of ['/v1/carriers/{id}/position', '/v1/carriers/{id}/billing-terms', '/v1/statements/run', '/v1/statements', '/v1/statements/{file}', '/v1/ledger/audit']) {
      expect(paths).to.include(path);
    }
  });
});
