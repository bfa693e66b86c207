/**
 * `npm run demo`: the whole system (as `npm start`), seeded with demo carriers, trunks,
 * destinations, credit and crossing orders, and SIPp playing the carriers' trunks, so a newcomer
 * sees calls flow and balances move on the live page within a minute. Traffic is bounded: rounds
 * of calls at a few calls per second to loopback addresses only, for at most DEMO_TRAFFIC_MS.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runSipp, startSipp, stopAllSipp, type SippProcess } from '../sipp/runner.ts';
import { runUntilSignal } from './main.ts';
import type { System } from './system.ts';
import { seedDemoMarket, DEMO_BUYERS, DEMO_SELLERS } from './demo-market.ts';

/** How long the demo sends traffic before it stops by itself, in ms (the system keeps running). */
const DEMO_TRAFFIC_MS = 30 * 60 * 1000;
/** Calls per round and per buyer, and the pace. */
const CALLS_PER_ROUND = 20;
const CALLS_PER_SECOND = 2;

async function driveTraffic(system: System, sipTarget: string): Promise<void> {
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'minutex-demo-'));
  const sellers: SippProcess[] = DEMO_SELLERS.map((seller) =>
    startSipp({ scenario: seller.scenario, localAddress: seller.address, localPort: seller.port, maxRunMs: DEMO_TRAFFIC_MS + 120_000 }, workDir));
  await Promise.all(sellers.map((seller) => seller.ready));
  const stopAt = Date.now() + DEMO_TRAFFIC_MS;
  let round = 0;
  while (Date.now() < stopAt) {
    round += 1;
    const results = await Promise.all(DEMO_BUYERS.map((buyer, index) =>
      runSipp({
        scenario: 'uac-call-expect-200.xml', localAddress: buyer.address, localPort: 5070 + index, remote: sipTarget,
        service: buyer.numbers[round % buyer.numbers.length]!, calls: CALLS_PER_ROUND, ratePerSecond: CALLS_PER_SECOND,
        concurrentLimit: 30, callDurationMs: 4000 + (round % 5) * 3000, maxRunMs: 120_000,
      }, workDir)));
    const answered = results.reduce((sum, result) => sum + result.successfulCalls, 0);
    console.log(`demo round ${round}: ${answered} of ${CALLS_PER_ROUND * DEMO_BUYERS.length} calls answered; CDRs posted so far: ${system.billing.postedTotal}`);
  }
  console.log('demo traffic finished; the system keeps running until Ctrl-C');
  await Promise.all(sellers.map((seller) => seller.stop()));
}

process.on('exit', () => void stopAllSipp());
await runUntilSignal(async (system, config) => {
  await seedDemoMarket(system);
  console.log('demo market seeded: carriers, trunks, destinations, credit and trades; sending calls now');
  void driveTraffic(system, `${config.sipAddr.host}:${config.sipAddr.port}`).catch((error: unknown) => console.error('demo traffic stopped:', error));
});
