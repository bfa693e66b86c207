/**
 * bench:switch — how many calls per second the switch carries with zero failures, side by side in
 * one run: (a) bare Kamailio with the same modules relaying every INVITE statically to a SIPp
 * seller, and (b) the full minutex path: evapi route decision, PostgreSQL credit reservation, call
 * tracking, CDR and ledger posting. Rates rise; at each rate (a) then (b) carry RATE × STEP_S short
 * calls. Also the route-decision latency (request in → decision out, in the control plane).
 *
 * Media anchoring (`--media=both`, the default): the full path runs twice at each rate, on a
 * system that anchors media through rtpengine (offer, answer and delete per call; the calls carry
 * no RTP, so this is the signalling cost) and on one with MINUTEX_MEDIA_ANCHORING=false.
 * `--media=on` or `--media=off` runs one of them only.
 *
 * Risk premium (`--premium=both`): the full path also carries, at each rate, the calls of a second
 * buyer graded C by the credit bureau sandbox (150 basis points priced into every leg, reserved,
 * rated and posted to the risk premium account) beside the first buyer's (graded A, no premium),
 * on the same system, one after the other: the path `full_premium` against `full`.
 *
 * Loopback only; bounded: every step is a fixed number of calls with a time limit.
 * MINUTEX_BENCH_PORT_BASE moves every port the benchmark binds to BASE .. BASE+49 (RTP stays in
 * MINUTEX_RTP_PORT_MIN .. MINUTEX_RTP_PORT_MAX), for a run beside other work on the machine.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger } from '../common/logger.ts';
import { newAgentSecret, writeKamailioConfig } from '../switch/kamailio-config.ts';
import { startKamailio } from '../switch/kamailio-process.ts';
import { runSipp, startSipp, stopAllSipp, type SippResult } from '../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit } from '../test/support/market.ts';
import { startSandbox } from '../test/support/sandboxes.ts';
import { startTestSystem } from '../test/support/system.ts';

const RATES = (process.argv[2] ?? '100,200,300,500,750,1000,1250,1500,1750').split(',').map(Number);
const MEDIA = (process.argv.find((arg) => arg.startsWith('--media='))?.slice('--media='.length) ?? 'both') as 'both' | 'on' | 'off';
if (!['both', 'on', 'off'].includes(MEDIA)) throw new Error('--media= takes both, on or off');
const PREMIUM = (process.argv.find((arg) => arg.startsWith('--premium='))?.slice('--premium='.length) ?? 'off') as 'both' | 'off';
if (!['both', 'off'].includes(PREMIUM)) throw new Error('--premium= takes both or off');
const PORT_BASE = process.env['MINUTEX_BENCH_PORT_BASE'] === undefined ? undefined : Number(process.env['MINUTEX_BENCH_PORT_BASE']);
const port = (fallback: number, offset: number) => (PORT_BASE === undefined ? fallback : PORT_BASE + offset);
const RTP_PORTS = { MINUTEX_RTP_PORT_MIN: process.env['MINUTEX_RTP_PORT_MIN'] ?? '30000', MINUTEX_RTP_PORT_MAX: process.env['MINUTEX_RTP_PORT_MAX'] ?? '40000' };
/** Seconds of traffic at each rate and for each path. */
const STEP_S = 5;
const CALL_MS = 100;
const SELLER = { address: '127.0.0.72', port: port(5090, 30) };
const BUYER_ADDRESS = '127.0.0.71';
/** The buyer graded C (a risk premium on every call), with `--premium=both`. */
const PREMIUM_BUYER_ADDRESS = '127.0.0.73';
const BUREAU_URL = `http://127.0.0.1:${port(8192, 41)}`;
const NUMBER = '34911234567';
const BARE = { sip: port(6260, 20), evapi: port(9648, 21), jsonrpc: port(6271, 22) };
const BUYER_PORTS = { bare: port(5070, 31), full: port(5071, 32), direct: port(5072, 33), premium: port(5073, 34) };

const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-bench-switch-'));
const SYSTEM_ENV = { MINUTEX_KAMAILIO_SHM_MB: '512', MINUTEX_KAMAILIO_CHILDREN: '8', MINUTEX_SELLER_NO_REPLY_TIMEOUT_MS: '5000', MINUTEX_BUREAU_URL: BUREAU_URL, ...RTP_PORTS };
const bureau = PREMIUM === 'both' ? await startSandbox('bureau', BUREAU_URL) : undefined;
// The anchored system is `running` (the one the bare path shares a database with); `direct` has media anchoring off.
const running = await startTestSystem({ sip: port(6160, 0), evapi: port(9548, 1), jsonrpc: port(6171, 2), api: port(9180, 3) }, {
  ...SYSTEM_ENV, MINUTEX_MEDIA_ANCHORING: MEDIA === 'off' ? 'false' : 'true', MINUTEX_RTPENGINE_CONTROL_ADDR: `127.0.0.1:${port(22222, 40)}`,
});
const direct = MEDIA === 'both'
  ? await startTestSystem({ sip: port(6360, 10), evapi: port(9748, 11), jsonrpc: port(6371, 12), api: port(9380, 13) }, { ...SYSTEM_ENV, MINUTEX_MEDIA_ANCHORING: 'false' })
  : undefined;
const bareDir = path.join(workDir, 'bare-kamailio');
const bareConfig = writeKamailioConfig(bareDir, {
  sipAddr: { host: '127.0.0.1', port: BARE.sip }, evapiAddr: { host: '127.0.0.1', port: BARE.evapi }, jsonrpcAddr: { host: '127.0.0.1', port: BARE.jsonrpc },
  agentAddress: '127.0.0.1', agentSecret: newAgentSecret(), databaseUrl: running.database.url, children: 8, routeTimeoutMs: 1000, sellerNoReplyTimeoutMs: 5000, sellerRingTimeoutMs: 60000, maxCallDurationS: 3600,
}, {
  routingFile: fileURLToPath(new URL('./kamailio/static-relay.cfg', import.meta.url)),
  extraDefines: { MINUTEX_BENCH_SELLER: `${SELLER.address}:${SELLER.port}` },
});
const bare = startKamailio({ bin: running.config.kamailioBin, configFile: bareConfig, runDir: path.join(bareDir, 'run'), shmMb: 512, pkgMb: 16 }, createLogger('silent'));

/** Transactions committed or rolled back in the benchmark's database so far. */
async function committedTransactions(): Promise<number> {
  const row = await running.database.db.one<{ total: string }>(
    'select (xact_commit + xact_rollback)::text as total from pg_stat_database where datname = current_database()');
  return Number(row.total);
}

type PathName = 'bare' | 'full' | 'full_direct_media' | 'full_premium';
interface Step { rate: number; path: PathName; calls: number; ok: boolean; result: SippResult }
const steps: Step[] = [];

async function buildMarket(system: typeof running): Promise<void> {
  const seller = await createCarrier(system, 'Madrid Termination');
  await addTrunk(system, seller, { direction: 'egress', address: `${SELLER.address}:${SELLER.port}`, channels: 100_000, cps: 10_000 });
  const buyer = await createCarrier(system, 'Benchmark Buyer');
  await addTrunk(system, buyer, { direction: 'ingress', address: BUYER_ADDRESS, channels: 100_000, cps: 10_000 });
  await createDestination(system, 'Spain Madrid', ['3491']);
  await placeOrder(system, { carrier_id: seller.id, side: 'sell', prefix: '3491', price_per_minute: '0.010000', increments: '1/1', channels: 200_000 });
  const buyers = [{ carrier: buyer, bureau_id: 'MXB-100001', premium_bps: 0 }];
  if (PREMIUM === 'both' && system === running) {
    const premiumBuyer = await createCarrier(system, 'Benchmark Buyer With Premium');
    await addTrunk(system, premiumBuyer, { direction: 'ingress', address: PREMIUM_BUYER_ADDRESS, channels: 100_000, cps: 10_000 });
    buyers.push({ carrier: premiumBuyer, bureau_id: 'MXB-100003', premium_bps: 150 });
  }
  for (const { carrier, bureau_id, premium_bps } of buyers) {
    if (PREMIUM === 'both') {
      // Both buyers are assessed, so the two paths differ only in the premium (A: 0, C: 150 bps).
      const applied = await system.api<{ terms: { risk_premium_bps: number } }>('POST', `/v1/carriers/${carrier.id}/credit-applications`, { bureau_id });
      if (applied.body.terms.risk_premium_bps !== premium_bps) throw new Error(`${bureau_id} was expected to carry ${premium_bps} bps, got ${applied.body.terms.risk_premium_bps}`);
    }
    await setCreditLimit(system, carrier, '1000000.000000');
    await placeOrder(system, { carrier_id: carrier.id, side: 'buy', prefix: '3491', price_per_minute: '0.020000', increments: '60/60', channels: 100_000 });
  }
}

try {
  await buildMarket(running);
  if (direct) await buildMarket(direct);
  const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: 60 * 60_000 }, workDir);
  await uas.ready;
  await new Promise((resolve) => setTimeout(resolve, 1000));

  const carry = async (rate: number, target: string, localPort: number, localAddress = BUYER_ADDRESS) => {
    const calls = rate * STEP_S;
    const result = await runSipp({
      scenario: 'uac-call-expect-200.xml', localAddress, localPort, remote: target, service: NUMBER, calls,
      ratePerSecond: rate, concurrentLimit: rate * 2, callDurationMs: CALL_MS, maxRunMs: (STEP_S + 30) * 1000,
    }, workDir);
    return { calls, result, ok: result.successfulCalls === calls && result.failedCalls === 0 };
  };

  /** A path that failed at two rates in a row is not driven harder: it would only pile up failures. */
  const failedTwice = (which: PathName) => steps.filter((step) => step.path === which).slice(-2).filter((step) => !step.ok).length === 2;
  for (const rate of RATES) {
    const bareStep = failedTwice('bare') ? undefined : await carry(rate, `127.0.0.1:${BARE.sip}`, BUYER_PORTS.bare);
    if (bareStep) steps.push({ rate, path: 'bare', ...bareStep });
    running.system.agent.decisionLatency.reset();
    const transactionsBefore = await committedTransactions();
    const fullStep = failedTwice('full') ? undefined : await carry(rate, running.sipTarget, BUYER_PORTS.full);
    // Everything the step caused: call rows, reservations, CDRs, the switch's records, billing's
    // batches and lease slices (PostgreSQL's statistics reach the view within a second or so).
    await running.system.billing.drain();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const transactions = (await committedTransactions()) - transactionsBefore - 1;
    if (fullStep) steps.push({ rate, path: 'full', ...fullStep });
    const decision = running.system.agent.decisionLatency.summaryMs();
    running.system.agent.decisionLatency.reset();
    const premiumStep = PREMIUM === 'off' || failedTwice('full_premium') ? undefined : await carry(rate, running.sipTarget, BUYER_PORTS.premium, PREMIUM_BUYER_ADDRESS);
    if (premiumStep) steps.push({ rate, path: 'full_premium', ...premiumStep });
    if (premiumStep) await running.system.billing.drain();
    const premiumDecision = running.system.agent.decisionLatency.summaryMs();
    const directStep = direct === undefined || failedTwice('full_direct_media') ? undefined : await carry(rate, direct.sipTarget, BUYER_PORTS.direct);
    if (directStep) steps.push({ rate, path: 'full_direct_media', ...directStep });
    if (direct) await direct.system.billing.drain();
    console.log(JSON.stringify({
      bench: 'switch', rate, calls: rate * STEP_S,
      bare_ok: bareStep?.ok ?? 'skipped', bare_failed: bareStep?.result.failedCalls ?? null,
      media: MEDIA === 'off' ? 'direct' : 'anchored',
      full_ok: fullStep?.ok ?? 'skipped', full_failed: fullStep?.result.failedCalls ?? null, full_successful: fullStep?.result.successfulCalls ?? null,
      decision_ms_p50: fullStep ? decision.p50 : null, decision_ms_p90: fullStep ? decision.p90 : null,
      decision_ms_p99: fullStep ? decision.p99 : null, decision_ms_max: fullStep ? decision.max : null,
      db_transactions: fullStep ? transactions : null,
      db_transactions_per_call: fullStep ? Math.round((transactions / (rate * STEP_S)) * 1000) / 1000 : null,
      ...(PREMIUM === 'both' ? {
        full_premium_ok: premiumStep?.ok ?? 'skipped', full_premium_failed: premiumStep?.result.failedCalls ?? null,
        premium_decision_ms_p50: premiumStep ? premiumDecision.p50 : null, premium_decision_ms_p90: premiumStep ? premiumDecision.p90 : null,
        premium_decision_ms_p99: premiumStep ? premiumDecision.p99 : null, premium_decision_ms_max: premiumStep ? premiumDecision.max : null,
      } : {}),
      ...(direct ? { full_direct_media_ok: directStep?.ok ?? 'skipped', full_direct_media_failed: directStep?.result.failedCalls ?? null } : {}),
    }));
    await running.system.billing.drain();
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
  await uas.stop();

  // The premium was really priced in: the graded-C buyer's CDRs carry it, the other buyer's do not.
  const premiumCharged = PREMIUM === 'off' ? undefined : await running.database.db.one<{ calls: string; micros: string }>(
    'select count(*)::text as calls, coalesce(sum(premium_amount_micros), 0)::text as micros from cdrs where premium_amount_micros > 0');
  const maxOk = (which: PathName) => Math.max(0, ...steps.filter((step) => step.path === which && step.ok).map((step) => step.rate));
  const bare_max_cps = maxOk('bare');
  const full_max_cps = maxOk('full');
  console.log(JSON.stringify({
    bench: 'switch', summary: true, bare_max_cps, full_max_cps, media: MEDIA,
    ...(direct ? { full_direct_media_max_cps: maxOk('full_direct_media') } : {}),
    ...(premiumCharged ? { full_premium_max_cps: maxOk('full_premium'), premium_calls: Number(premiumCharged.calls), premium_micros: premiumCharged.micros } : {}), ratio: bare_max_cps === 0 ? null : Math.round((full_max_cps / bare_max_cps) * 100) / 100,
    premium: PREMIUM, step_s: STEP_S, call_ms: CALL_MS, rates: RATES, date: new Date().toISOString(), node: process.version,
  }));
} finally {
  await stopAllSipp();
  await bare.stop();
  await direct?.stop();
  await running.stop();
  await bureau?.stop();
}
