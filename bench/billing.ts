/**
 * bench:billing — how fast billing rates CDRs and posts them to the ledger, against the fastest
 * PostgreSQL can take the same rows at all (a raw COPY), and how long a statement run takes at the
 * size of a real exchange.
 *
 *   posting: BATCH_CDRS CDRs of finished calls (with their stored terms, as the switch side writes
 *            them) are COPYed into the cdrs table (timed: the raw COPY), then rated and posted by
 *            billing's own path (postPendingCdrs with the production batch size and credit
 *            control's settlement) until none is pending (timed). Several rounds, alternating.
 *   statements: CARRIERS carriers that buy from and sell to each other, STATEMENT_CDRS CDRs in one
 *            closed month, rated by the pure rating function and written as rated (not timed; the
 *            run reads the CDRs, not the ledger), then one statement run for that month (timed),
 *            with every carrier's statement netted.
 *
 * Usage: npm run bench:billing [BATCH_CDRS=100000] [STATEMENT_CDRS=1000000] [CARRIERS=1000]
 * Prints JSON lines. Uses a fresh database on the local PostgreSQL (MINUTEX_TEST_DATABASE_URL), dropped after.
 */
import type { PoolClient } from 'pg';
import { postPendingCdrs } from '../billing/cdr-posting.ts';
import { DEFAULT_BATCH_OPTIONS } from '../billing/cdr-batch-processor.ts';
import { LedgerStore } from '../billing/ledger-store.ts';
import { runStatements } from '../billing/settlement/statement-run.ts';
import { rateTradeCall } from '../billing/core/rating.ts';
import type { Db } from '../common/db/database.ts';
import { CreditStore } from '../control/credit/credit-store.ts';
import { copyIn } from '../control/store/pg-copy.ts';
import { createTestDatabase } from '../test/support/database.ts';
import { SeededRandom } from './seeded-random.ts';

const BATCH_CDRS = Number(process.argv[2] ?? 100_000);
const STATEMENT_CDRS = Number(process.argv[3] ?? 1_000_000);
const CARRIERS = Number(process.argv[4] ?? 1_000);
const ROUNDS = 3;
/** Batch sizes compared in each round; the production one (DEFAULT_BATCH_OPTIONS.maxBatch) is 5,000. */
const BATCH_SIZES = [500, 2_000, DEFAULT_BATCH_OPTIONS.maxBatch];
const DESTINATIONS = 20;
/** Every carrier buys from this many others (and so sells to as many). */
const TRADES_PER_BUYER = 4;
const FEE_PER_MINUTE_MICROS = 600n;
/** The month the statement bench's calls are in (monthly terms, UTC, the default). */
const MONTH_START = Date.parse('2026-10-01T00:00:00Z');
const MONTH_MS = 31 * 86_400_000;
const PERIOD_END = '2026-10-31';
const RUN_LIMIT_MS = 40 * 60_000;

const limit = setTimeout(() => {
  console.error(JSON.stringify({ bench: 'billing', error: `run limit of ${RUN_LIMIT_MS} ms reached` }));
  process.exit(2);
}, RUN_LIMIT_MS);
limit.unref();

interface Trade { id: string; buyer_id: string; seller_id: string; destination_id: string; price_per_minute_micros: bigint; first_increment_s: number; next_increment_s: number }

const seeded = new SeededRandom(20261130);
const random = () => seeded.next();
const print = (line: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'billing', ...line }));

/** A market of `carriers` carriers on DESTINATIONS destinations, each buying from TRADES_PER_BUYER others. */
async function market(db: Db, carriers: number, tag: string): Promise<Trade[]> {
  const carrierIds = await db.map<string>(
    `insert into carriers (name) select $1 || ' ' || n from generate_series(1, $2) n returning id`, [`Bench ${tag}`, carriers], (row: { id: string }) => row.id);
  const destinationIds = await db.map<string>(
    `insert into destinations (name) select $1 || ' destination ' || n from generate_series(1, $2) n returning id`, [`Bench ${tag}`, DESTINATIONS], (row: { id: string }) => row.id);
  const specs: Array<Omit<Trade, 'id'>> = [];
  carrierIds.forEach((buyer_id, index) => {
    for (let k = 1; k <= TRADES_PER_BUYER; k += 1) {
      const seller_id = carrierIds[(index + k * 7) % carrierIds.length]!;
      const increments = k % 2 === 0 ? [60, 60] : [1, 1];
      specs.push({ buyer_id, seller_id, destination_id: destinationIds[(index + k) % DESTINATIONS]!, price_per_minute_micros: BigInt(5_000 + Math.floor(random() * 20_000)), first_increment_s: increments[0]!, next_increment_s: increments[1]! });
    }
  });
  // The orders each trade crossed, then the trades: set-based, a few statements in all.
  return db.tx(async (t) => {
    const values = {
      buyer: specs.map((one) => one.buyer_id), seller: specs.map((one) => one.seller_id), destination: specs.map((one) => one.destination_id),
      price: specs.map((one) => one.price_per_minute_micros.toString()), first: specs.map((one) => one.first_increment_s), next: specs.map((one) => one.next_increment_s),
    };
    const rows = await t.any<Trade>(
      `with spec as (
         select * from unnest($<buyer>::uuid[], $<seller>::uuid[], $<destination>::uuid[], $<price>::bigint[], $<first>::int[], $<next>::int[])
           with ordinality as s (buyer_id, seller_id, destination_id, price, first_s, next_s, n)),
       buys as (
         insert into orders (carrier_id, side, destination_id, currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, channels, channels_open)
         select buyer_id, 'buy', destination_id, 'USD', price, first_s, next_s, 0, 100, 0 from spec order by n returning id),
       sells as (
         insert into orders (carrier_id, side, destination_id, currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, channels, channels_open)
         select seller_id, 'sell', destination_id, 'USD', price, first_s, next_s, 0, 100, 0 from spec order by n returning id),
       b as (select id, row_number() over () as n from buys), s as (select id, row_number() over () as n from sells)
       insert into trades (buy_order_id, sell_order_id, buyer_id, seller_id, destination_id, currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, channels)
       select b.id, s.id, spec.buyer_id, spec.seller_id, spec.destination_id, 'USD', spec.price, spec.first_s, spec.next_s, 0, 100
       from spec join b on b.n = spec.n join s on s.n = spec.n
       returning id, buyer_id, seller_id, destination_id, price_per_minute_micros, first_increment_s, next_increment_s`, values);
    return rows;
  });
}

let callSeq = 0;

/** `count` finished, answered calls on random trades, answered within [from, from + span). */
function calls(trades: readonly Trade[], count: number, from: number, span_ms: number): { calls: string[][]; cdrs: string[][] } {
  const callRows: string[][] = [];
  const cdrRows: string[][] = [];
  for (let i = 0; i < count; i += 1) {
    callSeq += 1;
    const trade = trades[Math.floor(random() * trades.length)]!;
    const call_id = `bench-billing-${callSeq}@buyer.example`;
    const answer_at = from + Math.floor(random() * (span_ms - 4 * 3_600_000));
    const duration_ms = 1_000 + Math.floor(random() * 600_000);
    const setup = new Date(answer_at - 3_000).toISOString();
    const answer = new Date(answer_at).toISOString();
    const end = new Date(answer_at + duration_ms).toISOString();
    callRows.push([call_id, trade.buyer_id, '44201234567', trade.destination_id, 'ended', setup, answer, end]);
    cdrRows.push([
      call_id, trade.buyer_id, trade.seller_id, trade.id, '44201234567', trade.destination_id, '[]', setup, answer, end, String(duration_ms), '200', 'OK', 'caller',
      'USD', trade.price_per_minute_micros.toString(), String(trade.first_increment_s), String(trade.next_increment_s), '0', FEE_PER_MINUTE_MICROS.toString(),
    ]);
  }
  return { calls: callRows, cdrs: cdrRows };
}

const CALL_COLUMNS = 'calls (call_id, buyer_id, dialled_number, destination_id, state, setup_at, answer_at, end_at)';
const CDR_COLUMNS = `cdrs (call_id, buyer_id, seller_id, trade_id, dialled_number, destination_id, legs, setup_at, answer_at, end_at, duration_ms,
  final_sip_code, final_reason, ended_by, currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, fee_per_minute_micros)`;

const RATED_CDR_COLUMNS = `${CDR_COLUMNS.slice(0, -1)}, billed_s, buyer_amount_micros, seller_amount_micros, fee_amount_micros, billing_status, rated_at)`;

/** A CDR row of `calls` with its rating appended, in RATED_CDR_COLUMNS order. */
function ratedRow(row: string[]): string[] {
  const [price, first, next, connect, fee] = row.slice(15, 20);
  const rated = rateTradeCall(
    { price_per_minute_micros: BigInt(price!), first_increment_s: Number(first), next_increment_s: Number(next), connect_fee_micros: BigInt(connect!) },
    BigInt(fee!), BigInt(row[10]!));
  return [...row, String(rated.billed_s), rated.buyer_amount_micros.toString(), rated.seller_amount_micros.toString(), rated.fee_amount_micros.toString(), 'rated', row[9]!];
}

async function copyRows(db: Db, table: string, rows: readonly string[][]): Promise<number> {
  const connection = await db.connect();
  try {
    const started = performance.now();
    await copyIn(connection.client as unknown as PoolClient, table, rows);
    return performance.now() - started;
  } finally {
    await connection.done();
  }
}

/** Rates and posts every pending CDR the way the batch processor does; the time it took, in ms. */
async function postAll(db: Db, ledger: LedgerStore, credits: CreditStore, batch_size = DEFAULT_BATCH_OPTIONS.maxBatch): Promise<{ ms: number; posted: number; node_cpu_ms: number }> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let posted = 0;
  for (;;) {
    const results = await postPendingCdrs(db, ledger, batch_size, credits);
    posted += results.filter((result) => result.outcome === 'posted').length;
    if (results.length < batch_size) break;
  }
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - started, posted, node_cpu_ms: Math.round((used.user + used.system) / 1000) };
}

const database = await createTestDatabase();
try {
  const db = database.db;
  const ledger = new LedgerStore(db);
  const credits = new CreditStore(db, ledger);
  print({ phase: 'setup', batch_cdrs: BATCH_CDRS, statement_cdrs: STATEMENT_CDRS, carriers: CARRIERS, batch_size: DEFAULT_BATCH_OPTIONS.maxBatch });

  // Posting: the same rows, COPYed raw and then rated and posted, round after round.
  const postingTrades = await market(db, 100, 'posting');
  const now = Date.now();
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const batch_size of BATCH_SIZES) {
      const rows = calls(postingTrades, BATCH_CDRS, now - 86_400_000, 86_400_000);
      await copyRows(db, CALL_COLUMNS, rows.calls);
      const copy_ms = await copyRows(db, CDR_COLUMNS, rows.cdrs);
      const posting = await postAll(db, ledger, credits, batch_size);
      if (posting.posted !== BATCH_CDRS) throw new Error(`round ${round}: posted ${posting.posted} of ${BATCH_CDRS}`);
      const copy_per_s = Math.round(BATCH_CDRS / (copy_ms / 1000));
      const posted_per_s = Math.round(BATCH_CDRS / (posting.ms / 1000));
      print({ phase: 'posting', round, batch_size, cdrs: BATCH_CDRS, copy_ms: Math.round(copy_ms), copy_per_s, rate_and_post_ms: Math.round(posting.ms), node_cpu_ms: posting.node_cpu_ms, posted_per_s, ratio: Math.round((posted_per_s / copy_per_s) * 1000) / 1000 });
    }
  }
  const [trial] = await ledger.trialBalance();
  print({ phase: 'posting-check', trial_balance_micros: trial?.total_micros.toString() ?? '0', balance_mismatches: await ledger.balanceMismatches() });

  // Statements: a month of calls among CARRIERS carriers, then one run.
  const statementTrades = await market(db, CARRIERS, 'statements');
  const loadStarted = performance.now();
  for (let loaded = 0; loaded < STATEMENT_CDRS; loaded += BATCH_CDRS) {
    const rows = calls(statementTrades, Math.min(BATCH_CDRS, STATEMENT_CDRS - loaded), MONTH_START, MONTH_MS);
    await copyRows(db, CALL_COLUMNS, rows.calls);
    // Rated as billing rates them (the pure rating function), written as rated: the run reads the
    // CDRs' amounts and marks them, never the postings, so loading a million skips the ledger.
    await copyRows(db, RATED_CDR_COLUMNS, rows.cdrs.map(ratedRow));
  }
  await db.none('analyze');
  print({ phase: 'statements-load', cdrs: STATEMENT_CDRS, carriers: CARRIERS, load_ms: Math.round(performance.now() - loadStarted) });
  const runStarted = performance.now();
  const outcome = await runStatements(db, ledger, PERIOD_END, 'bench');
  const run_ms = performance.now() - runStarted;
  if (!outcome.ok) throw new Error(`statement run refused: ${outcome.reason}`);
  const billed = await db.one<{ unbilled: number }>(
    `select count(*)::int as unbilled from cdrs where answer_at < '2026-11-01' and (buyer_statement_id is null or seller_statement_id is null)`);
  print({ phase: 'statement-run', carriers: CARRIERS, cdrs: STATEMENT_CDRS, statements: outcome.statements.length, run_ms: Math.round(run_ms), unbilled_after: billed.unbilled });
} finally {
  await database.drop();
}
