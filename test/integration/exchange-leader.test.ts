/**
 * Two control-plane nodes on one database: one matching writer. Orders sent to both nodes at
 * once never fill a resting order beyond its channels; the leader stopping hands the lead to the
 * other node, which rebuilds the books and takes orders; a node that lost the lead without
 * knowing it stores nothing (its write is refused by the fence of its term).
 */
import { expect } from 'chai';
import { createLogger } from '../../common/logger.ts';
import { Exchange } from '../../control/exchange/exchange.ts';
import { ExchangeUnavailableError } from '../../control/exchange/exchange-unavailable.ts';
import { FORWARD_PATH, NODE_KEY_HEADER, WIRE_CONTENT_TYPE } from '../../control/exchange/leader-client.ts';
import { parseOrderInput, type OrderInput } from '../../control/exchange/order-input.ts';
import { ExchangeLeaderStore } from '../../control/store/exchange-leader.ts';
import { carrierClient, type CarrierClient } from '../support/exchange-api.ts';
import { createCarrier, createDestination, setCreditLimit, type Carrier } from '../support/market.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { TEST_OPERATOR_TOKEN, eventually, startTestSystem, type RunningSystem } from '../support/system.ts';

interface Placed { order: { id: string; status: string; channels_open: number }; trades: Array<{ channels: number }>; duplicate: boolean }

const NODE_ENV = { MINUTEX_EXCHANGE_LEADER_POLL_MS: '250' };
/** Sends of one order (the same client_order_id) while the lead changes hands. */
const MAX_SENDS = 40;

describe('one matching writer across nodes', function () {
  this.timeout(120_000);
  let database: TestDatabase;
  let first: RunningSystem | undefined;
  let second: RunningSystem | undefined;
  let seller: Carrier, buyerOne: Carrier, buyerTwo: Carrier;
  /** A sell resting before the second node starts: were each node to run its own engine, both would hold it. */
  let resting: Placed;

  /** Each of a carrier's clients, one per node. */
  const clients = new Map<string, CarrierClient[]>();
  const via = (carrier: Carrier, node: number) => clients.get(carrier.id)![node]!;

  /** Sends an order until it is answered with an order: a 503 (the lead is changing) is sent again, with the same client_order_id. */
  const placeSurely = async (client: CarrierClient, order: Record<string, unknown>): Promise<{ placed: Placed; sends: number }> => {
    for (let sends = 1; sends <= MAX_SENDS; sends += 1) {
      const response = await client<Placed & { error?: string; retryable?: boolean }>('POST', '/v1/orders', { currency: 'USD', increments: '60/60', connect_fee: '0', ...order });
      if (response.status === 201 || response.status === 200) return { placed: response.body, sends };
      expect([response.status, response.body.error, response.body.retryable], response.text).to.deep.equal([503, 'exchange_unavailable', true]);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`order ${JSON.stringify(order)} not placed after ${MAX_SENDS} sends`);
  };

  /** Orders whose trades add up to more channels than the order has: none in a sound market. */
  const overfilled = () => database.db.any<{ id: string; channels: number; traded: bigint }>(
    `select o.id, o.channels, sum(t.channels) as traded from orders o join trades t on t.buy_order_id = o.id or t.sell_order_id = o.id
     group by o.id, o.channels having sum(t.channels) > o.channels`);
  const tradedOf = async (order_id: string) => Number((await database.db.one<{ traded: bigint }>(
    'select coalesce(sum(channels), 0) as traded from trades where buy_order_id = $1 or sell_order_id = $1', [order_id])).traded);

  before(async () => {
    database = await createTestDatabase();
    first = await startTestSystem({ sip: 6760, evapi: 10160, jsonrpc: 6770, api: 9760 }, NODE_ENV, { database });
    seller = await createCarrier(first, 'Leader Test Seller');
    buyerOne = await createCarrier(first, 'Leader Test Buyer One');
    buyerTwo = await createCarrier(first, 'Leader Test Buyer Two');
    await setCreditLimit(first, buyerOne, '1000.000000');
    await setCreditLimit(first, buyerTwo, '1000.000000');
    await createDestination(first, 'Leader Test - Rome', ['3906']);
    const asSeller = await carrierClient(first, seller);
    resting = (await asSeller<Placed>('POST', '/v1/orders', {
      side: 'sell', prefix: '3906', price_per_minute: '0.010000', currency: 'USD', increments: '60/60', channels: 10, client_order_id: 'rest-1',
    })).body;
    second = await startTestSystem({ sip: 6761, evapi: 10161, jsonrpc: 6771, api: 9761 }, NODE_ENV, { database });
    for (const carrier of [seller, buyerOne, buyerTwo]) clients.set(carrier.id, [await carrierClient(first, carrier), await carrierClient(second, carrier)]);
  });

  after(async () => {
    await second?.stop();
    await first?.stop();
    await database?.drop();
  });

  it('leads on one node only', () => {
    expect([first!.system.exchange.leading, second!.system.exchange.leading]).to.deep.equal([true, false]);
  });

  it('takes forwarded commands only from a node: no key, or an operator token, is refused before the body is read', async () => {
    const attempts: Array<Record<string, string>> = [{}, { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` }, { [NODE_KEY_HEADER]: 'a-guess' }];
    for (const headers of attempts) {
      const response = await fetch(`${first!.system.apiUrl}${FORWARD_PATH}submit`, {
        method: 'POST', headers: { 'content-type': WIRE_CONTENT_TYPE, ...headers }, body: '[]',
      });
      expect([response.status, ((await response.json()) as { error: string }).error]).to.deep.equal([401, 'unauthorized']);
    }
  });

  it('never fills a resting order beyond its channels when both nodes take crossing orders at once', async () => {
    expect(resting.order).to.include({ status: 'open', channels_open: 10 });
    // Sent again through the node that does not lead: forwarded, and answered as if placed there.
    const { placed: again } = await placeSurely(via(seller, 1), { side: 'sell', prefix: '3906', price_per_minute: '0.010000', channels: 10, client_order_id: 'rest-1' });
    expect([again.duplicate, again.order.id]).to.deep.equal([true, resting.order.id]);

    const buys = Array.from({ length: 40 }, (_, index) => {
      const buyer = index % 2 === 0 ? buyerOne : buyerTwo;
      return placeSurely(via(buyer, index % 4 < 2 ? 0 : 1), {
        side: 'buy', prefix: '3906', price_per_minute: '0.020000', channels: 1, client_order_id: `cross-${index}`,
      });
    });
    const placed = await Promise.all(buys);
    const filledBuys = placed.filter(({ placed: buy }) => buy.trades.length > 0);
    expect(filledBuys).to.have.length(10);
    expect(filledBuys.every(({ placed: buy }) => buy.trades[0]!.channels === 1 && buy.order.status === 'filled')).to.equal(true);
    expect(await tradedOf(resting.order.id)).to.equal(10);
    expect(await overfilled()).to.deep.equal([]);
    // The node that does not lead answers the book from the leader's engine.
    const book = await via(buyerOne, 1)<{ bids: Array<{ channels: number }>; asks: unknown[] }>('GET', '/v1/market/3906');
    expect([book.status, book.body.asks, book.body.bids.map((level) => level.channels)]).to.deep.equal([200, [], [30]]);
  });

  it('amends, cancels and replaces a rate deck through the node that does not lead', async () => {
    const follower = (carrier: Carrier) => via(carrier, 1);
    const { placed: buy } = await placeSurely(follower(buyerTwo), { side: 'buy', prefix: '3906', price_per_minute: '0.001000', channels: 3, client_order_id: 'amend-me' });
    const amended = await follower(buyerTwo)<{ order: { price_per_minute: string; channels: number; created_at: string }; priority_lost: boolean }>(
      'PATCH', `/v1/orders/${buy.order.id}`, { price_per_minute: '0.002000' });
    expect([amended.status, amended.body.order.price_per_minute, amended.body.priority_lost], amended.text).to.deep.equal([200, '0.002000', true]);
    const cancelled = await follower(buyerTwo)<{ status: string }>('DELETE', `/v1/orders/${buy.order.id}`);
    expect([cancelled.status, cancelled.body.status]).to.deep.equal([200, 'cancelled']);
    const again = await follower(buyerTwo)<{ error: string }>('DELETE', `/v1/orders/${buy.order.id}`);
    expect([again.status, again.body.error]).to.deep.equal([409, 'already_closed']);
    // A deck line priced at the resting bids trades against them at once, on the leader's books.
    const deck = await follower(seller)<{ orders_submitted: number; trades_made: number }>('POST', `/v1/carriers/${seller.id}/rate-decks`, '3906,0.020000,60/60,0,,2\n', 'text/csv');
    expect([deck.status, deck.body.orders_submitted, deck.body.trades_made], deck.text).to.deep.equal([201, 1, 2]);
    expect(await overfilled()).to.deep.equal([]);
  });

  it('stops writing when its lock session dies, and a node leads again within seconds', async () => {
    const termBefore = (await database.db.one<{ term: bigint }>('select term from exchange_leader')).term;
    // What a leader's connection failing looks like to it: the session that holds the lock ends.
    const ended = await database.db.one<{ count: number }>(
      `select count(pg_terminate_backend(pid))::int as count from pg_locks
       where locktype = 'advisory' and granted and objid = 774411015 and database = (select oid from pg_database where datname = current_database())`);
    expect(ended.count).to.equal(1);
    const leaders = await eventually(async () => {
      const leading = [first!.system.exchange.leading, second!.system.exchange.leading];
      const { term } = await database.db.one<{ term: bigint }>('select term from exchange_leader');
      return term > termBefore && leading.filter(Boolean).length === 1 ? leading : undefined;
    }, 10_000, 'one node to lead in a new term');
    expect(leaders.filter(Boolean)).to.have.length(1);
    // Both nodes take orders again, and the books the new leader rebuilt hold the resting buys.
    const { placed: sell } = await placeSurely(via(seller, 1), { side: 'sell', prefix: '3906', price_per_minute: '0.015000', channels: 2, client_order_id: 'after-session-lost' });
    expect(sell.trades.map((trade) => trade.channels)).to.deep.equal([1, 1]);
    const { placed: buy } = await placeSurely(via(buyerOne, 0), { side: 'buy', prefix: '3906', price_per_minute: '0.005000', channels: 1, client_order_id: 'after-session-lost' });
    expect(buy.order.status).to.equal('open');
    expect(await overfilled()).to.deep.equal([]);
  });

  it('hands the lead to the other node when the leader stops: it rebuilds the books and every order is stored once', async () => {
    const leaderIndex = first!.system.exchange.leading ? 0 : 1;
    const otherIndex = 1 - leaderIndex;
    const other = [first, second][otherIndex]!;
    await createDestination(other, 'Leader Test - Milan', ['3902']);
    const { placed: sell } = await placeSurely(via(seller, leaderIndex), { side: 'sell', prefix: '3902', price_per_minute: '0.010000', channels: 20, client_order_id: 'rest-2' });
    // Orders keep arriving at the other node while the leader stops: each is sent until it is answered.
    const stopped = Date.now();
    const takeover = eventually(() => Promise.resolve(other.system.exchange.leading ? Date.now() - stopped : undefined), 10_000, 'the other node to lead');
    const stopping = (leaderIndex === 0 ? first! : second!).stop().then(() => {
      if (leaderIndex === 0) first = undefined;
      else second = undefined;
    });
    const placed = await Promise.all(Array.from({ length: 30 }, async (_, index) => {
      await new Promise((resolve) => setTimeout(resolve, index * 100));
      return placeSurely(via(index % 2 === 0 ? buyerOne : buyerTwo, otherIndex), {
        side: 'buy', prefix: '3902', price_per_minute: '0.020000', channels: 1, client_order_id: `failover-${index}`,
      });
    }));
    await stopping;
    expect(await takeover).to.be.below(5_000);

    // Every order was stored once, whatever happened to the sends that met the change of leader.
    const stored = await database.db.one<{ orders: number }>(
      `select count(*)::int as orders from orders where client_order_id like 'failover-%'`);
    expect(stored.orders).to.equal(30);
    expect(new Set(placed.map(({ placed: buy }) => buy.order.id)).size).to.equal(30);
    expect(await tradedOf(sell.order.id)).to.equal(20);
    expect(await overfilled()).to.deep.equal([]);

    // The new leader holds the books it rebuilt: the rest of the first test's buys still rest there.
    const { placed: late } = await placeSurely(via(seller, otherIndex), { side: 'sell', prefix: '3906', price_per_minute: '0.015000', channels: 5, client_order_id: 'after-failover' });
    expect(late.trades.map((trade) => trade.channels)).to.deep.equal([1, 1, 1, 1, 1]);
    expect(await overfilled()).to.deep.equal([]);
  });

  it('refuses the write of a node whose term has passed, storing nothing', async () => {
    await (first ?? second)!.stop();
    first = undefined;
    second = undefined;
    const log = createLogger('silent');
    const store = new ExchangeLeaderStore(database.db);
    const order = (input: Omit<OrderInput, 'currency' | 'increments'>) => {
      const parsed = parseOrderInput({ currency: 'USD', increments: '60/60', connect_fee: '0', ...input }, Date.now());
      if (!parsed.ok) throw new Error(parsed.message);
      return parsed.order;
    };
    // A book of its own, with no orders resting: both nodes are down, so the destination goes in directly.
    await database.db.none(`with d as (insert into destinations (name) values ('Leader Test - Turin') returning id)
      insert into destination_prefixes (prefix, destination_id) select '3911', id from d`);
    const sessionOne = await store.openLockSession();
    const sessionTwo = await store.openLockSession();
    const old = new Exchange(database.db, log);
    const current = new Exchange(database.db, log);
    try {
      await old.lead(await store.claim(sessionOne, 'old', 'http://127.0.0.1:1'));
      const resting = await old.submit(order({ carrier_id: seller.id, side: 'sell', prefix: '3911', price_per_minute: '0.011000', channels: 3 }), 'test');
      expect(resting.ok).to.equal(true);
      // Another node takes the lead; the old one has not noticed yet and still holds its books.
      await current.lead(await store.claim(sessionTwo, 'current', 'http://127.0.0.1:2'));
      const before = await database.db.one<{ orders: number; trades: number }>('select (select count(*)::int from orders) as orders, (select count(*)::int from trades) as trades');
      const refused = await old.submit(order({ carrier_id: buyerOne.id, side: 'buy', prefix: '3911', price_per_minute: '0.020000', channels: 3 }), 'test').then(
        () => undefined, (error: unknown) => error);
      expect(refused).to.be.instanceOf(ExchangeUnavailableError);
      expect((refused as ExchangeUnavailableError).stored).to.equal('no');
      expect(old.leading).to.equal(false);
      expect(await database.db.one('select (select count(*)::int from orders) as orders, (select count(*)::int from trades) as trades')).to.deep.equal(before);
      // The current leader fills the resting order once.
      const crossing = await current.submit(order({ carrier_id: buyerTwo.id, side: 'buy', prefix: '3911', price_per_minute: '0.020000', channels: 3 }), 'test');
      expect(crossing.ok && crossing.trades.map((trade) => trade.channels)).to.deep.equal([3]);
      expect(await overfilled()).to.deep.equal([]);
    } finally {
      old.stop();
      current.stop();
      await sessionOne.done();
      await sessionTwo.done();
    }
  });
});
