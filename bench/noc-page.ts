/**
 * bench:noc-page — the NOC's live page in headless Chromium with many calls in progress and many
 * carriers: how long a stream event takes to show in the page, the page's long tasks, its frame
 * rate and main-thread busy share over a window, its DOM size and its JS heap; for the page as it
 * is and, side by side, for the page as it was at OLD_REV (which redrew per event and showed every
 * call), for a ratio.
 *
 * Two sources of events, each measured with both pages:
 * - `real`: SIPp calls through Kamailio and the whole system (loopback), a steady flow at `--cps`
 *   calls a second, each held `calls / cps` seconds, so that about `--calls` are in progress while
 *   calls keep starting, being answered and ending;
 * - `synthetic`: the same shape of call events (and a CDR event per ended call) written by this
 *   benchmark into the page's stream at `--synthetic-calls` calls in progress: the page's load
 *   without the switch's, and a scale the machine may not carry as real calls.
 *
 * The page is served through a small proxy in this process: it serves the page's files (the
 * current ones, or OLD_REV's), forwards everything else to the API, notes when each call event
 * passes to the page, and stands in for the stream and the live-call list in the synthetic run.
 * Latency: from the proxy writing a call event to the page's DOM showing the call's row in that
 * state (a MutationObserver in the page; rows not on show are not counted). One JSON line per
 * (source, page) on stdout, then a summary line.
 *
 * Scale by flags (or MINUTEX_BENCH_* variables): --carriers=200 --calls=1000 --synthetic-calls=1000
 * --cps=20 --window-s=30 --sources=real,synthetic --pages=new,old --old-rev=<git rev>.
 * Loopback only, bounded: SIPp places a fixed number of calls with a time limit. Ports:
 * MINUTEX_BENCH_PORT_BASE (default 12900) .. +49.
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSipp, stopAllSipp, type SippProcess } from '../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit, type Carrier } from '../test/support/market.ts';
import { startTestSystem, TEST_OPERATOR_TOKEN } from '../test/support/system.ts';
import { LatencyHistogram } from '../common/latency-histogram.ts';
import { sentAt, SyntheticCalls, type StreamCall } from './noc-page-synthetic.ts';

const flag = (name: string, env: string, fallback: string): string =>
  process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3) ?? process.env[env] ?? fallback;
const CARRIERS = Number(flag('carriers', 'MINUTEX_BENCH_CARRIERS', '200'));
const REAL_CALLS = Number(flag('calls', 'MINUTEX_BENCH_CALLS', '1000'));
const SYNTHETIC_CALLS = Number(flag('synthetic-calls', 'MINUTEX_BENCH_SYNTHETIC_CALLS', '1000'));
const CPS = Number(flag('cps', 'MINUTEX_BENCH_CPS', '20'));
const WINDOW_S = Number(flag('window-s', 'MINUTEX_BENCH_WINDOW_S', '30'));
const SOURCES = flag('sources', 'MINUTEX_BENCH_SOURCES', 'real,synthetic').split(',');
const PAGES = flag('pages', 'MINUTEX_BENCH_PAGES', 'new,old').split(',');
/** The last commit whose page redrew the calls table at every event and showed every call. */
const OLD_REV = flag('old-rev', 'MINUTEX_BENCH_OLD_REV', 'c0b49db5d76c2bfe8847be615b85e1f1a744e665');
const PORT_BASE = Number(process.env['MINUTEX_BENCH_PORT_BASE'] ?? '12900');
if (![CARRIERS, REAL_CALLS, SYNTHETIC_CALLS, CPS, WINDOW_S].every((value) => Number.isInteger(value) && value > 0)) throw new Error('every scale flag takes a positive integer');
if (CARRIERS < 2) throw new Error('--carriers: at least 2 (a buyer and a seller)');

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SELLER = { address: '127.0.0.92', port: PORT_BASE + 30 };
const BUYER = { address: '127.0.0.91', port: PORT_BASE + 31 };
const NUMBER = '34911234567';
/** Time for a page to load, read the calls in progress and settle before its window. */
const PAGE_SETTLE_MS = 3_000;
const PAGE_LOAD_MAX_MS = 30_000;

const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-bench-noc-page-'));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const round = (value: number | null | undefined, digits = 1) => (value === undefined || value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits);

/** The page's files: the worktree's, or OLD_REV's taken out of git. */
function webDirectory(which: string): string {
  if (which === 'new') return path.join(ROOT, 'control/web');
  const target = path.join(workDir, 'old-web');
  mkdirSync(target, { recursive: true });
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive "${OLD_REV}" control/web | tar -x -C "${target}"`]);
  return path.join(target, 'control/web');
}

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };

/** Notes the call events in a stream passing to the page. */
function tapStream(upstream: http.IncomingMessage, response: http.ServerResponse): void {
  let buffer = '';
  upstream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const frames = buffer.split('\n\n');
    buffer = frames.pop() ?? '';
    const now = Date.now();
    for (const frame of frames) {
      if (!frame.startsWith('event: call\n')) continue;
      const call = JSON.parse(frame.slice(frame.indexOf('data: ') + 6)) as StreamCall;
      sentAt.set(`${call.call_id}|${call.state}`, now);
    }
    response.write(chunk);
  });
  upstream.on('end', () => response.end());
}

/** The proxy the page is opened through. */
function startProxy(apiUrl: string, port: number) {
  const api = new URL(apiUrl);
  const route = { webDir: '', synthetic: undefined as SyntheticCalls | undefined };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://proxy');
    if (route.synthetic && url.pathname === '/v1/stream') return route.synthetic.attach(response);
    if (route.synthetic && url.pathname === '/v1/calls/live') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ calls: route.synthetic.snapshot() }));
      return;
    }
    const file = path.join(route.webDir, url.pathname === '/' ? 'index.html' : path.normalize(url.pathname));
    if (file.startsWith(route.webDir) && existsSync(file) && statSync(file).isFile()) {
      response.writeHead(200, { 'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      createReadStream(file).pipe(response);
      return;
    }
    const upstream = http.request({ host: api.hostname, port: api.port, path: request.url, method: request.method, headers: request.headers }, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      if (url.pathname === '/v1/stream') tapStream(answer, response);
      else answer.pipe(response);
    });
    upstream.on('error', () => response.destroy());
    response.on('close', () => upstream.destroy());
    request.pipe(upstream);
  });
  server.keepAliveTimeout = 1_000;
  return {
    route,
    url: `http://127.0.0.1:${port}`,
    listen: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * What the page records, installed before its own scripts: long tasks, frames, and the first time
 * each call's row shows each state (the old page's rows carry the Call-ID in their title only).
 */
const INSTRUMENT = `
(() => {
  const bench = { longTasks: [], frames: 0, seen: new Map(), measuring: false };
  window.__nocBench = bench;
  new PerformanceObserver((list) => { if (bench.measuring) for (const entry of list.getEntries()) bench.longTasks.push(entry.duration); }).observe({ type: 'longtask', buffered: false });
  const frame = () => { if (bench.measuring) bench.frames += 1; requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  const observe = () => {
    const rows = document.getElementById('live-rows');
    if (!rows) return setTimeout(observe, 100);
    new MutationObserver((records) => {
      if (!bench.measuring) return;
      const now = performance.timeOrigin + performance.now();
      const touched = new Set();
      for (const record of records) {
        let node = record.target.nodeType === 1 ? record.target : record.target.parentElement;
        if (node === rows) { for (const added of record.addedNodes) touched.add(added); continue; }
        while (node && node.parentElement !== rows) node = node.parentElement;
        if (node) touched.add(node);
      }
      for (const row of touched) {
        if (!row.isConnected || row.nodeType !== 1) continue;
        const id = row.dataset.callId || (row.title || '').replace('Call-ID ', '');
        const state = row.querySelector('span.state')?.textContent;
        if (!id || !state) continue;
        const key = id + '|' + state;
        if (!bench.seen.has(key)) bench.seen.set(key, now);
      }
    }).observe(rows, { subtree: true, childList: true, characterData: true });
  };
  observe();
  bench.start = () => { bench.longTasks = []; bench.frames = 0; bench.seen.clear(); bench.measuring = true; };
  bench.stop = () => {
    bench.measuring = false;
    return { longTasks: bench.longTasks, frames: bench.frames, seen: [...bench.seen], nodes: document.getElementsByTagName('*').length, liveRows: document.querySelectorAll('#live-rows tr').length, summary: document.getElementById('live-summary')?.textContent ?? '' };
  };
})();
`;

interface PageRecord { longTasks: number[]; frames: number; seen: Array<[string, number]>; nodes: number; liveRows: number; summary: string }

async function pageMetrics(page: Page) {
  const session = await page.context().newCDPSession(page);
  await session.send('Performance.enable');
  return async () => {
    const { metrics } = await session.send('Performance.getMetrics');
    return Object.fromEntries(metrics.map((metric) => [metric.name, metric.value]));
  };
}

/** Opens the page, waits for the calls, measures one window, closes it; one JSON line. */
async function measure(browser: Browser, proxyUrl: string, source: string, which: string, expectedCalls: number): Promise<Record<string, unknown>> {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1800 } });
  try {
    await context.addInitScript(INSTRUMENT);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    const loadStart = Date.now();
    await page.goto(`${proxyUrl}/#token=${encodeURIComponent(TEST_OPERATOR_TOKEN)}`);
    // Loaded: the stream is live and the calls in progress are counted (most of them: calls come and go).
    // (Polled from here: a predicate polled inside the page would be an eval, which its CSP refuses.)
    const loaded = `document.getElementById('badge-stream')?.textContent === 'stream live'
      && Number((document.getElementById('live-summary')?.textContent ?? '').split(' ')[0]) >= ${Math.floor(expectedCalls * 0.8)}`;
    while (!(await page.evaluate<boolean>(loaded))) {
      if (Date.now() - loadStart > PAGE_LOAD_MAX_MS) throw new Error(`the ${which} page did not show the calls in progress within ${PAGE_LOAD_MAX_MS} ms`);
      await sleep(250);
    }
    const loadMs = Date.now() - loadStart;
    await sleep(PAGE_SETTLE_MS);
    const metrics = await pageMetrics(page);
    const before = await metrics();
    await page.evaluate('window.__nocBench.start()');
    const windowStart = Date.now();
    sentAt.clear();
    await sleep(WINDOW_S * 1000);
    const record = await page.evaluate<PageRecord>('window.__nocBench.stop()');
    const windowMs = Date.now() - windowStart;
    const after = await metrics();
    const latencies = LatencyHistogram.create();
    for (const [key, shownMs] of record.seen) {
      const sent = sentAt.get(key);
      if (sent !== undefined && shownMs >= sent) latencies.recordMs(shownMs - sent);
    }
    const delta = (name: string) => (after[name] ?? 0) - (before[name] ?? 0);
    return {
      bench: 'noc-page', source, page: which, calls_in_progress: Number(record.summary.split(' ')[0]), carriers: CARRIERS, window_s: round(windowMs / 1000),
      events_sent: sentAt.size, events_shown: latencies.count,
      event_to_dom_ms_p50: round(latencies.percentileMs(50)), event_to_dom_ms_p90: round(latencies.percentileMs(90)),
      event_to_dom_ms_p99: round(latencies.percentileMs(99)), event_to_dom_ms_max: round(latencies.percentileMs(100)),
      long_tasks: record.longTasks.length, long_task_ms_total: round(record.longTasks.reduce((sum, value) => sum + value, 0)), long_task_ms_max: round(Math.max(0, ...record.longTasks)),
      fps: round(record.frames / (windowMs / 1000)), main_thread_busy_share: round(delta('TaskDuration') / (windowMs / 1000), 3),
      script_s: round(delta('ScriptDuration'), 2), layout_s: round(delta('LayoutDuration'), 2), style_s: round(delta('RecalcStyleDuration'), 2),
      layouts: delta('LayoutCount'), style_recalcs: delta('RecalcStyleCount'),
      dom_nodes: record.nodes, live_rows_in_dom: record.liveRows, js_heap_mb: round((after['JSHeapUsedSize'] ?? 0) / 1_048_576), load_ms: loadMs, page_errors: errors.length,
    };
  } finally {
    await context.close();
  }
}

const running = await startTestSystem(
  { sip: PORT_BASE, evapi: PORT_BASE + 1, jsonrpc: PORT_BASE + 2, api: PORT_BASE + 3 },
  { MINUTEX_MEDIA_ANCHORING: 'false', MINUTEX_KAMAILIO_SHM_MB: '512', MINUTEX_KAMAILIO_CHILDREN: '8', MINUTEX_API_MAX_STREAMS_PER_PRINCIPAL: '16' },
);
const proxy = startProxy(running.system.apiUrl, PORT_BASE + 4);
let browser: Browser | undefined;
let caller: SippProcess | undefined;
const results: Array<Record<string, unknown>> = [];
try {
  await proxy.listen();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  // The market, as the demo's but wider: one buyer and one seller carry the real calls; every
  // carrier has a credit limit (a bar in the credit panel) and a row in the balances.
  const destination = await createDestination(running, 'Spain Madrid', ['3491']);
  const carriers: Carrier[] = [];
  for (let index = 0; index < CARRIERS; index += 1) {
    const carrier = await createCarrier(running, `${index % 2 === 0 ? 'Buyer' : 'Seller'} ${String(index).padStart(3, '0')} Telecom`);
    await setCreditLimit(running, carrier, '1000000.000000');
    carriers.push(carrier);
  }
  const [buyer, seller] = [carriers[0]!, carriers[1]!];
  await addTrunk(running, buyer, { direction: 'ingress', address: BUYER.address, channels: 100_000, cps: 10_000 });
  await addTrunk(running, seller, { direction: 'egress', address: `${SELLER.address}:${SELLER.port}`, channels: 100_000, cps: 10_000 });
  await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '3491', price_per_minute: '0.010000', increments: '1/1', channels: 100_000 });
  await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '3491', price_per_minute: '0.020000', increments: '60/60', channels: 100_000 });

  for (const source of SOURCES) {
    const pagesMs = PAGES.length * (PAGE_LOAD_MAX_MS + PAGE_SETTLE_MS + WINDOW_S * 1000);
    let expected: number;
    if (source === 'real') {
      const holdMs = Math.round((REAL_CALLS / CPS) * 1000);
      const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: holdMs + pagesMs + 120_000 }, workDir);
      await uas.ready;
      // Enough calls to fill up to REAL_CALLS and keep the flow going through every page's window.
      const calls = Math.ceil(CPS * ((holdMs + pagesMs) / 1000 + 10));
      caller = startSipp({
        scenario: 'uac-call-expect-200.xml', localAddress: BUYER.address, localPort: BUYER.port, remote: running.sipTarget, service: NUMBER, calls,
        ratePerSecond: CPS, concurrentLimit: REAL_CALLS + CPS * 5, callDurationMs: holdMs, maxRunMs: holdMs + pagesMs + 60_000,
      }, workDir);
      await caller.ready;
      // Filled: as many calls in progress as the hold allows (or the time to fill has run out).
      const fillBy = Date.now() + holdMs + 30_000;
      while (running.system.calls.liveCalls().length < REAL_CALLS * 0.95 && Date.now() < fillBy) await sleep(500);
      expected = running.system.calls.liveCalls().length;
      console.error(`real calls in progress: ${expected}`);
    } else {
      const synthetic = new SyntheticCalls(SYNTHETIC_CALLS, CPS, carriers.filter((_, index) => index % 2 === 0).map((carrier) => carrier.id),
        carriers.filter((_, index) => index % 2 === 1).map((carrier) => carrier.id), destination);
      synthetic.run();
      proxy.route.synthetic = synthetic;
      expected = synthetic.size;
    }
    for (const which of PAGES) {
      proxy.route.webDir = webDirectory(which);
      const result = await measure(browser, proxy.url, source, which, expected);
      results.push(result);
      console.log(JSON.stringify(result));
    }
    if (source === 'real') {
      // The calls SIPp held are abandoned; the synthetic source does not pass their events on.
      await stopAllSipp();
      caller = undefined;
    } else {
      proxy.route.synthetic?.stop();
      proxy.route.synthetic = undefined;
    }
  }
  const ratio = (source: string, field: string) => {
    const [now, old] = ['new', 'old'].map((which) => results.find((result) => result.source === source && result.page === which)?.[field]);
    return typeof now === 'number' && typeof old === 'number' && now > 0 ? round(old / now, 2) : null;
  };
  console.log(JSON.stringify({
    bench: 'noc-page', summary: true, carriers: CARRIERS, real_calls: REAL_CALLS, synthetic_calls: SYNTHETIC_CALLS, cps: CPS, window_s: WINDOW_S, old_rev: OLD_REV,
    ...Object.fromEntries(SOURCES.flatMap((source) => [
      [`${source}_old_over_new_event_to_dom_p99`, ratio(source, 'event_to_dom_ms_p99')],
      [`${source}_old_over_new_busy_share`, ratio(source, 'main_thread_busy_share')],
      [`${source}_old_over_new_dom_nodes`, ratio(source, 'dom_nodes')],
    ])),
    date: new Date().toISOString(), node: process.version, cpus: os.cpus().length,
  }));
} finally {
  await caller?.stop().catch(() => undefined);
  await stopAllSipp();
  await browser?.close();
  await proxy.close();
  await running.stop();
}
