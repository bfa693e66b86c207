/**
 * Financing terms executed end to end, with the credit bureau and the financial services node
 * sandboxes as their own processes: buyers of grades A, B and D (from the bureau's reports) and two
 * sellers, calls rated through billing's own path, one daily statement run.
 *
 * - Deferrals: refused with their reasons (too many days, a grade with none, another carrier's
 *   statement, past due), granted with the interest exact to the micro-unit as a debit note, the
 *   due date moved, the overdue policy not raised at the old due date, idempotent on retry.
 * - Advances: refused by the node (nothing posted), then funded by the node and paid to the
 *   seller less the fee, repaid to the node from the buyers' payments, the seller's payout net of
 *   the advance; the ledger balanced and the settlement audit clean throughout.
 */
import { expect } from 'chai';
import type { LocalService } from '../../common/local-service.ts';
import type { Db } from '../../common/db/database.ts';
import { carrierClient, rowCounts, type CarrierClient } from '../support/exchange-api.ts';
import { createCarrier, type Carrier } from '../support/market.ts';
import { ratedCall } from '../support/rated-calls.ts';
import { insertDestination, insertTrade } from '../support/rows.ts';
import { startSandbox } from '../support/sandboxes.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 12501, evapi: 12502, jsonrpc: 12503, api: 12504 };
const BUREAU_URL = 'http://127.0.0.1:12590';
const FSN_URL = 'http://127.0.0.1:12591';
const SECRET = 'financing-test-webhook-secret';
const DAY_MS = 86_400_000;
const ONE_PER_MINUTE = { price_per_minute_micros: 1_000_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n };

interface Deferral {
  id: string;
  days: number;
  grade: string;
  amount_due: string;
  interest: string;
  due_date_before: string;
  due_date_after: string;
  debit_note: { id: string; number: string } | null;
}

interface Advance {
  id: string;
  status: string;
  advance: string;
  fee: string;
  net: string;
  repaid_to_node: string;
  owed_to_node: string;
  refusal_reason: string | null;
  lines: Array<Record<string, unknown>>;
}

async function fsn<T = Record<string, unknown>>(method: string, path: string, body?: unknown, key?: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${FSN_URL}${path}`, {
    method, body: body === undefined ? undefined : JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
  });
  return { status: response.status, body: (await response.json()) as T };
}

describe('credit financing: buyer deferrals and seller advances through the node', function () {
  let running: RunningSystem;
  let bureau: LocalService;
  let node: LocalService;
  let db: Db;
  let atlas: Carrier;
  let borealis: Carrier;
  let cobalt: Carrier;
  let sierra: Carrier;
  let tango: Carrier;
  let asAtlas: CarrierClient;
  let asSierra: CarrierClient;
  const statementOf = new Map<string, string>();
  let borealisLater: string;
  let sierraAdvance: Advance;

  const statement = async (id: string) => (await running.api<{ status: string; due_date: string; deferred_from: string | null; totals: Record<string, string> }>('GET', `/v1/statements/${id}`)).body;
  const position = async (carrier: Carrier) => (await running.api<{ positions: Array<Record<string, string>> }>('GET', `/v1/carriers/${carrier.id}/position`)).body.positions[0]!;
  const exchangeAccount = (kind: 'cash' | 'financing' | 'financing_income') => running.system.ledger.accountBalance({ carrier_id: null, kind, currency: 'USD' });
  const auditClean = async () => {
    const report = await running.api<{ ok: boolean; mismatches: unknown[] }>('GET', '/v1/ledger/audit');
    expect(report.body.mismatches).to.deep.equal([]);
    expect(report.body.ok).to.equal(true);
    expect(await running.system.ledger.trialBalance()).to.deep.equal([{ currency: 'USD', total_micros: 0n }]);
  };
  const advanceOf = async (id: string) => (await running.api<Advance>('GET', `/v1/advances/${id}`)).body;
  /** Collects what a buyer owes on a statement through the node, paid by the buyer in the given parts. */
  const buyerPays = async (statement_id: string, parts: string[]) => {
    const collection = await running.api<{ collection_id: string }>('POST', `/v1/statements/${statement_id}/collect`);
    expect(collection.status).to.equal(201);
    for (const [index, amount] of parts.entries()) {
      expect((await fsn('POST', `/v1/test/collections/${collection.body.collection_id}/pay`, { amount }, `pay-${statement_id}-${index}`)).status).to.equal(202);
    }
    await eventually(async () => ((await statement(statement_id)).status === 'paid' ? true : undefined), 10_000, `statement ${statement_id} paid`);
  };

  before(async () => {
    bureau = await startSandbox('bureau', BUREAU_URL);
    running = await startTestSystem(PORTS, {
      MINUTEX_BUREAU_URL: BUREAU_URL, MINUTEX_FSN_URL: FSN_URL, MINUTEX_FSN_WEBHOOK_SECRET: SECRET, MINUTEX_RTPENGINE_CONTROL_ADDR: '127.0.0.1:12599',
    });
    db = running.system.db;
    node = await startSandbox('fsn', FSN_URL, { MINUTEX_FSN_WEBHOOK_URL: `${running.system.apiUrl}/fsn/webhooks`, MINUTEX_FSN_WEBHOOK_SECRET: SECRET });

    atlas = await createCarrier(running, 'Atlas Voice');
    borealis = await createCarrier(running, 'Borealis Telecom');
    cobalt = await createCarrier(running, 'Cobalt Carrier Services');
    sierra = await createCarrier(running, 'Sierra Lines');
    tango = await createCarrier(running, 'Tango Transit');
    asAtlas = await carrierClient(running, atlas);
    asSierra = await carrierClient(running, sierra);
    const destination = await insertDestination(db, 'Testland Mobile');
    // Trades before the assessments: no risk premium, so the figures stay round. Each minute 1.000000 to the seller, 0.000600 fee.
    const trade = (buyer: Carrier, seller: Carrier) => insertTrade(db, { buyer: buyer.id, seller: seller.id, destination }, ONE_PER_MINUTE);
    await ratedCall(running, await trade(atlas, sierra), '2026-11-01T09:00:00Z', 600_000); // atlas owes 10.006000
    await ratedCall(running, await trade(borealis, sierra), '2026-11-01T10:00:00Z', 300_000); // borealis owes 5.003000
    await ratedCall(running, await trade(cobalt, sierra), '2026-11-01T11:00:00Z', 120_000); // cobalt owes 2.001200
    await ratedCall(running, await trade(cobalt, tango), '2026-11-01T12:00:00Z', 60_000); // and 1.000600 more
    await ratedCall(running, await trade(borealis, tango), '2026-11-02T09:00:00Z', 60_000); // borealis' next day: 1.000600
    for (const carrier of [atlas, borealis, cobalt, sierra, tango]) {
      expect((await running.api('PUT', `/v1/carriers/${carrier.id}/billing-terms`, { period: 'daily', time_zone: 'UTC', payment_terms_days: 10, currency: 'USD' })).status).to.equal(200);
    }
    for (const day of ['2026-11-01', '2026-11-02']) {
      const run = await running.api<{ statements: Array<{ id: string; carrier_id: string }> }>('POST', '/v1/statements/run', { period_end: day });
      expect(run.status).to.equal(201);
      for (const issued of run.body.statements) {
        if (day === '2026-11-01') statementOf.set(issued.carrier_id, issued.id);
        else if (issued.carrier_id === borealis.id) borealisLater = issued.id;
      }
    }
    for (const [carrier, bureau_id, grade] of [[atlas, 'MXB-100001', 'A'], [borealis, 'MXB-100002', 'B'], [cobalt, 'MXB-100003', 'D']] as const) {
      const applied = await running.api<{ grade: string }>('POST', `/v1/carriers/${carrier.id}/credit-applications`, { bureau_id });
      expect(applied.status).to.equal(201);
      expect(applied.body.grade).to.equal(grade);
    }
  });

  after(async () => {
    await node?.stop();
    await running?.stop();
    await bureau?.stop();
  });

  it('refuses deferrals beyond the grade\'s days, for a grade with none and on another carrier\'s statement, changing nothing', async () => {
    const before = await rowCounts(db, ['deferrals', 'notes', 'ledger_transactions', 'audit_log']);
    const atlasStatement = statementOf.get(atlas.id)!;
    const tooLong = await asAtlas<{ error: string; allowed_days: number }>('POST', `/v1/statements/${atlasStatement}/deferral`, { days: 31 });
    expect(tooLong.status).to.equal(422);
    expect(tooLong.body).to.include({ error: 'days_exceed_allowed', allowed_days: 30 });
    const none = await running.api<{ error: string }>('POST', `/v1/statements/${statementOf.get(cobalt.id)!}/deferral`, { days: 1 });
    expect(none.status).to.equal(403);
    expect(none.body.error).to.equal('deferral_not_allowed');
    expect((await asAtlas('POST', `/v1/statements/${statementOf.get(borealis.id)!}/deferral`, { days: 5 })).status).to.equal(404);
    expect((await asAtlas('POST', `/v1/statements/${statementOf.get(sierra.id)!}/deferral`, { days: 5 })).status).to.equal(404);
    // A seller's statement: the exchange owes it; it was never assessed either.
    expect((await running.api<{ error: string }>('POST', `/v1/statements/${statementOf.get(sierra.id)!}/deferral`, { days: 5 })).body.error).to.equal('credit_assessment_required');
    expect((await asAtlas<{ error: string }>('POST', `/v1/statements/${atlasStatement}/deferral`, { days: 0 })).status).to.equal(400);
    expect(await rowCounts(db, ['deferrals', 'notes', 'ledger_transactions', 'audit_log'])).to.deep.equal(before);
  });

  it('grants a deferral: interest exact as a debit note, the due date moved, idempotent on retry', async () => {
    const atlasStatement = statementOf.get(atlas.id)!;
    const due = (await statement(atlasStatement)).due_date;
    const granted = await asAtlas<Deferral>('POST', `/v1/statements/${atlasStatement}/deferral`, { days: 30 });
    expect(granted.status).to.equal(201);
    // ceil(10.006000 × 600 bps × 30 days / (10,000 × 365)) = ceil(0.0493446575...) = 0.049345.
    expect(granted.body).to.include({ days: 30, grade: 'A', amount_due: '10.006000', interest: '0.049345', due_date_before: due });
    expect(granted.body.due_date_after).to.equal(new Date(Date.parse(`${due}T00:00:00Z`) + 30 * DAY_MS).toISOString().slice(0, 10));
    expect(granted.body.debit_note!.number).to.match(/^DN-\d{6}$/);
    const note = await asAtlas<{ kind: string; amount: string; source: Record<string, string> }>('GET', `/v1/notes/${granted.body.debit_note!.id}`);
    expect(note.body).to.deep.include({ kind: 'debit', amount: '0.049345', source: { deferral_id: granted.body.id } });
    const after = await statement(atlasStatement);
    expect(after).to.include({ due_date: granted.body.due_date_after, deferred_from: due, status: 'issued' });
    expect(after.totals).to.include({ debited: '0.049345', amount_due: '10.006000' });
    expect(await position(atlas)).to.include({ payable: '10.055345', billed_unpaid: '10.055345', debit_notes: '0.049345', past_due: '0.000000' });

    // PostgreSQL itself lets an issued statement's due date move once only, and only later.
    for (const change of ['due_date = due_date + 1', 'deferred_from = null, due_date = deferred_from']) {
      const refused = await db.none(`update statements set ${change} where id = $1`, [atlasStatement]).then(() => null, (error: Error) => error.message);
      expect(refused).to.match(/its figures cannot change/);
    }

    const again = await asAtlas<Deferral>('POST', `/v1/statements/${atlasStatement}/deferral`, { days: 30 });
    expect(again.status).to.equal(200);
    expect(again.body.id).to.equal(granted.body.id);
    const other = await asAtlas<{ error: string }>('POST', `/v1/statements/${atlasStatement}/deferral`, { days: 10 });
    expect(other.status).to.equal(409);
    expect(other.body.error).to.equal('already_deferred');
    expect((await db.one<{ count: bigint }>(`select count(*) from audit_log where action = 'statement.defer'`)).count).to.equal(1n);

    // Grade B: 15 days at 9%/yr on 5.003000: ceil(0.018504246...) = 0.018505.
    const b = await running.api<Deferral>('POST', `/v1/statements/${statementOf.get(borealis.id)!}/deferral`, { days: 15 });
    expect(b.status).to.equal(201);
    expect(b.body).to.include({ grade: 'B', interest: '0.018505' });
    expect(await exchangeAccount('financing_income')).to.equal(-(49_345n + 18_505n));
    // Only its own deferrals to a carrier; all to an operator.
    expect((await asAtlas<{ deferrals: Deferral[] }>('GET', `/v1/carriers/${atlas.id}/deferrals`)).body.deferrals.map((one) => one.id)).to.deep.equal([granted.body.id]);
    expect((await asAtlas<{ deferrals: Deferral[] }>('GET', '/v1/deferrals')).body.deferrals).to.have.length(1);
    expect((await asAtlas('GET', `/v1/carriers/${borealis.id}/deferrals`)).status).to.equal(404);
    expect((await running.api<{ deferrals: Deferral[] }>('GET', '/v1/deferrals')).body.deferrals).to.have.length(2);
    await auditClean();
  });

  it('changes nothing when the node refuses to fund an advance', async () => {
    expect((await fsn('POST', '/v1/test/pledge-behaviour', { outcome: 'refused' }, 'behaviour-refuse')).status).to.equal(200);
    try {
      const before = await rowCounts(db, ['ledger_transactions', 'ledger_postings']);
      const tangoStatement = await statement(statementOf.get(tango.id)!);
      const asked = await running.api<Advance>('POST', `/v1/carriers/${tango.id}/advances`, { currency: 'USD' });
      expect(asked.status).to.equal(201);
      // Cobalt (grade D) bought 1.000000 of Tango's calls on 1 November: 50% = 0.500000, fee 250 bps = 0.012500;
      // Borealis (B) 1.000000 on 2 November: 80% = 0.800000, fee 100 bps = 0.008000.
      expect(asked.body).to.include({ advance: '1.300000', fee: '0.020500', net: '1.279500' });
      const refused = await eventually(async () => {
        const advance = await advanceOf(asked.body.id);
        return advance.status === 'refused' ? advance : undefined;
      }, 10_000, 'the refusal');
      expect(refused.refusal_reason).to.be.a('string');
      expect(await rowCounts(db, ['ledger_transactions', 'ledger_postings'])).to.deep.equal(before);
      expect(await statement(statementOf.get(tango.id)!)).to.deep.equal(tangoStatement);
      expect(await position(tango)).to.include({ receivable: '2.000000' });
    } finally {
      await fsn('POST', '/v1/test/pledge-behaviour', { outcome: 'funded' }, 'behaviour-fund');
    }
  });

  it('posts nothing when the node cannot be reached: the advance failed', async () => {
    await node.stop();
    try {
      const before = await rowCounts(db, ['ledger_transactions', 'ledger_postings']);
      const asked = await running.api<{ error: string; advance_id: string }>('POST', `/v1/carriers/${tango.id}/advances`, { currency: 'USD' });
      expect(asked.status).to.equal(502);
      expect(asked.body.error).to.equal('fsn_unreachable');
      expect(await advanceOf(asked.body.advance_id)).to.include({ status: 'failed', refusal_reason: 'fsn_unreachable' });
      expect(await rowCounts(db, ['ledger_transactions', 'ledger_postings'])).to.deep.equal(before);
    } finally {
      node = await startSandbox('fsn', FSN_URL, { MINUTEX_FSN_WEBHOOK_URL: `${running.system.apiUrl}/fsn/webhooks`, MINUTEX_FSN_WEBHOOK_SECRET: SECRET });
    }
  });

  it('advances a seller on its buyers\' grades once the node funds the pledge, and pays it less the fee', async () => {
    const sierraStatement = statementOf.get(sierra.id)!;
    expect((await asAtlas('POST', `/v1/carriers/${sierra.id}/advances`, { currency: 'USD' })).status).to.equal(404);
    const tooMuch = await asSierra<{ error: string; available: string }>('POST', `/v1/carriers/${sierra.id}/advances`, { currency: 'USD', amount: '20.000000' });
    expect(tooMuch.status).to.equal(422);
    // A: 10 × 90% = 9.000000 (fee 0.045000); B: 5 × 80% = 4.000000 (fee 0.040000); D: 2 × 50% = 1.000000 (fee 0.025000).
    expect(tooMuch.body).to.include({ error: 'amount_exceeds_available', available: '14.000000' });

    const asked = await asSierra<Advance>('POST', `/v1/carriers/${sierra.id}/advances`, { currency: 'USD' });
    expect(asked.status).to.equal(201);
    expect(asked.body).to.include({ advance: '14.000000', fee: '0.110000', net: '13.890000' });
    expect(asked.body.lines.map((line) => [line['grade'], line['advance'], line['fee']]).sort()).to.deep.equal([
      ['A', '9.000000', '0.045000'], ['B', '4.000000', '0.040000'], ['D', '1.000000', '0.025000']]);
    // The seller sees its buyers' grades, never who they are.
    expect(asked.body.lines.every((line) => !('buyer_id' in line) && !('buyer_statement_id' in line))).to.equal(true);
    // Asked again at once: the one waiting for the node (or, if the node was quick, nothing more to advance).
    const retried = await asSierra<{ error: string; advance_id?: string }>('POST', `/v1/carriers/${sierra.id}/advances`, { currency: 'USD' });
    expect(retried.status).to.equal(409);
    if (retried.body.error === 'advance_pending') expect(retried.body.advance_id).to.equal(asked.body.id);
    else expect(retried.body.error).to.equal('nothing_to_advance');
    sierraAdvance = await eventually(async () => {
      const advance = await advanceOf(asked.body.id);
      return advance.status === 'funded' ? advance : undefined;
    }, 10_000, 'the node funding the advance');
    expect(sierraAdvance).to.include({ owed_to_node: '14.000000', repaid_to_node: '0.000000' });
    expect(sierraAdvance.lines[0]).to.have.property('buyer_id');

    // The advance counts as paid out on the seller's statement: what is left is 17 − 14.
    expect((await statement(sierraStatement)).totals).to.include({ amount_payable: '17.000000', paid: '14.000000' });
    expect((await statement(sierraStatement)).status).to.equal('partially_paid');
    expect(await position(sierra)).to.include({ receivable: '3.000000' });
    expect(await exchangeAccount('financing')).to.equal(-14_000_000n);
    expect(await exchangeAccount('cash')).to.equal(110_000n);
    expect(await exchangeAccount('financing_income')).to.equal(-(49_345n + 18_505n + 110_000n));
    // The statement is advanced once: asking again finds nothing more.
    expect((await asSierra<{ error: string }>('POST', `/v1/carriers/${sierra.id}/advances`, { currency: 'USD' })).body.error).to.equal('nothing_to_advance');
    expect((await asAtlas('GET', `/v1/advances/${sierraAdvance.id}`)).status).to.equal(404);
    expect((await asSierra<{ advances: Advance[] }>('GET', `/v1/carriers/${sierra.id}/advances`)).body.advances.map((one) => one.id)).to.deep.equal([sierraAdvance.id]);
    await auditClean();
  });

  it('does not raise the overdue policy at a deferred statement\'s old due date, and refuses to defer one past due', async () => {
    running.system.overdue.setClock(() => new Date(Date.now() + 11 * DAY_MS));
    try {
      expect((await running.api('POST', '/v1/overdue/evaluate')).status).to.equal(200);
      expect((await statement(statementOf.get(atlas.id)!)).status).to.equal('issued');
      expect((await statement(statementOf.get(cobalt.id)!)).status, 'not deferred: overdue').to.equal('overdue');
      const standing = await db.oneOrNone<{ state: string | null }>('select state from carrier_overdue where carrier_id = $1', [atlas.id]);
      expect(standing?.state ?? null, 'the deferred buyer stays in good standing').to.equal(null);
      expect((await db.one<{ state: string | null }>('select state from carrier_overdue where carrier_id = $1', [cobalt.id])).state).to.equal('notice');
      expect((await statement(borealisLater)).status).to.equal('overdue');
      const late = await running.api<{ error: string }>('POST', `/v1/statements/${borealisLater}/deferral`, { days: 5 });
      expect(late.status).to.equal(409);
      expect(late.body.error).to.equal('statement_past_due');
    } finally {
      running.system.overdue.setClock(() => new Date());
    }
  });

  it('repays the node from the buyers\' payments until the pledge is cleared', async () => {
    await buyerPays(statementOf.get(atlas.id)!, ['10.055345']);
    expect((await advanceOf(sierraAdvance.id)).repaid_to_node).to.equal('9.000000');
    await buyerPays(statementOf.get(borealis.id)!, ['5.021505']);
    // Cobalt pays in two parts: the first 1.000000 all goes to the node and clears its line; the rest is the exchange's.
    await buyerPays(statementOf.get(cobalt.id)!, ['1.000000', '2.001800']);
    const cleared = await advanceOf(sierraAdvance.id);
    expect(cleared).to.include({ status: 'repaid', repaid_to_node: '14.000000', owed_to_node: '0.000000' });
    expect(await exchangeAccount('financing')).to.equal(0n);
    const pledge = await fsn<{ status: string; outstanding: string }>('GET', `/v1/pledges/${(await db.one<{ fsn_pledge_id: string }>('select fsn_pledge_id from advances where id = $1', [sierraAdvance.id])).fsn_pledge_id}`);
    expect(pledge.body).to.include({ status: 'repaid', outstanding: '0.000000' });
    await auditClean();
  });

  it('pays the seller only what is left after the advance, and the books reconcile', async () => {
    const sierraStatement = statementOf.get(sierra.id)!;
    const payout = await running.api<{ amount: string }>('POST', `/v1/statements/${sierraStatement}/payout`);
    expect(payout.status).to.equal(201);
    expect(payout.body.amount).to.equal('3.000000');
    await eventually(async () => ((await statement(sierraStatement)).status === 'paid' ? true : undefined), 10_000, 'the payout');
    expect(await position(sierra)).to.include({ receivable: '0.000000', net: '0.000000' });
    // Collected 10.055345 + 5.021505 + 3.001800; the node lent 14 and was repaid 14; Sierra got 13.890000 + 3.000000.
    // Left: the fees 0.010800, interest 0.067850, advance fee 0.110000 and Tango's 1.000000 not yet paid out.
    expect(await exchangeAccount('cash')).to.equal(1_188_650n);
    await auditClean();
  });
});
