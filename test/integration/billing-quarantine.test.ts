/**
 * The running system's billing sets aside a CDR it cannot post and carries on with the others;
 * operators see it at GET /v1/cdrs?status=quarantined with its reason and requeue it once fixed.
 */
import { expect } from 'chai';
import type { Db } from '../../common/db/database.ts';
import { insertCarrier, insertDestination, insertTrade } from '../support/rows.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 6660, evapi: 10060, jsonrpc: 6670, api: 9660 };

interface CdrJson {
  call_id: string;
  billing_status: string;
  quarantine_reason: string | null;
  buyer_amount: string | null;
  posted: boolean;
  terms: { price_per_minute: string; fee_per_minute: string | null } | null;
}

/** A finished, answered call of 10 s on the trade, with its terms (the fee only when given). */
async function insertCdr(db: Db, market: { buyer: string; seller: string; trade: string; destination: string }, call_id: string, fee: bigint | null): Promise<void> {
  await db.tx(async (t) => {
    await t.none(
      `insert into calls (call_id, buyer_id, dialled_number, destination_id, state, setup_at, answer_at, end_at)
       values ($1, $2, '4440000000', $3, 'ended', now() - interval '12 s', now() - interval '10 s', now())`,
      [call_id, market.buyer, market.destination],
    );
    await t.none(
      `insert into cdrs (call_id, buyer_id, seller_id, trade_id, dialled_number, destination_id, legs, setup_at, answer_at, end_at, duration_ms,
         final_sip_code, final_reason, ended_by, currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, fee_per_minute_micros)
       values ($1, $2, $3, $4, '4440000000', $5, '[]', now() - interval '12 s', now() - interval '10 s', now(), 10000, 200, 'hung up by caller', 'caller',
         'USD', 12000, 1, 1, 0, $6)`,
      [call_id, market.buyer, market.seller, market.trade, market.destination, fee],
    );
  });
}

describe('billing: quarantine in the running system', function () {
  let running: RunningSystem;
  let db: Db;
  let market: { buyer: string; seller: string; trade: string; destination: string };

  const cdr = async (call_id: string) => (await running.api<{ cdrs: CdrJson[] }>('GET', '/v1/cdrs?limit=100')).body.cdrs.find((one) => one.call_id === call_id);

  before(async () => {
    running = await startTestSystem(PORTS);
    db = running.database.db;
    const buyer = await insertCarrier(db, 'Quarantine Buyer');
    const seller = await insertCarrier(db, 'Quarantine Seller');
    const destination = await insertDestination(db, 'Quarantine Land');
    const trade = await insertTrade(db, { buyer, seller, destination }, { price_per_minute_micros: 12_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n });
    market = { buyer, seller, trade, destination };
  });

  after(async () => {
    await running.stop();
  });

  it('quarantines a CDR it cannot post, posts the next ones, shows it to operators and requeues it', async () => {
    await insertCdr(db, market, 'quarantine-first@test', 600n);
    await insertCdr(db, market, 'quarantine-bad@test', null);
    await insertCdr(db, market, 'quarantine-next@test', 600n);
    running.system.billing.onCdrWritten();

    // 10 s at 200 micros a second plus a fee of 10 a second: 2100 each.
    for (const call_id of ['quarantine-first@test', 'quarantine-next@test']) {
      const posted = await eventually(async () => ((await cdr(call_id))?.posted ? cdr(call_id) : undefined), 10_000, `${call_id} posted`);
      expect(posted).to.include({ billing_status: 'rated', buyer_amount: '0.002100' });
      expect(posted?.terms).to.deep.include({ price_per_minute: '0.012000', fee_per_minute: '0.000600' });
    }
    const listed = await eventually(async () => {
      const response = await running.api<{ cdrs: CdrJson[] }>('GET', '/v1/cdrs?status=quarantined');
      return response.body.cdrs.length > 0 ? response.body.cdrs : undefined;
    }, 10_000, 'the quarantined CDR');
    expect(listed.map((one) => one.call_id)).to.deep.equal(['quarantine-bad@test']);
    expect(listed[0]).to.include({ billing_status: 'quarantined', posted: false });
    expect(listed[0]?.quarantine_reason).to.match(/^missing_terms: CDR quarantine-bad@test was answered on trade .* but does not hold all its terms$/);
    expect(running.system.billing.quarantinedTotal).to.equal(1);

    expect((await running.api('POST', '/v1/cdrs/quarantine-first@test/requeue')).status).to.equal(409);
    expect((await running.api('POST', '/v1/cdrs/unknown@test/requeue')).status).to.equal(404);
    // The operator restores the fee its reservation used and requeues it: it posts like the others.
    await db.none(`update cdrs set fee_per_minute_micros = 600 where call_id = 'quarantine-bad@test'`);
    const requeued = await running.api('POST', '/v1/cdrs/quarantine-bad@test/requeue');
    expect(requeued).to.deep.equal({ status: 200, body: { call_id: 'quarantine-bad@test', billing_status: 'pending' } });
    const posted = await eventually(async () => ((await cdr('quarantine-bad@test'))?.posted ? cdr('quarantine-bad@test') : undefined), 10_000, 'the requeued CDR posted');
    expect(posted).to.include({ billing_status: 'rated', buyer_amount: '0.002100', quarantine_reason: null });
    expect((await running.api<{ cdrs: CdrJson[] }>('GET', '/v1/cdrs?status=quarantined')).body.cdrs).to.deep.equal([]);
    const audited = await db.one<{ actor: string; details: { quarantine_reason: string } }>(
      `select actor, details from audit_log where action = 'cdr.requeue' and subject = 'quarantine-bad@test'`);
    expect(audited.details.quarantine_reason).to.match(/^missing_terms: /);
    expect(await running.system.ledger.accountBalance({ carrier_id: market.buyer, kind: 'receivable', currency: 'USD' })).to.equal(6_300n);
  });

  it('lists the CDRs still waiting to be written', async () => {
    expect(await running.api('GET', '/v1/cdrs/unwritten')).to.deep.equal({ status: 200, body: { cdrs: [] } });
  });
});
