/**
 * Throughput and latency of the matching engine on a deterministic mixed workload across 1,000
 * destinations: new orders that rest and that cross, cancels, amends that keep or lose priority,
 * and expiry sweeps. A warm-up fills the books and lets the JIT settle, then a bounded timed run
 * measures each `apply` with process.hrtime.bigint(). Prints one JSON line.
 *
 * `orders_per_s` is commands per second of wall time over the timed run, including the time this
 * file spends choosing the next command and reading the events, so the engine alone is faster.
 */
import { LatencyHistogram } from '../common/latency-histogram.ts';
import { MatchingEngine } from '../control/core/matching/engine.ts';
import type { Command, Event, Quality, Side } from '../control/core/matching/types.ts';
import { SeededRandom } from './seeded-random.ts';

const DESTINATIONS = 1_000;
const CARRIERS = 200;
const CURRENCY = 'EUR';
const SEED = 0x5eed_2024;
/** Warm-up: at least this many commands and this long, but never more than the maximum. */
const WARM_UP_COMMANDS = 200_000;
const WARM_UP_MS = 1_000;
const WARM_UP_MAX_COMMANDS = 2_000_000;
/** Timed run: stops at whichever limit comes first. */
const TIMED_RUN_MS = 3_000;
const TIMED_RUN_MAX_COMMANDS = 3_000_000;
/** How often (in commands) a run checks its limits; a run may pass a command limit by up to this. */
const CHECK_EVERY_COMMANDS = 1_024;
/** The workload's own clock advances this much per command. */
const MS_PER_COMMAND = 1;
const TICK_MICROS = 100n;
/** New orders are priced within this many ticks of their destination's mid price. */
const PRICE_SPREAD_TICKS = 20;
/** How many distinct committed qualities the sellers use. */
const SELL_QUALITIES = 256;

/**
 * The orders the workload believes are resting, kept from the events, for picking cancel and
 * amend targets. Orders are numbered by arrival (id "o<number>"); their state sits in typed arrays
 * indexed by that number, so tracking them allocates nothing and gives the collector nothing to
 * scan: the benchmark's own bookkeeping stays out of the engine's figures as far as it can.
 */
class LiveOrders {
  /** Numbers of the live orders, in no particular order, for uniform picking. */
  private readonly list: Int32Array;
  private count = 0;
  /** Per order number: its index in `list` (-1 when not live) and what the workload remembers. */
  private readonly position: Int32Array;
  readonly is_buy: Uint8Array;
  readonly destination: Int32Array;
  /** Index of the order's price in its destination's price ladder. */
  readonly price_step: Int32Array;
  readonly channels: Int32Array;
  readonly filled_channels: Int32Array;

  constructor(capacity: number) {
    this.list = new Int32Array(capacity);
    this.position = new Int32Array(capacity).fill(-1);
    this.is_buy = new Uint8Array(capacity);
    this.destination = new Int32Array(capacity);
    this.price_step = new Int32Array(capacity);
    this.channels = new Int32Array(capacity);
    this.filled_channels = new Int32Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  add(number: number): void {
    this.position[number] = this.count;
    this.list[this.count] = number;
    this.count += 1;
  }

  /** A live order's number, uniformly; only called when some order is live. */
  pick(random: SeededRandom): number {
    return this.list[Math.floor(random.next() * this.count)]!;
  }

  remove(number: number): void {
    const position = this.position[number]!;
    if (position === -1) return;
    this.position[number] = -1;
    this.count -= 1;
    const last = this.list[this.count]!;
    if (last !== number) {
      this.list[position] = last;
      this.position[last] = position;
    }
  }
}

/** "o123" → 123, read digit by digit so that no substring is made on every event. */
function orderNumber(order_id: string): number {
  let number = 0;
  for (let index = 1; index < order_id.length; index += 1) number = number * 10 + order_id.charCodeAt(index) - 48;
  return number;
}

const SELL_INCREMENTS = [
  [60, 60],
  [30, 6],
  [1, 1],
] as const;

class Workload {
  private readonly random = new SeededRandom(SEED);
  /** Per destination, the prices from mid - PRICE_SPREAD_TICKS to mid + PRICE_SPREAD_TICKS ticks. */
  private readonly price_ladders: bigint[][] = [];
  private readonly sell_qualities: Quality[] = [];
  private readonly buy_floor: Quality = { asr_percent: 40, acd_s: 90, pdd_ms: 3_500 };
  /** Ids made once, as an adapter would keep them for the destinations and carriers it knows. */
  private readonly destination_ids = Array.from({ length: DESTINATIONS }, (_, index) => `d${index}`);
  private readonly carrier_ids = Array.from({ length: CARRIERS }, (_, index) => `c${index}`);
  readonly live: LiveOrders;
  /** The number of the order the last command submitted, or -1. */
  private pending = -1;
  private next_order = 0;
  private seq = 0n;
  now_ms = 1_700_000_000_000;

  constructor(max_commands: number) {
    this.live = new LiveOrders(max_commands);
    for (let index = 0; index < DESTINATIONS; index += 1) {
      const mid = BigInt(this.random.integer(50, 500)) * TICK_MICROS * 10n;
      const ladder: bigint[] = [];
      for (let tick = -PRICE_SPREAD_TICKS; tick <= PRICE_SPREAD_TICKS; tick += 1) ladder.push(mid + BigInt(tick) * TICK_MICROS);
      this.price_ladders.push(ladder);
    }
    for (let index = 0; index < SELL_QUALITIES; index += 1) {
      const random = this.random;
      this.sell_qualities.push({
        asr_percent: random.integer(30, 70),
        acd_s: random.integer(60, 300),
        pdd_ms: random.integer(500, 4_000),
      });
    }
  }

  /** The mix: 50% new orders (a third of them crossing), 26% cancels, 23% amends, 1% expiry sweeps. */
  nextCommand(): Command {
    this.now_ms += MS_PER_COMMAND;
    this.pending = -1;
    const draw = this.random.next();
    if (draw < 0.5 || this.live.size < 1_000) return this.submit();
    if (draw < 0.76) return this.cancel();
    if (draw < 0.99) return this.amend();
    return { kind: 'expire', now_ms: this.now_ms };
  }

  /** Keeps the live set in step with what the engine did. */
  observe(events: readonly Event[]): void {
    for (const event of events) {
      switch (event.kind) {
        case 'order_accepted':
          if (this.pending !== -1) this.live.add(this.pending);
          break;
        case 'order_partially_filled':
          this.live.filled_channels[orderNumber(event.order_id)]! += event.traded_channels;
          break;
        case 'order_filled':
        case 'order_cancelled':
        case 'order_expired':
          this.live.remove(orderNumber(event.order_id));
          break;
        case 'order_amended':
          if (event.status === 'filled') this.live.remove(orderNumber(event.order_id));
          break;
        default:
          break;
      }
    }
  }

  private submit(): Command {
    const random = this.random;
    const live = this.live;
    const side: Side = random.chance(0.5) ? 'buy' : 'sell';
    const destination = random.integer(0, DESTINATIONS - 1);
    const crossing = random.chance(1 / 3);
    const away_ticks = crossing ? -random.integer(0, 10) : random.integer(1, PRICE_SPREAD_TICKS);
    const price_step = PRICE_SPREAD_TICKS + (side === 'buy' ? -away_ticks : away_ticks);
    const increments = side === 'sell' ? SELL_INCREMENTS[random.integer(0, 2)]! : SELL_INCREMENTS[0];
    const number = this.next_order++;
    const channels = random.integer(1, 30);
    this.seq += 1n;
    this.pending = number;
    live.is_buy[number] = side === 'buy' ? 1 : 0;
    live.destination[number] = destination;
    live.price_step[number] = price_step;
    live.channels[number] = channels;
    live.filled_channels[number] = 0;
    return {
      kind: 'submit',
      now_ms: this.now_ms,
      order: {
        order_id: `o${number}`,
        carrier_id: this.carrier_ids[random.integer(0, CARRIERS - 1)]!,
        side,
        destination_id: this.destination_ids[destination]!,
        currency: CURRENCY,
        price_per_minute_micros: this.price_ladders[destination]![price_step]!,
        first_increment_s: increments[0],
        next_increment_s: increments[1],
        connect_fee_micros: side === 'buy' ? 1_000n : random.chance(0.8) ? 0n : 500n,
        channels,
        quality: this.quality(side),
        seq: this.seq,
        valid_until_ms: random.chance(0.2) ? this.now_ms + random.integer(5_000, 60_000) : null,
      },
    };
  }

  private quality(side: Side): Quality | null {
    const random = this.random;
    if (side === 'sell') return random.chance(0.8) ? this.sell_qualities[random.integer(0, SELL_QUALITIES - 1)]! : null;
    return random.chance(0.3) ? this.buy_floor : null;
  }

  private cancel(): Command {
    return { kind: 'cancel', order_id: `o${this.live.pick(this.random)}`, now_ms: this.now_ms };
  }

  /**
   * Half reduce channels (keeping priority), a quarter move the price one tick worse (keeping
   * priority), a quarter one tick better (losing it, and perhaps crossing). Prices stay on the
   * destination's ladder, so an amend at its end moves the other way.
   */
  private amend(): Command {
    const live = this.live;
    const number = live.pick(this.random);
    const order_id = `o${number}`;
    const draw = this.random.next();
    if (draw < 0.5 && live.channels[number]! - live.filled_channels[number]! > 1) {
      live.channels[number]! -= 1;
      return { kind: 'amend', order_id, channels: live.channels[number]!, now_ms: this.now_ms };
    }
    const up = live.is_buy[number] === 1 ? draw >= 0.75 : draw < 0.75;
    const step = live.price_step[number]! + (up ? 1 : -1);
    const bounded = step < 0 || step > 2 * PRICE_SPREAD_TICKS ? live.price_step[number]! - (up ? 1 : -1) : step;
    const raises = bounded > live.price_step[number]!;
    const improves = live.is_buy[number] === 1 ? raises : !raises;
    live.price_step[number] = bounded;
    const price_per_minute_micros = this.price_ladders[live.destination[number]!]![bounded]!;
    if (!improves) return { kind: 'amend', order_id, price_per_minute_micros, now_ms: this.now_ms };
    this.seq += 1n;
    return { kind: 'amend', order_id, price_per_minute_micros, new_seq: this.seq, now_ms: this.now_ms };
  }
}

interface RunResult {
  commands: number;
  trades: number;
  elapsed_ns: bigint;
}

function countTrades(events: readonly Event[]): number {
  let trades = 0;
  for (const event of events) if (event.kind === 'trade_made') trades += 1;
  return trades;
}

/**
 * Applies commands until `finished(commands, elapsed_ms)` says so (asked every CHECK_EVERY_COMMANDS),
 * recording each `apply` latency when `latencies` is given.
 */
function drive(
  engine: MatchingEngine,
  workload: Workload,
  finished: (commands: number, elapsed_ms: number) => boolean,
  latencies: LatencyHistogram | null,
): RunResult {
  const start = process.hrtime.bigint();
  let commands = 0;
  let trades = 0;
  for (;;) {
    if (commands % CHECK_EVERY_COMMANDS === 0) {
      if (finished(commands, Number((process.hrtime.bigint() - start) / 1_000_000n))) break;
    }
    const command = workload.nextCommand();
    const before = process.hrtime.bigint();
    const events = engine.apply(command);
    const after = process.hrtime.bigint();
    latencies?.recordNs(after - before);
    workload.observe(events);
    trades += countTrades(events);
    commands += 1;
  }
  return { commands, trades, elapsed_ns: process.hrtime.bigint() - start };
}

function main(): void {
  const engine = new MatchingEngine();
  const workload = new Workload(WARM_UP_MAX_COMMANDS + TIMED_RUN_MAX_COMMANDS + 2 * CHECK_EVERY_COMMANDS);
  drive(
    engine,
    workload,
    (commands, elapsed_ms) =>
      (commands >= WARM_UP_COMMANDS && elapsed_ms >= WARM_UP_MS) || commands >= WARM_UP_MAX_COMMANDS,
    null,
  );
  const latencies = LatencyHistogram.create();
  const run = drive(
    engine,
    workload,
    (commands, elapsed_ms) => elapsed_ms >= TIMED_RUN_MS || commands >= TIMED_RUN_MAX_COMMANDS,
    latencies,
  );
  const seconds = Number(run.elapsed_ns) / 1e9;
  const line = {
    bench: 'matching',
    orders_per_s: Math.round(run.commands / seconds),
    latency_us_p50: latencies.percentileUs(50),
    latency_us_p90: latencies.percentileUs(90),
    latency_us_p99: latencies.percentileUs(99),
    latency_us_max: latencies.percentileUs(100),
    commands: run.commands,
    trades: run.trades,
    destinations: DESTINATIONS,
    node: process.version,
    date: new Date().toISOString(),
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

main();
