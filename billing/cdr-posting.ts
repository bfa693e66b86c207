/**
 * Rates CDRs and posts them to the ledger, keyed by Call-ID, exactly once: the CDR row is locked
 * while it is rated, its rated_at marks it done, and the ledger transaction's idempotency key
 * (`cdr:<Call-ID>`) makes even a replay that slips past that mark post nothing twice.
 */
import type { ITask } from 'pg-promise';
import type { Db } from '../common/db/database.ts';
import { cdrTransaction } from './core/ledger.ts';
import { rateTradeCall, type RatedCall, type Tariff } from './core/rating.ts';
import type { LedgerStore } from './ledger-store.ts';

export type PostingOutcome = 'posted' | 'already_posted' | 'nothing_to_post' | 'not_found';

export interface PostingResult {
  call_id: string;
  outcome: PostingOutcome;
}

/**
 * Releases the credit a call held, in the same database transaction that posts its charge, so the
 * money is never counted both as reserved and as spent, nor as neither. Credit control implements it.
 */
export interface ReservationSettler {
  /** Releases the reservations of these calls, charged as given, in `t`; one outcome per call, in order. */
  settleManyInTransaction(t: ITask<object>, settlements: ReadonlyArray<{ call_id: string; charged_micros: bigint }>): Promise<ReadonlyArray<'posted' | 'voided' | 'none'>>;
  /** Brings what credit control caches of these carriers' ledger balances up to date, in `t`. */
  refreshBalancesInTransaction(t: ITask<object>, carrier_ids: readonly string[]): Promise<void>;
}

/** The most CDRs one batch may hold, so that one database transaction stays short. */
export const MAX_CDR_BATCH = 10_000;

/** A CDR with the tariff of its trade (the trade columns are null when it has no trade). */
interface CdrForRating {
  call_id: string;
  buyer_id: string | null;
  seller_id: string | null;
  answer_at: Date | null;
  duration_ms: bigint;
  rated_at: Date | null;
  ledger_transaction_id: bigint | null;
  trade_id: string | null;
  trade_buyer_id: string | null;
  trade_seller_id: string | null;
  currency: string | null;
  price_per_minute_micros: bigint | null;
  first_increment_s: number | null;
  next_increment_s: number | null;
  connect_fee_micros: bigint | null;
}

const SELECT_CDR_FOR_RATING = `
  select c.call_id, c.buyer_id, c.seller_id, c.answer_at, c.duration_ms, c.rated_at, c.ledger_transaction_id,
         t.id as trade_id, t.buyer_id as trade_buyer_id, t.seller_id as trade_seller_id, t.currency,
         t.price_per_minute_micros, t.first_increment_s, t.next_increment_s, t.connect_fee_micros
  from cdrs c left join trades t on t.id = c.trade_id`;

const NOTHING_RATED: RatedCall = { billed_s: 0, seller_amount_micros: 0n, fee_amount_micros: 0n, buyer_amount_micros: 0n };

/** Rates and posts one CDR in its own database transaction. */
export async function rateAndPostCdr(
  db: Db,
  ledger: LedgerStore,
  call_id: string,
  exchange_fee_per_minute_micros: bigint,
  settler?: ReservationSettler,
): Promise<PostingResult> {
  return db.tx('rate-and-post-cdr', async (t) => {
    const cdr = await t.oneOrNone<CdrForRating>(`${SELECT_CDR_FOR_RATING} where c.call_id = $1 for update of c`, [call_id]);
    if (cdr === null) return { call_id, outcome: 'not_found' };
    const settlements: Settlement[] = [];
    const [result] = await rateAndPostLocked(t, ledger, [cdr], exchange_fee_per_minute_micros, settlements);
    await settleAll(t, settler, settlements);
    return result!;
  });
}

/**
 * The batch processor: rates and posts up to `max_batch` unrated CDRs, oldest first, all in one
 * database transaction. CDRs another processor holds are skipped, not waited for.
 */
export async function postPendingCdrs(
  db: Db,
  ledger: LedgerStore,
  exchange_fee_per_minute_micros: bigint,
  max_batch: number,
  settler?: ReservationSettler,
): Promise<PostingResult[]> {
  if (!Number.isSafeInteger(max_batch) || max_batch < 1 || max_batch > MAX_CDR_BATCH) {
    throw new RangeError(`max_batch must be a whole number from 1 to ${MAX_CDR_BATCH}, got ${max_batch}`);
  }
  return db.tx('post-pending-cdrs', async (t) => {
    const cdrs = await t.manyOrNone<CdrForRating>(
      `${SELECT_CDR_FOR_RATING} where c.rated_at is null order by c.created_at, c.call_id limit $1 for update of c skip locked`,
      [max_batch],
    );
    const settlements: Settlement[] = [];
    const results = await rateAndPostLocked(t, ledger, cdrs, exchange_fee_per_minute_micros, settlements);
    await settleAll(t, settler, settlements);
    return results;
  });
}

/** A reservation to release, with what its call was charged, at the end of the posting transaction. */
interface Settlement {
  readonly call_id: string;
  readonly buyer_id: string;
  readonly seller_id: string | null;
  readonly charged_micros: bigint;
}

/**
 * Releases the batch's reservations last, all together: the buyers' credit rows are locked only
 * for the end of the transaction (a reservation for a new call waits milliseconds, not the whole
 * batch), in one order, so two batches never lock them in a circle.
 */
async function settleAll(t: ITask<object>, settler: ReservationSettler | undefined, settlements: Settlement[]): Promise<void> {
  if (!settler) return;
  await settler.settleManyInTransaction(t, settlements);
  const parties = settlements.flatMap((settlement) => [settlement.buyer_id, settlement.seller_id ?? '']).filter((id) => id !== '');
  await settler.refreshBalancesInTransaction(t, parties);
}

/**
 * Rates the CDRs whose rows the transaction `t` holds locked, posts them all to the ledger and
 * records their ratings, with a few statements for the whole group; one result per CDR, in order.
 */
async function rateAndPostLocked(
  t: ITask<object>,
  ledger: LedgerStore,
  cdrs: readonly CdrForRating[],
  exchange_fee_per_minute_micros: bigint,
  settlements: Settlement[],
): Promise<PostingResult[]> {
  const fresh = cdrs.filter((cdr) => cdr.rated_at === null);
  const rated = fresh.map((cdr) => rate(cdr, exchange_fee_per_minute_micros));
  const drafts = fresh.map((cdr, index) =>
    cdr.currency === null || cdr.trade_buyer_id === null || cdr.trade_seller_id === null
      ? null
      : cdrTransaction({ call_id: cdr.call_id, buyer_id: cdr.trade_buyer_id, seller_id: cdr.trade_seller_id, currency: cdr.currency, rated: rated[index]! }));
  const toPost = drafts.filter((draft): draft is NonNullable<typeof draft> => draft !== null);
  const postedResults = await ledger.postMany(toPost, t);
  const postedByKey = new Map(toPost.map((draft, index) => [draft.idempotency_key, postedResults[index]!]));
  const posted = drafts.map((draft) => (draft === null ? null : postedByKey.get(draft.idempotency_key) ?? null));
  if (fresh.length > 0) {
    const money = (pick: (one: RatedCall) => bigint) => rated.map((one) => pick(one).toString());
    await t.none(
      `update cdrs c set currency = r.currency, billed_s = r.billed_s, buyer_amount_micros = r.buyer, seller_amount_micros = r.seller,
         fee_amount_micros = r.fee, rated_at = now(), ledger_transaction_id = r.ledger_transaction_id
       from unnest($1::text[], $2::text[], $3::int[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
         as r (call_id, currency, billed_s, buyer, seller, fee, ledger_transaction_id)
       where c.call_id = r.call_id`,
      [
        fresh.map((cdr) => cdr.call_id), fresh.map((cdr) => cdr.currency), rated.map((one) => one.billed_s),
        money((one) => one.buyer_amount_micros), money((one) => one.seller_amount_micros), money((one) => one.fee_amount_micros),
        posted.map((result) => (result === null ? null : result.transaction_id.toString())),
      ],
    );
  }
  fresh.forEach((cdr, index) => {
    settlements.push({ call_id: cdr.call_id, buyer_id: cdr.buyer_id ?? '', seller_id: cdr.seller_id, charged_micros: rated[index]!.buyer_amount_micros });
  });
  const outcomes = new Map(fresh.map((cdr, index): [string, PostingOutcome] => {
    const result = posted[index];
    return [cdr.call_id, result === null || result === undefined ? 'nothing_to_post' : result.created ? 'posted' : 'already_posted'];
  }));
  return cdrs.map((cdr) => ({
    call_id: cdr.call_id,
    outcome: outcomes.get(cdr.call_id) ?? (cdr.ledger_transaction_id === null ? 'nothing_to_post' : 'already_posted'),
  }));
}

/** The rating of a CDR at its trade's tariff; zero when it has no trade. */
function rate(cdr: CdrForRating, exchange_fee_per_minute_micros: bigint): RatedCall {
  const tariff = tariffOf(cdr);
  if (tariff === null) return NOTHING_RATED;
  assertSameParties(cdr);
  // The duration_ms column holds the answered duration; a call never answered has answer_at null.
  const duration_ms = cdr.answer_at === null ? null : cdr.duration_ms;
  return rateTradeCall(tariff, exchange_fee_per_minute_micros, duration_ms);
}

function tariffOf(cdr: CdrForRating): Tariff | null {
  if (
    cdr.trade_id === null ||
    cdr.price_per_minute_micros === null ||
    cdr.first_increment_s === null ||
    cdr.next_increment_s === null ||
    cdr.connect_fee_micros === null
  ) {
    return null;
  }
  return {
    price_per_minute_micros: cdr.price_per_minute_micros,
    first_increment_s: cdr.first_increment_s,
    next_increment_s: cdr.next_increment_s,
    connect_fee_micros: cdr.connect_fee_micros,
  };
}

/** A CDR bills the parties of its trade; one that names other parties is a broken invariant. */
function assertSameParties(cdr: CdrForRating): void {
  if ((cdr.buyer_id !== null && cdr.buyer_id !== cdr.trade_buyer_id) || (cdr.seller_id !== null && cdr.seller_id !== cdr.trade_seller_id)) {
    throw new Error(`CDR ${cdr.call_id} names a buyer or seller other than those of its trade ${cdr.trade_id}`);
  }
}
