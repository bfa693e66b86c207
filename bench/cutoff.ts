/**
 * bench:cutoff — calls cut off for lack of credit, in batches of 20 that all run out at once (the
 * worst case for the switch: both BYEs of many calls at the same instant), batches a second apart. Reports how many calls
 * had a BYE sent to both legs, the latency from the reserved end to the last BYE leaving the
 * switch, and the money charged beyond the buyers' available credit (target: exactly 0).
 *
 * Real PostgreSQL, Kamailio and SIPp on loopback; bounded: BATCHES × CALLS_PER_BATCH calls.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDecimalToMicros } from '../common/money.ts';
import type { CallEvent } from '../switch/agent.ts';
import type { Cutoff } from '../control/credit/credit-controller.ts';
import { runSipp, startSipp, stopAllSipp } from '../sipp/runner.ts';
import { addTrunk, createCarrier, createDestination, placeOrder, setCreditLimit } from '../test/support/market.ts';
import { eventually, startTestSystem } from '../test/support/system.ts';
import { LatencyHistogram } from '../common/latency-histogram.ts';

const BATCHES = Number(process.argv[2] ?? 10);
const CALLS_PER_BATCH = 20;
const SELLER = { address: '127.0.0.62', port: 5090 };
const NUMBER = '4930123456';

const running = await startTestSystem({ sip: 6060, evapi: 9448, jsonrpc: 6071, api: 9080 }, { MINUTEX_CREDIT_CHUNK_S: '30' });
const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-bench-cutoff-'));
const byes = new Map<string, Set<string>>();
const byeTimes = new Map<string, bigint[]>();
const cutoffs = new Map<string, Cutoff>();
running.system.agent.addSink({
  onCallEvent(event: CallEvent) {
    if (event.kind !== 'bye_sent') return;
    const legs = byes.get(event.call_id) ?? new Set<string>();
    legs.add(event.to_uri);
    byes.set(event.call_id, legs);
    byeTimes.set(event.call_id, [...(byeTimes.get(event.call_id) ?? []), event.at_us]);
  },
});
running.system.credit.cutoffs.subscribe((cutoff) => cutoffs.set(cutoff.call_id, cutoff));

try {
  const seller = await createCarrier(running, 'Berlin Termination');
  await addTrunk(running, seller, { direction: 'egress', address: `${SELLER.address}:${SELLER.port}`, channels: 1000, cps: 1000 });
  await createDestination(running, 'Germany Berlin', ['4930']);
  await placeOrder(running, { carrier_id: seller.id, side: 'sell', prefix: '4930', price_per_minute: '0.012000', increments: '1/1', channels: 1000 });
  const uas = startSipp({ scenario: 'uas-answer.xml', localAddress: SELLER.address, localPort: SELLER.port, maxRunMs: BATCHES * 60_000 }, workDir);
  await uas.ready;

  // Every batch is a buyer of its own whose limit pays exactly twenty first chunks (30 s of talk
  // at 0.012/min: 0.006 each); each call's extension, due 15 s before its planned end, finds
  // nothing left, so all twenty are cut at their planned end (27 s after answer, the reservation
  // also paying 3 s of switch slack). Batches start a second apart, so cutoffs come in waves of 20.
  const limit = '0.120000';
  const runBatch = async (batch: number) => {
    await new Promise((resolve) => setTimeout(resolve, batch * 1000));
    const buyer = await createCarrier(running, `Cutoff Buyer ${batch}`);
    const address = `127.0.1.${batch + 1}`;
    await addTrunk(running, buyer, { direction: 'ingress', address, channels: 100, cps: 100 });
    await setCreditLimit(running, buyer, limit);
    await placeOrder(running, { carrier_id: buyer.id, side: 'buy', prefix: '4930', price_per_minute: '0.020000', increments: '60/60', channels: 100 });
    const callers = await runSipp({
      scenario: 'uac-call-hold-until-bye.xml', localAddress: address, localPort: 5070, remote: running.sipTarget, service: NUMBER,
      calls: CALLS_PER_BATCH, ratePerSecond: 200, concurrentLimit: CALLS_PER_BATCH, maxRunMs: 120_000,
    }, workDir);
    const row = await eventually(async () => {
      const totals = await running.system.db.one<{ rated: bigint; charged: bigint }>(
        `select count(*) filter (where rated_at is not null) as rated, coalesce(sum(buyer_amount_micros), 0) as charged from cdrs where buyer_id = $1`, [buyer.id]);
      return totals.rated === BigInt(CALLS_PER_BATCH) ? totals : undefined;
    }, 30_000, 'the batch rated');
    const outcomes = await running.system.db.any<{ final_reason: string; billed_s: number | null; calls: bigint }>(
      'select final_reason, billed_s, count(*) as calls from cdrs where buyer_id = $1 group by 1, 2 order by 3 desc', [buyer.id]);
    console.log(JSON.stringify({
      bench: 'cutoff', batch, calls: CALLS_PER_BATCH, buyer_byes: callers.receivedByeCallIds.length, charged_micros: Number(row.charged),
      outcomes: outcomes.map((outcome) => `${outcome.calls}× ${outcome.final_reason} (${outcome.billed_s ?? 0} s)`),
    }));
    const over = row.charged - parseDecimalToMicros(limit);
    return { byes: callers.receivedByeCallIds.length, over: over > 0n ? over : 0n };
  };
  const batches = await Promise.all(Array.from({ length: BATCHES }, (_unused, batch) => runBatch(batch)));
  const overshoot_micros = batches.reduce((sum, batch) => sum + batch.over, 0n);
  const buyerByes = batches.reduce((sum, batch) => sum + batch.byes, 0);
  const sellerResult = await uas.stop();

  const latencies = LatencyHistogram.create();
  let both = 0;
  let oneSided = 0;
  for (const [call_id, cutoff] of cutoffs) {
    const legs = byes.get(call_id)?.size ?? 0;
    if (legs >= 2) both += 1;
    else oneSided += 1;
    const times = byeTimes.get(call_id) ?? [];
    if (times.length > 0) {
      const last_us = times.reduce((a, b) => (a > b ? a : b));
      latencies.recordUs(Number(last_us - cutoff.reserved_end_ms * 1000n));
    }
  }
  console.log(JSON.stringify({
    bench: 'cutoff', summary: true, cutoffs: cutoffs.size, both_legs: both, one_sided: oneSided,
    buyer_byes_received: buyerByes, seller_byes_received: sellerResult.receivedByeCallIds.length,
    overshoot_micros: Number(overshoot_micros), latency_ms_p50: latencies.percentileMs(50), latency_ms_p90: latencies.percentileMs(90),
    latency_ms_p99: latencies.percentileMs(99), latency_ms_max: latencies.percentileMs(100), date: new Date().toISOString(), node: process.version,
  }));
} finally {
  await stopAllSipp();
  await running.stop();
}
