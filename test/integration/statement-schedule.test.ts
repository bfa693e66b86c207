/**
 * The statement schedule against PostgreSQL and the running system: periods that are over are run
 * by themselves, each once, oldest first, and a day run by the schedule is refused by hand.
 */
import { expect } from 'chai';
import { addDays } from '../../billing/core/billing-period.ts';
import { createCarrier, type Carrier } from '../support/market.ts';
import { ratedCall } from '../support/rated-calls.ts';
import { insertDestination, insertTrade } from '../support/rows.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 12200, evapi: 12201, jsonrpc: 12202, api: 12203 };

describe('settlement: statement runs on a schedule', function () {
  let running: RunningSystem;
  let buyer: Carrier;
  let seller: Carrier;
  const today = new Date().toISOString().slice(0, 10);
  const threeDaysAgo = addDays(today, -3);

  before(async () => {
    running = await startTestSystem(PORTS, { MINUTEX_STATEMENT_SCHEDULE_INTERVAL_S: '1' });
    buyer = await createCarrier(running, 'Scheduled Buyer');
    seller = await createCarrier(running, 'Scheduled Seller');
    for (const carrier of [buyer, seller]) {
      const terms = await running.api('PUT', `/v1/carriers/${carrier.id}/billing-terms`, { period: 'daily', time_zone: 'UTC', payment_terms_days: 7, currency: 'USD' });
      expect(terms.status).to.equal(200);
    }
    const destination = await insertDestination(running.system.db, 'Schedule Mobile');
    const trade = await insertTrade(running.system.db, { buyer: buyer.id, seller: seller.id, destination },
      { price_per_minute_micros: 12_000n, first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n });
    // Two calls three days ago, one today (its period is not over: it must stay unbilled).
    await ratedCall(running, trade, `${threeDaysAgo}T10:00:00Z`, 30_000);
    await ratedCall(running, trade, `${threeDaysAgo}T11:00:00Z`, 61_000);
    await ratedCall(running, trade, `${today}T00:00:01Z`, 10_000);
  });

  after(async () => {
    await running?.stop();
  });

  it('runs every period end that is over, oldest first, as "schedule", and bills only closed periods', async () => {
    const runs = await eventually(async () => {
      const rows = await running.system.db.any<{ period_end: string; actor: string; statements_count: number }>(
        'select period_end::text, actor, statements_count from statement_runs order by period_end');
      return rows.length >= 3 ? rows : undefined;
    }, 20_000, 'the schedule to run the last three days');
    expect(runs.map((run) => run.period_end)).to.deep.equal([threeDaysAgo, addDays(today, -2), addDays(today, -1)]);
    expect(runs.every((run) => run.actor === 'schedule')).to.equal(true);
    expect(runs.map((run) => run.statements_count)).to.deep.equal([2, 0, 0]);

    const statements = await running.system.db.any<{ carrier_id: string; period_end: string; bought_micros: string; sold_micros: string }>(
      `select carrier_id, period_end::text, bought_micros::text, sold_micros::text from statements order by number`);
    expect(statements).to.have.length(2);
    // 30 s and 61 s on 60/60 at 0.012000/min: 1 + 2 minutes = 0.036000.
    const ofBuyer = statements.find((one) => one.carrier_id === buyer.id)!;
    const ofSeller = statements.find((one) => one.carrier_id === seller.id)!;
    expect([ofBuyer.period_end, ofBuyer.bought_micros, ofSeller.sold_micros]).to.deep.equal([threeDaysAgo, '36000', '36000']);

    const unbilled = await running.system.db.one<{ n: number }>(
      `select count(*)::int as n from cdrs where buyer_statement_id is null and answer_at >= $1::date`, [today]);
    expect(unbilled.n).to.equal(1);
  });

  it('never runs a day twice: later passes add nothing, and a day it ran is refused by hand', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const counts = await running.system.db.one<{ runs: number; statements: number }>(
      'select (select count(*)::int from statement_runs) as runs, (select count(*)::int from statements) as statements');
    expect(counts).to.deep.equal({ runs: 3, statements: 2 });
    const byHand = await running.api<{ error: string }>('POST', '/v1/statements/run', { period_end: threeDaysAgo });
    expect([byHand.status, byHand.body.error]).to.deep.equal([409, 'period_already_run']);
  });
});
