/**
 * The client side of bench:orders-api, run in a child process so that making requests does not
 * compete with the server for its event loop. Each of `clients` loops submits one order at a
 * time (a new one as soon as the last is answered) with its carrier's API key, until the time is
 * up, and records each order's latency. The stream of orders is seeded, so every run asks for the
 * same orders in the same order per client.
 */
import { LatencyHistogram } from '../common/latency-histogram.ts';
import { SeededRandom } from './seeded-random.ts';

export interface ClientsInput {
  readonly apiUrl: string;
  readonly keys: readonly string[];
  readonly prefixes: readonly string[];
  readonly warmUpMs: number;
  readonly runMs: number;
  readonly seed: number;
}

export interface ClientsOutput {
  /** The measured orders' latencies, a LatencyHistogram as `encode()` makes it (IPC carries strings, not classes). */
  readonly latencies: string;
  readonly orders: number;
  readonly errors: number;
  readonly first_error: string | null;
  readonly elapsed_ms: number;
}

/** Mid price of every destination, and the spread of new orders around it, in micro-units. */
const MID_PRICE_MICROS = 10_000;
const TICK_MICROS = 100;
const SPREAD_TICKS = 10;
/** An order priced this many ticks through the mid is likely to cross. */
const CROSSING_TICKS = 12;
const CROSSING_SHARE = 0.3;
const MAX_CHANNELS = 10;

/** Micro-units as the API's decimal string (prices here are always below one unit). */
function decimal(micros: number): string {
  return `0.${String(micros).padStart(6, '0')}`;
}

function nextOrder(next: () => number, prefixes: readonly string[]): object {
  const side = next() < 0.5 ? 'buy' : 'sell';
  const crossing = next() < CROSSING_SHARE;
  const ticks = crossing ? CROSSING_TICKS : 1 + Math.floor(next() * SPREAD_TICKS);
  // A resting buy is below the mid and a resting sell above it; a crossing one goes through it.
  const direction = (side === 'buy') === crossing ? 1 : -1;
  return {
    side,
    prefix: prefixes[Math.floor(next() * prefixes.length)],
    price_per_minute: decimal(MID_PRICE_MICROS + direction * ticks * TICK_MICROS),
    currency: 'USD',
    increments: '60/60',
    channels: 1 + Math.floor(next() * MAX_CHANNELS),
  };
}

async function runClients(input: ClientsInput): Promise<ClientsOutput> {
  const started = performance.now();
  const measureFrom = started + input.warmUpMs;
  const stopAt = measureFrom + input.runMs;
  const latencies = LatencyHistogram.create();
  let errors = 0;
  let first_error: string | null = null;
  const client = async (key: string, index: number) => {
    const generator = new SeededRandom(input.seed + index);
    const next = () => generator.next();
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    while (performance.now() < stopAt) {
      const body = JSON.stringify(nextOrder(next, input.prefixes));
      const sent = performance.now();
      const response = await fetch(`${input.apiUrl}/v1/orders`, { method: 'POST', headers, body });
      const text = await response.text();
      const answered = performance.now();
      if (response.status !== 201) {
        errors += 1;
        first_error ??= `${response.status} ${text}`;
      } else if (sent >= measureFrom && answered <= stopAt) {
        latencies.recordMs(answered - sent);
      }
    }
  };
  await Promise.all(input.keys.map((key, index) => client(key, index)));
  return { latencies: latencies.encode(), orders: latencies.count, errors, first_error, elapsed_ms: input.runMs };
}

// Started by bench/orders-api.ts with an IPC channel: one input message in, one output message out.
process.once('message', (input: ClientsInput) => {
  void runClients(input).then((output) => process.send?.(output, () => process.exit(0)));
});
