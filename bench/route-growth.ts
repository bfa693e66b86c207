/**
 * bench:route-growth — does the route decision stay as fast when the market grows? The whole
 * system runs (Kamailio, agent, control plane, PostgreSQL); probe INVITEs from a buyer's trunk
 * are timed as the buyer's switch sees them (INVITE out → final answer in), one after another,
 * while trades are made and ended continuously through the API (each trade used to throw the
 * routing data away). Probes alternate between a number no prefix matches (404) and a destination
 * the buyer has no trade for (503): both walk the prefix table and the live trades, and neither
 * reserves credit. Also the decision time inside the control plane (route request in → decision
 * out, which includes writing the refused call's record).
 *
 *   small: 1,000 prefixes
 *   large: LARGE prefixes (default 1,000,000) and ORDERS resting orders (default 100,000), and the
 *          time to import the prefixes (CSV upload → answered, i.e. in PostgreSQL and routing here)
 *
 * Usage: npm run bench:route-growth [LARGE] [ORDERS]. Loopback only; bounded in probes and time.
 */
import { startTestSystem } from '../test/support/system.ts';
import { request } from '../test/support/exchange-api.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../test/support/market.ts';
import { SipProber, type ProbeAnswer } from '../test/support/sip-prober.ts';
import { LatencyHistogram } from '../common/latency-histogram.ts';

const LARGE = Number(process.argv[2] ?? 1_000_000);
const ORDERS = Number(process.argv[3] ?? 100_000);
const SMALL = 1_000;
/** Probes per size, and the most time they may take. */
const PROBES = 2_000;
const PROBE_PHASE_MS = 120_000;
/** The whole run's limit. */
const RUN_LIMIT_MS = 30 * 60_000;
/** A rate deck holds at most 5,000 lines, each a sell order on a destination of its own. */
const DECK_LINES = 5_000;
const DESTINATIONS = DECK_LINES;
const BUYER_IP = '127.0.6.81';
const TRADER_IP = '127.0.6.83';
const UNKNOWN_NUMBER = '8881234567';
const NO_TRADE_NUMBER = '4212345678';

const deadline = Date.now() + RUN_LIMIT_MS;
const limit = setTimeout(() => {
  console.error(JSON.stringify({ bench: 'route-growth', error: `run limit of ${RUN_LIMIT_MS} ms reached` }));
  process.exit(2);
}, RUN_LIMIT_MS);
limit.unref();

const running = await startTestSystem({ sip: 6466, evapi: 9866, jsonrpc: 6476, api: 9466 }, { MINUTEX_KAMAILIO_CHILDREN: '4' });
const operator = running.system.operatorToken;
const importCsv = (csv: string) => request<Record<string, unknown>>(running, operator, 'POST', '/v1/destinations/import', csv, 'text/csv');

/** Prefixes [from, to) of the bench's table: 9-digit ranges under 5, spread over DESTINATIONS destinations. */
function table(from: number, to: number): string {
  const lines = ['prefix,name'];
  for (let index = from; index < to; index += 1) lines.push(`${500_000_000 + index},Growth ${index % DESTINATIONS}`);
  return lines.join('\n');
}

/** Makes and ends trades one after another until stopped: a sell of 2 channels, a buy of 1, the sell cancelled. */
function tradeContinuously(seller: Carrier, buyer: Carrier): { stop(): Promise<number> } {
  let stopped = false;
  const loop = (async () => {
    let made = 0;
    while (!stopped && Date.now() < deadline) {
      const sell = await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '3491', price_per_minute: '0.010000', increments: '60/60', channels: 2 });
      const buy = await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '3491', price_per_minute: '0.020000', increments: '60/60', channels: 1 });
      made += buy.trades.length;
      await running.api('DELETE', `/v1/orders/${sell.order.id}`);
    }
    return made;
  })();
  return {
    async stop() {
      stopped = true;
      return loop;
    },
  };
}

async function probePhase(size: string, prefixes: number, liveOrders: number, trading: { seller: Carrier; buyer: Carrier }): Promise<number | null> {
  const prober = await SipProber.open(BUYER_IP, running.sipTarget);
  const answers: ProbeAnswer[] = [];
  const trades = tradeContinuously(trading.seller, trading.buyer);
  const startedAt = Date.now();
  running.system.agent.decisionLatency.reset();
  try {
    // A few probes first, not counted: the first setups warm the switch's workers and the code paths.
    for (let index = 0; index < 20; index += 1) await prober.invite(UNKNOWN_NUMBER);
    running.system.agent.decisionLatency.reset();
    for (let index = 0; index < PROBES && Date.now() - startedAt < PROBE_PHASE_MS; index += 1) {
      answers.push(await prober.invite(index % 2 === 0 ? UNKNOWN_NUMBER : NO_TRADE_NUMBER));
    }
  } finally {
    prober.close();
  }
  const tradesMade = await trades.stop();
  const sip = LatencyHistogram.create();
  for (const answer of answers) sip.recordMs(answer.ms);
  const sipMs = sip.summaryMs();
  const codes: Record<string, number> = {};
  for (const answer of answers) codes[String(answer.code)] = (codes[String(answer.code)] ?? 0) + 1;
  const decision = running.system.agent.decisionLatency.summaryMs();
  const p99 = sipMs.p99;
  console.log(JSON.stringify({
    bench: 'route-growth', size, prefixes, live_orders: liveOrders, measured: 'SIP probe INVITE → final answer through Kamailio, one at a time',
    probes: answers.length, codes, sip_ms_p50: sipMs.p50, sip_ms_p90: sipMs.p90, sip_ms_p99: p99, sip_ms_max: sipMs.max,
    decision_ms_p50: decision.p50 ?? 0, decision_ms_p90: decision.p90 ?? 0, decision_ms_p99: decision.p99 ?? 0,
    trades_made_meanwhile: tradesMade, phase_s: Math.round((Date.now() - startedAt) / 100) / 10,
  }));
  return p99;
}

try {
  const buyer = await createCarrier(running, 'Growth Buyer');
  await addTrunk(running, buyer, { direction: 'ingress', address: BUYER_IP, channels: 10_000, cps: 10_000 });
  const trader = await createCarrier(running, 'Growth Trader');
  await addTrunk(running, trader, { direction: 'ingress', address: TRADER_IP });
  await setCreditLimit(running, trader, '1000000.000000');
  const seller = await createCarrier(running, 'Growth Seller');
  await addTrunk(running, seller, { direction: 'egress', address: '127.0.6.82:5090' });
  await createDestination(running, 'Spain Madrid', ['3491']);
  await createDestination(running, 'Slovakia', ['421']);
  const small = await importCsv(table(0, SMALL));
  if (small.status !== 200) throw new Error(`small import: ${small.status} ${JSON.stringify(small.body)}`);
  const smallP99 = await probePhase('small', SMALL + 2, 0, { seller, buyer: trader });

  // The large table: imported in one upload, timed to the answer (stored, and routing on this node).
  const started = process.hrtime.bigint();
  const large = await importCsv(table(SMALL, LARGE));
  const importMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (large.status !== 200) throw new Error(`large import: ${large.status} ${JSON.stringify(large.body)}`);
  console.log(JSON.stringify({ bench: 'route-growth', import_prefixes: LARGE - SMALL, import_s: Math.round(importMs / 10) / 100, target_s: 10, result: large.body }));

  // Resting orders: sellers' rate decks, each a sell order on every one of DECK_LINES destinations.
  const ordersStarted = Date.now();
  let orders = 0;
  for (let deck = 0; orders < ORDERS && Date.now() < deadline; deck += 1) {
    const deckSeller = await createCarrier(running, `Deck Seller ${deck}`);
    const lines = Math.min(DECK_LINES, ORDERS - orders);
    const csv = Array.from({ length: lines }, (_, index) => `"Growth ${index}",0.0${String(10 + (deck % 80)).padStart(2, '0')}000,60/60,,,10`).join('\n');
    const placed = await request<{ orders_submitted: number }>(running, operator, 'POST', `/v1/carriers/${deckSeller.id}/rate-decks`, csv, 'text/csv');
    if (placed.status !== 201) throw new Error(`rate deck: ${placed.status} ${JSON.stringify(placed.body)}`);
    orders += placed.body.orders_submitted;
  }
  console.log(JSON.stringify({ bench: 'route-growth', live_orders: orders, placed_s: Math.round((Date.now() - ordersStarted) / 100) / 10 }));

  const largeP99 = await probePhase('large', LARGE + 2, orders, { seller, buyer: trader });
  console.log(JSON.stringify({
    bench: 'route-growth', summary: true, small_prefixes: SMALL, large_prefixes: LARGE, live_orders: orders,
    p99_ratio: smallP99 === null || largeP99 === null || smallP99 === 0 ? null : Math.round((largeP99 / smallP99) * 100) / 100, target_ratio: 1.2,
    import_s: Math.round(importMs / 10) / 100, import_target_s: 10, rss_mb: Math.round(process.memoryUsage().rss / 1e6),
    date: new Date().toISOString(), node: process.version,
  }));
} finally {
  await running.stop();
}
