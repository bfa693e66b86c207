/**
 * Trading over the API with carriers' own keys, against real PostgreSQL: crossing at the resting
 * price, partial fills, cancel, expiry, idempotent resubmission, amends that lose or keep time
 * priority, market depth without identities, and the live stream a carrier follows.
 */
import { expect } from 'chai';
import { createCarrier, createDestination, setCreditLimit, type Carrier } from '../support/market.ts';
import { carrierClient, rowCounts, type CarrierClient } from '../support/exchange-api.ts';
import { TEST_OPERATOR_TOKEN, eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

interface OrderJson { id: string; status: string; channels: number; channels_open: number; price_per_minute: string; history?: Array<{ kind: string }> }
interface TradeJson { id: string; side: string; order_id: string; counterparty: string; price_per_minute: string; channels: number; status: string }
interface Placed { order: OrderJson; trades: TradeJson[]; duplicate: boolean }

describe('trading over the API', function () {
  this.timeout(60_000);
  let running: RunningSystem;
  let alpha: Carrier, bravo: Carrier, charlie: Carrier, delta: Carrier;
  let asAlpha: CarrierClient, asBravo: CarrierClient, asCharlie: CarrierClient, asDelta: CarrierClient;

  const place = async (client: CarrierClient, order: Record<string, unknown>, expected = 201): Promise<Placed> => {
    const response = await client<Placed>('POST', '/v1/orders', { currency: 'USD', increments: '60/60', connect_fee: '0', ...order });
    expect(response.status, response.text).to.equal(expected);
    return response.body;
  };
  const orderOf = async (client: CarrierClient, id: string) => (await client<OrderJson>('GET', `/v1/orders/${id}`)).body;
  const seqOf = async (id: string) => (await running.system.db.one<{ seq: bigint }>('select seq from orders where id = $1', [id])).seq;

  before(async () => {
    running = await startTestSystem({ sip: 5660, evapi: 9048, jsonrpc: 5671, api: 8680 });
    [alpha, bravo, charlie, delta] = [
      await createCarrier(running, 'Alpha Termination'), await createCarrier(running, 'Bravo Voice'),
      await createCarrier(running, 'Charlie Telecom'), await createCarrier(running, 'Delta Calls'),
    ];
    await setCreditLimit(running, charlie, '100.000000');
    await setCreditLimit(running, delta, '100.000000');
    [asAlpha, asBravo, asCharlie, asDelta] = await Promise.all([carrierClient(running, alpha), carrierClient(running, bravo), carrierClient(running, charlie), carrierClient(running, delta)]);
  });

  after(async () => {
    await running?.stop();
  });

  it('trades a crossing pair at the resting price and fills partially', async () => {
    await createDestination(running, 'France - Paris', ['3310']);
    const sell = await place(asAlpha, { side: 'sell', prefix: '3310', price_per_minute: '0.010000', channels: 10 });
    expect(sell.trades).to.deep.equal([]);
    const buy = await place(asCharlie, { side: 'buy', prefix: '3310', price_per_minute: '0.015000', channels: 4 });
    // The sell rested first, so the trade is at its price, for the 4 channels the buy asked for.
    expect(buy.trades.map((trade) => [trade.side, trade.price_per_minute, trade.channels, trade.order_id])).to.deep.equal([['buy', '0.010000', 4, buy.order.id]]);
    expect(buy.order).to.include({ status: 'filled', channels_open: 0 });
    expect(await orderOf(asAlpha, sell.order.id)).to.include({ status: 'open', channels: 10, channels_open: 6 });

    const second = await place(asDelta, { side: 'buy', prefix: '3310', price_per_minute: '0.012000', channels: 10 });
    expect(second.trades.map((trade) => [trade.price_per_minute, trade.channels])).to.deep.equal([['0.010000', 6]]);
    expect(second.order).to.include({ status: 'open', channels_open: 4 });
    expect(await orderOf(asAlpha, sell.order.id)).to.include({ status: 'filled', channels_open: 0 });
    const sellerTrades = (await asAlpha<{ trades: TradeJson[] }>('GET', '/v1/trades')).body.trades;
    expect(sellerTrades.map((trade) => [trade.side, trade.order_id, trade.channels]).sort()).to.deep.equal([['sell', sell.order.id, 4], ['sell', sell.order.id, 6]]);
  });

  it('cancels an order, ends its trades, and refuses a second cancel', async () => {
    await createDestination(running, 'France - Lyon', ['3320']);
    const sell = await place(asBravo, { side: 'sell', prefix: '3320', price_per_minute: '0.020000', channels: 5 });
    const buy = await place(asCharlie, { side: 'buy', prefix: '3320', price_per_minute: '0.030000', channels: 2 });
    const [trade] = buy.trades;
    expect((await asBravo('DELETE', `/v1/orders/${sell.order.id}`)).status).to.equal(200);
    const cancelled = await orderOf(asBravo, sell.order.id);
    expect(cancelled).to.include({ status: 'cancelled', channels_open: 0 });
    expect(cancelled.history!.map((event) => event.kind)).to.deep.equal(['order_accepted', 'order_partially_filled', 'order_cancelled']);
    const trades = (await asCharlie<{ trades: TradeJson[] }>('GET', '/v1/trades?status=ended')).body.trades;
    expect(trades.map((ended) => ended.id)).to.include(trade!.id);
    const again = await asBravo<{ error: string }>('DELETE', `/v1/orders/${sell.order.id}`);
    expect([again.status, again.body.error]).to.deep.equal([409, 'already_closed']);
  });

  it('expires an order at its valid_until without anyone asking, ending its trades', async () => {
    await createDestination(running, 'France - Nice', ['3330']);
    const validUntil = new Date(Date.now() + 1500).toISOString();
    const sell = await place(asAlpha, { side: 'sell', prefix: '3330', price_per_minute: '0.020000', channels: 5, valid_until: validUntil });
    const buy = await place(asCharlie, { side: 'buy', prefix: '3330', price_per_minute: '0.030000', channels: 2 });
    expect(buy.trades).to.have.length(1);
    const expired = await eventually(async () => {
      const order = await orderOf(asAlpha, sell.order.id);
      return order.status === 'expired' ? order : undefined;
    }, 5000, 'the order to expire');
    expect(expired.history!.map((event) => event.kind)).to.include('order_expired');
    const trade = (await asCharlie<{ trades: TradeJson[] }>('GET', '/v1/trades')).body.trades.find((row) => row.id === buy.trades[0]!.id);
    expect(trade!.status).to.equal('ended');
    const late = await place(asDelta, { side: 'buy', prefix: '3330', price_per_minute: '0.030000', channels: 1 });
    expect(late.trades, 'nothing trades with an expired order').to.deep.equal([]);
  });

  it('makes one order of the same submission sent twice', async () => {
    await createDestination(running, 'France - Lille', ['3340']);
    const body = { side: 'buy', prefix: '3340', price_per_minute: '0.010000', channels: 3, client_order_id: 'charlie-0001' };
    const before = await rowCounts(running.system.db, ['orders']);
    const first = await place(asCharlie, body, 201);
    const second = await place(asCharlie, body, 200);
    expect(second).to.include({ duplicate: true });
    expect(second.order.id).to.equal(first.order.id);
    expect((await rowCounts(running.system.db, ['orders'])).orders).to.equal(before.orders! + 1);
    // The reference is the carrier's own: another carrier may use the same one.
    const other = await place(asDelta, body, 201);
    expect(other.order.id).to.not.equal(first.order.id);
  });

  it('keeps time priority when channels go down and loses it when price improves or channels go up', async () => {
    await createDestination(running, 'France - Bordeaux', ['3350']);
    const a = await place(asAlpha, { side: 'sell', prefix: '3350', price_per_minute: '0.020000', channels: 5 });
    const b = await place(asBravo, { side: 'sell', prefix: '3350', price_per_minute: '0.020000', channels: 5 });
    const amend = (client: CarrierClient, id: string, body: object) => client<{ order: OrderJson; priority_lost: boolean; trades: TradeJson[]; error?: string }>('PATCH', `/v1/orders/${id}`, body);

    const fewer = await amend(asAlpha, a.order.id, { channels: 3 });
    expect([fewer.status, fewer.body.priority_lost, fewer.body.order.channels_open]).to.deep.equal([200, false, 3]);
    const first = await place(asCharlie, { side: 'buy', prefix: '3350', price_per_minute: '0.025000', channels: 2 });
    expect(first.trades.map((trade) => trade.price_per_minute)).to.deep.equal(['0.020000']);
    expect((await orderOf(asAlpha, a.order.id)).channels_open, 'alpha kept its place at the front').to.equal(1);

    const seqBefore = await seqOf(a.order.id);
    const more = await amend(asAlpha, a.order.id, { channels: 6 });
    expect([more.body.priority_lost, more.body.order.channels, more.body.order.channels_open]).to.deep.equal([true, 6, 4]);
    expect(await seqOf(a.order.id) > seqBefore, 'a new seq').to.equal(true);
    await place(asCharlie, { side: 'buy', prefix: '3350', price_per_minute: '0.025000', channels: 2 });
    expect((await orderOf(asBravo, b.order.id)).channels_open, 'bravo is now first in time').to.equal(3);
    expect((await orderOf(asAlpha, a.order.id)).channels_open).to.equal(4);

    const worse = await amend(asBravo, b.order.id, { price_per_minute: '0.021000' });
    expect(worse.body.priority_lost).to.equal(false);
    await place(asDelta, { side: 'buy', prefix: '3350', price_per_minute: '0.018000', channels: 3 });
    // Lowering a sell's price to the resting buy's crosses it, at the buy's (resting) price.
    const better = await amend(asAlpha, a.order.id, { price_per_minute: '0.018000' });
    expect(better.body.priority_lost).to.equal(true);
    expect(better.body.trades.map((trade) => [trade.side, trade.price_per_minute, trade.channels])).to.deep.equal([['sell', '0.018000', 3]]);
    expect(better.body.order).to.include({ price_per_minute: '0.018000', channels_open: 1 });

    const nothing = await amend(asAlpha, a.order.id, {});
    expect([nothing.status, nothing.body.error]).to.deep.equal([400, 'nothing_to_amend']);
    const belowFilled = await amend(asAlpha, a.order.id, { channels: 4 });
    expect([belowFilled.status, belowFilled.body.error]).to.deep.equal([400, 'channels_below_filled']);
    const history = (await orderOf(asAlpha, a.order.id)).history!.map((event) => event.kind);
    expect(history.filter((kind) => kind === 'order_amended')).to.have.length(3);
  });

  it('shows the market depth, best prices and last trades without identities', async () => {
    const destination = await createDestination(running, 'France - Marseille', ['3370']);
    const sells = [
      await place(asAlpha, { side: 'sell', prefix: '3370', price_per_minute: '0.030000', channels: 5 }),
      await place(asBravo, { side: 'sell', prefix: '3370', price_per_minute: '0.030000', channels: 3 }),
      await place(asBravo, { side: 'sell', prefix: '3370', price_per_minute: '0.031000', channels: 4, client_order_id: 'bravo-deep' }),
    ];
    const buys = [
      await place(asCharlie, { side: 'buy', prefix: '3370', price_per_minute: '0.020000', channels: 2 }),
      await place(asDelta, { side: 'buy', prefix: '3370', price_per_minute: '0.019000', channels: 6 }),
      await place(asCharlie, { side: 'buy', prefix: '3370', price_per_minute: '0.020000', channels: 1 }),
      await place(asDelta, { side: 'buy', prefix: '3370', price_per_minute: '0.030000', channels: 1 }),
    ];
    const response = await asCharlie<Record<string, unknown>>('GET', '/v1/market/3370');
    expect(response.status).to.equal(200);
    // Alpha's order is first at 0.030 and gives the 1 channel: 5 + 3 - 1 = 7 left on 2 orders.
    expect(response.body).to.deep.include({
      currency: 'USD', best_bid: '0.020000', best_ask: '0.030000',
      asks: [{ price_per_minute: '0.030000', channels: 7, orders: 2 }, { price_per_minute: '0.031000', channels: 4, orders: 1 }],
      bids: [{ price_per_minute: '0.020000', channels: 3, orders: 2 }, { price_per_minute: '0.019000', channels: 6, orders: 1 }],
    });
    expect((response.body['last_trades'] as Array<Record<string, unknown>>).map((trade) => [trade['price_per_minute'], trade['channels']])).to.deep.equal([['0.030000', 1]]);
    const ids = [alpha, bravo, charlie, delta].map((carrier) => carrier.id).concat([...sells, ...buys].map((placed) => placed.order.id));
    for (const id of ids) expect(response.text).to.not.include(id);
    expect(response.text).to.not.match(/Alpha|Bravo|Charlie|Delta|bravo-deep/);
    expect(response.text).to.include(destination);
    expect((await asCharlie<{ error: string }>('GET', '/v1/market/3999')).status).to.equal(404);
  });

  it('streams a carrier its own orders and trades and the anonymous market, nothing of others', async () => {
    await createDestination(running, 'France - Toulouse', ['3380']);
    const abort = new AbortController();
    const key = (await running.api<{ key: string }>('POST', `/v1/carriers/${charlie.id}/api-keys`)).body.key;
    const operatorStream = await fetch(`${running.system.apiUrl}/v1/stream`, { headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` }, signal: abort.signal });
    const carrierStream = await fetch(`${running.system.apiUrl}/v1/stream`, { headers: { authorization: `Bearer ${key}` }, signal: abort.signal });
    const collect = (response: Response) => {
      const frames: string[] = [];
      const reader = response.body!.getReader() as ReadableStreamDefaultReader<Uint8Array>;
      const decoder = new TextDecoder();
      const done = (async () => {
        try {
          for (;;) {
            const chunk = await reader.read();
            if (chunk.done) return;
            frames.push(decoder.decode(chunk.value));
          }
        } catch {
          // Aborted at the end of the test.
        }
      })();
      return { text: () => frames.join(''), done };
    };
    const operatorFrames = collect(operatorStream);
    const carrierFrames = collect(carrierStream);
    const sell = await place(asAlpha, { side: 'sell', prefix: '3380', price_per_minute: '0.020000', channels: 5 });
    const buy = await place(asCharlie, { side: 'buy', prefix: '3380', price_per_minute: '0.025000', channels: 2 });
    const both = () => carrierFrames.text().includes('"trade_made"') && operatorFrames.text().includes(buy.trades[0]!.id);
    await eventually(() => Promise.resolve(both() ? true : undefined), 5000, 'the trade on both streams');
    abort.abort();
    await Promise.all([operatorFrames.done, carrierFrames.done]);
    const seen = carrierFrames.text();
    expect(seen).to.include('event: order').and.include(buy.order.id);
    expect(seen).to.include('event: trade').and.include(buy.trades[0]!.counterparty);
    expect(seen).to.include('"kind":"book_changed"').and.include('"kind":"trade"');
    for (const hidden of [alpha.id, sell.order.id]) expect(seen, 'the seller and its order stay hidden').to.not.include(hidden);
    expect(operatorFrames.text(), 'an operator sees both sides').to.include(alpha.id).and.include(sell.order.id);
  });
});
