/**
 * Every call ends with exactly one CDR whatever the database does: a CDR write that fails is
 * retried until it lands (the call leaves memory and gives back its channels only then), one bad
 * row never fails the others written with it, and a Call-ID too long to store is refused cleanly.
 */
import { expect } from 'chai';
import type { Db } from '../../common/db/database.ts';
import { connect } from '../../common/db/database.ts';
import { RowRefusedError } from '../../common/db/group-writer.ts';
import { createLogger } from '../../common/logger.ts';
import { CallNotFollowedError, CallTracker, type CallUpdate } from '../../control/calls/call-tracker.ts';
import type { LiveCall } from '../../control/core/cdr.ts';
import type { EgressTrunk, RoutableTrade } from '../../control/core/routing.ts';
import { CallStore, MAX_CALL_ID_LENGTH } from '../../control/store/calls.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { insertCarrier, insertDestination, insertTrade, insertTrunk } from '../support/rows.ts';
import { eventually } from '../support/system.ts';

interface Fixture {
  buyer: string;
  ingress: string;
  destination: string;
  trade: RoutableTrade;
  trunk: EgressTrunk;
}

async function createFixture(db: Db): Promise<Fixture> {
  const buyer = await insertCarrier(db, 'Outbox Buyer');
  const seller = await insertCarrier(db, 'Outbox Seller');
  const ingress = await insertTrunk(db, buyer, 'ingress', '127.0.0.61');
  const egress = await insertTrunk(db, seller, 'egress', '127.0.0.62');
  const destination = await insertDestination(db, 'Outbox Land');
  const terms = { price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n };
  const trade = await insertTrade(db, { buyer, seller, destination }, terms);
  return {
    buyer, ingress, destination,
    trade: { id: trade, buyer_id: buyer, seller_id: seller, destination_id: destination, currency: 'USD', ...terms, channels: 10, seq: 1 },
    trunk: { id: egress, carrier_id: seller, host: '127.0.0.62', port: 5060, transport: 'udp', channels: 30 },
  };
}

function liveCall(fixture: Fixture, call_id: string, setup_us: bigint): LiveCall {
  return {
    call_id, buyer_id: fixture.buyer, ingress_trunk_id: fixture.ingress, dialled_number: '4420799900', number: '4420799900',
    destination_id: fixture.destination, legs: [{ leg: { trade: fixture.trade, trunk: fixture.trunk }, sip_code: null }], state: 'routing',
    setup_us, ring_us: null, answer_us: null, answered_leg: null, current_leg: 0, end_reason: null, dialog: null, fee_per_minute_micros: 600n,
  };
}

describe('call records: every call ends with exactly one CDR', function () {
  let database: TestDatabase;
  let db: Db;
  let fixture: Fixture;
  let tracker: CallTracker;
  let updates: CallUpdate[];
  let calls = 0;

  /** A call routed, answered at setup + 1 s and hung up by the caller at setup + 1 s + talk. */
  async function carryCall(talk_ms: bigint): Promise<string> {
    calls += 1;
    const call_id = `outbox-${calls}@test`;
    const setup_us = BigInt(Date.now()) * 1000n;
    const call = liveCall(fixture, call_id, setup_us);
    tracker.hold(call);
    await tracker.callRouted(call);
    tracker.onCallEvent({ kind: 'call_answered', call_id, leg: 0, code: 200, dialog: { h_entry: 1, h_id: calls }, at_us: setup_us + 1_000_000n });
    tracker.onCallEvent({ kind: 'call_ended', call_id, by: 'caller', at_us: setup_us + 1_000_000n + talk_ms * 1000n });
    await tracker.settled();
    return call_id;
  }

  const cdrCount = async (call_id: string) => (await db.one<{ count: number }>('select count(*)::integer as count from cdrs where call_id = $1', [call_id])).count;
  const tradeChannels = () => tracker.channelCounts().byTrade.get(fixture.trade.id) ?? 0;

  before(async () => {
    database = await createTestDatabase();
    db = database.db;
    fixture = await createFixture(db);
  });

  beforeEach(() => {
    tracker = new CallTracker(new CallStore(db), createLogger('silent'), { maxOutbox: 100, retryFirstMs: 100, retryMaxMs: 5000 });
    updates = [];
    tracker.updates.subscribe((update) => updates.push(update));
  });

  afterEach(() => tracker.stop());

  after(async () => {
    await database.drop();
  });

  it('retries a CDR the database refuses for a moment until it lands; the call leaves memory only then, its channel is free at once', async () => {
    await db.none(`create function refuse_cdrs() returns trigger language plpgsql as $$ begin raise exception 'CDRs refused for a moment'; end $$;
      create trigger refuse_cdrs before insert on cdrs for each row execute function refuse_cdrs()`);
    const call_id = await carryCall(2_500n);

    // The call is over at once (credit stops its timers, its channel is free), but its CDR is not
    // written yet: the call waits in the outbox, retried.
    expect(updates.filter((update) => update.kind === 'call_over').map((update) => update.kind === 'call_over' && update.cdr.call_id)).to.deep.equal([call_id]);
    expect(tracker.liveCalls()).to.deep.equal([]);
    // Still known by its Call-ID (a new setup with it is a duplicate), as a call that is over.
    expect(tracker.liveCall(call_id)?.state).to.equal('ended');
    expect(tradeChannels()).to.equal(0);
    await eventually(() => Promise.resolve((tracker.unwrittenCdrs()[0]?.attempts ?? 0) >= 3 || undefined), 5_000, 'three attempts');
    const [waiting] = tracker.unwrittenCdrs();
    expect(waiting).to.include({ call_id, last_error: 'CDRs refused for a moment' });
    expect(await cdrCount(call_id)).to.equal(0);
    expect(updates.some((update) => update.kind === 'cdr_written')).to.equal(false);

    await db.none('drop trigger refuse_cdrs on cdrs; drop function refuse_cdrs()');
    await tracker.cdrsWritten();
    expect(await cdrCount(call_id)).to.equal(1);
    expect(tracker.unwrittenCdrs()).to.deep.equal([]);
    expect(tracker.liveCall(call_id)).to.equal(undefined);
    expect(tradeChannels()).to.equal(0);
    expect(updates.filter((update) => update.kind === 'cdr_written').map((update) => update.kind === 'cdr_written' && update.cdr.call_id)).to.deep.equal([call_id]);
    // Written with the terms it is rated with: the answered leg's trade and the reservation's fee.
    const row = await db.one(`select currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, fee_per_minute_micros,
      duration_ms, billing_status from cdrs where call_id = $1`, [call_id]);
    expect(row).to.deep.equal({
      currency: 'USD', price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n, fee_per_minute_micros: 600n,
      duration_ms: 2_500n, billing_status: 'pending',
    });
  });

  it('retries a CDR whose write waits on a locked table past its time bound, and writes it once the lock is gone', async function () {
    this.timeout(30_000);
    const locker = connect(database.url, 1);
    let unlock: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (unlock = resolve));
    let locked: () => void = () => undefined;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const lock = locker.tx(async (t) => {
      await t.none('lock table cdrs in access exclusive mode');
      locked();
      await held;
    });
    await lockTaken;
    try {
      const call_id = await carryCall(1_000n);
      // The first attempt gives up after its statement timeout (5 s) rather than waiting for ever.
      await eventually(() => Promise.resolve((tracker.unwrittenCdrs()[0]?.attempts ?? 0) >= 2 || undefined), 15_000, 'a second attempt');
      expect(tracker.unwrittenCdrs()[0]?.last_error).to.match(/statement timeout/);
      expect(tracker.liveCall(call_id)?.state).to.equal('ended');
      unlock();
      await lock;
      await tracker.cdrsWritten();
      expect(await cdrCount(call_id)).to.equal(1);
      expect(tracker.liveCall(call_id)).to.equal(undefined);
    } finally {
      unlock();
      await lock.catch(() => undefined);
      await locker.$pool.end();
    }
  });

  it('writes every other CDR of a group when one row breaks a constraint, and refuses that one alone', async () => {
    const setup_us = BigInt(Date.now()) * 1000n;
    const reject = (call_id: string, buyer_id: string) => tracker.callRejected({
      call_id, buyer_id, ingress_trunk_id: fixture.ingress, dialled_number: '4420799900', destination_id: fixture.destination,
      setup_us, code: 404, reason: 'no route',
    });
    // The first write goes alone; the twenty that arrive meanwhile are written as one group, one
    // of them naming a buyer that does not exist.
    const ids = Array.from({ length: 21 }, (_, index) => `group-${index}@test`);
    await Promise.all(ids.map((call_id, index) => reject(call_id, index === 7 ? '00000000-0000-4000-8000-000000000007' : fixture.buyer)));
    await tracker.cdrsWritten();
    const written = await db.map<string>('select call_id from cdrs where call_id like $1 order by call_id', ['group-%'], (row: { call_id: string }) => row.call_id);
    expect(written).to.deep.equal(ids.filter((_, index) => index !== 7).sort());
    expect(tracker.cdrsRefused).to.equal(1);
    expect(tracker.unwrittenCdrs()).to.deep.equal([]);

    // Routed calls are written in groups the same way.
    const good = liveCall(fixture, 'routed-good@test', setup_us);
    const bad = { ...liveCall(fixture, 'routed-bad@test', setup_us), ingress_trunk_id: '00000000-0000-4000-8000-000000000008' };
    const other = liveCall(fixture, 'routed-other@test', setup_us);
    const results = await Promise.allSettled([tracker.callRouted(other), tracker.callRouted(good), tracker.callRouted(bad)]);
    expect(results.map((result) => result.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected']);
    expect((results[2] as PromiseRejectedResult).reason).to.be.instanceOf(RowRefusedError);
    expect(await db.map('select call_id from calls where call_id like $1 order by call_id', ['routed-%'], (row: { call_id: string }) => row.call_id))
      .to.deep.equal(['routed-good@test', 'routed-other@test']);
    for (const call_id of ['routed-good@test', 'routed-bad@test', 'routed-other@test']) tracker.abandon(call_id);
  });

  it('refuses a Call-ID too long to store, without disturbing anything else', async () => {
    const long = `${'x'.repeat(MAX_CALL_ID_LENGTH)}@test`;
    const setup_us = BigInt(Date.now()) * 1000n;
    expect(() => tracker.hold(liveCall(fixture, long, setup_us))).to.throw(CallNotFollowedError, /Call-ID of 261 characters refused/);
    expect(tradeChannels()).to.equal(0);
    const store = new CallStore(db);
    const refusal = await store.writeCdr({
      call_id: long, buyer_id: fixture.buyer, seller_id: null, ingress_trunk_id: fixture.ingress, egress_trunk_id: null, trade_id: null,
      dialled_number: '1', destination_id: null, legs: [], setup_us, ring_us: null, answer_us: null, end_us: setup_us, duration_ms: 0n,
      final_sip_code: 404, final_reason: 'rejected', ended_by: 'not_answered', terms: null,
    }).then(() => null, (error: unknown) => error);
    expect(refusal).to.be.instanceOf(RowRefusedError);
    // Refused at setup, its reject record cannot be written either: logged and dropped, never retried.
    await tracker.callRejected({ call_id: long, buyer_id: fixture.buyer, ingress_trunk_id: fixture.ingress, dialled_number: '1', destination_id: null, setup_us, code: 503, reason: 'x' });
    expect(tracker.cdrsRefused).to.equal(1);
    expect(tracker.unwrittenCdrs()).to.deep.equal([]);
    // The next call is carried and recorded as usual.
    const call_id = await carryCall(1_000n);
    await tracker.cdrsWritten();
    expect(await cdrCount(call_id)).to.equal(1);
  });

  it('follows an answered call even when its row cannot record the answer, and its CDR carries the answer', async () => {
    await db.none(`create function refuse_call_updates() returns trigger language plpgsql as $$ begin raise exception 'call rows refused'; end $$;
      create trigger refuse_call_updates before update on calls for each row execute function refuse_call_updates()`);
    const setup_us = BigInt(Date.now()) * 1000n;
    const call = liveCall(fixture, 'answer-unrecorded@test', setup_us);
    tracker.hold(call);
    await tracker.callRouted(call);
    tracker.onCallEvent({ kind: 'call_answered', call_id: call.call_id, leg: 0, code: 200, dialog: { h_entry: 2, h_id: 2 }, at_us: setup_us + 1_000_000n });
    await tracker.settled();
    await db.none('drop trigger refuse_call_updates on calls; drop function refuse_call_updates()');
    // Credit control starts following a call on this update: it must come whatever the row says.
    expect(updates.some((update) => update.kind === 'call_updated' && update.call.state === 'answered')).to.equal(true);
    tracker.onCallEvent({ kind: 'call_ended', call_id: call.call_id, by: 'callee', at_us: setup_us + 4_000_000n });
    await tracker.settled();
    await tracker.cdrsWritten();
    expect(await db.one('select duration_ms, final_sip_code from cdrs where call_id = $1', [call.call_id])).to.deep.equal({ duration_ms: 3_000n, final_sip_code: 200 });
  });

  it('refuses new calls at setup while the outbox is full', async () => {
    tracker = new CallTracker(new CallStore(db), createLogger('silent'), { maxOutbox: 1, retryFirstMs: 100, retryMaxMs: 500 });
    await db.none(`create function refuse_cdrs() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$;
      create trigger refuse_cdrs before insert on cdrs for each row execute function refuse_cdrs()`);
    try {
      await carryCall(1_000n);
      const next = liveCall(fixture, 'outbox-full@test', BigInt(Date.now()) * 1000n);
      expect(() => tracker.hold(next)).to.throw(CallNotFollowedError).with.property('reason', 'cdr_outbox_full');
    } finally {
      await db.none('drop trigger refuse_cdrs on cdrs; drop function refuse_cdrs()');
    }
    await tracker.cdrsWritten();
    expect(() => tracker.hold(liveCall(fixture, 'outbox-free@test', BigInt(Date.now()) * 1000n))).not.to.throw();
    tracker.abandon('outbox-free@test');
  });
});
