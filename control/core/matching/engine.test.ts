import { expect } from 'chai';
import { MatchingEngine } from './engine.ts';
import {
  CURRENCY,
  DESTINATION,
  EngineHarness,
  NOW_MS,
  orderSpec,
  quality,
  tradeSummary,
} from './test-support.ts';
import type { Event } from './types.ts';

describe('MatchingEngine', () => {
  describe('crossing', () => {
    it('trades a crossing pair at the resting sell price, with the sell order increments and connect fee', () => {
      const harness = new EngineHarness();
      harness.submit({
        order_id: 'S1',
        carrier_id: 'seller',
        side: 'sell',
        price_per_minute_micros: 10_000n,
        channels: 3,
        first_increment_s: 30,
        next_increment_s: 6,
        connect_fee_micros: 500n,
      });
      const events = harness.submit({
        order_id: 'B1',
        carrier_id: 'buyer',
        side: 'buy',
        price_per_minute_micros: 12_000n,
        channels: 5,
        connect_fee_micros: 1_000n,
      });
      expect(events).to.deep.equal([
        { kind: 'order_accepted', order_id: 'B1', remaining_channels: 5 },
        {
          kind: 'trade_made',
          trade: {
            trade_seq: 1,
            buy_order_id: 'B1',
            sell_order_id: 'S1',
            buyer_id: 'buyer',
            seller_id: 'seller',
            destination_id: DESTINATION,
            currency: CURRENCY,
            price_per_minute_micros: 10_000n,
            first_increment_s: 30,
            next_increment_s: 6,
            connect_fee_micros: 500n,
            channels: 3,
            aggressor_side: 'buy',
          },
        },
        { kind: 'order_filled', order_id: 'S1', trade_seq: 1, traded_channels: 3, remaining_channels: 0 },
        { kind: 'order_partially_filled', order_id: 'B1', trade_seq: 1, traded_channels: 3, remaining_channels: 2 },
      ] satisfies Event[]);
      expect(harness.engine.book(DESTINATION, CURRENCY)).to.deep.equal({
        destination_id: DESTINATION,
        currency: CURRENCY,
        bids: [{ price_per_minute_micros: 12_000n, channels: 2, orders: 1 }],
        asks: [],
        best_bid_micros: 12_000n,
        best_ask_micros: null,
      });
      expect(harness.engine.orderStatus('S1')).to.equal('filled');
      expect(harness.engine.order('B1')).to.include({ channels: 5, filled_channels: 3, remaining_channels: 2 });
    });

    it('trades an incoming sell at the resting buy price', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'B1', carrier_id: 'buyer', side: 'buy', price_per_minute_micros: 12_000n, channels: 2 });
      const events = harness.submit({
        order_id: 'S1',
        carrier_id: 'seller',
        side: 'sell',
        price_per_minute_micros: 9_000n,
        channels: 2,
      });
      expect(tradeSummary(events)).to.deep.equal([['B1', 'S1', 12_000n, 2]]);
      expect(events[1]).to.have.nested.property('trade.aggressor_side', 'sell');
      expect(harness.engine.book(DESTINATION, CURRENCY).bids).to.deep.equal([]);
      expect(harness.engine.orderStatus('B1')).to.equal('filled');
      expect(harness.engine.orderStatus('S1')).to.equal('filled');
    });

    it('does not trade when the buy price is below the ask', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'S1', carrier_id: 'seller', side: 'sell', price_per_minute_micros: 10_001n });
      const events = harness.submit({ order_id: 'B1', carrier_id: 'buyer', side: 'buy', price_per_minute_micros: 10_000n });
      expect(tradeSummary(events)).to.deep.equal([]);
      const book = harness.engine.book(DESTINATION, CURRENCY);
      expect([book.best_bid_micros, book.best_ask_micros]).to.deep.equal([10_000n, 10_001n]);
    });

    it('fills partially across several levels, cheapest first, and rests the remainder at its own price', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'S13', carrier_id: 'c', side: 'sell', price_per_minute_micros: 13_000n, channels: 5 });
      harness.submit({ order_id: 'S11', carrier_id: 'b', side: 'sell', price_per_minute_micros: 11_000n, channels: 3 });
      harness.submit({ order_id: 'S10', carrier_id: 'a', side: 'sell', price_per_minute_micros: 10_000n, channels: 2 });
      const events = harness.submit({
        order_id: 'B1',
        carrier_id: 'buyer',
        side: 'buy',
        price_per_minute_micros: 12_000n,
        channels: 6,
      });
      expect(tradeSummary(events)).to.deep.equal([
        ['B1', 'S10', 10_000n, 2],
        ['B1', 'S11', 11_000n, 3],
      ]);
      expect(events.at(-1)).to.deep.equal({
        kind: 'order_partially_filled',
        order_id: 'B1',
        trade_seq: 2,
        traded_channels: 3,
        remaining_channels: 1,
      });
      const book = harness.engine.book(DESTINATION, CURRENCY);
      expect(book.bids).to.deep.equal([{ price_per_minute_micros: 12_000n, channels: 1, orders: 1 }]);
      expect(book.asks).to.deep.equal([{ price_per_minute_micros: 13_000n, channels: 5, orders: 1 }]);
    });

    it('applies price priority first, then time priority within a price', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'S1', carrier_id: 'a', side: 'sell', price_per_minute_micros: 11_000n, channels: 2 });
      harness.submit({ order_id: 'S2', carrier_id: 'b', side: 'sell', price_per_minute_micros: 10_000n, channels: 2 });
      harness.submit({ order_id: 'S3', carrier_id: 'c', side: 'sell', price_per_minute_micros: 10_000n, channels: 2 });
      const events = harness.submit({
        order_id: 'B1',
        carrier_id: 'buyer',
        side: 'buy',
        price_per_minute_micros: 11_000n,
        channels: 5,
      });
      expect(tradeSummary(events)).to.deep.equal([
        ['B1', 'S2', 10_000n, 2],
        ['B1', 'S3', 10_000n, 2],
        ['B1', 'S1', 11_000n, 1],
      ]);
      expect(harness.engine.order('S1')).to.include({ remaining_channels: 1 });
      expect(harness.engine.orderStatus('B1')).to.equal('filled');
    });

    it('matches an incoming sell against the highest buy first, then the earliest', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'B1', carrier_id: 'a', side: 'buy', price_per_minute_micros: 9_000n });
      harness.submit({ order_id: 'B2', carrier_id: 'b', side: 'buy', price_per_minute_micros: 10_000n });
      harness.submit({ order_id: 'B3', carrier_id: 'c', side: 'buy', price_per_minute_micros: 10_000n });
      const events = harness.submit({
        order_id: 'S1',
        carrier_id: 'seller',
        side: 'sell',
        price_per_minute_micros: 9_000n,
        channels: 3,
      });
      expect(tradeSummary(events)).to.deep.equal([
        ['B2', 'S1', 10_000n, 1],
        ['B3', 'S1', 10_000n, 1],
        ['B1', 'S1', 9_000n, 1],
      ]);
    });
  });

  describe('compatibility', () => {
    it('skips sells below the buy quality floor without blocking the sells behind them', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'low-asr', carrier_id: 'a', side: 'sell', quality: quality(40, 180, 2_000) });
      harness.submit({ order_id: 'no-quality', carrier_id: 'b', side: 'sell' });
      harness.submit({ order_id: 'slow-pdd', carrier_id: 'c', side: 'sell', quality: quality(60, 180, 4_000) });
      harness.submit({ order_id: 'good', carrier_id: 'd', side: 'sell', quality: quality(50, 120, 3_000) });
      const events = harness.submit({
        order_id: 'B1',
        carrier_id: 'buyer',
        side: 'buy',
        channels: 2,
        quality: quality(50, 120, 3_000),
      });
      expect(tradeSummary(events)).to.deep.equal([['B1', 'good', 10_000n, 1]]);
      const view = harness.engine.book(DESTINATION, CURRENCY);
      expect(view.bids).to.deep.equal([{ price_per_minute_micros: 10_000n, channels: 1, orders: 1 }]);
      expect(view.asks).to.deep.equal([{ price_per_minute_micros: 10_000n, channels: 3, orders: 3 }]);
    });

    it('lets an incoming sell skip a buy whose floor it does not meet and trade with the buy behind it', () => {
      const harness = new EngineHarness();
      harness.submit({
        order_id: 'picky',
        carrier_id: 'a',
        side: 'buy',
        price_per_minute_micros: 12_000n,
        quality: quality(70, 0, 10_000),
      });
      harness.submit({ order_id: 'easy', carrier_id: 'b', side: 'buy', price_per_minute_micros: 11_000n });
      const events = harness.submit({
        order_id: 'S1',
        carrier_id: 'seller',
        side: 'sell',
        price_per_minute_micros: 10_000n,
        channels: 2,
        quality: quality(65, 300, 1_000),
      });
      expect(tradeSummary(events)).to.deep.equal([['easy', 'S1', 11_000n, 1]]);
      expect(harness.engine.order('picky')).to.include({ remaining_channels: 1 });
      expect(harness.engine.order('S1')).to.include({ remaining_channels: 1 });
    });

    it('trades only with sells that bill no coarser and charge no higher a connect fee than the buy accepts', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'coarse-next', carrier_id: 'a', side: 'sell', first_increment_s: 30, next_increment_s: 30 });
      harness.submit({ order_id: 'dear-fee', carrier_id: 'b', side: 'sell', first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 2_001n });
      harness.submit({ order_id: 'fine', carrier_id: 'c', side: 'sell', first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 2_000n });
      const events = harness.submit({
        order_id: 'B1',
        carrier_id: 'buyer',
        side: 'buy',
        channels: 3,
        first_increment_s: 30,
        next_increment_s: 6,
        connect_fee_micros: 2_000n,
      });
      expect(tradeSummary(events)).to.deep.equal([['B1', 'fine', 10_000n, 1]]);
      expect(tradesOfFirst(events)).to.include({ first_increment_s: 1, next_increment_s: 1, connect_fee_micros: 2_000n });
    });

    it('never trades a carrier with itself and lets the order trade past its own', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'own-sell', carrier_id: 'a', side: 'sell', price_per_minute_micros: 9_000n });
      harness.submit({ order_id: 'other-sell', carrier_id: 'b', side: 'sell', price_per_minute_micros: 10_000n });
      const first = harness.submit({ order_id: 'own-buy', carrier_id: 'a', side: 'buy', price_per_minute_micros: 10_000n, channels: 2 });
      expect(tradeSummary(first)).to.deep.equal([['own-buy', 'other-sell', 10_000n, 1]]);
      expect(harness.engine.order('own-sell')).to.include({ remaining_channels: 1 });
      expect(harness.engine.order('own-buy')).to.include({ remaining_channels: 1 });
      const second = harness.submit({ order_id: 'other-buy', carrier_id: 'c', side: 'buy', price_per_minute_micros: 9_000n });
      expect(tradeSummary(second)).to.deep.equal([['other-buy', 'own-sell', 9_000n, 1]]);
    });
  });

  describe('amend', () => {
    it('raising a buy price loses priority, takes the new seq and trades at the resting sell price', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'B1', carrier_id: 'buyer', side: 'buy', price_per_minute_micros: 9_000n, channels: 2 });
      harness.submit({ order_id: 'S1', carrier_id: 'seller', side: 'sell', price_per_minute_micros: 10_000n });
      const events = harness.engine.apply({
        kind: 'amend',
        order_id: 'B1',
        price_per_minute_micros: 10_500n,
        new_seq: 10n,
        now_ms: NOW_MS,
      });
      expect(events[0]).to.deep.equal({
        kind: 'order_amended',
        order_id: 'B1',
        price_per_minute_micros: 10_500n,
        channels: 2,
        remaining_channels: 2,
        seq: 10n,
        priority_lost: true,
        status: 'open',
      });
      expect(tradeSummary(events)).to.deep.equal([['B1', 'S1', 10_000n, 1]]);
      expect(events[1]).to.have.nested.property('trade.aggressor_side', 'buy');
      expect(harness.engine.order('B1')).to.include({ seq: 10n, remaining_channels: 1, price_per_minute_micros: 10_500n });
    });

    it('puts an order whose buy price was raised behind the orders already at its new level', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'B1', carrier_id: 'a', side: 'buy', price_per_minute_micros: 9_000n });
      harness.submit({ order_id: 'B2', carrier_id: 'b', side: 'buy', price_per_minute_micros: 10_000n });
      harness.engine.apply({ kind: 'amend', order_id: 'B1', price_per_minute_micros: 10_000n, new_seq: 5n, now_ms: NOW_MS });
      const events = harness.engine.apply({
        kind: 'submit',
        order: orderSpec({ order_id: 'S1', carrier_id: 'seller', side: 'sell', seq: 6n }),
        now_ms: NOW_MS,
      });
      expect(tradeSummary(events)).to.deep.equal([['B2', 'S1', 10_000n, 1]]);
    });

    it('lowering a sell price loses priority too', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'S1', carrier_id: 'a', side: 'sell', price_per_minute_micros: 11_000n });
      harness.submit({ order_id: 'S2', carrier_id: 'b', side: 'sell', price_per_minute_micros: 10_000n });
      const amended = harness.engine.apply({
        kind: 'amend',
        order_id: 'S1',
        price_per_minute_micros: 10_000n,
        new_seq: 7n,
        now_ms: NOW_MS,
      });
      expect(amended[0]).to.include({ kind: 'order_amended', seq: 7n, priority_lost: true });
      const events = harness.engine.apply({
        kind: 'submit',
        order: orderSpec({ order_id: 'B1', carrier_id: 'buyer', side: 'buy', seq: 8n }),
        now_ms: NOW_MS,
      });
      expect(tradeSummary(events)).to.deep.equal([['B1', 'S2', 10_000n, 1]]);
    });

    it('lowering a buy price keeps its seq, so it goes ahead of later orders at the new level', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'B1', carrier_id: 'a', side: 'buy', price_per_minute_micros: 10_000n });
      harness.submit({ order_id: 'B2', carrier_id: 'b', side: 'buy', price_per_minute_micros: 9_000n });
      const amended = harness.engine.apply({ kind: 'amend', order_id: 'B1', price_per_minute_micros: 9_000n, now_ms: NOW_MS });
      expect(amended).to.deep.equal([
        {
          kind: 'order_amended',
          order_id: 'B1',
          price_per_minute_micros: 9_000n,
          channels: 1,
          remaining_channels: 1,
          seq: 1n,
          priority_lost: false,
          status: 'open',
        },
      ]);
      expect(harness.engine.book(DESTINATION, CURRENCY).bids).to.deep.equal([
        { price_per_minute_micros: 9_000n, channels: 2, orders: 2 },
      ]);
      const events = harness.submit({ order_id: 'S1', carrier_id: 'seller', side: 'sell', price_per_minute_micros: 9_000n });
      expect(tradeSummary(events)).to.deep.equal([['B1', 'S1', 9_000n, 1]]);
    });

    it('reducing channels keeps priority', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'B1', carrier_id: 'a', side: 'buy', channels: 5 });
      harness.submit({ order_id: 'B2', carrier_id: 'b', side: 'buy', channels: 5 });
      const amended = harness.engine.apply({ kind: 'amend', order_id: 'B1', channels: 2, now_ms: NOW_MS });
      expect(amended[0]).to.include({ remaining_channels: 2, seq: 1n, priority_lost: false });
      expect(harness.engine.book(DESTINATION, CURRENCY).bids).to.deep.equal([
        { price_per_minute_micros: 10_000n, channels: 7, orders: 2 },
      ]);
      const events = harness.submit({ order_id: 'S1', carrier_id: 'seller', side: 'sell', channels: 3 });
      expect(tradeSummary(events)).to.deep.equal([
        ['B1', 'S1', 10_000n, 2],
        ['B2', 'S1', 10_000n, 1],
      ]);
    });

    it('adding channels loses priority and needs a new seq', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'B1', carrier_id: 'a', side: 'buy' });
      harness.submit({ order_id: 'B2', carrier_id: 'b', side: 'buy' });
      const missing = harness.engine.apply({ kind: 'amend', order_id: 'B1', channels: 3, now_ms: NOW_MS });
      expect(missing).to.deep.equal([
        { kind: 'command_rejected', command: 'amend', order_id: 'B1', reason: 'missing_seq' },
      ]);
      const amended = harness.engine.apply({ kind: 'amend', order_id: 'B1', channels: 3, new_seq: 3n, now_ms: NOW_MS });
      expect(amended[0]).to.include({ remaining_channels: 3, seq: 3n, priority_lost: true });
      const events = harness.engine.apply({
        kind: 'submit',
        order: orderSpec({ order_id: 'S1', carrier_id: 'seller', side: 'sell', seq: 4n }),
        now_ms: NOW_MS,
      });
      expect(tradeSummary(events)).to.deep.equal([['B2', 'S1', 10_000n, 1]]);
    });

    it('rejects reducing below the filled channels, and closes the order when reduced to exactly them', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'B1', carrier_id: 'a', side: 'buy', channels: 5 });
      harness.submit({ order_id: 'S1', carrier_id: 'seller', side: 'sell', channels: 3 });
      const below = harness.engine.apply({ kind: 'amend', order_id: 'B1', channels: 2, now_ms: NOW_MS });
      expect(below).to.deep.equal([
        { kind: 'command_rejected', command: 'amend', order_id: 'B1', reason: 'channels_below_filled' },
      ]);
      expect(harness.engine.order('B1')).to.include({ channels: 5, remaining_channels: 2 });
      const exact = harness.engine.apply({ kind: 'amend', order_id: 'B1', channels: 3, now_ms: NOW_MS });
      expect(exact[0]).to.include({ channels: 3, remaining_channels: 0, status: 'filled' });
      expect(harness.engine.order('B1')).to.equal(undefined);
      expect(harness.engine.orderStatus('B1')).to.equal('filled');
      expect(harness.engine.book(DESTINATION, CURRENCY).bids).to.deep.equal([]);
    });

    it('rejects an empty amend, a bad price, a stale seq and orders that are closed or unknown', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'B1', carrier_id: 'a', side: 'buy' });
      harness.submit({ order_id: 'B2', carrier_id: 'a', side: 'buy' });
      harness.cancel('B2');
      const reasons = [
        { kind: 'amend', order_id: 'B1', now_ms: NOW_MS },
        { kind: 'amend', order_id: 'B1', price_per_minute_micros: 0n, now_ms: NOW_MS },
        { kind: 'amend', order_id: 'B1', channels: 0, now_ms: NOW_MS },
        { kind: 'amend', order_id: 'B1', price_per_minute_micros: 11_000n, new_seq: 2n, now_ms: NOW_MS },
        { kind: 'amend', order_id: 'B2', channels: 2, new_seq: 9n, now_ms: NOW_MS },
        { kind: 'amend', order_id: 'nobody', channels: 2, new_seq: 10n, now_ms: NOW_MS },
      ].map((command) => harness.engine.apply(command as never)[0]);
      expect(reasons.map((event) => (event?.kind === 'command_rejected' ? event.reason : event?.kind))).to.deep.equal([
        'nothing_to_amend',
        'invalid_price',
        'invalid_channels',
        'invalid_seq',
        'already_closed',
        'unknown_order',
      ]);
      expect(harness.engine.order('B1')).to.include({ price_per_minute_micros: 10_000n, channels: 1, seq: 1n });
      expect(harness.engine.lastSeq).to.equal(10n);
    });
  });

  describe('cancel', () => {
    it('removes the remainder, which then never trades', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'S1', carrier_id: 'seller', side: 'sell', channels: 4 });
      harness.submit({ order_id: 'B1', carrier_id: 'buyer', side: 'buy', channels: 1 });
      expect(harness.cancel('S1')).to.deep.equal([
        { kind: 'order_cancelled', order_id: 'S1', withdrawn_channels: 3, remaining_channels: 0 },
      ]);
      expect(harness.engine.book(DESTINATION, CURRENCY).asks).to.deep.equal([]);
      const events = harness.submit({ order_id: 'B2', carrier_id: 'buyer', side: 'buy' });
      expect(tradeSummary(events)).to.deep.equal([]);
      expect(harness.cancel('S1')).to.deep.equal([
        { kind: 'command_rejected', command: 'cancel', order_id: 'S1', reason: 'already_closed' },
      ]);
      expect(harness.cancel('B1')[0]).to.include({ reason: 'already_closed' });
      expect(harness.cancel('nobody')[0]).to.include({ reason: 'unknown_order' });
    });
  });

  describe('expiry', () => {
    it('expires resting orders when valid_until_ms is reached, earliest first', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'late', carrier_id: 'a', side: 'sell', valid_until_ms: NOW_MS + 3_000 });
      harness.submit({ order_id: 'early', carrier_id: 'b', side: 'sell', valid_until_ms: NOW_MS + 2_000, channels: 2 });
      harness.submit({ order_id: 'forever', carrier_id: 'c', side: 'sell' });
      expect(harness.engine.apply({ kind: 'expire', now_ms: NOW_MS + 1_999 })).to.deep.equal([]);
      expect(harness.engine.apply({ kind: 'expire', now_ms: NOW_MS + 5_000 })).to.deep.equal([
        { kind: 'order_expired', order_id: 'early', withdrawn_channels: 2, remaining_channels: 0 },
        { kind: 'order_expired', order_id: 'late', withdrawn_channels: 1, remaining_channels: 0 },
      ]);
      expect(harness.engine.orderStatus('early')).to.equal('expired');
      expect(harness.engine.book(DESTINATION, CURRENCY).asks).to.deep.equal([
        { price_per_minute_micros: 10_000n, channels: 1, orders: 1 },
      ]);
    });

    it('expires due orders before any command, so an expired order never trades', () => {
      const harness = new EngineHarness();
      harness.submit({ order_id: 'stale', carrier_id: 'a', side: 'sell', valid_until_ms: NOW_MS + 10 });
      const events = harness.submit({ order_id: 'B1', carrier_id: 'buyer', side: 'buy' }, NOW_MS + 10);
      expect(events).to.deep.equal([
        { kind: 'order_expired', order_id: 'stale', withdrawn_channels: 1, remaining_channels: 0 },
        { kind: 'order_accepted', order_id: 'B1', remaining_channels: 1 },
      ]);
    });

    it('rejects an order whose validity has already run out', () => {
      const harness = new EngineHarness();
      const events = harness.submit({ order_id: 'S1', carrier_id: 'a', side: 'sell', valid_until_ms: NOW_MS });
      expect(events).to.deep.equal([
        { kind: 'command_rejected', command: 'submit', order_id: 'S1', reason: 'expired_on_arrival' },
      ]);
    });
  });

  describe('rejections', () => {
    it('answers invalid fields with reason codes and leaves the book unchanged', () => {
      const harness = new EngineHarness();
      const cases: [Parameters<EngineHarness['submit']>[0], string][] = [
        [{ order_id: 'zero', carrier_id: 'a', side: 'buy', channels: 0 }, 'invalid_channels'],
        [{ order_id: 'fraction', carrier_id: 'a', side: 'buy', channels: 1.5 }, 'invalid_channels'],
        [{ order_id: 'free', carrier_id: 'a', side: 'buy', price_per_minute_micros: 0n }, 'invalid_price'],
        [{ order_id: 'negative', carrier_id: 'a', side: 'sell', price_per_minute_micros: -5n }, 'invalid_price'],
        [{ order_id: 'increment', carrier_id: 'a', side: 'sell', next_increment_s: 0 }, 'invalid_increments'],
        [{ order_id: 'fee', carrier_id: 'a', side: 'sell', connect_fee_micros: -1n }, 'invalid_connect_fee'],
        [{ order_id: 'asr', carrier_id: 'a', side: 'sell', quality: quality(101, 0, 0) }, 'invalid_quality'],
        [{ order_id: 'validity', carrier_id: 'a', side: 'sell', valid_until_ms: 1.5e15 + 0.5 }, 'invalid_validity'],
      ];
      for (const [fields, reason] of cases) {
        expect(harness.submit(fields), fields.order_id).to.deep.equal([
          { kind: 'command_rejected', command: 'submit', order_id: fields.order_id, reason },
        ]);
      }
      expect(harness.engine.book(DESTINATION, CURRENCY).bids).to.deep.equal([]);
      expect(harness.engine.restingOrderCount).to.equal(0);
    });

    it('rejects a reused order id, resting or closed, and a seq that does not increase', () => {
      const engine = new MatchingEngine();
      const submit = (order_id: string, seq: bigint) =>
        engine.apply({ kind: 'submit', order: orderSpec({ order_id, carrier_id: 'a', side: 'buy', seq }), now_ms: NOW_MS })[0];
      expect(submit('B1', 5n)).to.include({ kind: 'order_accepted' });
      expect(submit('B1', 6n)).to.include({ reason: 'duplicate_order_id' });
      expect(submit('B2', 6n)).to.include({ reason: 'invalid_seq' });
      expect(submit('B2', 3n)).to.include({ reason: 'invalid_seq' });
      engine.apply({ kind: 'cancel', order_id: 'B1', now_ms: NOW_MS });
      expect(submit('B1', 7n)).to.include({ reason: 'duplicate_order_id' });
      expect(submit('B2', 8n)).to.include({ kind: 'order_accepted' });
    });
  });

  describe('restore', () => {
    it('rests orders with their filled channels without matching, and refuses one that would cross', () => {
      const engine = new MatchingEngine({ first_trade_seq: 41 });
      const restored = engine.apply({
        kind: 'restore',
        order: orderSpec({ order_id: 'B1', carrier_id: 'a', side: 'buy', channels: 5, seq: 3n }),
        filled_channels: 2,
        now_ms: NOW_MS,
      });
      expect(restored).to.deep.equal([{ kind: 'order_restored', order_id: 'B1', remaining_channels: 3 }]);
      const crossing = engine.apply({
        kind: 'restore',
        order: orderSpec({ order_id: 'S1', carrier_id: 'b', side: 'sell', seq: 4n }),
        filled_channels: 0,
        now_ms: NOW_MS,
      });
      expect(crossing[0]).to.include({ reason: 'would_cross' });
      const ownCarrier = engine.apply({
        kind: 'restore',
        order: orderSpec({ order_id: 'S2', carrier_id: 'a', side: 'sell', seq: 5n }),
        filled_channels: 0,
        now_ms: NOW_MS,
      });
      expect(ownCarrier[0]).to.include({ kind: 'order_restored' });
      expect(engine.apply({ kind: 'amend', order_id: 'B1', channels: 1, now_ms: NOW_MS })[0]).to.include({
        reason: 'channels_below_filled',
      });
      const trade = engine.apply({
        kind: 'submit',
        order: orderSpec({ order_id: 'S3', carrier_id: 'c', side: 'sell', seq: 6n }),
        now_ms: NOW_MS,
      });
      expect(trade[1]).to.have.nested.property('trade.trade_seq', 41);
      const fullyFilled = engine.apply({
        kind: 'restore',
        order: orderSpec({ order_id: 'B9', carrier_id: 'a', side: 'buy', channels: 2, seq: 7n }),
        filled_channels: 2,
        now_ms: NOW_MS,
      });
      expect(fullyFilled[0]).to.include({ reason: 'invalid_filled_channels' });
    });
  });

  describe('views', () => {
    it('reports depth best level first and limits the number of levels', () => {
      const harness = new EngineHarness();
      for (const [order_id, price] of [['a', 9_000n], ['b', 11_000n], ['c', 10_000n], ['d', 11_000n]] as const) {
        harness.submit({ order_id, carrier_id: order_id, side: 'buy', price_per_minute_micros: price, channels: 2 });
      }
      for (const [order_id, price] of [['e', 13_000n], ['f', 12_000n]] as const) {
        harness.submit({ order_id, carrier_id: order_id, side: 'sell', price_per_minute_micros: price });
      }
      const view = harness.engine.book(DESTINATION, CURRENCY, 2);
      expect(view.bids).to.deep.equal([
        { price_per_minute_micros: 11_000n, channels: 4, orders: 2 },
        { price_per_minute_micros: 10_000n, channels: 2, orders: 1 },
      ]);
      expect(view.asks).to.deep.equal([
        { price_per_minute_micros: 12_000n, channels: 1, orders: 1 },
        { price_per_minute_micros: 13_000n, channels: 1, orders: 1 },
      ]);
      expect(harness.engine.restingOrders(DESTINATION, CURRENCY).map((order) => order.order_id)).to.deep.equal([
        'b', 'd', 'c', 'a', 'f', 'e',
      ]);
      expect(harness.engine.book('elsewhere', CURRENCY).bids).to.deep.equal([]);
    });
  });
});

function tradesOfFirst(events: readonly Event[]): object {
  const event = events.find((candidate) => candidate.kind === 'trade_made');
  return event?.kind === 'trade_made' ? event.trade : {};
}
