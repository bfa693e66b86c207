/**
 * Money only as decimal strings, on every route that takes an amount: a JSON number is refused
 * with its own reason (never coerced to a string), an amount beyond what the ledger holds is a
 * 400 rather than an overflow in PostgreSQL, and a refused request changes no row.
 */
import { expect } from 'chai';
import { createCarrier, createDestination, type Carrier } from '../support/market.ts';
import { rowCounts } from '../support/exchange-api.ts';
import { startTestSystem, type RunningSystem } from '../support/system.ts';

type ErrorJson = { error: string; message: string };
const TABLES = ['orders', 'order_events', 'trades', 'audit_log', 'credit_accounts', 'collateral', 'carrier_billing_terms'];

describe('money in the API: decimal strings only, within range', function () {
  this.timeout(60_000);
  let running: RunningSystem;
  let carrier: Carrier;

  before(async () => {
    running = await startTestSystem({ sip: 11800, evapi: 11801, jsonrpc: 11802, api: 11803 });
    carrier = await createCarrier(running, 'Exact Money Ltd');
    await createDestination(running, 'France - Paris', ['331']);
  });
  after(async () => {
    await running?.stop();
  });

  const order = (fields: Record<string, unknown>) => ({ carrier_id: carrier.id, side: 'sell', prefix: '331', currency: 'USD', increments: '60/60', channels: 5, price_per_minute: '0.010000', ...fields });
  const money = (amount: unknown) => ({ amount, currency: 'USD' });
  const cases = (): Array<[string, string, string, unknown]> => [
    ['an order price', 'POST', '/v1/orders', order({ price_per_minute: 0.01 })],
    ['an order connect fee', 'POST', '/v1/orders', order({ connect_fee: 0 })],
    ['an amended price', 'PATCH', '/v1/orders/00000000-0000-4000-8000-000000000000', { price_per_minute: 0.02 }],
    ['a credit limit', 'PUT', `/v1/carriers/${carrier.id}/credit-limit`, money(100)],
    ['a collateral deposit', 'POST', `/v1/carriers/${carrier.id}/collateral`, { kind: 'deposit', reference: 'r1', ...money(5.5) }],
    ['a netting minimum', 'PUT', `/v1/carriers/${carrier.id}/billing-terms`, { period: 'monthly', time_zone: 'UTC', payment_terms_days: 30, currency: 'USD', netting_minimum: 1 }],
  ];

  it('refuses a JSON number wherever money is expected, saying why, and changes nothing', async () => {
    const before = await rowCounts(running.system.db, TABLES);
    for (const [what, method, url, body] of cases()) {
      const response = await running.api<ErrorJson>(method, url, body);
      expect(response.status, what).to.equal(400);
      expect(response.body.error, what).to.equal('amount_not_a_decimal_string');
      expect(response.body.message, what).to.match(/decimal string/);
    }
    expect(await rowCounts(running.system.db, TABLES)).to.deep.equal(before);
  });

  it('refuses amounts beyond the range the ledger holds with a 400, not a 500', async () => {
    const before = await rowCounts(running.system.db, TABLES);
    const huge = '999999999999999.999999';
    const attempts: Array<[string, string, unknown, string]> = [
      ['POST', '/v1/orders', order({ price_per_minute: huge }), 'invalid_price'],
      ['POST', '/v1/orders', order({ connect_fee: huge }), 'invalid_amount'],
      ['PUT', `/v1/carriers/${carrier.id}/credit-limit`, money(huge), 'invalid_amount'],
      ['POST', `/v1/carriers/${carrier.id}/collateral`, { kind: 'deposit', reference: 'r2', ...money(huge) }, 'invalid_amount'],
      ['PUT', `/v1/carriers/${carrier.id}/billing-terms`, { period: 'monthly', time_zone: 'UTC', payment_terms_days: 30, currency: 'USD', netting_minimum: huge }, 'invalid_amount'],
    ];
    for (const [method, url, body, reason] of attempts) {
      const response = await running.api<ErrorJson>(method, url, body);
      expect(response.status, `${method} ${url}`).to.equal(400);
      expect(response.body.error, `${method} ${url}`).to.equal(reason);
    }
    expect(await rowCounts(running.system.db, TABLES)).to.deep.equal(before);
    // The largest amount accepted is accepted.
    expect((await running.api('PUT', `/v1/carriers/${carrier.id}/credit-limit`, money('1000000000000.000000'))).status).to.equal(200);
  });

  it('still reads numbers in query strings (coercion stays for text parts)', async () => {
    const response = await running.api<{ orders: unknown[] }>('GET', '/v1/orders?limit=5');
    expect(response.status).to.equal(200);
  });
});
