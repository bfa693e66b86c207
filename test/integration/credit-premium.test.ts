/**
 * A new carrier from sign-up to its first carried call through the API alone, and the buyer's risk
 * premium end to end, with the credit bureau sandbox as its own process, real
 * PostgreSQL, Kamailio and SIPp: a buyer graded C (150 basis points) is shown the premium on its
 * trade (its seller is not), its call is reserved with it, and it is charged trade price + fee +
 * premium to the micro-unit, with the premium posted to the exchange's risk premium account.
 */
import { expect } from 'chai';
import type { LocalService } from '../../common/local-service.ts';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rateTradeCall } from '../../billing/core/rating.ts';
import { runSipp, startSipp, stopAllSipp } from '../../sipp/runner.ts';
import { carrierClient } from '../support/exchange-api.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, type Carrier } from '../support/market.ts';
import { startSandbox } from '../support/sandboxes.ts';
import { eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

const PORTS = { sip: 11411, evapi: 11412, jsonrpc: 11413, api: 11414 };
const BUREAU_URL = 'http://127.0.0.1:11591';
const SELLER = { address: '127.0.9.2', port: 11581 };
const BUYER_ADDRESS = '127.0.9.1';
const NUMBER = '3591000000';

describe('risk premium priced into the buyer\'s rate', function () {
  this.timeout(120_000);
  let running: RunningSystem;
  let child: LocalService;
  let buyer: Carrier;
  let seller: Carrier;
  /** When the buyer signed up: its first call must be carried within five minutes of it, through the API alone. */
  let signedUpAt = 0;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-premium-'));

  before(async () => {
    child = await startSandbox('bureau', BUREAU_URL);
    running = await startTestSystem(PORTS, { MINUTEX_BUREAU_URL: BUREAU_URL, MINUTEX_CREDIT_APPROVAL: 'assessment', MINUTEX_EXCHANGE_FEE_PER_MINUTE: '0.000600' });
    await createDestination(running, 'Premium Land', ['3591']);
    seller = await createCarrier(running, 'Premium Land Termination');
    await addTrunk(running, seller, { direction: 'egress', address: `${SELLER.address}:${SELLER.port}` });
    await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '3591', price_per_minute: '0.012345', currency: 'USD', increments: '1/1', channels: 10 });
    signedUpAt = Date.now();
    buyer = await createCarrier(running, 'Cobalt Carrier Services');
    await addTrunk(running, buyer, { direction: 'ingress', address: BUYER_ADDRESS });
    const applied = await running.api<{ grade: string; terms: { risk_premium_bps: number } }>('POST', `/v1/carriers/${buyer.id}/credit-applications`, { bureau_id: 'MXB-100003' });
    expect(applied.body.grade).to.equal('C');
    expect(applied.body.terms.risk_premium_bps).to.equal(150);
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '3591', price_per_minute: '0.020000', currency: 'USD', increments: '60/60', channels: 10 });
  });

  /** One call from the buyer, refused at setup as the scenario expects; the seller never sees it. */
  const expectRefusedAtSetup = async (scenario: string, localPort: number) => {
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: 30_000 }, workDir);
    await uas.ready;
    const result = await runSipp({ scenario, localAddress: BUYER_ADDRESS, localPort, remote: running.sipTarget, service: NUMBER, calls: 1, maxRunMs: 15_000 }, workDir);
    const sellerCalls = (await uas.stop()).totalCalls;
    expect(result.successfulCalls, result.stderr).to.equal(1);
    expect(sellerCalls, 'the seller never saw the call').to.equal(0);
  };

  after(async () => {
    await stopAllSipp();
    await running?.stop();
    await child?.stop();
  });

  it('shows the premium on the trade to the buyer, not to the seller', async () => {
    const asBuyer = await carrierClient(running, buyer);
    const asSeller = await carrierClient(running, seller);
    const bought = (await asBuyer<{ trades: Array<Record<string, unknown>> }>('GET', '/v1/trades')).body.trades;
    const sold = (await asSeller<{ trades: Array<Record<string, unknown>> }>('GET', '/v1/trades')).body.trades;
    expect(bought).to.have.length(1);
    expect(bought[0]).to.include({ side: 'buy', risk_premium_bps: 150 });
    expect(sold[0]).to.not.have.property('risk_premium_bps');
  });

  it('reserves and charges trade price + fee + premium to the micro-unit, the premium on its own account', async () => {
    const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: 30_000 }, workDir);
    await uas.ready;
    const result = await runSipp({ scenario: 'uac-call-expect-200.xml', localAddress: BUYER_ADDRESS, localPort: 11571, remote: running.sipTarget, service: NUMBER, calls: 1, callDurationMs: 1500, maxRunMs: 15_000 }, workDir);
    await uas.stop();
    expect(result.successfulCalls, result.stderr).to.equal(1);
    // Sign-up, trunk, credit application, buy order and the first carried call: docs/credit.md's walkthrough.
    expect(Date.now() - signedUpAt).to.be.below(5 * 60_000);
    const db = running.system.db;
    const cdr = await eventually(async () => (await db.oneOrNone<{ call_id: string; duration_ms: bigint; premium_bps: number; buyer_amount_micros: bigint; seller_amount_micros: bigint; fee_amount_micros: bigint; premium_amount_micros: bigint }>(
      `select call_id, duration_ms, premium_bps, buyer_amount_micros, seller_amount_micros, fee_amount_micros, premium_amount_micros
       from cdrs where buyer_id = $1 and rated_at is not null`, [buyer.id])) ?? undefined, 15_000, 'the rated CDR');
    const expected = rateTradeCall({ price_per_minute_micros: 12_345n, first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 0n, premium_bps: 150 }, 600n, cdr.duration_ms);
    expect(expected.premium_amount_micros > 0n).to.equal(true);
    expect(cdr).to.deep.include({
      premium_bps: 150, buyer_amount_micros: expected.buyer_amount_micros, seller_amount_micros: expected.seller_amount_micros,
      fee_amount_micros: expected.fee_amount_micros, premium_amount_micros: expected.premium_amount_micros,
    });
    expect(cdr.buyer_amount_micros).to.equal(cdr.seller_amount_micros + cdr.fee_amount_micros + cdr.premium_amount_micros);
    const reservation = await db.one<{ legs: Array<{ premium_bps?: number }>; amount_micros: bigint; charged_micros: bigint; state: string }>(
      'select legs, amount_micros, charged_micros, state from credit_reservations where call_id = $1', [cdr.call_id]);
    expect(reservation.legs[0]!.premium_bps).to.equal(150);
    expect(reservation.state).to.equal('posted');
    expect(reservation.charged_micros).to.equal(expected.buyer_amount_micros);
    expect(reservation.charged_micros <= reservation.amount_micros).to.equal(true);
    const accounts = await db.map(
      `select kind, balance_micros from ledger_accounts where currency = 'USD' and (carrier_id = $1 or carrier_id is null) order by kind`, [buyer.id],
      (row: { kind: string; balance_micros: bigint }) => [row.kind, row.balance_micros]);
    expect(accounts).to.deep.include.members([
      ['receivable', expected.buyer_amount_micros], ['revenue', -expected.fee_amount_micros], ['risk_premium', -expected.premium_amount_micros],
    ]);
  });

  it('refuses new buy orders once a lowered limit is below what the buyer owes', async () => {
    const lowered = await running.api<{ assessment: { credit_limit: { applied: string } } }>('POST', `/v1/carriers/${buyer.id}/credit-overrides`, {
      term: 'unsecured_limit', value: '0.000001', reason: 'exposure review', expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    expect(lowered.body.assessment.credit_limit.applied).to.equal('0.000001');
    const refused = await running.api<{ error: string }>('POST', '/v1/orders', {
      carrier_id: buyer.id, side: 'buy', prefix: '3591', price_per_minute: '0.020000', currency: 'USD', increments: '60/60', channels: 1, connect_fee: '0',
    });
    expect(refused.status).to.equal(403);
    expect(refused.body.error).to.equal('credit_limit_reached');
    // Its next call too, at once: the credit this node had set aside for its calls (a lease slice
    // taken for the first call) went back to the pool when the limit was lowered.
    await expectRefusedAtSetup('uac-call-expect-402.xml', 11573);
  });

  it('refuses the calls of a buyer its reassessment refuses: 403 "credit refused" at setup', async () => {
    const changed = await fetch(`${BUREAU_URL}/v1/test/companies/MXB-100003/report`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ delinquency_score: 5, filings: [{ kind: 'bankruptcy', filed_on: '2026-11-01', status: 'open' }] }),
    });
    expect(changed.status).to.equal(200);
    const reassessed = await running.api<{ decision: string }>('POST', `/v1/carriers/${buyer.id}/credit-assessment`, { refresh_bureau: true });
    expect(reassessed.body.decision).to.equal('refused');
    await expectRefusedAtSetup('uac-call-expect-403.xml', 11572);
    const refused = await eventually(async () => (await running.system.db.oneOrNone<{ final_sip_code: number; final_reason: string }>(
      `select final_sip_code, final_reason from cdrs where buyer_id = $1 and final_sip_code = 403`, [buyer.id])) ?? undefined, 10_000, 'the refused call\'s CDR');
    expect(refused.final_reason).to.match(/credit refused/);
  });
});
