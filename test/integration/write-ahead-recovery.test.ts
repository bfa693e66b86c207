/**
 * A node that dies between a route answer and the grouped write of its rows: the decision is in
 * its write-ahead file, and the next start puts the call row and the reservation (with its last
 * extension) into PostgreSQL before closing the old leases, which keep what those calls hold.
 * Real PostgreSQL.
 */
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger } from '../../common/logger.ts';
import { legsToJson } from '../../control/credit/stored-legs.ts';
import { LeaseStore } from '../../control/credit/lease-store.ts';
import { recoverWriteAhead, WriteAheadFile } from '../../control/credit/write-ahead.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { insertCarrier, insertDestination, insertTrade, insertTrunk } from '../support/rows.ts';

const NODE = 'crashed-node';
const TERMS = { price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n };

describe('the write-ahead file of a node that died', () => {
  let database: TestDatabase;
  const log = createLogger('silent');

  before(async () => {
    database = await createTestDatabase();
  });

  after(async () => {
    await database?.drop();
  });

  it('puts the decisions that never reached PostgreSQL there at the next start, and the old lease keeps what they hold', async () => {
    const db = database.db;
    const buyer = await insertCarrier(db, 'Crash Buyer');
    const seller = await insertCarrier(db, 'Crash Seller');
    const ingress = await insertTrunk(db, buyer, 'ingress', '127.0.0.91');
    const egress = await insertTrunk(db, seller, 'egress', '127.0.0.92');
    const destination = await insertDestination(db, 'Crash Land');
    const trade = await insertTrade(db, { buyer, seller, destination }, TERMS);
    await db.none(`insert into credit_accounts (carrier_id, currency, limit_micros) values ($1, 'USD', 1000000)`, [buyer]);
    const leases = new LeaseStore(db);
    await leases.registerNode(NODE);
    const slice = await leases.takeSlice({
      node_id: NODE, carrier_id: buyer, currency: 'USD', ttl_ms: 60_000, first_chunk_micros: 12_600n, calls_per_s: 0, horizon_s: 10, min_calls: 4,
      needed_micros: 12_600n, pool_share_divisor: 4n,
    });
    if (!slice.ok) throw new Error('no slice');
    expect(slice.granted_micros).to.equal(50_400n);

    // The node decided two calls and extended one before it died; nothing reached PostgreSQL.
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'minutex-wal-')), 'node.jsonl');
    const writeAhead = new WriteAheadFile(file);
    const reserve = (call_id: string) => writeAhead.append({
      t: 'reserve', call_id, node_id: NODE, lease_id: slice.lease_id, carrier_id: buyer, currency: 'USD', amount_micros: '12600', planned_end_ms: '60000',
      legs: legsToJson([TERMS]), fee_per_minute_micros: '600', slack_ms: '3000',
      call: { ingress_trunk_id: ingress, dialled_number: '4420000000', destination_id: destination, setup_us: '1796000000000000',
        offered_routes: [{ trade_id: trade, seller_id: seller, trunk_id: egress }] },
    });
    reserve('crash-a@node');
    reserve('crash-b@node');
    writeAhead.append({ t: 'change', call_id: 'crash-a@node', amount_micros: '25200', planned_end_ms: '120000', answered_leg: 0 });
    writeAhead.close();
    // The crash cut the last line short.
    appendFileSync(file, '{"t":"reserve","call_id":"crash-c@no');

    expect(await recoverWriteAhead(db, file, log)).to.equal(2);
    const reservations = await db.any<{ call_id: string; amount_micros: bigint; planned_end_ms: bigint; state: string; lease_id: string; node_id: string }>(
      'select call_id, amount_micros, planned_end_ms, state, lease_id, node_id from credit_reservations order by call_id');
    expect(reservations).to.deep.equal([
      { call_id: 'crash-a@node', amount_micros: 25_200n, planned_end_ms: 120_000n, state: 'extended', lease_id: slice.lease_id, node_id: NODE },
      { call_id: 'crash-b@node', amount_micros: 12_600n, planned_end_ms: 60_000n, state: 'pending', lease_id: slice.lease_id, node_id: NODE },
    ]);
    const calls = await db.any<{ call_id: string; buyer_id: string; offered_routes: unknown }>('select call_id, buyer_id, offered_routes from calls order by call_id');
    expect(calls.map((call) => call.call_id)).to.deep.equal(['crash-a@node', 'crash-b@node']);
    expect(calls[0]!.offered_routes).to.deep.equal([{ trade_id: trade, seller_id: seller, trunk_id: egress }]);
    expect(statSync(file).size, 'the file is emptied once recovered').to.equal(0);
    expect(readFileSync(file, 'utf8')).to.equal('');
    // Recovering again changes nothing.
    expect(await recoverWriteAhead(db, file, log)).to.equal(0);

    // The node's old lease closes: what the two calls hold stays in it, the rest returns.
    const [expired] = await leases.expire({ node_id: NODE });
    expect(expired).to.deep.include({ kept_micros: 37_800n, returned_micros: 12_600n });
    expect(await db.any('select * from credit_leased_mismatches()')).to.deep.equal([]);
    expect(await db.any('select * from credit_overdrawn()')).to.deep.equal([]);
  });
});
