/**
 * bench:credit-assessment — how long a credit assessment takes: the bureau report (the sandbox on
 * loopback, then the cache), the carrier's history from PostgreSQL, the scorecard, and the
 * transaction that applies the limit and stores the assessment.
 *
 *   one by one: SAMPLE carriers assessed one after another, first from the bureau, then again
 *               from the cache: the time per carrier (p50, p99);
 *   all at once: CARRIERS carriers (default 10,000) assessed CONCURRENCY at a time (default 16),
 *               as a scheduled reassessment of the whole membership would: the total time and
 *               the rate.
 *
 * Usage: npm run bench:credit-assessment [CARRIERS] [CONCURRENCY]. A fresh database on the local
 * PostgreSQL (dropped after), the bureau sandbox on 127.0.0.1:11592.
 */
import { performance } from 'node:perf_hooks';
import { migrate } from '../common/db/migrate.ts';
import { createLogger } from '../common/logger.ts';
import { startBureauSandbox } from '../bureau/sandbox.ts';
import { TEST_COMPANIES } from '../bureau/companies.ts';
import { Assessor } from '../control/assessment/assessor.ts';
import { BureauClient } from '../control/assessment/bureau-client.ts';
import { BureauReports } from '../control/assessment/bureau-reports.ts';
import { ScorecardStore } from '../control/assessment/scorecard-store.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { LatencyHistogram } from '../common/latency-histogram.ts';

const CARRIERS = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const SAMPLE = Math.min(200, CARRIERS);
const BUREAU_PORT = 11592;

const database = await createTestDatabase();
const bureau = await startBureauSandbox({ host: '127.0.0.1', port: BUREAU_PORT });
try {
  const db = database.db;
  await migrate(db);
  const scorecards = new ScorecardStore(db);
  await scorecards.load('bench');
  const reports = new BureauReports(db, new BureauClient({ url: bureau.url, timeout_ms: 2000, retries: 2 }), { validity_s: 86_400, stale_use_s: 0 });
  const assessor = new Assessor(db, scorecards, reports, createLogger('silent'));
  const ids = await db.map(
    `insert into carriers (name) select 'Bench carrier ' || n from generate_series(1, $1) as n returning id`, [CARRIERS], (row: { id: string }) => row.id);
  // Every carrier is one of the bureau's test companies: the first SAMPLE are each a company of its own at the bureau (no cache yet).
  const bureauId = (index: number) => TEST_COMPANIES[index % TEST_COMPANIES.length]!.bureau_id;
  const assess = async (carrier_id: string, index: number, refresh: boolean) => {
    const started = performance.now();
    const outcome = await assessor.assess({ carrier_id, trigger: 'operator', actor: 'bench', bureau_id: bureauId(index), refresh_bureau: refresh });
    if (!outcome.ok) throw new Error(`assessment failed: ${outcome.reason}`);
    return performance.now() - started;
  };

  const fromBureau = LatencyHistogram.create();
  for (let index = 0; index < SAMPLE; index += 1) fromBureau.recordMs(await assess(ids[index]!, index, true));
  const fromCache = LatencyHistogram.create();
  for (let index = 0; index < SAMPLE; index += 1) fromCache.recordMs(await assess(ids[index]!, index, false));
  const percentiles = (histogram: LatencyHistogram) => {
    const summary = histogram.summaryMs();
    return { p50: summary.p50, p90: summary.p90, p99: summary.p99, max: summary.max };
  };

  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < ids.length) {
      const index = next;
      next += 1;
      await assess(ids[index]!, index, false);
    }
  }));
  const all_ms = performance.now() - started;
  console.log(JSON.stringify({
    bench: 'credit-assessment', carriers: CARRIERS, concurrency: CONCURRENCY, sample: SAMPLE,
    one_by_one_from_bureau_ms: percentiles(fromBureau),
    one_by_one_from_cache_ms: percentiles(fromCache),
    all_at_once: { total_s: Math.round(all_ms / 10) / 100, per_second: Math.round((CARRIERS / all_ms) * 1000) },
  }));
} finally {
  await bureau.stop();
  await database.drop();
}
process.exit(0);
