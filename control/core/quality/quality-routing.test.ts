import { expect } from 'chai';
import type { Leg, RoutableTrade } from '../routing.ts';
import { QualityBook } from './quality-book.ts';
import { emptyCounts } from './quality-counts.ts';
import { chooseLegs, type LegView, type QualityFloor, type QualityPolicy } from './quality-routing.ts';

const DEST = 'uk';

function leg(seller_id: string, price: bigint): Leg {
  const trade: RoutableTrade = {
    id: `t-${seller_id}`, buyer_id: 'buyer', seller_id, destination_id: DEST, currency: 'USD', price_per_minute_micros: price,
    first_increment_s: 60, next_increment_s: 60, connect_fee_micros: 0n, channels: 10, seq: 1,
  };
  return { trade, trunk: { id: `out-${seller_id}`, carrier_id: seller_id, host: '127.0.0.9', port: 5060, transport: 'udp', channels: 10 } };
}

/** Records `answered` of `attempts` calls for a seller at `at_ms`. */
function calls(book: QualityBook, seller_id: string, attempts: number, answered: number, at_ms: number): void {
  for (let index = 0; index < attempts; index += 1) {
    const counts = emptyCounts();
    counts.attempts = 1;
    if (index < answered) {
      counts.answered = 1;
      counts.talk_ms = 60_000;
    }
    book.record({ at_ms, scope: { kind: 'seller_destination', id: seller_id, destination_id: DEST }, counts });
  }
}

const FLOOR: QualityFloor = { asr_percent: 40, acd_s: 0, pdd_ms: 0 };
const SKIP: QualityPolicy = { mode: 'skip', min_attempts: 20, probe_share: 0.1 };

function view(book: QualityBook, now_ms: number, extra: Partial<LegView> = {}): LegView {
  return {
    sellerQuality: (seller_id, destination_id) => [0, 1].map((index) => book.stats({ kind: 'seller_destination', id: seller_id, destination_id }, now_ms, index)),
    floor: () => FLOOR,
    trunkDown: () => false,
    sellerExcluded: () => undefined,
    tradeSuspended: () => false,
    ...extra,
  };
}

describe('routing with measured quality', () => {
  const cheap = leg('cheap', 10_000n);
  const dear = leg('dear', 12_000n);

  it('does not judge a seller before it has the minimum attempts', () => {
    const book = new QualityBook();
    calls(book, 'cheap', 19, 0, 0);
    expect(chooseLegs([cheap, dear], DEST, view(book, 1000), SKIP, 0.5).legs).to.deep.equal([cheap, dear]);
  });

  it('skips a seller whose ASR is below the buyer’s floor once it has enough attempts', () => {
    const book = new QualityBook();
    calls(book, 'cheap', 20, 2, 0); // 10% < 40%
    calls(book, 'dear', 20, 12, 0); // 60%
    const choice = chooseLegs([cheap, dear], DEST, view(book, 1000), SKIP, 0.5);
    expect(choice.legs).to.deep.equal([dear]);
    expect(choice.skipped).to.deep.equal([{ leg: cheap, reason: 'below_floor' }]);
  });

  it('demotes instead of skipping in demote mode', () => {
    const book = new QualityBook();
    calls(book, 'cheap', 20, 2, 0);
    expect(chooseLegs([cheap, dear], DEST, view(book, 1000), { ...SKIP, mode: 'demote' }, 0.5).legs).to.deep.equal([dear, cheap]);
  });

  it('keeps the seller in place on a probe share of calls, and again once it recovered', () => {
    const book = new QualityBook();
    calls(book, 'cheap', 20, 2, 0);
    const probe = chooseLegs([cheap, dear], DEST, view(book, 1000), SKIP, 0.05);
    expect([probe.probe, probe.legs]).to.deep.equal([true, [cheap, dear]]);
    // Ten minutes later the probes answered well: the 5 minute window has 20 attempts at 80%.
    calls(book, 'cheap', 20, 16, 600_000);
    expect(chooseLegs([cheap, dear], DEST, view(book, 601_000), SKIP, 0.5).legs).to.deep.equal([cheap, dear]);
  });

  it('judges ACD and PDD floors; zero floors ask for nothing', () => {
    const book = new QualityBook();
    calls(book, 'cheap', 20, 20, 0); // ACD 60 s
    const acdFloor = view(book, 1000, { floor: () => ({ asr_percent: 0, acd_s: 90, pdd_ms: 0 }) });
    expect(chooseLegs([cheap], DEST, acdFloor, SKIP, 0.5).legs).to.deep.equal([]);
    const none = view(book, 1000, { floor: () => ({ asr_percent: 0, acd_s: 0, pdd_ms: 0 }) });
    expect(chooseLegs([cheap], DEST, none, SKIP, 0.5).legs).to.deep.equal([cheap]);
  });

  it('takes out dead trunks, excluded sellers and suspended trades, probe or not', () => {
    const book = new QualityBook();
    const choice = chooseLegs([cheap, dear], DEST, view(book, 0, { trunkDown: (id) => id === 'out-cheap', sellerExcluded: (seller) => (seller === 'dear' ? 'operator' : undefined) }), SKIP, 0);
    expect(choice.legs).to.deep.equal([]);
    expect(choice.skipped.map((skip) => skip.reason)).to.deep.equal(['trunk_down', 'out_of_routing']);
    expect(chooseLegs([cheap], DEST, view(book, 0, { tradeSuspended: () => true }), SKIP, 0).skipped[0]!.reason).to.equal('trade_suspended');
  });

  it('changes nothing with quality routing off, except for legs that cannot carry the call', () => {
    const book = new QualityBook();
    calls(book, 'cheap', 20, 0, 0);
    expect(chooseLegs([cheap, dear], DEST, view(book, 1000), { ...SKIP, mode: 'off' }, 0.5).legs).to.deep.equal([cheap, dear]);
  });
});
