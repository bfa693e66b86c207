import { expect } from 'chai';
import { connect, type Db } from '../../common/db/database.ts';
import { cdrTransaction } from '../../billing/core/ledger.ts';
import { rateTradeCall, type Tariff } from '../../billing/core/rating.ts';
import { LedgerStore } from '../../billing/ledger-store.ts';
import { CreditStore, type ReserveInput } from '../../control/credit/credit-store.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

// 0.012000 per minute on 1/1, no connect fee: exactly 200 micros per second, so a 60 s chunk is
// 12000 and the 2 s slack is 400.
const PER_SECOND: Tariff = { price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n };
// 0.012345 per minute on 1/1: a price whose charges need rounding (205.75 micros per second).
const ROUNDING: Tariff = { price_per_minute_micros: 12_345n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n };
// 0.006000 per minute on 1/1: 100 micros per second, half the price of PER_SECOND.
const CHEAP: Tariff = { price_per_minute_micros: 6_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n };

const ACTOR = 'operator:test';

let carrierCount = 0;
let callCount = 0;

async function insertCarrier(db: Db): Promise<string> {
  carrierCount += 1;
  const row = await db.one<{ id: string }>('insert into carriers (name) values ($1) returning id', [`Credit Carrier ${carrierCount}`]);
  return row.id;
}

function nextCallId(): string {
  callCount += 1;
  return `credit-call-${callCount}@test`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('credit control in PostgreSQL', function () {
  let database: TestDatabase;
  let db: Db;
  let ledger: LedgerStore;
  let store: CreditStore;

  function request(carrier_id: string, overrides: Partial<ReserveInput> = {}): ReserveInput {
    return {
      call_id: nextCallId(),
      carrier_id,
      currency: 'USD',
      legs: [PER_SECOND],
      fee_per_minute_micros: 0n,
      chunk_s: 60,
      slack_ms: 2_000n,
      ...overrides,
    };
  }

  async function mismatches(): Promise<number> {
    const row = await db.one<{ count: number }>('select count(*)::integer as count from credit_reserved_mismatches()');
    return row.count;
  }

  async function reservation(call_id: string) {
    return db.one<{ state: string; amount_micros: bigint; charged_micros: bigint | null; planned_end_ms: bigint }>(
      'select state, amount_micros, charged_micros, planned_end_ms from credit_reservations where call_id = $1',
      [call_id],
    );
  }

  before(async () => {
    database = await createTestDatabase();
    db = database.db;
    ledger = new LedgerStore(db);
    store = new CreditStore(db, ledger);
  });

  afterEach(async () => {
    // Whatever a test did, every account's reserved credit is the sum of its open reservations.
    expect(await mismatches()).to.equal(0);
  });

  after(async () => {
    await database.drop();
  });

  it('lets reservations take a limit up to the micro-unit and refuses the next with credit_limit_reached', async () => {
    const buyer = await insertCarrier(db);
    // 36000 = three 60 s chunks of 12000.
    await store.setCreditLimit(buyer, 'USD', 36_000n, ACTOR);
    for (let call = 0; call < 3; call += 1) {
      expect(await store.reserve(request(buyer))).to.deep.equal({ ok: true, amount_micros: 12_000n, planned_end_ms: 58_000n });
    }
    expect(await store.reserve(request(buyer))).to.deep.equal({ ok: false, reason: 'credit_limit_reached' });
    const view = await store.creditView(buyer, 'USD');
    expect(view).to.deep.equal({ limit_micros: 36_000n, collateral_micros: 0n, balance_micros: 0n, reserved_micros: 36_000n, leased_micros: 0n, available_micros: 0n });
    const audited = await db.one<{ count: number }>(
      `select count(*)::integer as count from audit_log where action = 'credit.set_limit' and subject = $1 and details->>'limit_micros' = '36000'`,
      [`carrier:${buyer}`],
    );
    expect(audited.count).to.equal(1);
  });

  it('reserves less than a chunk when that is all that is left, and refuses what covers less than the minimum', async () => {
    const buyer = await insertCarrier(db);
    // 12600: one chunk (12000), then 600 left = 3 s = the first second plus the slack.
    await store.setCreditLimit(buyer, 'USD', 12_600n, ACTOR);
    expect(await store.reserve(request(buyer))).to.deep.equal({ ok: true, amount_micros: 12_000n, planned_end_ms: 58_000n });
    expect(await store.reserve(request(buyer))).to.deep.equal({ ok: true, amount_micros: 600n, planned_end_ms: 1_000n });
    await store.setCreditLimit(buyer, 'USD', 13_199n, ACTOR);
    // 599 left: 2 s, short of the 3 s minimum.
    expect(await store.reserve(request(buyer))).to.deep.equal({ ok: false, reason: 'insufficient_credit' });
  });

  it('never grants 20 concurrent calls more than the pool, to the micro-unit', async () => {
    const buyer = await insertCarrier(db);
    // 50000 at 0.012345/min: a 60 s chunk costs ceil(12345 * 60 / 60) = 12345, so four chunks take
    // 49380. The 620 left cover 3 s (ceil(12345 * 3 / 60) = ceil(617.25) = 618 <= 620 <
    // ceil(12345 * 4 / 60) = 823), exactly the 3 s minimum: 618 granted, planned end 1000 ms.
    // The 2 left then cover nothing: insufficient_credit for the other fifteen.
    await store.setCreditLimit(buyer, 'USD', 50_000n, ACTOR);
    const wide = connect(database.url, 20);
    try {
      const wideStore = new CreditStore(wide);
      const results = await Promise.all(Array.from({ length: 20 }, () => wideStore.reserve(request(buyer, { legs: [ROUNDING] }))));
      const granted = results.flatMap((result) => (result.ok ? [result.amount_micros] : []));
      const total = granted.reduce((sum, amount) => sum + amount, 0n);
      expect(total <= 50_000n).to.equal(true);
      expect(total).to.equal(49_998n);
      expect(granted.filter((amount) => amount === 12_345n)).to.have.length(4);
      expect(granted.filter((amount) => amount === 618n)).to.have.length(1);
      expect(results.filter((result) => !result.ok && result.reason === 'insufficient_credit')).to.have.length(15);
      expect((await store.creditView(buyer, 'USD')).reserved_micros).to.equal(49_998n);
    } finally {
      await wide.$pool.end();
    }
  });

  it('extends by full chunks, then by the part of a chunk that is left, then fails', async () => {
    const buyer = await insertCarrier(db);
    // 30000: 12000 (60 s), +12000 (120 s), +6000 (150 s), then nothing.
    await store.setCreditLimit(buyer, 'USD', 30_000n, ACTOR);
    const call = request(buyer);
    await store.reserve(call);
    expect(await store.extend(call.call_id, 60)).to.deep.equal({ ok: true, amount_micros: 24_000n, planned_end_ms: 118_000n });
    expect((await reservation(call.call_id)).state).to.equal('extended');
    expect(await store.extend(call.call_id, 60)).to.deep.equal({ ok: true, amount_micros: 30_000n, planned_end_ms: 148_000n });
    expect(await store.extend(call.call_id, 60)).to.deep.equal({ ok: false, reason: 'insufficient_credit' });
    expect(await reservation(call.call_id)).to.deep.include({ state: 'extended', amount_micros: 30_000n, planned_end_ms: 148_000n });
    expect(await store.extend('never-reserved@test', 60)).to.deep.equal({ ok: false, reason: 'no_reservation' });
  });

  it('rates extensions on the answered leg alone once it is known', async () => {
    const buyer = await insertCarrier(db);
    // Legs PER_SECOND (200/s) and CHEAP (100/s): the first chunk is rated on the dearer, 12000.
    // On CHEAP alone 12000 covers 120 s; one more chunk (60 s) brings it to 180 s for 18000 in all.
    await store.setCreditLimit(buyer, 'USD', 100_000n, ACTOR);
    const call = request(buyer, { legs: [PER_SECOND, CHEAP] });
    expect(await store.reserve(call)).to.deep.equal({ ok: true, amount_micros: 12_000n, planned_end_ms: 58_000n });
    expect(await store.extend(call.call_id, 60, { answered_leg: 1 })).to.deep.equal({ ok: true, amount_micros: 18_000n, planned_end_ms: 178_000n });
    // The leg is remembered: the next extension needs no reminder. 18000 + 6000 = 24000 covers 240 s.
    expect(await store.extend(call.call_id, 60)).to.deep.equal({ ok: true, amount_micros: 24_000n, planned_end_ms: 238_000n });
  });

  it('settles inside the ledger posting transaction: reserved becomes spent atomically', async () => {
    const buyer = await insertCarrier(db);
    const seller = await insertCarrier(db);
    await store.setCreditLimit(buyer, 'USD', 100_000n, ACTOR);
    const call = request(buyer, { fee_per_minute_micros: 600n });
    // 60 s: 12000 + ceil(600 * 60 / 60) = 12600.
    expect(await store.reserve(call)).to.deep.equal({ ok: true, amount_micros: 12_600n, planned_end_ms: 58_000n });
    // The call lasted 45 s: seller 200 * 45 = 9000, fee ceil(600 * 45 / 60) = 450, buyer 9450.
    const rated = rateTradeCall(PER_SECOND, 600n, 45_000n);
    expect(rated.buyer_amount_micros).to.equal(9_450n);
    const draft = cdrTransaction({ call_id: call.call_id, buyer_id: buyer, seller_id: seller, currency: 'USD', rated })!;

    // A transaction that fails after posting and settling leaves both undone.
    const failure = await db
      .tx(async (t) => {
        await ledger.post(draft, t);
        expect(await store.settleInTransaction(t, call.call_id, rated.buyer_amount_micros)).to.equal('posted');
        throw new Error('the batch failed');
      })
      .then(
        () => null,
        (error: Error) => error,
      );
    expect(failure?.message).to.equal('the batch failed');
    expect(await store.creditView(buyer, 'USD')).to.deep.include({ balance_micros: 0n, reserved_micros: 12_600n, available_micros: 87_400n });

    await db.tx(async (t) => {
      await ledger.post(draft, t);
      expect(await store.settleInTransaction(t, call.call_id, rated.buyer_amount_micros)).to.equal('posted');
    });
    // available = limit − charged = 100000 − 9450 = 90550.
    expect(await store.creditView(buyer, 'USD')).to.deep.equal({
      limit_micros: 100_000n,
      collateral_micros: 0n,
      balance_micros: -9_450n,
      reserved_micros: 0n,
      leased_micros: 0n,
      available_micros: 90_550n,
    });
    expect(await reservation(call.call_id)).to.deep.include({ state: 'posted', charged_micros: 9_450n });
    // A replayed settlement finds nothing open.
    expect(await db.tx((t) => store.settleInTransaction(t, call.call_id, 9_450n))).to.equal('none');
  });

  it('voids a reservation whose call cost nothing, and refuses to settle outside a transaction', async () => {
    const buyer = await insertCarrier(db);
    await store.setCreditLimit(buyer, 'USD', 20_000n, ACTOR);
    const call = request(buyer);
    await store.reserve(call);
    let outside: Error | null = null;
    await db.task((task) => store.settleInTransaction(task, call.call_id, 0n)).catch((error: Error) => (outside = error));
    expect(outside).to.be.instanceOf(Error);
    expect(await db.tx((t) => store.settleInTransaction(t, call.call_id, 0n))).to.equal('voided');
    expect(await reservation(call.call_id)).to.deep.include({ state: 'voided', charged_micros: 0n });
    expect((await store.creditView(buyer, 'USD')).available_micros).to.equal(20_000n);
    expect(await store.reserve({ ...request(buyer), call_id: call.call_id })).to.deep.equal({ ok: false, reason: 'reservation_closed' });
  });

  it('makes a reserve that races a settlement wait for it and see the charge and the release together', async () => {
    const buyer = await insertCarrier(db);
    const seller = await insertCarrier(db);
    // 24000: calls A and B hold 12000 each, nothing is left.
    await store.setCreditLimit(buyer, 'USD', 24_000n, ACTOR);
    const callA = request(buyer);
    const callB = request(buyer);
    await store.reserve(callA);
    await store.reserve(callB);
    // A lasted 15 s: 200 * 15 = 3000. Once A settles: 24000 − 3000 − 12000 (B) = 9000 available,
    // which covers 45 s: call C gets exactly 9000. Had C seen the release without the charge, it
    // would have got a full 12000 chunk.
    const rated = rateTradeCall(PER_SECOND, 0n, 15_000n);
    const draft = cdrTransaction({ call_id: callA.call_id, buyer_id: buyer, seller_id: seller, currency: 'USD', rated })!;
    let lockTaken!: () => void;
    const settling = new Promise<void>((resolve) => (lockTaken = resolve));
    const settlement = db.tx(async (t) => {
      await ledger.post(draft, t);
      await store.settleInTransaction(t, callA.call_id, rated.buyer_amount_micros);
      lockTaken();
      await sleep(300);
    });
    await settling;
    const reserveC = store.reserve(request(buyer));
    await settlement;
    expect(await reserveC).to.deep.equal({ ok: true, amount_micros: 9_000n, planned_end_ms: 43_000n });
    expect((await store.creditView(buyer, 'USD')).available_micros).to.equal(0n);
  });

  it('raises available credit with a deposit and posts it to the ledger', async () => {
    const buyer = await insertCarrier(db);
    const { id } = await store.addCollateral(
      buyer,
      { kind: 'deposit', currency: 'USD', amount_micros: 50_000n, reference: 'wire 2025-001', valid_until: null },
      ACTOR,
    );
    expect(await store.creditView(buyer, 'USD')).to.deep.equal({
      limit_micros: 0n,
      collateral_micros: 50_000n,
      balance_micros: 0n,
      reserved_micros: 0n,
      leased_micros: 0n,
      available_micros: 50_000n,
    });
    const cached = await db.one<{ collateral_micros: bigint }>('select collateral_micros from credit_accounts where carrier_id = $1', [buyer]);
    expect(cached.collateral_micros).to.equal(50_000n);
    expect(await ledger.accountBalance({ carrier_id: buyer, kind: 'deposit', currency: 'USD' })).to.equal(-50_000n);
    const posted = await db.one<{ count: number }>(`select count(*)::integer as count from ledger_transactions where idempotency_key = $1`, [
      `collateral:${id}`,
    ]);
    expect(posted.count).to.equal(1);
    for (const total of await ledger.trialBalance()) expect(total.total_micros).to.equal(0n);
    expect(await ledger.balanceMismatches()).to.equal(0);
    expect(await store.reserve(request(buyer))).to.deep.equal({ ok: true, amount_micros: 12_000n, planned_end_ms: 58_000n });
  });

  it('refuses to release collateral that backs reservations, and pays a free deposit back through the ledger', async () => {
    const buyer = await insertCarrier(db);
    const { id } = await store.addCollateral(buyer, { kind: 'deposit', currency: 'USD', amount_micros: 30_000n, reference: 'wire 7', valid_until: null }, ACTOR);
    const call = request(buyer);
    await store.reserve(call);
    expect(await store.releaseCollateral(id, ACTOR)).to.deep.equal({ ok: false, reason: 'collateral_in_use' });
    expect(await store.expire(call.call_id, 'call not found on the switch')).to.equal(true);
    expect(await store.expire(call.call_id, 'again')).to.equal(false);
    expect(await store.releaseCollateral(id, ACTOR)).to.deep.equal({ ok: true, carrier_id: buyer });
    expect(await store.releaseCollateral(id, ACTOR)).to.deep.equal({ ok: false, reason: 'not_active' });
    expect(await ledger.accountBalance({ carrier_id: buyer, kind: 'deposit', currency: 'USD' })).to.equal(0n);
    expect((await store.creditView(buyer, 'USD')).available_micros).to.equal(0n);
    for (const total of await ledger.trialBalance()) expect(total.total_micros).to.equal(0n);
    expect(await reservation(call.call_id)).to.deep.include({ state: 'expired', charged_micros: null });
  });

  it('stops counting a letter of credit once it has expired', async () => {
    const buyer = await insertCarrier(db);
    const { id } = await store.addCollateral(
      buyer,
      { kind: 'letter_of_credit', currency: 'USD', amount_micros: 40_000n, reference: 'LC-88', valid_until: new Date(Date.now() + 86_400_000) },
      ACTOR,
    );
    expect((await store.creditView(buyer, 'USD')).collateral_micros).to.equal(40_000n);
    // A letter of credit is not money received: nothing in the ledger.
    expect(await ledger.balances(buyer)).to.deep.equal([]);
    // Its validity runs out.
    await db.none(`update collateral set valid_until = now() - interval '1 second' where id = $1`, [id]);
    expect((await store.creditView(buyer, 'USD')).collateral_micros).to.equal(0n);
    const stale = await db.one<{ count: number }>('select count(*)::integer as count from credit_collateral_mismatches() where carrier_id = $1', [buyer]);
    expect(stale.count).to.equal(1);
    expect(await store.reserve(request(buyer))).to.deep.equal({ ok: false, reason: 'no_credit' });
    // The reserve brought the cache up to date; refreshCollateral finds nothing left for this carrier.
    const cached = await db.one<{ collateral_micros: bigint }>('select collateral_micros from credit_accounts where carrier_id = $1', [buyer]);
    expect(cached.collateral_micros).to.equal(0n);
    const other = await insertCarrier(db);
    const lc = await store.addCollateral(
      other,
      { kind: 'letter_of_credit', currency: 'USD', amount_micros: 5_000n, reference: 'LC-89', valid_until: new Date(Date.now() + 86_400_000) },
      ACTOR,
    );
    await db.none(`update collateral set valid_until = now() - interval '1 second' where id = $1`, [lc.id]);
    expect(await store.refreshCollateral()).to.equal(1);
    const empty = await db.one<{ count: number }>('select count(*)::integer as count from credit_collateral_mismatches()');
    expect(empty.count).to.equal(0);
  });

  it('lets a carrier with nothing reserve nothing, and one with prepaid cash spend it', async () => {
    const buyer = await insertCarrier(db);
    expect(await store.reserve(request(buyer))).to.deep.equal({ ok: false, reason: 'no_credit' });
    // 6000 prepaid: debit the exchange's clearing, credit the carrier's cash (balance −6000 in the
    // ledger, +6000 from the carrier's side). 6000 covers 30 s: planned end 28000 ms.
    await ledger.post({
      idempotency_key: `prepaid:${buyer}`,
      kind: 'payment',
      description: 'prepayment',
      postings: [
        { account: { carrier_id: null, kind: 'clearing', currency: 'USD' }, amount_micros: 6_000n },
        { account: { carrier_id: buyer, kind: 'cash', currency: 'USD' }, amount_micros: -6_000n },
      ],
    });
    expect(await store.reserve(request(buyer))).to.deep.equal({ ok: true, amount_micros: 6_000n, planned_end_ms: 28_000n });
  });

  it('counts what a carrier earns as a seller: one that sells as much as it buys needs little credit', async () => {
    const trader = await insertCarrier(db);
    const buyerOfTrader = await insertCarrier(db);
    await store.setCreditLimit(buyerOfTrader, 'USD', 1_000_000n, ACTOR);
    expect(await store.reserve(request(trader))).to.deep.equal({ ok: false, reason: 'no_credit' });
    // The trader sold a 90 s call at 0.012000/min on 1/1: the exchange owes it 18000 (its payable account).
    const sold = cdrTransaction({ call_id: nextCallId(), buyer_id: buyerOfTrader, seller_id: trader, currency: 'USD', rated: rateTradeCall(PER_SECOND, 0n, 90_000n) })!;
    await db.tx(async (t) => {
      await ledger.post(sold, t);
      await store.refreshBalancesInTransaction(t, [buyerOfTrader, trader]);
    });
    // With no limit and no collateral, its net receivable is its credit: 18000 covers a full 60 s chunk (2 s of it slack).
    expect(await store.creditView(trader, 'USD')).to.deep.include({ limit_micros: 0n, balance_micros: 18_000n, available_micros: 18_000n });
    const call = request(trader);
    expect(await store.reserve(call)).to.deep.equal({ ok: true, amount_micros: 12_000n, planned_end_ms: 58_000n });
    // It bought a 60 s call: its net is 18000 − 12000 = 6000, which covers 30 s of the next call (28 s + slack).
    const bought = cdrTransaction({ call_id: call.call_id, buyer_id: trader, seller_id: buyerOfTrader, currency: 'USD', rated: rateTradeCall(PER_SECOND, 0n, 60_000n) })!;
    await db.tx(async (t) => {
      await ledger.post(bought, t);
      expect(await store.settleInTransaction(t, call.call_id, 12_000n)).to.equal('posted');
      await store.refreshBalancesInTransaction(t, [buyerOfTrader, trader]);
    });
    expect(await store.creditView(trader, 'USD')).to.deep.include({ balance_micros: 6_000n, reserved_micros: 0n, available_micros: 6_000n });
    expect(await store.reserve(request(trader))).to.deep.equal({ ok: true, amount_micros: 6_000n, planned_end_ms: 28_000n });
  });

  it('returns the same reservation when the same Call-ID reserves twice', async () => {
    const buyer = await insertCarrier(db);
    await store.setCreditLimit(buyer, 'USD', 100_000n, ACTOR);
    const call = request(buyer);
    const first = await store.reserve(call);
    expect(await store.reserve(call)).to.deep.equal(first);
    const [again, concurrent] = await Promise.all([store.reserve(call), store.reserve(call)]);
    expect(again).to.deep.equal(first);
    expect(concurrent).to.deep.equal(first);
    expect((await store.creditView(buyer, 'USD')).reserved_micros).to.equal(12_000n);
    await store.extend(call.call_id, 60);
    expect(await store.reserve(call)).to.deep.equal({ ok: true, amount_micros: 24_000n, planned_end_ms: 118_000n });
  });

  it('lists open reservations and nothing closed', async () => {
    const buyer = await insertCarrier(db);
    await store.setCreditLimit(buyer, 'USD', 100_000n, ACTOR);
    const open = request(buyer);
    const closed = request(buyer);
    await store.reserve(open);
    await store.reserve(closed);
    await store.expire(closed.call_id, 'test');
    const listed = (await store.openReservations()).map((row) => row.call_id);
    expect(listed).to.include(open.call_id);
    expect(listed).to.not.include(closed.call_id);
  });
});
