/**
 * CSV uploads against real PostgreSQL: an operator's destination table in either layout, and a
 * seller's rate deck that becomes sell orders and replaces the previous deck's orders atomically.
 * A file with a bad line is refused whole, with its line numbers, and changes nothing.
 */
import { expect } from 'chai';
import { BULK_IMPORT_LINES } from '../../control/store/destination-import.ts';
import { createCarrier, setCreditLimit, type Carrier } from '../support/market.ts';
import { carrierClient, rowCounts, type CarrierClient } from '../support/exchange-api.ts';
import { startTestSystem, type RunningSystem } from '../support/system.ts';

const CSV = 'text/csv';
type Problems = { error: string; problems: Array<{ line: number; reason: string }> };
interface OrderJson { id: string; status: string; price_per_minute: string; channels: number; channels_open: number; rate_deck_id: string | null; destination_id: string }

describe('CSV imports', function () {
  this.timeout(60_000);
  let running: RunningSystem;
  let seller: Carrier, buyer: Carrier;
  let asSeller: CarrierClient, asBuyer: CarrierClient, asStranger: CarrierClient;

  const upload = async (csv: string) => {
    const response = await fetch(`${running.system.apiUrl}/v1/destinations/import`, {
      method: 'POST', headers: { authorization: `Bearer ${running.system.operatorToken}`, 'content-type': CSV }, body: csv,
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> & Problems };
  };
  const destinations = async () => (await running.api<{ destinations: Array<{ name: string; prefixes: string[] }> }>('GET', '/v1/destinations')).body.destinations;
  const sellerOrders = async (status = 'open') => (await asSeller<{ orders: OrderJson[] }>('GET', `/v1/orders?status=${status}`)).body.orders;

  before(async () => {
    running = await startTestSystem({ sip: 5960, evapi: 9348, jsonrpc: 5971, api: 8980 });
    seller = await createCarrier(running, 'Deck Seller');
    buyer = await createCarrier(running, 'Deck Buyer');
    const stranger = await createCarrier(running, 'Stranger');
    await setCreditLimit(running, buyer, '10.000000');
    [asSeller, asBuyer, asStranger] = await Promise.all([carrierClient(running, seller), carrierClient(running, buyer), carrierClient(running, stranger)]);
  });

  after(async () => {
    await running?.stop();
  });

  it('imports prefix,name lines with a header and effective dates', async () => {
    const result = await upload('prefix,name,effective_date\n447700,United Kingdom - Mobile,\n447701,United Kingdom - Mobile,\n4420,United Kingdom - London,2020-01-01\n');
    expect(result.status).to.equal(200);
    expect(result.body).to.deep.equal({ lines: 3, destinations_created: 2, prefixes_created: 3, prefixes_updated: 0, prefixes_unchanged: 0 });
    const london = await running.system.db.one<{ effective_from: Date }>(`select effective_from from destination_prefixes where prefix = '4420'`);
    expect(london.effective_from.toISOString()).to.equal('2020-01-01T00:00:00.000Z');
  });

  it('imports destination,prefixes lines, adds to existing destinations and moves prefixes', async () => {
    const result = await upload('"Germany, Mobile",4915;4916 4917\nUnited Kingdom - Mobile,447700;447702\n');
    expect(result.body).to.deep.equal({ lines: 2, destinations_created: 1, prefixes_created: 4, prefixes_updated: 0, prefixes_unchanged: 1 });
    const moved = await upload('prefix,name\n447702,United Kingdom - Other\n');
    expect(moved.body).to.deep.equal({ lines: 1, destinations_created: 1, prefixes_created: 0, prefixes_updated: 1, prefixes_unchanged: 0 });
    const again = await upload('"Germany, Mobile",4915;4916 4917\n');
    expect(again.body, 'the same table twice changes nothing').to.deep.include({ prefixes_created: 0, prefixes_updated: 0, prefixes_unchanged: 3 });
    const byName = new Map((await destinations()).map((destination) => [destination.name, destination.prefixes]));
    expect(byName.get('Germany, Mobile')).to.deep.equal(['4915', '4916', '4917']);
    expect(byName.get('United Kingdom - Mobile')).to.deep.equal(['447700', '447701']);
    expect(byName.get('United Kingdom - Other')).to.deep.equal(['447702']);
  });

  it('loads a large table in bulk: moves, unchanged lines and odd names, with the foreign key and indexes made again', async () => {
    const lines = ['prefix,name', '447702,United Kingdom - Mobile', '4915,"Germany, Mobile"', '5511,"Brazil \\ São Paulo\tfixed"'];
    for (let index = 0; index < BULK_IMPORT_LINES; index += 1) lines.push(`${880_000_000 + index},Bulk ${index % 100}`);
    const result = await upload(lines.join('\n'));
    expect(result.status, JSON.stringify(result.body)).to.equal(200);
    expect(result.body).to.deep.equal({
      lines: BULK_IMPORT_LINES + 3, destinations_created: 101, prefixes_created: BULK_IMPORT_LINES + 1, prefixes_updated: 1, prefixes_unchanged: 1,
    });
    const brazil = await running.system.db.one<{ name: string }>(`select d.name from destination_prefixes p join destinations d on d.id = p.destination_id where p.prefix = '5511'`);
    expect(brazil.name).to.equal('Brazil \\ São Paulo\tfixed');
    const kept = await running.system.db.one<{ constraints: number; indexes: number }>(`select
      (select count(*)::int from pg_constraint where conname in ('destination_prefixes_destination_id_fkey', 'destination_prefixes_pkey') and convalidated) as constraints,
      (select count(*)::int from pg_indexes where indexname in ('destination_prefixes_destination', 'destination_prefixes_pkey')) as indexes`);
    expect(kept).to.deep.equal({ constraints: 2, indexes: 2 });
  });

  it('refuses a destination table with bad lines whole, listing them', async () => {
    const before = await rowCounts(running.system.db);
    const result = await upload('prefix,name\n33,France\nabc,Nowhere\n34\n35,Spain\n');
    expect(result.status).to.equal(400);
    expect(result.body.error).to.equal('invalid_csv');
    expect(result.body.problems.map((problem) => [problem.line, problem.reason])).to.deep.equal([[3, 'invalid_prefix'], [4, 'wrong_column_count']]);
    const unclosed = await upload('33,France\n"34,Spain\n');
    expect([unclosed.status, unclosed.body.problems[0]?.line]).to.deep.equal([400, 2]);
    expect((await running.api('POST', '/v1/destinations/import', { csv: '33,France' })).status, 'JSON is not CSV').to.equal(400);
    expect((await asSeller('POST', '/v1/destinations/import', '33,France\n', CSV)).status, 'operators only').to.equal(403);
    expect(await rowCounts(running.system.db)).to.deep.equal(before);
  });

  it('turns a rate deck into sell orders, and replaces the previous deck atomically', async () => {
    const first = await asSeller<Record<string, unknown>>('POST', `/v1/carriers/${seller.id}/rate-decks`,
      'prefix,price_per_minute,increments,connect_fee,effective_date,channels\n447700,0.015000,60/60,,2020-01-01,10\nUnited Kingdom - London,0.008,30/6,0.001,,5\n', CSV);
    expect(first.status, first.text).to.equal(201);
    expect(first.body).to.include({ currency: 'USD', orders_submitted: 2, orders_cancelled: 0, trades_made: 0 });
    const deckOrders = await sellerOrders();
    expect(deckOrders.map((order) => [order.price_per_minute, order.channels, order.rate_deck_id])).to.have.deep.members([
      ['0.015000', 10, first.body['rate_deck_id']], ['0.008000', 5, first.body['rate_deck_id']],
    ]);

    // A buyer trades with the first deck, and leaves a bid below it.
    const bought = await asBuyer<{ trades: Array<{ id: string; price_per_minute: string }> }>('POST', '/v1/orders',
      { side: 'buy', prefix: '447700', price_per_minute: '0.020000', currency: 'USD', increments: '60/60', channels: 3 });
    expect(bought.body.trades.map((trade) => trade.price_per_minute)).to.deep.equal(['0.015000']);
    await asBuyer('POST', '/v1/orders', { side: 'buy', prefix: '447700', price_per_minute: '0.014000', currency: 'USD', increments: '60/60', channels: 2 });

    const second = await asSeller<Record<string, unknown>>('POST', `/v1/carriers/${seller.id}/rate-decks`, '447700,0.014000,60/60,0,,8\n', CSV);
    expect(second.body).to.include({ orders_submitted: 1, orders_cancelled: 2, trades_made: 1 });
    const open = await sellerOrders();
    expect(open.map((order) => [order.price_per_minute, order.channels, order.channels_open, order.rate_deck_id])).to.deep.equal([
      ['0.014000', 8, 6, second.body['rate_deck_id']],
    ]);
    expect((await sellerOrders('cancelled')).map((order) => order.id).sort()).to.deep.equal(deckOrders.map((order) => order.id).sort());
    const trades = (await asBuyer<{ trades: Array<{ id: string; price_per_minute: string; status: string }> }>('GET', '/v1/trades')).body.trades;
    expect(trades.map((trade) => [trade.price_per_minute, trade.status]).sort()).to.deep.equal([['0.014000', 'live'], ['0.015000', 'ended']]);
  });

  it('refuses a bad rate deck whole and keeps the previous deck', async () => {
    const before = await rowCounts(running.system.db);
    const openBefore = await sellerOrders();
    const bad = await asSeller<Problems>('POST', `/v1/carriers/${seller.id}/rate-decks`,
      '447700,0.013,60/60,,,5\nAtlantis,0.01,60/60,,,5\n4420,0,60/60,,,5\n', CSV);
    expect([bad.status, bad.body.error]).to.deep.equal([400, 'invalid_csv']);
    expect(bad.body.problems.map((problem) => [problem.line, problem.reason])).to.deep.equal([[3, 'invalid_price']]);
    const unknown = await asSeller<Problems>('POST', `/v1/carriers/${seller.id}/rate-decks`, '447700,0.013,60/60,,,5\nAtlantis,0.01,60/60,,,5\n447701,0.01,60/60,,,5\n', CSV);
    expect(unknown.body.problems.map((problem) => [problem.line, problem.reason])).to.deep.equal([[2, 'unknown_destination'], [3, 'duplicate_destination']]);
    expect((await asStranger('POST', `/v1/carriers/${seller.id}/rate-decks`, '447700,0.013,60/60,,,5\n', CSV)).status, "another carrier's deck").to.equal(404);
    expect(await rowCounts(running.system.db)).to.deep.equal(before);
    expect(await sellerOrders()).to.deep.equal(openBefore);
    const byOperator = await fetch(`${running.system.apiUrl}/v1/carriers/${seller.id}/rate-decks?currency=EUR`, {
      method: 'POST', headers: { authorization: `Bearer ${running.system.operatorToken}`, 'content-type': CSV }, body: '4420,0.009,60/60,,,4\n',
    });
    expect(byOperator.status, 'an operator may upload for a seller').to.equal(201);
  });
});
