import { expect } from 'chai';
import type { Db } from '../../common/db/database.ts';
import { LedgerInvariantError, type AccountRef, type TransactionDraft } from '../../billing/core/ledger.ts';
import { LedgerKeyConflictError, LedgerStore } from '../../billing/ledger-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

async function insertCarrier(db: Db, name: string): Promise<string> {
  const row = await db.one<{ id: string }>('insert into carriers (name) values ($1) returning id', [name]);
  return row.id;
}

async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

async function count(db: Db, sql: string, values: unknown[] = []): Promise<number> {
  const row = await db.one<{ count: number }>(`select count(*)::integer as count from (${sql}) as counted`, values);
  return row.count;
}

describe('billing: the ledger in PostgreSQL', function () {
  let database: TestDatabase;
  let db: Db;
  let ledger: LedgerStore;
  let buyer: string;
  let seller: string;

  const buyerReceivable = (): AccountRef => ({ carrier_id: buyer, kind: 'receivable', currency: 'USD' });
  const sellerPayable = (): AccountRef => ({ carrier_id: seller, kind: 'payable', currency: 'USD' });
  const revenue: AccountRef = { carrier_id: null, kind: 'revenue', currency: 'USD' };

  function sale(idempotency_key: string, buyer_micros: bigint, seller_micros: bigint): TransactionDraft {
    return {
      idempotency_key,
      kind: 'test',
      description: 'a sale through the exchange',
      postings: [
        { account: buyerReceivable(), amount_micros: buyer_micros },
        { account: sellerPayable(), amount_micros: -seller_micros },
        { account: revenue, amount_micros: seller_micros - buyer_micros },
      ],
    };
  }

  before(async () => {
    database = await createTestDatabase();
    db = database.db;
    ledger = new LedgerStore(db);
    buyer = await insertCarrier(db, 'Buyer Telecom');
    seller = await insertCarrier(db, 'Seller Telecom');
  });

  after(async () => {
    await database.drop();
  });

  it('posts a balanced transaction and moves the balances', async () => {
    const result = await ledger.post(sale('test:first', 1_000n, 900n));
    expect(result.created).to.equal(true);
    expect(await ledger.accountBalance(buyerReceivable())).to.equal(1_000n);
    expect(await ledger.accountBalance(sellerPayable())).to.equal(-900n);
    expect(await ledger.accountBalance(revenue)).to.equal(-100n);
    expect(await ledger.balances(buyer)).to.deep.equal([{ kind: 'receivable', currency: 'USD', balance_micros: 1_000n }]);
    expect(await ledger.balances(seller)).to.deep.equal([{ kind: 'payable', currency: 'USD', balance_micros: -900n }]);
    expect(await count(db, 'select 1 from ledger_postings where transaction_id = $1', [result.transaction_id])).to.equal(3);
    expect(await ledger.trialBalance()).to.deep.equal([{ currency: 'USD', total_micros: 0n }]);
    expect(await ledger.balanceMismatches()).to.equal(0);
  });

  it('keeps one account per carrier, kind and currency, and the balances add up', async () => {
    await ledger.post(sale('test:second', 500n, 450n));
    // 1000 + 500 on the buyer, -(900 + 450) on the seller, -(100 + 50) on the exchange.
    expect(await ledger.accountBalance(buyerReceivable())).to.equal(1_500n);
    expect(await ledger.accountBalance(sellerPayable())).to.equal(-1_350n);
    expect(await ledger.accountBalance(revenue)).to.equal(-150n);
    expect(await count(db, 'select 1 from ledger_accounts')).to.equal(3);
    expect(await ledger.trialBalance()).to.deep.equal([{ currency: 'USD', total_micros: 0n }]);
  });

  it('reports 0 for an account that does not exist yet', async () => {
    expect(await ledger.accountBalance({ carrier_id: buyer, kind: 'deposit', currency: 'EUR' })).to.equal(0n);
    expect(await ledger.accountBalance({ carrier_id: null, kind: 'clearing', currency: 'USD' })).to.equal(0n);
  });

  it('posts the same idempotency key once', async () => {
    const first = await ledger.post(sale('test:replayed', 300n, 200n));
    const postingsBefore = await count(db, 'select 1 from ledger_postings');
    const again = await ledger.post(sale('test:replayed', 300n, 200n));
    expect(again).to.deep.equal({ transaction_id: first.transaction_id, created: false });
    expect(await count(db, 'select 1 from ledger_postings')).to.equal(postingsBefore);
    // 1500 + 300 and -1350 - 200: the replay moved nothing.
    expect(await ledger.accountBalance(buyerReceivable())).to.equal(1_800n);
    expect(await ledger.accountBalance(sellerPayable())).to.equal(-1_550n);
  });

  it('posts many drafts at once, each key once, including a key already posted and a key given twice', async () => {
    const before = [await ledger.accountBalance(buyerReceivable()), await ledger.accountBalance(sellerPayable())];
    const results = await db.tx((t) => ledger.postMany([
      sale('test:many-1', 40n, 30n),
      sale('test:replayed', 300n, 200n),
      sale('test:many-2', 20n, 15n),
      sale('test:many-1', 40n, 30n),
    ], t));
    expect(results.map((result) => result.created)).to.deep.equal([true, false, true, false]);
    expect(results[3]!.transaction_id).to.equal(results[0]!.transaction_id);
    // Only many-1 and many-2 moved money: +40 +20 on the buyer, -30 -15 on the seller.
    expect(await ledger.accountBalance(buyerReceivable())).to.equal(before[0]! + 60n);
    expect(await ledger.accountBalance(sellerPayable())).to.equal(before[1]! - 45n);
    expect(await count(db, 'select 1 from ledger_postings where transaction_id = $1', [results[0]!.transaction_id])).to.equal(3);
    expect(await ledger.trialBalance()).to.deep.equal([{ currency: 'USD', total_micros: 0n }]);
    // A correcting transaction (never an edit) puts the balances back where the next tests expect them.
    await ledger.post(sale('test:many-reversed', -60n, -45n));
    expect([await ledger.accountBalance(buyerReceivable()), await ledger.accountBalance(sellerPayable())]).to.deep.equal(before);
  });

  it('refuses a replayed key with different postings, and changes nothing', async () => {
    const first = await ledger.post(sale('test:replayed-other', 500n, 400n));
    const before = [await ledger.accountBalance(buyerReceivable()), await ledger.accountBalance(sellerPayable())];
    const postingsBefore = await count(db, 'select 1 from ledger_postings');
    const error = await rejection(ledger.post(sale('test:replayed-other', 510n, 400n)));
    expect(error).to.be.instanceOf(LedgerKeyConflictError);
    expect(error.message).to.equal('ledger transaction test:replayed-other was already posted with different postings');
    expect((error as LedgerKeyConflictError).reason).to.equal('idempotency_key_conflict');
    // Another account, the same amounts: refused too.
    const elsewhere = sale('test:replayed-other', 500n, 400n);
    const moved = { ...elsewhere, postings: elsewhere.postings.map((posting) => posting.account.kind === 'receivable' ? { ...posting, account: { ...posting.account, kind: 'cash' as const } } : posting) };
    expect(await rejection(ledger.post(moved))).to.be.instanceOf(LedgerKeyConflictError);
    // In a batch, the whole transaction fails with it: nothing of the batch is posted.
    expect(await rejection(db.tx((t) => ledger.postMany([sale('test:conflict-batch', 10n, 5n), sale('test:replayed-other', 500n, 401n)], t))))
      .to.be.instanceOf(LedgerKeyConflictError);
    expect(await count(db, `select 1 from ledger_transactions where idempotency_key = 'test:conflict-batch'`)).to.equal(0);
    // Two different drafts under one key in the same batch: refused.
    expect(await rejection(db.tx((t) => ledger.postMany([sale('test:twice-in-batch', 10n, 5n), sale('test:twice-in-batch', 11n, 5n)], t))))
      .to.be.instanceOf(LedgerKeyConflictError);
    // The identical replay, in any order of its postings, is still a no-op.
    const reordered = sale('test:replayed-other', 500n, 400n);
    const again = await ledger.post({ ...reordered, postings: [...reordered.postings].reverse() });
    expect(again).to.deep.equal({ transaction_id: first.transaction_id, created: false });
    expect(await count(db, 'select 1 from ledger_postings')).to.equal(postingsBefore);
    expect([await ledger.accountBalance(buyerReceivable()), await ledger.accountBalance(sellerPayable())]).to.deep.equal(before);
    // A correcting transaction puts the balances back where the next tests expect them.
    await ledger.post(sale('test:replayed-other-reversed', -500n, -400n));
  });

  it('posts the same idempotency key once when two posts race', async () => {
    const results = await Promise.all([ledger.post(sale('test:race', 70n, 60n)), ledger.post(sale('test:race', 70n, 60n))]);
    expect(results.map((result) => result.created).sort()).to.deep.equal([false, true]);
    expect(results[0].transaction_id).to.equal(results[1].transaction_id);
    expect(await count(db, 'select 1 from ledger_postings where transaction_id = $1', [results[0].transaction_id])).to.equal(3);
  });

  it('creates a new account once when two transactions race to use it', async () => {
    const cash = (key: string): TransactionDraft => ({
      idempotency_key: key,
      kind: 'test',
      description: 'cash in',
      postings: [
        { account: { carrier_id: buyer, kind: 'cash', currency: 'EUR' }, amount_micros: 10n },
        { account: { carrier_id: null, kind: 'clearing', currency: 'EUR' }, amount_micros: -10n },
      ],
    });
    await Promise.all([ledger.post(cash('test:cash-1')), ledger.post(cash('test:cash-2'))]);
    expect(await ledger.accountBalance({ carrier_id: buyer, kind: 'cash', currency: 'EUR' })).to.equal(20n);
    expect(await count(db, `select 1 from ledger_accounts where kind = 'cash' and currency = 'EUR'`)).to.equal(1);
    expect(await ledger.trialBalance()).to.deep.equal([
      { currency: 'EUR', total_micros: 0n },
      { currency: 'USD', total_micros: 0n },
    ]);
  });

  it('joins an outer transaction and rolls back with it', async () => {
    const error = await rejection(
      db.tx(async (t) => {
        await ledger.post(sale('test:rolled-back', 10_000n, 9_000n), t);
        throw new Error('the outer work failed');
      }),
    );
    expect(error.message).to.equal('the outer work failed');
    expect(await count(db, `select 1 from ledger_transactions where idempotency_key = 'test:rolled-back'`)).to.equal(0);
    expect(await ledger.accountBalance(buyerReceivable())).to.equal(1_870n);
  });

  it('refuses an unbalanced draft before writing anything', async () => {
    const unbalanced: TransactionDraft = {
      idempotency_key: 'test:unbalanced-draft',
      kind: 'test',
      description: '',
      postings: [
        { account: buyerReceivable(), amount_micros: 100n },
        { account: sellerPayable(), amount_micros: -99n },
      ],
    };
    const error = await rejection(ledger.post(unbalanced));
    expect(error).to.be.instanceOf(LedgerInvariantError);
    expect(await count(db, `select 1 from ledger_transactions where idempotency_key = 'test:unbalanced-draft'`)).to.equal(0);
  });

  describe('the database checks on its own', () => {
    let buyerAccount: bigint;
    let sellerAccount: bigint;

    before(async () => {
      const accountId = async (carrier_id: string, kind: string) =>
        (await db.one<{ id: bigint }>('select id from ledger_accounts where carrier_id = $1 and kind = $2', [carrier_id, kind])).id;
      buyerAccount = await accountId(buyer, 'receivable');
      sellerAccount = await accountId(seller, 'payable');
    });

    async function rawTransaction(key: string, postings: Array<[bigint, bigint]>): Promise<void> {
      await db.tx(async (t) => {
        const { id } = await t.one<{ id: bigint }>(`insert into ledger_transactions (idempotency_key, kind) values ($1, 'test') returning id`, [key]);
        for (const [account_id, amount_micros] of postings) {
          await t.none(`insert into ledger_postings (transaction_id, account_id, currency, amount_micros) values ($1, $2, 'USD', $3)`, [
            id,
            account_id,
            amount_micros,
          ]);
        }
      });
    }

    it('refuses unbalanced postings at commit and leaves nothing', async () => {
      const error = await rejection(rawTransaction('test:raw-unbalanced', [[buyerAccount, 100n], [sellerAccount, -99n]]));
      expect(error.code).to.equal('23514');
      expect(error.message).to.match(/does not balance/);
      expect(await count(db, `select 1 from ledger_transactions where idempotency_key = 'test:raw-unbalanced'`)).to.equal(0);
      expect(await ledger.accountBalance(buyerReceivable())).to.equal(1_870n);
      expect(await ledger.accountBalance(sellerPayable())).to.equal(-1_610n);
    });

    it('refuses a transaction with a single posting', async () => {
      const error = await rejection(rawTransaction('test:raw-single', [[buyerAccount, 100n]]));
      expect(error.code).to.equal('23514');
      expect(error.message).to.match(/at least two/);
      expect(await count(db, `select 1 from ledger_transactions where idempotency_key = 'test:raw-single'`)).to.equal(0);
    });

    it('accepts raw postings that balance', async () => {
      await rawTransaction('test:raw-balanced', [[buyerAccount, 5n], [sellerAccount, -5n]]);
      expect(await ledger.accountBalance(buyerReceivable())).to.equal(1_875n);
      expect(await ledger.balanceMismatches()).to.equal(0);
    });

    it('refuses postings added to a ledger transaction after it was committed', async () => {
      const { id } = await db.one<{ id: bigint }>(`select id from ledger_transactions where idempotency_key = 'test:raw-balanced'`);
      const error = await rejection(db.tx(async (t) => {
        await t.none(`insert into ledger_postings (transaction_id, account_id, currency, amount_micros) values ($1, $2, 'USD', 7), ($1, $3, 'USD', -7)`, [id, buyerAccount, sellerAccount]);
      }));
      expect(error.code).to.equal('23514');
      expect(error.message).to.match(/is closed/);
      expect(await ledger.accountBalance(buyerReceivable())).to.equal(1_875n);
    });

    it('refuses to update or delete a posting', async () => {
      const update = await rejection(db.none('update ledger_postings set amount_micros = amount_micros + 1'));
      expect(update.code).to.equal('42501');
      const deletion = await rejection(db.none('delete from ledger_postings'));
      expect(deletion.code).to.equal('42501');
      expect(await ledger.trialBalance()).to.deep.equal([
        { currency: 'EUR', total_micros: 0n },
        { currency: 'USD', total_micros: 0n },
      ]);
    });

    it('reports a cached balance that no longer equals the sum of its postings', async () => {
      await db.none('update ledger_accounts set balance_micros = balance_micros + 1 where id = $1', [buyerAccount]);
      expect(await ledger.balanceMismatches()).to.equal(1);
      await db.none('update ledger_accounts set balance_micros = balance_micros - 1 where id = $1', [buyerAccount]);
      expect(await ledger.balanceMismatches()).to.equal(0);
    });
  });
});
