/**
 * A buyer trading one destination in two currencies, with real PostgreSQL, Kamailio and SIPp:
 * every leg of a call is in one currency (that of its first-choice trade), so its reservation,
 * its rating and its charge are in that currency, and a failed seller is never replaced by one
 * that bills in another.
 */
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rateTradeCall } from '../../billing/core/rating.ts';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../support/market.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 6920, evapi: 10320, jsonrpc: 6931, api: 9920 };
const EURO_SELLER = { address: '127.0.0.182', port: 5080 };
const DOLLAR_SELLER = { address: '127.0.0.183', port: 5080 };
const BUYER_ADDRESS = '127.0.0.181';
const NUMBER = '3531000000';
const FEE = '0.000600';

interface CdrRow {
  currency: string; final_sip_code: number; duration_ms: bigint; buyer_amount_micros: bigint | null; fee_per_minute_micros: bigint | null;
  legs: Array<{ trunk_id: string }>;
}

describe('a buyer trading in two currencies', function () {
  this.timeout(120_000);
  let running: RunningSystem;
  let buyer: Carrier;
  let euroTrunk: string;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-currencies-'));
  const cdrOf = (call_id: string) => eventually(async () => (await running.system.db.oneOrNone<CdrRow>(
    `select trim(c.currency) as currency, c.final_sip_code, c.duration_ms, c.buyer_amount_micros, c.fee_per_minute_micros, c.legs
     from cdrs c where c.call_id = $1 and c.rated_at is not null`, [call_id])) ?? undefined, 15_000, 'the rated CDR');
  /** The Call-ID of the buyer's latest call, once its CDR is written. */
  const latestCallId = (seen: number) => eventually(async () => {
    const rows = await running.system.db.any<{ call_id: string }>('select call_id from cdrs where buyer_id = $1 order by setup_at desc', [buyer.id]);
    return rows.length > seen ? rows[0]!.call_id : undefined;
  }, 10_000, 'the call\'s CDR');

  before(async () => {
    running = await startTestSystem(PORTS, { MINUTEX_EXCHANGE_FEE_PER_MINUTE: FEE });
    await createDestination(running, 'Ireland Dublin', ['3531']);
    const euro = await createCarrier(running, 'Dublin Euro Termination');
    euroTrunk = await addTrunk(running, euro, { direction: 'egress', address: `${EURO_SELLER.address}:${EURO_SELLER.port}` });
    await placeOrder(running, { carrier_id: euro.id, side: 'sell', prefix: '3531', price_per_minute: '0.008000', currency: 'EUR', increments: '1/1', channels: 10 });
    const dollar = await createCarrier(running, 'Dublin Dollar Termination');
    await addTrunk(running, dollar, { direction: 'egress', address: `${DOLLAR_SELLER.address}:${DOLLAR_SELLER.port}` });
    await placeOrder(running, { carrier_id: dollar.id, side: 'sell', prefix: '3531', price_per_minute: '0.010000', currency: 'USD', increments: '1/1', channels: 10 });
    buyer = await createCarrier(running, 'Two Currency Buyer');
    await addTrunk(running, buyer, { direction: 'ingress', address: BUYER_ADDRESS });
    await setCreditLimit(running, buyer, '5.000000', 'EUR');
    await setCreditLimit(running, buyer, '5.000000', 'USD');
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '3531', price_per_minute: '0.020000', currency: 'EUR', increments: '60/60', channels: 10 });
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '3531', price_per_minute: '0.020000', currency: 'USD', increments: '60/60', channels: 10 });
  });

  after(async () => {
    await stopAllSipp();
    await running?.stop();
  });

  it('reserves, rates and charges a call in the currency of its first-choice trade', async () => {
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: EURO_SELLER.address, localPort: EURO_SELLER.port, maxRunMs: 30_000 }, workDir);
    await uas.ready;
    const result = await runSipp({ scenario: 'uac-call-expect-200.xml', localAddress: BUYER_ADDRESS, localPort: 5070, remote: running.sipTarget, service: NUMBER, calls: 1, callDurationMs: 1500, maxRunMs: 15_000 }, workDir);
    await uas.stop();
    expect(result.successfulCalls, result.stderr).to.equal(1);
    const call_id = await latestCallId(0);
    const cdr = await cdrOf(call_id);
    const reservation = await running.system.db.one<{ currency: string; amount_micros: bigint; charged_micros: bigint; state: string }>(
      'select trim(currency) as currency, amount_micros, charged_micros, state from credit_reservations where call_id = $1', [call_id]);
    expect(cdr.currency).to.equal('EUR');
    expect(reservation).to.deep.include({ currency: 'EUR', state: 'posted' });
    // The seller's EUR terms (0.008/min, 1/1, no connect fee) and the fee the call was reserved with.
    const expected = rateTradeCall({ price_per_minute_micros: 8_000n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n }, 600n, cdr.duration_ms);
    expect(cdr.fee_per_minute_micros).to.equal(600n);
    expect(cdr.buyer_amount_micros).to.equal(expected.buyer_amount_micros);
    expect(reservation.charged_micros).to.equal(expected.buyer_amount_micros);
    expect(reservation.charged_micros <= reservation.amount_micros).to.equal(true);
  });

  it('does not fail over to a seller that bills in another currency', async () => {
    const unavailable = startSipp({ scenario: 'uas-unavailable-503.xml', localAddress: EURO_SELLER.address, localPort: EURO_SELLER.port, maxRunMs: 30_000 }, workDir);
    const dollarSeller = startSipp({ scenario: 'uas-answer.xml', localAddress: DOLLAR_SELLER.address, localPort: DOLLAR_SELLER.port, maxRunMs: 30_000 }, workDir);
    await Promise.all([unavailable.ready, dollarSeller.ready]);
    const result = await runSipp({ scenario: 'uac-call-expect-503.xml', localAddress: BUYER_ADDRESS, localPort: 5071, remote: running.sipTarget, service: NUMBER, calls: 1, maxRunMs: 15_000 }, workDir);
    const dollarCalls = (await dollarSeller.stop()).totalCalls;
    await unavailable.stop();
    // The seller's 503 reaches the caller as 500 (RFC 3261 section 16.7: a proxy does not relay a 503).
    expect(result.totalCalls).to.equal(1);
    expect(result.stderr).to.match(/received 'SIP\/2\.0 500/);
    expect(dollarCalls, 'the USD seller never saw the call').to.equal(0);
    const cdr = await cdrOf(await latestCallId(1));
    expect(cdr.final_sip_code).to.equal(503);
    expect(cdr.legs.map((leg) => leg.trunk_id)).to.deep.equal([euroTrunk]);
  });
});
