/**
 * bench:orders-api — orders submitted over HTTP on loopback, persisted in PostgreSQL: the whole
 * path a carrier's order takes (API key, parsing, the serialized exchange, one write per order,
 * the response read back). The system starts on ports of its own against a fresh database;
 * CARRIERS carriers with API keys and credit, and DESTINATIONS destinations, are seeded; then
 * CLIENTS concurrent clients (in a child process of their own) submit a seeded mix of resting and crossing
 * orders for RUN_MS after a warm-up. Prints one JSON line: `orders`, `orders_per_s` and the
 * latencies count the timed run only; `orders_stored` and `trades` are the database's totals,
 * warm-up included.
 *
 * Mode `forwarded` starts a second node, in a process of its own, on the same database after the
 * first (which therefore leads the exchange) and sends every order to the second, which forwards
 * it to the leader: the difference from mode `direct` is the cost of forwarding.
 *
 * Usage: npm run bench:orders-api [-- <clients> <run seconds> [direct|forwarded]]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createApiKey } from '../test/support/exchange-api.ts';
import { createCarrier, createDestination, setCreditLimit } from '../test/support/market.ts';
import { startTestSystem } from '../test/support/system.ts';
import type { ClientsInput, ClientsOutput } from './orders-api-clients.ts';
import type { FollowerInput, FollowerReady } from './orders-api-follower.ts';
import { LatencyHistogram } from '../common/latency-histogram.ts';

const CLIENTS = Number(process.argv[2] ?? 16);
const RUN_MS = Number(process.argv[3] ?? 10) * 1000;
const MODE = process.argv[4] ?? 'direct';
const WARM_UP_MS = 2_000;
const CARRIERS = CLIENTS;
const DESTINATIONS = 100;
const SEED = 0x0dde_2024;

if (!Number.isInteger(CLIENTS) || CLIENTS < 1 || CLIENTS > 256) throw new RangeError('clients must be 1..256');
if (!Number.isInteger(RUN_MS) || RUN_MS < 1000 || RUN_MS > 600_000) throw new RangeError('run seconds must be 1..600');
if (MODE !== 'direct' && MODE !== 'forwarded') throw new RangeError('mode must be direct or forwarded');

const running = await startTestSystem({ sip: 6460, evapi: 9848, jsonrpc: 6471, api: 9480 });
const follower = MODE === 'forwarded' ? fork(fileURLToPath(new URL('./orders-api-follower.ts', import.meta.url)), [], { stdio: 'inherit' }) : undefined;
try {
  const followerReady = follower === undefined ? undefined : await new Promise<FollowerReady>((resolve, reject) => {
    follower.once('message', (message) => resolve(message as FollowerReady));
    follower.once('exit', (code) => reject(new Error(`the second node exited with ${code} before it was ready`)));
    const input: FollowerInput = { databaseUrl: running.database.url, ports: { sip: 6768, evapi: 10168, jsonrpc: 6778, api: 9768 } };
    follower.send(input);
  });
  if (!running.system.exchange.leading || followerReady?.leading === true) throw new Error('the first node should lead the exchange');
  const keys: string[] = [];
  for (let index = 0; index < CARRIERS; index += 1) {
    const carrier = await createCarrier(running, `Bench Carrier ${index}`);
    await setCreditLimit(running, carrier, '1000000.000000');
    keys.push((await createApiKey(running, carrier)).key);
  }
  const prefixes: string[] = [];
  for (let index = 0; index < DESTINATIONS; index += 1) {
    const prefix = `99${String(index).padStart(3, '0')}`;
    await createDestination(running, `Bench Destination ${index}`, [prefix]);
    prefixes.push(prefix);
  }
  const count = async (table: 'orders' | 'trades') => Number((await running.system.db.one<{ count: bigint }>('select count(*) as count from $1:name', [table])).count);
  const input: ClientsInput = { apiUrl: followerReady?.apiUrl ?? running.system.apiUrl, keys, prefixes, warmUpMs: WARM_UP_MS, runMs: RUN_MS, seed: SEED };
  // fork passes this process's tsx loader on to the child (execArgv), so it runs TypeScript too.
  const clients = fork(fileURLToPath(new URL('./orders-api-clients.ts', import.meta.url)), [], { stdio: 'inherit' });
  const output = await new Promise<ClientsOutput>((resolve, reject) => {
    clients.once('message', (message) => resolve(message as ClientsOutput));
    clients.once('error', reject);
    clients.once('exit', (code) => reject(new Error(`the clients exited with ${code} before reporting`)));
    clients.send(input);
  });
  const latencies = LatencyHistogram.decode(output.latencies);
  if (output.errors > 0) console.error(`${output.errors} orders failed; the first: ${output.first_error}`);
  console.log(JSON.stringify({
    bench: 'orders-api',
    mode: MODE,
    orders_per_s: Math.round((output.orders / output.elapsed_ms) * 1000),
    latency_ms_p50: latencies.percentileMs(50),
    latency_ms_p90: latencies.percentileMs(90),
    latency_ms_p99: latencies.percentileMs(99),
    latency_ms_max: latencies.percentileMs(100),
    clients: CLIENTS,
    orders: output.orders,
    orders_stored: await count('orders'),
    trades: await count('trades'),
    errors: output.errors,
    run_s: RUN_MS / 1000,
    date: new Date().toISOString(),
    node: process.version,
  }));
} finally {
  if (follower !== undefined && follower.exitCode === null) {
    const exited = new Promise((resolve) => follower.once('exit', resolve));
    follower.send('stop');
    await exited;
  }
  await running.stop();
}
