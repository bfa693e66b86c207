/**
 * Who may do what over the API, against real PostgreSQL: API keys (create, use, revoke), a carrier
 * kept to its own orders, trades and accounts (another's answer 404, operator actions 403), the
 * counterparty shown only as an alias, and every kind of bad order refused with its reason code
 * and nothing stored.
 */
import { expect } from 'chai';
import { createCarrier, createDestination, setCreditLimit, type Carrier } from '../support/market.ts';
import { carrierClient, createApiKey, request, rowCounts, type CarrierClient } from '../support/exchange-api.ts';
import { startTestSystem, type RunningSystem } from '../support/system.ts';

interface Placed { order: { id: string }; trades: Array<{ id: string; counterparty: string }> }
type ErrorJson = { error: string; message: string };

describe('carriers’ access to the exchange', function () {
  this.timeout(60_000);
  let running: RunningSystem;
  let seller: Carrier, buyer: Carrier, other: Carrier;
  let asSeller: CarrierClient, asBuyer: CarrierClient, asOther: CarrierClient;
  let sellOrder: string, buyOrder: string, tradeId: string;

  const place = async (client: CarrierClient, order: Record<string, unknown>): Promise<Placed> => {
    const response = await client<Placed>('POST', '/v1/orders', { currency: 'USD', increments: '60/60', ...order });
    expect(response.status, response.text).to.equal(201);
    return response.body;
  };

  before(async () => {
    running = await startTestSystem({ sip: 5760, evapi: 9148, jsonrpc: 5771, api: 8780 });
    seller = await createCarrier(running, 'Secretive Seller Ltd');
    buyer = await createCarrier(running, 'Discreet Buyer plc');
    other = await createCarrier(running, 'Nosy Carrier Inc');
    await setCreditLimit(running, buyer, '50.000000');
    await createDestination(running, 'Spain - Madrid', ['3491']);
    [asSeller, asBuyer, asOther] = await Promise.all([carrierClient(running, seller), carrierClient(running, buyer), carrierClient(running, other)]);
    sellOrder = (await place(asSeller, { side: 'sell', prefix: '3491', price_per_minute: '0.008000', channels: 10 })).order.id;
    // carrier_id may be omitted by a carrier, or given as its own.
    const bought = await place(asBuyer, { carrier_id: buyer.id, side: 'buy', prefix: '3491', price_per_minute: '0.009000', channels: 4 });
    buyOrder = bought.order.id;
    tradeId = bought.trades[0]!.id;
  });

  after(async () => {
    await running?.stop();
  });

  it('creates, lists, uses and revokes API keys; only the hash is stored', async () => {
    const created = await createApiKey(running, other);
    expect(created.key).to.match(/^mtx_[A-Za-z0-9_-]{43}$/);
    const stored = await running.system.db.one<{ key_hash: Buffer }>('select key_hash from api_keys where id = $1', [created.id]);
    expect(stored.key_hash.toString('hex')).to.not.include(Buffer.from(created.key).toString('hex'));
    const use = () => request<{ orders: unknown[] }>(running, created.key, 'GET', '/v1/orders');
    expect((await use()).status).to.equal(200);

    const listed = await asOther<{ api_keys: Array<Record<string, unknown>> }>('GET', `/v1/carriers/${other.id}/api-keys`);
    const entry = listed.body.api_keys.find((key) => key['id'] === created.id)!;
    expect(entry).to.include({ status: 'active' });
    expect(entry['last_used_at']).to.be.a('string');
    expect(listed.text).to.not.include(created.key);

    const revoked = await asOther('DELETE', `/v1/carriers/${other.id}/api-keys/${created.id}`);
    expect(revoked.status).to.equal(200);
    const refused = await use();
    expect([refused.status, (refused.body as unknown as ErrorJson).error]).to.deep.equal([401, 'unauthorized']);
    expect((await asOther('DELETE', `/v1/carriers/${other.id}/api-keys/${created.id}`)).status).to.equal(409);
    expect((await asSeller('DELETE', `/v1/carriers/${other.id}/api-keys/${created.id}`)).status, "another carrier's key").to.equal(404);
    expect((await asOther('POST', `/v1/carriers/${other.id}/api-keys`)).status, 'only an operator makes keys').to.equal(403);
    const audited = await running.system.db.map('select action from audit_log where details->>\'api_key_id\' = $1 order by id', [created.id], (row: { action: string }) => row.action);
    expect(audited).to.deep.equal(['api_key.create', 'api_key.revoke']);
    expect((await request(running, 'mtx_not-a-key', 'GET', '/v1/orders')).status).to.equal(401);
  });

  it("answers 404 for another carrier's orders and never lets it change them", async () => {
    for (const [method, body] of [['GET', undefined], ['DELETE', undefined], ['PATCH', { channels: 1 }]] as const) {
      const response = await asOther<ErrorJson>(method, `/v1/orders/${sellOrder}`, body);
      expect([method, response.status, response.body.error]).to.deep.equal([method, 404, 'not_found']);
    }
    const unknown = await asOther<ErrorJson>('GET', '/v1/orders/00000000-0000-4000-8000-000000000000');
    expect(unknown.body, 'exactly as for an order that does not exist').to.deep.equal((await asOther<ErrorJson>('GET', `/v1/orders/${sellOrder}`)).body);
    const sell = await running.system.db.one<{ status: string; channels_open: number }>('select status, channels_open from orders where id = $1', [sellOrder]);
    expect(sell).to.deep.equal({ status: 'open', channels_open: 6 });
    expect((await asOther<{ orders: unknown[] }>('GET', `/v1/orders?carrier_id=${seller.id}`)).body.orders).to.deep.equal([]);
    expect((await asOther<{ trades: unknown[] }>('GET', `/v1/trades?carrier_id=${seller.id}`)).body.trades).to.deep.equal([]);
    const forOther = await asOther<ErrorJson>('POST', '/v1/orders', { carrier_id: seller.id, side: 'sell', prefix: '3491', price_per_minute: '0.1', currency: 'USD', increments: '60/60', channels: 1 });
    expect([forOther.status, forOther.body.error]).to.deep.equal([403, 'forbidden']);
    for (const url of [`/v1/carriers/${seller.id}`, `/v1/carriers/${seller.id}/balances`, `/v1/carriers/${seller.id}/credit`, `/v1/carriers/${seller.id}/api-keys`]) {
      expect([url, (await asOther('GET', url)).status]).to.deep.equal([url, 404]);
    }
    expect((await asOther('GET', `/v1/carriers/${other.id}`)).status, 'its own record').to.equal(200);
    expect((await asSeller<{ orders: Array<{ id: string }> }>('GET', '/v1/orders')).body.orders.map((order) => order.id)).to.deep.equal([sellOrder]);
  });

  it('refuses operator actions to a carrier with 403', async () => {
    const operatorOnly: Array<[string, string, unknown?]> = [
      ['POST', '/v1/carriers', { name: 'Sneaky' }],
      ['GET', '/v1/carriers'],
      ['GET', '/v1/ledger/balances'],
      ['PUT', `/v1/carriers/${other.id}/status`, { status: 'active' }],
      ['POST', `/v1/carriers/${other.id}/trunks`, { direction: 'ingress', address: '127.0.0.99', channels: 1, cps: 1 }],
      ['POST', '/v1/destinations', { name: 'Nowhere', prefixes: ['999'] }],
      ['PUT', `/v1/carriers/${other.id}/credit-limit`, { amount: '1000.000000', currency: 'USD' }],
      ['POST', `/v1/carriers/${other.id}/collateral`, { kind: 'deposit', amount: '1.000000', currency: 'USD', reference: 'x' }],
      ['POST', '/v1/calls/some-call/hangup'],
      ['GET', '/v1/ledger/trial-balance'],
      ['POST', `/v1/carriers/${other.id}/api-keys`],
    ];
    const before = await rowCounts(running.system.db, ['carriers', 'trunks', 'destinations', 'credit_accounts', 'api_keys', 'audit_log']);
    for (const [method, url, body] of operatorOnly) {
      const response = await asOther<ErrorJson>(method, url, body);
      expect([method, url, response.status, response.body.error]).to.deep.equal([method, url, 403, 'forbidden']);
    }
    expect(await rowCounts(running.system.db, ['carriers', 'trunks', 'destinations', 'credit_accounts', 'api_keys', 'audit_log'])).to.deep.equal(before);
    expect((await asOther('GET', '/v1/destinations')).status, 'destinations are reference data for everyone').to.equal(200);
  });

  it("shows each side of a trade the other only as a stable per-trade alias", async () => {
    const buyerView = await asBuyer<{ trades: Array<Record<string, unknown>> }>('GET', '/v1/trades');
    const sellerView = await asSeller<{ trades: Array<Record<string, unknown>> }>('GET', '/v1/trades');
    const [asSeenByBuyer] = buyerView.body.trades;
    const [asSeenBySeller] = sellerView.body.trades;
    expect(asSeenByBuyer).to.include({ id: tradeId, side: 'buy', order_id: buyOrder, price_per_minute: '0.008000', channels: 4 });
    expect(asSeenBySeller).to.include({ id: tradeId, side: 'sell', order_id: sellOrder });
    expect(asSeenByBuyer!['counterparty']).to.match(/^cp_[A-Za-z0-9_-]{22}$/);
    expect(asSeenByBuyer!['counterparty']).to.not.equal(asSeenBySeller!['counterparty']);
    expect(Object.keys(asSeenByBuyer!)).to.not.include.members(['buyer_id', 'seller_id', 'buy_order_id', 'sell_order_id']);
    for (const hidden of [seller.id, sellOrder, 'Secretive']) expect(buyerView.text).to.not.include(hidden);
    for (const hidden of [buyer.id, buyOrder, 'Discreet']) expect(sellerView.text).to.not.include(hidden);
    const again = await asBuyer<{ trades: Array<Record<string, unknown>> }>('GET', '/v1/trades');
    expect(again.body.trades[0]!['counterparty'], 'stable for the trade').to.equal(asSeenByBuyer!['counterparty']);
    // A second trade with the same seller gets a different alias: trades cannot be linked.
    const more = await place(asBuyer, { side: 'buy', prefix: '3491', price_per_minute: '0.009000', channels: 1 });
    expect(more.trades[0]!.counterparty).to.not.equal(asSeenByBuyer!['counterparty']);
    const operatorView = await running.api<{ trades: Array<Record<string, unknown>> }>('GET', `/v1/trades?carrier_id=${buyer.id}`);
    expect(operatorView.body.trades.find((trade) => trade['id'] === tradeId)).to.include({ buyer_id: buyer.id, seller_id: seller.id, sell_order_id: sellOrder });
  });

  it('refuses every kind of bad order with its reason and stores nothing', async () => {
    const valid = { side: 'buy', prefix: '3491', price_per_minute: '0.010000', currency: 'USD', increments: '60/60', channels: 2 };
    const cases: Array<[string, unknown, number, string]> = [
      ['unknown destination', { ...valid, prefix: '999999' }, 400, 'unknown_destination'],
      ['zero price', { ...valid, price_per_minute: '0' }, 400, 'invalid_price'],
      ['negative price', { ...valid, price_per_minute: '-0.010000' }, 400, 'invalid_price'],
      ['seven decimals', { ...valid, price_per_minute: '0.0100001' }, 400, 'invalid_price'],
      ['price not a decimal', { ...valid, price_per_minute: 'ten cents' }, 400, 'invalid_price'],
      ['zero channels', { ...valid, channels: 0 }, 400, 'invalid_channels'],
      ['negative channels', { ...valid, channels: -3 }, 400, 'invalid_channels'],
      ['fractional channels', { ...valid, channels: 1.5 }, 400, 'invalid_channels'],
      ['channels as text', { ...valid, channels: 'two' }, 400, 'invalid_channels'],
      ['increments without a slash', { ...valid, increments: '60' }, 400, 'invalid_increments'],
      ['zero increment', { ...valid, increments: '0/60' }, 400, 'invalid_increments'],
      ['fractional increment', { ...valid, increments: '1.5/6' }, 400, 'invalid_increments'],
      ['negative increment', { ...valid, increments: '60/-6' }, 400, 'invalid_increments'],
      ['validity in the past', { ...valid, valid_until: new Date(Date.now() - 60_000).toISOString() }, 400, 'invalid_validity'],
      ['validity not a time', { ...valid, valid_until: 'tomorrow' }, 400, 'invalid_validity'],
      ['malformed JSON', '{"side": "buy", "prefix": ', 400, 'malformed_json'],
      ['a body over the limit', { ...valid, client_order_id: 'x', padding: 'y'.repeat(70_000) }, 413, 'body_too_large'],
    ];
    const before = await rowCounts(running.system.db);
    for (const [what, body, status, reason] of cases) {
      const response = await asBuyer<ErrorJson>('POST', '/v1/orders', body);
      expect([what, response.status, response.body.error]).to.deep.equal([what, status, reason]);
      expect(response.body.message, what).to.be.a('string').and.not.equal('');
    }
    const amendCases: Array<[unknown, string]> = [[{ price_per_minute: '0' }, 'invalid_price'], [{ channels: 0 }, 'invalid_channels'], [{ channels: 2.5 }, 'invalid_channels']];
    for (const [body, reason] of amendCases) {
      const response = await asBuyer<ErrorJson>('PATCH', `/v1/orders/${buyOrder}`, body);
      expect([response.status, response.body.error]).to.deep.equal([400, reason]);
    }
    expect(await rowCounts(running.system.db), 'nothing stored').to.deep.equal(before);
  });
});
