import { expect } from 'chai';
import type { Db } from '../../common/db/database.ts';
import type { AccountRef } from '../../billing/core/ledger.ts';
import { LedgerStore } from '../../billing/ledger-store.ts';
import { postPendingCdrs, rateAndPostCdr } from '../../billing/cdr-posting.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/** 0.000600 per minute to the exchange on top of the seller's price (the fee the calls' reservations were made with). */
const FEE_PER_MINUTE = 600n;

interface Market {
  buyer: string;
  seller: string;
  destination: string;
  /** 0.012000 per minute, 30/6, connect fee 0.005000: 200 micros per second. */
  trade: string;
  /** 0.012345 per minute, 1/1, no connect fee: a price whose charges need rounding. */
  roundingTrade: string;
}

interface TradeTerms {
  price_per_minute_micros: bigint;
  first_increment_s: number;
  next_increment_s: number;
  connect_fee_micros: bigint;
}

let marketCount = 0;

async function insertTrade(db: Db, buyer: string, seller: string, destination: string, terms: TradeTerms): Promise<string> {
  const order = async (carrier_id: string, side: 'buy' | 'sell') =>
    (
      await db.one<{ id: string }>(
        `insert into orders (carrier_id, side, destination_id, currency, price_per_minute_micros, first_increment_s,
           next_increment_s, connect_fee_micros, channels, channels_open)
         values ($<carrier_id>, $<side>, $<destination>, 'USD', $<price_per_minute_micros>, $<first_increment_s>,
           $<next_increment_s>, $<connect_fee_micros>, 10, 0) returning id`,
        { ...terms, carrier_id, side, destination },
      )
    ).id;
  const buyOrder = await order(buyer, 'buy');
  const sellOrder = await order(seller, 'sell');
  const row = await db.one<{ id: string }>(
    `insert into trades (buy_order_id, sell_order_id, buyer_id, seller_id, destination_id, currency, price_per_minute_micros,
       first_increment_s, next_increment_s, connect_fee_micros, channels)
     values ($<buyOrder>, $<sellOrder>, $<buyer>, $<seller>, $<destination>, 'USD', $<price_per_minute_micros>,
       $<first_increment_s>, $<next_increment_s>, $<connect_fee_micros>, 10) returning id`,
    { ...terms, buyOrder, sellOrder, buyer, seller, destination },
  );
  return row.id;
}

/** A buyer and a seller of their own, so that each test reads balances that only it moved. */
async function createMarket(db: Db): Promise<Market> {
  marketCount += 1;
  const carrier = async (name: string) => (await db.one<{ id: string }>('insert into carriers (name) values ($1) returning id', [name])).id;
  const buyer = await carrier(`Buyer ${marketCount}`);
  const seller = await carrier(`Seller ${marketCount}`);
  const destination = (await db.one<{ id: string }>('insert into destinations (name) values ($1) returning id', [`Destination ${marketCount}`])).id;
  const trade = await insertTrade(db, buyer, seller, destination, {
    price_per_minute_micros: 12_000n,
    first_increment_s: 30,
    next_increment_s: 6,
    connect_fee_micros: 5_000n,
  });
  const roundingTrade = await insertTrade(db, buyer, seller, destination, {
    price_per_minute_micros: 12_345n,
    first_increment_s: 1,
    next_increment_s: 1,
    connect_fee_micros: 0n,
  });
  return { buyer, seller, destination, trade, roundingTrade };
}

interface CallSpec {
  call_id: string;
  /** null: the call was never answered (or never routed, when trade is null too). */
  duration_ms: bigint | null;
  trade: string | null;
  /** The exchange fee stored with the CDR; FEE_PER_MINUTE unless given. */
  fee?: bigint | null;
}

/** A finished call and its CDR, as the switch side writes them: with the terms of its trade and its fee. */
async function insertCdr(db: Db, market: Market, spec: CallSpec): Promise<void> {
  const answered = spec.duration_ms !== null;
  const values = {
    call_id: spec.call_id,
    buyer_id: market.buyer,
    seller_id: spec.trade === null ? null : market.seller,
    trade_id: spec.trade,
    destination_id: market.destination,
    setup_at: '2025-01-01T10:00:00Z',
    answer_at: answered ? '2025-01-01T10:00:05Z' : null,
    end_at: answered ? new Date(Date.parse('2025-01-01T10:00:05Z') + Number(spec.duration_ms)).toISOString() : '2025-01-01T10:00:09Z',
    duration_ms: spec.duration_ms ?? 0n,
    final_sip_code: answered ? 200 : spec.trade === null ? 404 : 486,
    final_reason: answered ? 'OK' : 'not answered',
    ended_by: answered ? 'caller' : 'not_answered',
  };
  await db.tx(async (t) => {
    await t.none(
      `insert into calls (call_id, buyer_id, dialled_number, destination_id, state, setup_at, answer_at, end_at)
       values ($<call_id>, $<buyer_id>, '447700900123', $<destination_id>, 'ended', $<setup_at>, $<answer_at>, $<end_at>)`,
      values,
    );
    await t.none(
      `insert into cdrs (call_id, buyer_id, seller_id, trade_id, dialled_number, destination_id, legs, setup_at, answer_at, end_at,
         duration_ms, final_sip_code, final_reason, ended_by)
       values ($<call_id>, $<buyer_id>, $<seller_id>, $<trade_id>, '447700900123', $<destination_id>, '[]', $<setup_at>, $<answer_at>,
         $<end_at>, $<duration_ms>, $<final_sip_code>, $<final_reason>, $<ended_by>)`,
      values,
    );
    await t.none(
      `update cdrs c set currency = t.currency, price_per_minute_micros = t.price_per_minute_micros, first_increment_s = t.first_increment_s,
         next_increment_s = t.next_increment_s, connect_fee_micros = t.connect_fee_micros, fee_per_minute_micros = $2
       from trades t where t.id = c.trade_id and c.call_id = $1`,
      [spec.call_id, spec.fee === undefined ? FEE_PER_MINUTE : spec.fee],
    );
  });
}

interface RatedColumns {
  currency: string | null;
  billed_s: number | null;
  buyer_amount_micros: bigint | null;
  seller_amount_micros: bigint | null;
  fee_amount_micros: bigint | null;
  rated: boolean;
  posted: boolean;
}

async function ratedColumns(db: Db, call_id: string): Promise<RatedColumns> {
  return db.one<RatedColumns>(
    `select currency, billed_s, buyer_amount_micros, seller_amount_micros, fee_amount_micros,
       rated_at is not null as rated, ledger_transaction_id is not null as posted
     from cdrs where call_id = $1`,
    [call_id],
  );
}

describe('billing: rating and posting CDRs', function () {
  let database: TestDatabase;
  let db: Db;
  let ledger: LedgerStore;
  const revenue: AccountRef = { carrier_id: null, kind: 'revenue', currency: 'USD' };

  const receivable = (market: Market) => ledger.accountBalance({ carrier_id: market.buyer, kind: 'receivable', currency: 'USD' });
  const payable = (market: Market) => ledger.accountBalance({ carrier_id: market.seller, kind: 'payable', currency: 'USD' });

  before(async () => {
    database = await createTestDatabase();
    db = database.db;
    ledger = new LedgerStore(db);
  });

  after(async () => {
    await database.drop();
  });

  afterEach(async () => {
    expect(await ledger.trialBalance()).to.satisfy((totals: Array<{ total_micros: bigint }>) => totals.every((total) => total.total_micros === 0n));
    expect(await ledger.balanceMismatches()).to.equal(0);
  });

  it('rates an answered call at its trade and posts the exact amounts', async () => {
    const market = await createMarket(db);
    const revenueBefore = await ledger.accountBalance(revenue);
    await insertCdr(db, market, { call_id: 'answered-61s@test', duration_ms: 61_000n, trade: market.trade });

    expect(await rateAndPostCdr(db, ledger, 'answered-61s@test')).to.deep.equal({
      call_id: 'answered-61s@test',
      outcome: 'posted',
    });
    // 30/6 at 61 s bills 30 + ceil(31000 / 6000) * 6 = 66 s. Seller: 200 * 66 + 5000 = 18200.
    // Fee: 600 * 66 / 60 = 660. Buyer: 18200 + 660 = 18860.
    expect(await ratedColumns(db, 'answered-61s@test')).to.deep.equal({
      currency: 'USD',
      billed_s: 66,
      buyer_amount_micros: 18_860n,
      seller_amount_micros: 18_200n,
      fee_amount_micros: 660n,
      rated: true,
      posted: true,
    });
    expect(await receivable(market)).to.equal(18_860n);
    expect(await payable(market)).to.equal(-18_200n);
    expect((await ledger.accountBalance(revenue)) - revenueBefore).to.equal(-660n);
    const linked = await db.one<{ idempotency_key: string }>(
      'select t.idempotency_key from ledger_transactions t join cdrs c on c.ledger_transaction_id = t.id where c.call_id = $1',
      ['answered-61s@test'],
    );
    expect(linked.idempotency_key).to.equal('cdr:answered-61s@test');

    // A replay finds the CDR rated and changes nothing.
    expect(await rateAndPostCdr(db, ledger, 'answered-61s@test')).to.deep.equal({
      call_id: 'answered-61s@test',
      outcome: 'already_posted',
    });
    expect(await receivable(market)).to.equal(18_860n);
    expect(await payable(market)).to.equal(-18_200n);
    expect((await ledger.accountBalance(revenue)) - revenueBefore).to.equal(-660n);
  });

  it('posts once when the same CDR is posted twice at the same time', async () => {
    const market = await createMarket(db);
    await insertCdr(db, market, { call_id: 'raced@test', duration_ms: 29_000n, trade: market.trade });
    const outcomes = await Promise.all([
      rateAndPostCdr(db, ledger, 'raced@test'),
      rateAndPostCdr(db, ledger, 'raced@test'),
    ]);
    expect(outcomes.map((result) => result.outcome).sort()).to.deep.equal(['already_posted', 'posted']);
    // 30/6 at 29 s bills 30 s: seller 200 * 30 + 5000 = 11000; fee 600 * 30 / 60 = 300; buyer 11300.
    expect(await receivable(market)).to.equal(11_300n);
    expect(await payable(market)).to.equal(-11_000n);
  });

  it('rates with the rounding step on a price that needs it', async () => {
    const market = await createMarket(db);
    await insertCdr(db, market, { call_id: 'rounded-7s@test', duration_ms: 6_500n, trade: market.roundingTrade });
    expect((await rateAndPostCdr(db, ledger, 'rounded-7s@test')).outcome).to.equal('posted');
    // 1/1 at 6.5 s bills 7 s. Seller: 12345 * 7 / 60 = 1440.25 → 1441. Fee: 600 * 7 / 60 = 70. Buyer: 1511.
    const columns = await ratedColumns(db, 'rounded-7s@test');
    expect([columns.billed_s, columns.seller_amount_micros, columns.fee_amount_micros, columns.buyer_amount_micros]).to.deep.equal([
      7, 1_441n, 70n, 1_511n,
    ]);
    expect(await receivable(market)).to.equal(1_511n);
    expect(await payable(market)).to.equal(-1_441n);
  });

  it('rates an unanswered call as zero and posts nothing', async () => {
    const market = await createMarket(db);
    const revenueBefore = await ledger.accountBalance(revenue);
    await insertCdr(db, market, { call_id: 'busy@test', duration_ms: null, trade: market.trade });

    expect(await rateAndPostCdr(db, ledger, 'busy@test')).to.deep.equal({ call_id: 'busy@test', outcome: 'nothing_to_post' });
    expect(await ratedColumns(db, 'busy@test')).to.deep.equal({
      currency: 'USD',
      billed_s: 0,
      buyer_amount_micros: 0n,
      seller_amount_micros: 0n,
      fee_amount_micros: 0n,
      rated: true,
      posted: false,
    });
    expect(await db.oneOrNone(`select id from ledger_transactions where idempotency_key = 'cdr:busy@test'`)).to.equal(null);
    expect(await ledger.balances(market.buyer)).to.deep.equal([]);
    expect(await ledger.balances(market.seller)).to.deep.equal([]);
    expect(await ledger.accountBalance(revenue)).to.equal(revenueBefore);

    expect(await rateAndPostCdr(db, ledger, 'busy@test')).to.deep.equal({ call_id: 'busy@test', outcome: 'nothing_to_post' });
  });

  it('rates a call without a trade as zero', async () => {
    const market = await createMarket(db);
    await insertCdr(db, market, { call_id: 'no-route@test', duration_ms: null, trade: null });
    expect((await rateAndPostCdr(db, ledger, 'no-route@test')).outcome).to.equal('nothing_to_post');
    expect(await ratedColumns(db, 'no-route@test')).to.deep.equal({
      currency: null,
      billed_s: 0,
      buyer_amount_micros: 0n,
      seller_amount_micros: 0n,
      fee_amount_micros: 0n,
      rated: true,
      posted: false,
    });
  });

  it('reports a Call-ID it does not know', async () => {
    expect(await rateAndPostCdr(db, ledger, 'unknown@test')).to.deep.equal({ call_id: 'unknown@test', outcome: 'not_found' });
  });

  describe('the batch processor', () => {
    it('rates and posts every pending CDR in one go, and a second run posts none', async () => {
      const market = await createMarket(db);
      const revenueBefore = await ledger.accountBalance(revenue);
      const calls: CallSpec[] = [
        { call_id: 'batch-1@test', duration_ms: 400n, trade: market.trade },
        { call_id: 'batch-2@test', duration_ms: 30_001n, trade: market.trade },
        { call_id: 'batch-3@test', duration_ms: 59_999n, trade: market.trade },
        { call_id: 'batch-4@test', duration_ms: 3_601_000n, trade: market.trade },
        { call_id: 'batch-5@test', duration_ms: 7_000n, trade: market.roundingTrade },
        { call_id: 'batch-6@test', duration_ms: null, trade: market.trade },
      ];
      for (const call of calls) await insertCdr(db, market, call);

      const results = await postPendingCdrs(db, ledger, 100);
      expect(results).to.deep.equal([
        { call_id: 'batch-1@test', outcome: 'posted' },
        { call_id: 'batch-2@test', outcome: 'posted' },
        { call_id: 'batch-3@test', outcome: 'posted' },
        { call_id: 'batch-4@test', outcome: 'posted' },
        { call_id: 'batch-5@test', outcome: 'posted' },
        { call_id: 'batch-6@test', outcome: 'nothing_to_post' },
      ]);
      // Seller / fee per call (30/6 at 200 per second + 5000, fee 10 per second; 1/1 at 12345 per minute):
      //   0.4 s    → 30 s:   6000 + 5000 = 11000   / 300
      //   30.001 s → 36 s:   7200 + 5000 = 12200   / 360
      //   59.999 s → 60 s:  12000 + 5000 = 17000   / 600
      //   3601 s   → 3606 s: 721200 + 5000 = 726200 / 36060
      //   7 s      → 7 s:   ceil(1440.25) = 1441   / 70
      // Seller 767841, fee 37390, buyer 767841 + 37390 = 805231.
      expect(await receivable(market)).to.equal(805_231n);
      expect(await payable(market)).to.equal(-767_841n);
      expect((await ledger.accountBalance(revenue)) - revenueBefore).to.equal(-37_390n);

      // One ledger transaction for the batch, its postings summed per account (buyer receivable,
      // seller payable, revenue), every charged CDR pointing at it with its own amounts.
      const links = await db.any<{ call_id: string; ledger_transaction_id: string | null; buyer_amount_micros: string }>(
        `select call_id, ledger_transaction_id::text, buyer_amount_micros::text from cdrs where call_id like 'batch-%@test' order by call_id`);
      const batchId = links[0]!.ledger_transaction_id;
      expect(links.map((link) => link.ledger_transaction_id)).to.deep.equal([batchId, batchId, batchId, batchId, batchId, null]);
      expect(links.slice(0, 5).reduce((total, link) => total + BigInt(link.buyer_amount_micros), 0n)).to.equal(805_231n);
      const postings = await db.any<{ kind: string; amount_micros: string }>(
        `select t.kind, p.amount_micros::text from ledger_postings p join ledger_transactions t on t.id = p.transaction_id where t.id = $1 order by p.amount_micros`, [batchId]);
      expect(postings.map((one) => one.amount_micros)).to.deep.equal(['-767841', '-37390', '805231']);
      expect(postings[0]!.kind).to.equal('cdr_batch');

      expect(await postPendingCdrs(db, ledger, 100)).to.deep.equal([]);
      expect(await rateAndPostCdr(db, ledger, 'batch-4@test')).to.deep.equal({
        call_id: 'batch-4@test',
        outcome: 'already_posted',
      });
      expect(await receivable(market)).to.equal(805_231n);
      // PostgreSQL itself refuses to link a posted call to another ledger transaction.
      const relink = await db.none(`update cdrs set ledger_transaction_id = ledger_transaction_id + 1 where call_id = 'batch-4@test'`).then(() => null, (error: Error) => error);
      expect(relink?.message).to.match(/already posted in ledger transaction/);
    });

    it('takes the oldest CDRs first, at most max_batch of them', async () => {
      const market = await createMarket(db);
      for (const call_id of ['limit-a@test', 'limit-b@test', 'limit-c@test']) {
        await insertCdr(db, market, { call_id, duration_ms: 1_000n, trade: market.roundingTrade });
      }
      expect(await postPendingCdrs(db, ledger, 2)).to.deep.equal([
        { call_id: 'limit-a@test', outcome: 'posted' },
        { call_id: 'limit-b@test', outcome: 'posted' },
      ]);
      expect(await postPendingCdrs(db, ledger, 2)).to.deep.equal([{ call_id: 'limit-c@test', outcome: 'posted' }]);
      // Each: 1 s at 12345 per minute = ceil(205.75) = 206, fee ceil(600 / 60) = 10; buyer 216, three times.
      expect(await receivable(market)).to.equal(648n);
      expect(await payable(market)).to.equal(-618n);
    });

    /**
     * A bad CDR between two good ones, all in one batch: the good ones post (216 each, see above)
     * and the bad one is quarantined, unrated; returns its quarantine reason.
     */
    async function postAroundBadCdr(market: Market, prefix: string, bad: Partial<CallSpec>, spoil: () => Promise<unknown> = () => Promise.resolve()): Promise<string> {
      const call = (name: string): CallSpec => ({ call_id: `${prefix}-${name}@test`, duration_ms: 1_000n, trade: market.roundingTrade });
      await insertCdr(db, market, call('good-1'));
      await insertCdr(db, market, { ...call('bad'), ...bad });
      await insertCdr(db, market, call('good-2'));
      await spoil();
      expect(await postPendingCdrs(db, ledger, 100)).to.deep.equal([
        { call_id: `${prefix}-good-1@test`, outcome: 'posted' },
        { call_id: `${prefix}-bad@test`, outcome: 'quarantined' },
        { call_id: `${prefix}-good-2@test`, outcome: 'posted' },
      ]);
      expect(await receivable(market)).to.equal(432n);
      const quarantined = await db.one<{ billing_status: string; quarantine_reason: string; rated: boolean }>(
        'select billing_status, quarantine_reason, rated_at is not null as rated from cdrs where call_id = $1', [`${prefix}-bad@test`]);
      expect(quarantined).to.include({ billing_status: 'quarantined', rated: false });
      return quarantined.quarantine_reason;
    }

    it('quarantines a CDR it cannot rate and posts the others of its batch', async () => {
      // Answered on a trade, but without the fee its reservation used: it cannot be rated.
      const reason = await postAroundBadCdr(await createMarket(db), 'q', { fee: null });
      expect(reason).to.match(/^missing_terms: /);
      // Set aside: the next batches pass it by.
      expect(await postPendingCdrs(db, ledger, 100)).to.deep.equal([]);
    });

    it('quarantines a CDR the database refuses to post, when its whole batch fails, and posts the others', async () => {
      const market = await createMarket(db);
      // A currency the ledger's accounts refuse (they hold ISO codes only): the batch's posting statement fails.
      const reason = await postAroundBadCdr(market, 'db', {}, () => db.none(`update cdrs set currency = 'us$' where call_id = 'db-bad@test'`));
      expect(reason).to.match(/^posting_failed: .*ledger_accounts/);

      // Fixed and requeued, it posts like the others.
      await db.none(`update cdrs set currency = 'USD', billing_status = 'pending', quarantine_reason = null, quarantined_at = null where call_id = 'db-bad@test'`);
      expect(await postPendingCdrs(db, ledger, 100)).to.deep.equal([{ call_id: 'db-bad@test', outcome: 'posted' }]);
      expect(await receivable(market)).to.equal(648n);
    });

    it('rates from the terms stored on the CDR, whatever its trade says now', async () => {
      const market = await createMarket(db);
      // The reservation of this call used a fee of 0.001200 per minute: it is stored with the CDR.
      await insertCdr(db, market, { call_id: 'stored-fee@test', duration_ms: 61_000n, trade: market.trade, fee: 1_200n });
      await db.none(`update trades set price_per_minute_micros = 99000, connect_fee_micros = 0 where id = $1`, [market.trade]);
      expect((await rateAndPostCdr(db, ledger, 'stored-fee@test')).outcome).to.equal('posted');
      // 30/6 at 61 s bills 66 s. Seller: 12000 * 66 / 60 = 13200 + 5000 = 18200. Fee: 1200 * 66 / 60 = 1320. Buyer: 19520.
      expect(await ratedColumns(db, 'stored-fee@test')).to.include({ billed_s: 66, seller_amount_micros: 18_200n, fee_amount_micros: 1_320n, buyer_amount_micros: 19_520n });
    });

    it('refuses a batch size outside its limits', async () => {
      for (const size of [0, -1, 1.5, 10_001]) {
        const error = await postPendingCdrs(db, ledger, size).then(
          () => null,
          (reason: unknown) => reason,
        );
        expect(error).to.be.instanceOf(RangeError);
      }
    });
  });
});
