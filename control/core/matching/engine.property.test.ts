/**
 * Property tests: random command sequences over a few books and carriers, checked after every
 * command against rules restated here independently of the engine's code.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { MatchingEngine } from './engine.ts';
import type { Command, Event, OrderSpec, Quality, RestingOrderView, Trade } from './types.ts';

const CARRIERS = ['c0', 'c1', 'c2', 'c3'];
const BOOKS = [
  ['d0', 'EUR'],
  ['d1', 'EUR'],
  ['d0', 'USD'],
] as const;
const INCREMENTS = [
  [60, 60],
  [30, 6],
  [1, 1],
  [30, 30],
] as const;
const CONNECT_FEES = [0n, 500n, 1_000n];
const START_MS = 1_700_000_000_000;

type Operation =
  | {
      type: 'submit';
      carrier: number;
      side: 'buy' | 'sell';
      book: number;
      price_tick: number;
      channels: number;
      quality: Quality | null;
      /** A buy has a quality floor only when this is set, so half the buys accept any quality. */
      floor_wanted: boolean;
      /** A buy that accepts any billing increments and connect fee the sells here offer. */
      open_terms: boolean;
      increments: number;
      connect_fee: number;
      lifetime_ms: number | null;
      broken: 'none' | 'zero_channels' | 'zero_price' | 'reused_id';
      target: number;
      advance_ms: number;
    }
  | { type: 'cancel'; target: number; advance_ms: number }
  | {
      type: 'amend';
      target: number;
      price_tick: number | null;
      channels: number | null;
      with_seq: boolean;
      advance_ms: number;
    }
  | { type: 'expire'; advance_ms: number };

const qualityArbitrary: fc.Arbitrary<Quality | null> = fc.option(
  fc.record({
    asr_percent: fc.constantFrom(30, 50, 70),
    acd_s: fc.constantFrom(60, 120),
    pdd_ms: fc.constantFrom(1_000, 3_000),
  }),
  { freq: 5 },
);

const operationArbitrary: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('submit' as const),
      carrier: fc.nat(CARRIERS.length - 1),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      book: fc.nat(BOOKS.length - 1),
      price_tick: fc.integer({ min: 1, max: 8 }),
      channels: fc.integer({ min: 1, max: 5 }),
      quality: qualityArbitrary,
      floor_wanted: fc.boolean(),
      increments: fc.nat(INCREMENTS.length - 1),
      connect_fee: fc.nat(CONNECT_FEES.length - 1),
      lifetime_ms: fc.option(fc.integer({ min: 1, max: 2_000 }), { freq: 3 }),
      broken: fc.oneof(
        { weight: 30, arbitrary: fc.constant('none' as const) },
        { weight: 1, arbitrary: fc.constantFrom('zero_channels' as const, 'zero_price' as const, 'reused_id' as const) },
      ),
      open_terms: fc.boolean(),
      target: fc.nat(),
      advance_ms: fc.integer({ min: 0, max: 40 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('cancel' as const), target: fc.nat(), advance_ms: fc.integer({ min: 0, max: 40 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant('amend' as const),
      target: fc.nat(),
      price_tick: fc.option(fc.integer({ min: 0, max: 8 })),
      channels: fc.option(fc.integer({ min: 0, max: 7 })),
      with_seq: fc.constantFrom(true, true, true, false),
      advance_ms: fc.integer({ min: 0, max: 40 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('expire' as const), advance_ms: fc.integer({ min: 0, max: 200 }) }) },
);

/** Turns abstract operations into concrete commands: seqs increase, targets are ids seen so far (or unknown). */
function toCommands(operations: readonly Operation[]): Command[] {
  let seq = 0n;
  let now_ms = START_MS;
  const ids: string[] = [];
  // Mostly one of the latest ids, which are the likeliest to be still resting.
  const pick = (target: number): string => {
    if (ids.length === 0 || target % 13 === 12) return `unknown-${target}`;
    const window = target % 4 === 0 ? ids.length : Math.min(ids.length, 8);
    return ids[ids.length - 1 - (target % window)]!;
  };
  return operations.map((operation, index): Command => {
    now_ms += operation.advance_ms;
    if (operation.type === 'expire') return { kind: 'expire', now_ms };
    if (operation.type === 'cancel') return { kind: 'cancel', order_id: pick(operation.target), now_ms };
    if (operation.type === 'amend') {
      seq += 1n;
      return {
        kind: 'amend',
        order_id: pick(operation.target),
        ...(operation.price_tick === null ? {} : { price_per_minute_micros: BigInt(operation.price_tick) * 1_000n }),
        ...(operation.channels === null ? {} : { channels: operation.channels }),
        ...(operation.with_seq ? { new_seq: seq } : {}),
        now_ms,
      };
    }
    seq += 1n;
    const [destination_id, currency] = BOOKS[operation.book]!;
    const open_terms = operation.side === 'buy' && operation.open_terms;
    const [first_increment_s, next_increment_s] = INCREMENTS[open_terms ? 0 : operation.increments]!;
    const order_id = operation.broken === 'reused_id' && ids.length > 0 ? pick(operation.target) : `o${index}`;
    ids.push(order_id);
    const order: OrderSpec = {
      order_id,
      carrier_id: CARRIERS[operation.carrier]!,
      side: operation.side,
      destination_id,
      currency,
      price_per_minute_micros: operation.broken === 'zero_price' ? 0n : BigInt(operation.price_tick) * 1_000n,
      first_increment_s,
      next_increment_s,
      connect_fee_micros: CONNECT_FEES[open_terms ? CONNECT_FEES.length - 1 : operation.connect_fee]!,
      channels: operation.broken === 'zero_channels' ? 0 : operation.channels,
      quality: operation.side === 'buy' && !operation.floor_wanted ? null : operation.quality,
      seq,
      valid_until_ms: operation.lifetime_ms === null ? null : now_ms + operation.lifetime_ms,
    };
    return { kind: 'submit', order, now_ms };
  });
}

/** The compatibility rules, restated: the sell meets the buy's quality floor, increments and connect fee. */
function compatible(buy: OrderSpec | RestingOrderView, sell: OrderSpec | RestingOrderView): boolean {
  if (buy.carrier_id === sell.carrier_id) return false;
  if (sell.first_increment_s > buy.first_increment_s || sell.next_increment_s > buy.next_increment_s) return false;
  if (sell.connect_fee_micros > buy.connect_fee_micros) return false;
  if (buy.quality === null) return true;
  if (sell.quality === null) return false;
  return (
    sell.quality.asr_percent >= buy.quality.asr_percent &&
    sell.quality.acd_s >= buy.quality.acd_s &&
    sell.quality.pdd_ms <= buy.quality.pdd_ms
  );
}

/** True when `a` comes before `b` in price-time priority on their (common) side. */
function ahead(a: RestingOrderView, b: RestingOrderView): boolean {
  if (a.price_per_minute_micros !== b.price_per_minute_micros) {
    return a.side === 'buy'
      ? a.price_per_minute_micros > b.price_per_minute_micros
      : a.price_per_minute_micros < b.price_per_minute_micros;
  }
  return a.seq < b.seq;
}

function allResting(engine: MatchingEngine): Map<string, RestingOrderView> {
  const resting = new Map<string, RestingOrderView>();
  for (const [destination_id, currency] of BOOKS) {
    for (const order of engine.restingOrders(destination_id, currency)) resting.set(order.order_id, order);
  }
  return resting;
}

/** What the test knows about every accepted order, from the commands and events alone. */
class Ledger {
  readonly specs = new Map<string, OrderSpec>();
  readonly price = new Map<string, bigint>();
  readonly channels = new Map<string, number>();
  readonly filled = new Map<string, number>();
  readonly seq = new Map<string, bigint>();

  record(command: Command, events: readonly Event[]): void {
    for (const event of events) {
      if (event.kind === 'order_accepted' && command.kind === 'submit') {
        this.specs.set(event.order_id, command.order);
        this.price.set(event.order_id, command.order.price_per_minute_micros);
        this.channels.set(event.order_id, command.order.channels);
        this.filled.set(event.order_id, 0);
        this.seq.set(event.order_id, command.order.seq);
      } else if (event.kind === 'order_amended' && command.kind === 'amend') {
        this.checkAmendPriority(command, event.order_id, event.seq, event.priority_lost);
        this.price.set(event.order_id, event.price_per_minute_micros);
        this.channels.set(event.order_id, event.channels);
      } else if (event.kind === 'trade_made') {
        for (const id of [event.trade.buy_order_id, event.trade.sell_order_id]) {
          this.filled.set(id, this.filled.get(id)! + event.trade.channels);
          expect(this.filled.get(id), `${id} filled beyond its channels`).to.be.at.most(this.channels.get(id)!);
        }
      } else if (event.kind === 'order_partially_filled' || event.kind === 'order_filled') {
        const remaining = this.channels.get(event.order_id)! - this.filled.get(event.order_id)!;
        expect(event.remaining_channels).to.equal(remaining);
        expect(event.kind === 'order_filled').to.equal(remaining === 0);
      }
    }
  }

  /** Raising a buy's price, lowering a sell's or adding channels takes the new seq; nothing else does. */
  private checkAmendPriority(command: Command & { kind: 'amend' }, order_id: string, seq: bigint, priority_lost: boolean): void {
    const side = this.specs.get(order_id)!.side;
    const oldPrice = this.price.get(order_id)!;
    const newPrice = command.price_per_minute_micros ?? oldPrice;
    const improves = side === 'buy' ? newPrice > oldPrice : newPrice < oldPrice;
    const expectedLoss = improves || (command.channels ?? 0) > this.channels.get(order_id)!;
    expect(priority_lost).to.equal(expectedLoss);
    expect(seq).to.equal(expectedLoss ? command.new_seq : this.seq.get(order_id));
    this.seq.set(order_id, seq);
  }
}

function checkNotCrossed(resting: Map<string, RestingOrderView>): void {
  const orders = [...resting.values()];
  const buys = orders.filter((order) => order.side === 'buy');
  const sells = orders.filter((order) => order.side === 'sell');
  for (const buy of buys) {
    for (const sell of sells) {
      const sameBook = buy.destination_id === sell.destination_id && buy.currency === sell.currency;
      const crossed = sameBook && sell.price_per_minute_micros <= buy.price_per_minute_micros && compatible(buy, sell);
      if (crossed) expect.fail(`${buy.order_id} and ${sell.order_id} could trade but both rest`);
    }
  }
}

/** A plain comparison: chai's `expect` is too slow for checks made thousands of times per run. */
function same<T>(actual: T, expected: T, what: string): void {
  if (actual !== expected) expect.fail(`${what}: expected ${String(expected)}, got ${String(actual)}`);
}

function checkRestingOrders(engine: MatchingEngine, ledger: Ledger, resting: Map<string, RestingOrderView>, now_ms: number): void {
  const open = new Map<string, number>();
  for (const order of resting.values()) {
    const id = order.order_id;
    same(order.remaining_channels > 0, true, `${id} rests with open channels`);
    same(order.remaining_channels + order.filled_channels, order.channels, `${id} remaining + filled`);
    same(order.filled_channels, ledger.filled.get(id), `${id} filled channels`);
    same(order.channels, ledger.channels.get(id), `${id} channels`);
    same(order.price_per_minute_micros, ledger.price.get(id), `${id} price`);
    same(order.seq, ledger.seq.get(id), `${id} seq`);
    same(order.valid_until_ms === null || order.valid_until_ms > now_ms, true, `${id} within its validity`);
    const key = `${order.destination_id}/${order.currency}/${order.side}`;
    open.set(key, (open.get(key) ?? 0) + order.remaining_channels);
  }
  for (const [destination_id, currency] of BOOKS) {
    const view = engine.book(destination_id, currency);
    for (const level of [...view.bids, ...view.asks]) {
      same(level.orders > 0 && level.channels > 0, true, `${destination_id}/${currency} level ${level.price_per_minute_micros} is not empty`);
    }
    const depth = (levels: typeof view.bids) => levels.reduce((sum, level) => sum + level.channels, 0);
    same(depth(view.bids), open.get(`${destination_id}/${currency}/buy`) ?? 0, `${destination_id}/${currency} bid depth`);
    same(depth(view.asks), open.get(`${destination_id}/${currency}/sell`) ?? 0, `${destination_id}/${currency} ask depth`);
  }
}

function aggressorOf(trade: Trade): string {
  return trade.aggressor_side === 'buy' ? trade.buy_order_id : trade.sell_order_id;
}

/** Each trade is at the resting order's price, within both limits, and skipped no better compatible order. */
function checkTrades(events: readonly Event[], before: Map<string, RestingOrderView>, ledger: Ledger): void {
  const expired = new Set(events.flatMap((event) => (event.kind === 'order_expired' ? [event.order_id] : [])));
  const trades = events.flatMap((event) => (event.kind === 'trade_made' ? [event.trade] : []));
  const filledHere = new Map<string, number>();
  for (const trade of trades) {
    const aggressor = ledger.specs.get(aggressorOf(trade))!;
    const aggressorPrice = ledger.price.get(aggressor.order_id)!;
    const passive = before.get(trade.aggressor_side === 'buy' ? trade.sell_order_id : trade.buy_order_id);
    expect(passive, 'the passive order was resting before the command').to.not.equal(undefined);
    expect(expired.has(passive!.order_id)).to.equal(false);
    expect(trade.price_per_minute_micros).to.equal(passive!.price_per_minute_micros);
    const [buyPrice, sellPrice] =
      trade.aggressor_side === 'buy' ? [aggressorPrice, passive!.price_per_minute_micros] : [passive!.price_per_minute_micros, aggressorPrice];
    expect(trade.price_per_minute_micros <= buyPrice && trade.price_per_minute_micros >= sellPrice).to.equal(true);
    const [buy, sell] = trade.aggressor_side === 'buy' ? [aggressor, passive!] : [passive!, aggressor];
    expect(compatible(buy, sell)).to.equal(true);
    expect([trade.buyer_id, trade.seller_id]).to.deep.equal([buy.carrier_id, sell.carrier_id]);
    expect([trade.first_increment_s, trade.next_increment_s, trade.connect_fee_micros]).to.deep.equal([
      sell.first_increment_s,
      sell.next_increment_s,
      sell.connect_fee_micros,
    ]);
    for (const other of before.values()) {
      const candidate =
        other.side === passive!.side &&
        other.destination_id === passive!.destination_id &&
        other.currency === passive!.currency &&
        other.order_id !== aggressor.order_id &&
        !expired.has(other.order_id) &&
        ahead(other, passive!) &&
        (trade.aggressor_side === 'buy' ? compatible(aggressor, other) : compatible(other, aggressor));
      if (candidate) {
        same(filledHere.get(other.order_id) ?? 0, other.remaining_channels, `${other.order_id} skipped for ${passive!.order_id}`);
      }
    }
    filledHere.set(passive!.order_id, (filledHere.get(passive!.order_id) ?? 0) + trade.channels);
  }
}

/** Events as text, bigints included, for a quick exact comparison of two runs. */
function canonical(events: Event[][]): string {
  return JSON.stringify(events, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
}

function run(commands: readonly Command[], check: boolean): Event[][] {
  const engine = new MatchingEngine();
  const ledger = new Ledger();
  return commands.map((command) => {
    const before = check ? allResting(engine) : new Map<string, RestingOrderView>();
    const events = engine.apply(command);
    if (check) {
      ledger.record(command, events);
      const after = allResting(engine);
      checkNotCrossed(after);
      checkRestingOrders(engine, ledger, after, command.now_ms);
      checkTrades(events, before, ledger);
    }
    return events;
  });
}

describe('MatchingEngine properties', () => {
  it('keeps every invariant after every command of random sequences, and replays identically', () => {
    fc.assert(
      fc.property(fc.array(operationArbitrary, { minLength: 1, maxLength: 150, size: 'max' }), (operations) => {
        const commands = toCommands(operations);
        const events = run(commands, true);
        expect(canonical(run(commands, false))).to.equal(canonical(events));
      }),
      { numRuns: 400 },
    );
  });

  it('rebuilds identical books by restoring the open orders in seq order, as after a restart', () => {
    fc.assert(
      fc.property(fc.array(operationArbitrary, { minLength: 1, maxLength: 150, size: 'max' }), (operations) => {
        const commands = toCommands(operations);
        const engine = new MatchingEngine();
        commands.forEach((command) => engine.apply(command));
        const now_ms = commands.at(-1)!.now_ms;
        const open = BOOKS.flatMap(([destination_id, currency]) => engine.restingOrders(destination_id, currency));
        open.sort((a, b) => (a.seq < b.seq ? -1 : 1));
        const rebuilt = new MatchingEngine();
        for (const order of open) {
          const { filled_channels, remaining_channels, ...spec } = order;
          const events = rebuilt.apply({ kind: 'restore', order: spec, filled_channels, now_ms });
          expect(events).to.deep.equal([{ kind: 'order_restored', order_id: order.order_id, remaining_channels }]);
        }
        for (const [destination_id, currency] of BOOKS) {
          expect(rebuilt.restingOrders(destination_id, currency)).to.deep.equal(engine.restingOrders(destination_id, currency));
          expect(rebuilt.book(destination_id, currency)).to.deep.equal(engine.book(destination_id, currency));
        }
      }),
      { numRuns: 100 },
    );
  });

  it('makes trades in the random sequences, so the properties are not checked on empty books', () => {
    const operations = fc.sample(fc.array(operationArbitrary, { minLength: 100, maxLength: 100 }), { numRuns: 20, seed: 7 });
    const counts = operations.map((sequence) => {
      const events = run(toCommands(sequence), false).flat();
      return {
        trades: events.filter((event) => event.kind === 'trade_made').length,
        skipped: events.filter((event) => event.kind === 'command_rejected').length,
      };
    });
    expect(counts.reduce((sum, count) => sum + count.trades, 0)).to.be.greaterThan(200);
    expect(counts.reduce((sum, count) => sum + count.skipped, 0)).to.be.greaterThan(50);
  });
});
