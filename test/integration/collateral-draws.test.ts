/**
 * Collateral and draws against PostgreSQL alone: a deposit drawn in part and released for what is
 * left, a letter of credit's draw honoured after the buyer paid the statement itself, and draws
 * that cannot be placed refused whole. Credit control's cached figures stay exact throughout.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';
import { LedgerStore } from '../../billing/ledger-store.ts';
import { CollateralStore } from '../../billing/settlement/collateral-store.ts';
import { PaymentStore } from '../../billing/settlement/payment-store.ts';
import { CreditStore } from '../../control/credit/credit-store.ts';
import { rowCounts } from '../support/exchange-api.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const TABLES = ['ledger_transactions', 'collateral', 'collateral_draws', 'fsn_events', 'audit_log'];

describe('collateral and draws in PostgreSQL', function () {
  let database: TestDatabase;
  let db: Db;
  let ledger: LedgerStore;
  let collateral: CollateralStore;
  let statementNumber = 0;

  const carrier = async (name: string) => (await db.one<{ id: string }>('insert into carriers (name) values ($1) returning id', [name])).id;
  /** An issued statement the carrier owes `balance_micros` on, due yesterday. */
  const owedStatement = async (carrier_id: string, balance_micros: bigint) => {
    statementNumber += 1;
    const id = randomUUID();
    await db.none(
      `insert into statements (id, number, carrier_id, currency, period_kind, time_zone, period_start, period_end, period_start_at, period_end_at, status,
         bought_micros, balance_micros, issued_at, due_date)
       values ($1, $2, $3, 'USD', 'daily', 'UTC', current_date - 2, current_date - 2, now() - interval '2 days', now() - interval '1 day', 'issued', $4, $4, now(), current_date - 1)`,
      [id, statementNumber, carrier_id, balance_micros]);
    return id;
  };
  const statement = (id: string) => db.one<{ status: string; paid_micros: bigint }>('select status, paid_micros from statements where id = $1', [id]);
  const balance = (carrier_id: string | null, kind: 'deposit' | 'cash' | 'clearing' | 'receivable') => ledger.accountBalance({ carrier_id, kind, currency: 'USD' });
  const creditAudits = async () => ({
    collateral: await db.any('select * from credit_collateral_mismatches()'),
    balance: await db.any('select * from credit_balance_mismatches()'),
  });

  before(async () => {
    database = await createTestDatabase();
    db = database.db;
    ledger = new LedgerStore(db);
    collateral = new CollateralStore(db, ledger);
  });

  after(async () => {
    await database?.drop();
  });

  it('draws a deposit in part, then releases only what is left of it', async () => {
    const buyer = await carrier('Partial Deposit Ltd');
    const statement_id = await owedStatement(buyer, 300_000n);
    const received = await collateral.confirmed({
      event_id: 'evt_dep_1', event_type: 'deposit.received', fsn_id: 'dep_1', carrier_id: buyer, currency: 'USD', amount_micros: 1_000_000n, valid_until: null,
    });
    expect(received).to.deep.equal({ outcome: 'applied', carrier_id: buyer });
    const { id } = await db.one<{ id: string }>('select id from collateral where fsn_id = $1', ['dep_1']);

    const drawn = await collateral.draw({ collateral_id: id, statement_id, amount_micros: 300_000n, actor: 'operator:test' });
    expect(drawn).to.include({ ok: true, kind: 'deposit', presented: null });
    expect(await statement(statement_id)).to.deep.equal({ status: 'paid', paid_micros: 300_000n });
    expect((await new CreditStore(db, ledger).creditView(buyer, 'USD')).collateral_micros).to.equal(700_000n);

    expect(await new CreditStore(db, ledger).releaseCollateral(id, 'operator:test')).to.deep.equal({ ok: true, carrier_id: buyer });
    // Received 1.000000, drawn 0.300000, paid back 0.700000: nothing owed back, the draw in cash.
    expect([await balance(buyer, 'deposit'), await balance(null, 'clearing'), await balance(null, 'cash'), await balance(buyer, 'receivable')])
      .to.deep.equal([0n, 0n, 300_000n, -300_000n]);
    expect(await creditAudits()).to.deep.equal({ collateral: [], balance: [] });
  });

  it('records a draw the bank honoured after the buyer paid the statement itself, and decides a draw only once', async () => {
    const buyer = await carrier('Paid Meanwhile SA');
    const statement_id = await owedStatement(buyer, 400_000n);
    await collateral.confirmed({
      event_id: 'evt_lc_1', event_type: 'letter_of_credit.issued', fsn_id: 'lc_1', carrier_id: buyer, currency: 'USD', amount_micros: 1_000_000n,
      valid_until: new Date(Date.now() + 86_400_000),
    });
    const { id } = await db.one<{ id: string }>('select id from collateral where fsn_id = $1', ['lc_1']);
    const presented = await collateral.draw({ collateral_id: id, statement_id, amount_micros: 400_000n, actor: 'operator:test' });
    if (!presented.ok) throw new Error(presented.reason);
    expect(presented.presented).to.include({ fsn_letter_of_credit_id: 'lc_1', amount_micros: 400_000n });
    // Presented: nothing posted yet, and nothing more can be drawn for this statement.
    expect(await statement(statement_id)).to.deep.equal({ status: 'issued', paid_micros: 0n });
    expect(await collateral.draw({ collateral_id: id, statement_id, amount_micros: 1n, actor: 'operator:test' })).to.deep.equal({ ok: false, reason: 'amount_exceeds_outstanding' });

    const paid = await new PaymentStore(db, ledger).apply({
      direction: 'collected', event_id: 'evt_pay_1', event_type: 'collection.payment_received', statement_id, amount_micros: 400_000n, currency: 'USD', payment_id: 'pay_1',
    });
    expect(paid).to.include({ outcome: 'applied', status: 'paid' });
    expect(await collateral.honoured('evt_draw_1', presented.draw_id, 400_000n, 'USD')).to.deep.equal({ outcome: 'applied', carrier_id: buyer });
    // The bank paid too: recorded, the buyer 0.400000 in credit. (The statement's calls were not
    // posted in this test, so the receivable holds only the two settlements.)
    expect(await statement(statement_id)).to.deep.equal({ status: 'paid', paid_micros: 800_000n });
    expect([await balance(buyer, 'receivable'), await balance(null, 'cash')]).to.deep.equal([-800_000n, 1_100_000n]);

    const before = await rowCounts(db, TABLES);
    expect(await collateral.honoured('evt_draw_1', presented.draw_id, 400_000n, 'USD')).to.deep.equal({ outcome: 'duplicate' });
    expect(await collateral.honoured('evt_draw_2', presented.draw_id, 400_000n, 'USD')).to.deep.equal({ outcome: 'refused', reason: 'draw_already_decided' });
    expect(await collateral.refused(presented.draw_id, 'late', { event_id: 'evt_draw_3', type: 'draw.refused' })).to.deep.equal({ outcome: 'refused', reason: 'draw_already_decided' });
    expect(await rowCounts(db, TABLES)).to.deep.equal(before);
    expect((await new CreditStore(db, ledger).creditView(buyer, 'USD')).collateral_micros).to.equal(600_000n);
    expect(await creditAudits()).to.deep.equal({ collateral: [], balance: [] });
  });

  it('refuses draws it cannot place, whole', async () => {
    const buyer = await carrier('Refused Draws GmbH');
    const other = await carrier('Someone Else Inc');
    const statement_id = await owedStatement(buyer, 100_000n);
    const foreign = await owedStatement(other, 100_000n);
    await collateral.confirmed({ event_id: 'evt_dep_9', event_type: 'deposit.received', fsn_id: 'dep_9', carrier_id: buyer, currency: 'USD', amount_micros: 50_000n, valid_until: null });
    const { id } = await db.one<{ id: string }>('select id from collateral where fsn_id = $1', ['dep_9']);
    const before = await rowCounts(db, TABLES);
    const attempt = (statement: string, amount_micros: bigint, collateral_id = id) => collateral.draw({ collateral_id, statement_id: statement, amount_micros, actor: 'operator:test' });
    expect(await attempt(statement_id, 50_001n)).to.deep.equal({ ok: false, reason: 'exceeds_collateral_available' });
    expect(await attempt(foreign, 10n)).to.deep.equal({ ok: false, reason: 'carrier_mismatch' });
    expect(await attempt(statement_id, 10n, randomUUID())).to.deep.equal({ ok: false, reason: 'unknown_collateral' });
    expect(await attempt('not-a-statement', 10n)).to.deep.equal({ ok: false, reason: 'unknown_statement' });
    expect(await collateral.confirmed({ event_id: 'evt_lc_old', event_type: 'letter_of_credit.issued', fsn_id: 'lc_old', carrier_id: buyer, currency: 'USD', amount_micros: 1n, valid_until: new Date(Date.now() - 1_000) }))
      .to.deep.equal({ outcome: 'refused', reason: 'letter_of_credit_expired' });
    expect(await rowCounts(db, TABLES)).to.deep.equal(before);
  });
});
