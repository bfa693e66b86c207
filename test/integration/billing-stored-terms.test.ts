/**
 * Money from stored terms: a call is charged on the terms its credit reservation was made with
 * (the trade's tariff and the exchange fee of that moment), stored with its CDR, whatever the fee
 * is by the time billing rates it, and whichever node rates it.
 */
import { expect } from 'chai';
import type { Db } from '../../common/db/database.ts';
import { createLogger } from '../../common/logger.ts';
import { CdrBatchProcessor, DEFAULT_BATCH_OPTIONS } from '../../billing/cdr-batch-processor.ts';
import { rateStoredCdr } from '../../billing/core/cdr-rating.ts';
import { LedgerStore } from '../../billing/ledger-store.ts';
import { CallTracker } from '../../control/calls/call-tracker.ts';
import type { LiveCall } from '../../control/core/cdr.ts';
import type { EgressTrunk, RoutableTrade } from '../../control/core/routing.ts';
import { CreditStore } from '../../control/credit/credit-store.ts';
import { CallStore } from '../../control/store/calls.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { insertCarrier, insertDestination, insertTrade, insertTrunk } from '../support/rows.ts';

describe('billing: charges from the terms stored with the call', function () {
  let database: TestDatabase;
  let db: Db;

  before(async () => {
    database = await createTestDatabase();
    db = database.db;
  });

  after(async () => {
    await database.drop();
  });

  it('charges each call the exchange fee its reservation was made with, after the fee changed', async () => {
    const buyer = await insertCarrier(db, 'Terms Buyer');
    const seller = await insertCarrier(db, 'Terms Seller');
    const ingress = await insertTrunk(db, buyer, 'ingress', '127.0.0.71');
    const egress = await insertTrunk(db, seller, 'egress', '127.0.0.72');
    const destination = await insertDestination(db, 'Terms Land');
    // 0.012000 per minute on 1/1 (200 micros a second) and a connect fee of 0.003000.
    const trade_id = await insertTrade(db, { buyer, seller, destination },
      { price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 3_000n });
    const trade: RoutableTrade = {
      id: trade_id, buyer_id: buyer, seller_id: seller, destination_id: destination, currency: 'USD',
      price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 3_000n, channels: 10, seq: 1,
    };
    const trunk: EgressTrunk = { id: egress, carrier_id: seller, host: '127.0.0.72', port: 5060, transport: 'udp', channels: 30 };

    const ledger = new LedgerStore(db);
    const credits = new CreditStore(db, ledger);
    await credits.setCreditLimit(buyer, 'USD', 1_000_000n, 'operator:test');
    const tracker = new CallTracker(new CallStore(db), createLogger('silent'));
    const billing = new CdrBatchProcessor(db, ledger, DEFAULT_BATCH_OPTIONS, createLogger('silent'), credits);
    tracker.addCdrListener(billing);

    // The first call is reserved while the fee is 0.000600 per minute; then the fee changes (or
    // another node, configured otherwise, routes) and the second is reserved at 0.001800.
    const fees = new Map([['terms-before@test', 600n], ['terms-after@test', 1_800n]]);
    const setup_us = BigInt(Date.now()) * 1000n;
    for (const [call_id, fee_per_minute_micros] of fees) {
      const reservation = await credits.reserve({
        call_id, carrier_id: buyer, currency: 'USD', legs: [trade], fee_per_minute_micros, chunk_s: 60, slack_ms: 3_000n,
      });
      expect(reservation.ok).to.equal(true);
      const call: LiveCall = {
        call_id, buyer_id: buyer, ingress_trunk_id: ingress, dialled_number: '4430000000', number: '4430000000', destination_id: destination,
        legs: [{ leg: { trade, trunk }, sip_code: null }], state: 'routing', setup_us, ring_us: null, answer_us: null, answered_leg: null,
        current_leg: 0, end_reason: null, dialog: null, fee_per_minute_micros,
      };
      tracker.hold(call);
      await tracker.callRouted(call);
      tracker.onCallEvent({ kind: 'call_answered', call_id, leg: 0, code: 200, dialog: { h_entry: 1, h_id: 1 }, at_us: setup_us + 500_000n });
      // 20.4 s of talk: 21 s billed.
      tracker.onCallEvent({ kind: 'call_ended', call_id, by: 'callee', at_us: setup_us + 500_000n + 20_400_000n });
    }
    await tracker.settled();
    await tracker.cdrsWritten();
    await billing.drain();
    tracker.stop();

    const rows = await db.any<{ call_id: string; billed_s: number; seller_amount_micros: bigint; fee_amount_micros: bigint; buyer_amount_micros: bigint; reserved: bigint; charged: bigint; state: string }>(
      `select c.call_id, c.billed_s, c.seller_amount_micros, c.fee_amount_micros, c.buyer_amount_micros, r.amount_micros as reserved, r.charged_micros as charged, r.state
       from cdrs c join credit_reservations r on r.call_id = c.call_id where c.call_id like 'terms-%' order by c.call_id`);
    // Seller: 3000 + 200 * 21 = 7200 on both. Fee: 600 * 21 / 60 = 210 before, 1800 * 21 / 60 = 630 after.
    expect(rows.map(({ reserved: _reserved, ...row }) => row)).to.deep.equal([
      { call_id: 'terms-after@test', billed_s: 21, seller_amount_micros: 7_200n, fee_amount_micros: 630n, buyer_amount_micros: 7_830n, charged: 7_830n, state: 'posted' },
      { call_id: 'terms-before@test', billed_s: 21, seller_amount_micros: 7_200n, fee_amount_micros: 210n, buyer_amount_micros: 7_410n, charged: 7_410n, state: 'posted' },
    ]);
    for (const row of rows) expect(row.charged <= row.reserved).to.equal(true);
    expect(await ledger.accountBalance({ carrier_id: buyer, kind: 'receivable', currency: 'USD' })).to.equal(7_830n + 7_410n);

    // Rated again later from the row alone, each CDR gives the same amounts.
    const stored = await db.any<Parameters<typeof rateStoredCdr>[0] & { answer_at: Date | null }>(
      `select call_id, buyer_id, seller_id, trade_id, answer_at, answer_at is not null as answered, duration_ms, currency, price_per_minute_micros,
              first_increment_s, next_increment_s, connect_fee_micros, fee_per_minute_micros
       from cdrs where call_id like 'terms-%' order by call_id`);
    expect(stored.map((cdr) => {
      const rating = rateStoredCdr(cdr);
      return rating.ok ? rating.rated.buyer_amount_micros : null;
    })).to.deep.equal([7_830n, 7_410n]);
  });
});
