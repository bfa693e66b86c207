/**
 * Rates CDRs and posts them to the ledger, keyed by Call-ID, exactly once: the CDR row is locked
 * while it is rated, its status marks it done, and PostgreSQL refuses to point a CDR at a second
 * ledger transaction once it has one. A batch of calls is one ledger transaction, its postings
 * summed per account, keyed by the batch's set of Call-IDs (a single call's key is `cdr:<Call-ID>`);
 * each CDR keeps its own amounts, the subledger behind the batch's lines. Rating reads only the
 * terms stored on the CDR.
 *
 * A batch is posted with a few statements for all its CDRs. A CDR that cannot be rated is
 * quarantined inside the batch; when the batch itself fails (the database refused a posting), its
 * CDRs are posted one by one, and the one that fails alone is quarantined with its reason, so that
 * one bad CDR never stops billing.
 */
import { createHash } from 'node:crypto';
import type { ITask } from 'pg-promise';
import type { Db } from '../common/db/database.ts';
import { isRowError } from '../common/db/group-writer.ts';
import { rateStoredCdr, type StoredCdr } from './core/cdr-rating.ts';
import { cdrBatchTransaction, LedgerInvariantError, type TransactionDraft } from './core/ledger.ts';
import type { RatedCall } from './core/rating.ts';
import { LedgerKeyConflictError, type LedgerStore } from './ledger-store.ts';

export type PostingOutcome = 'posted' | 'already_posted' | 'nothing_to_post' | 'not_found' | 'quarantined';

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

/** A CDR row as rating reads it: no join, the terms are its own columns. */
interface CdrRow {
  call_id: string;
  buyer_id: string | null;
  seller_id: string | null;
  trade_id: string | null;
  answer_at: Date | null;
  duration_ms: bigint;
  billing_status: 'pending' | 'rated' | 'quarantined';
  ledger_transaction_id: bigint | null;
  currency: string | null;
  price_per_minute_micros: bigint | null;
  first_increment_s: number | null;
  next_increment_s: number | null;
  connect_fee_micros: bigint | null;
  fee_per_minute_micros: bigint | null;
  premium_bps: number | null;
}

const SELECT_CDR = `
  select call_id, buyer_id, seller_id, trade_id, answer_at, duration_ms, billing_status, ledger_transaction_id, currency,
         price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, fee_per_minute_micros, premium_bps
  from cdrs`;

/** The longest quarantine reason stored (a database error's message can be long). */
const MAX_REASON_LENGTH = 1000;

function storedCdr(row: CdrRow): StoredCdr {
  // The duration_ms column holds the answered duration; a call never answered has answer_at null.
  return { ...row, answered: row.answer_at !== null };
}

/** Rates and posts one CDR in its own database transaction. */
export async function rateAndPostCdr(db: Db, ledger: LedgerStore, call_id: string, settler?: ReservationSettler): Promise<PostingResult> {
  return db.tx('rate-and-post-cdr', async (t) => {
    const cdr = await t.oneOrNone<CdrRow>(`${SELECT_CDR} where call_id = $1 for update`, [call_id]);
    if (cdr === null) return { call_id, outcome: 'not_found' };
    const settlements: Settlement[] = [];
    const [result] = await rateAndPostLocked(t, ledger, [cdr], settlements);
    await settleAll(t, settler, settlements);
    return result!;
  });
}

/**
 * The batch processor's step: rates and posts up to `max_batch` pending CDRs, oldest first, all in
 * one database transaction (CDRs another processor holds are skipped, not waited for). When that
 * transaction fails, its CDRs are taken one by one (see `isolate`).
 */
export async function postPendingCdrs(db: Db, ledger: LedgerStore, max_batch: number, settler?: ReservationSettler): Promise<PostingResult[]> {
  if (!Number.isSafeInteger(max_batch) || max_batch < 1 || max_batch > MAX_CDR_BATCH) {
    throw new RangeError(`max_batch must be a whole number from 1 to ${MAX_CDR_BATCH}, got ${max_batch}`);
  }
  let taken: string[] = [];
  try {
    return await db.tx('post-pending-cdrs', async (t) => {
      const cdrs = await t.manyOrNone<CdrRow>(
        `${SELECT_CDR} where billing_status = 'pending' order by created_at, call_id limit $1 for update skip locked`,
        [max_batch],
      );
      taken = cdrs.map((cdr) => cdr.call_id);
      const settlements: Settlement[] = [];
      const results = await rateAndPostLocked(t, ledger, cdrs, settlements);
      await settleAll(t, settler, settlements);
      return results;
    });
  } catch (error) {
    if (taken.length === 0) throw error;
    return isolate(db, ledger, taken, settler, error);
  }
}

/**
 * Whether an error says the CDR itself cannot be posted (its data, its ledger key), not that the
 * database is unreachable or slow: only then is a CDR quarantined at once.
 */
function isCdrError(error: unknown): boolean {
  return isRowError(error) || error instanceof LedgerInvariantError || error instanceof LedgerKeyConflictError || error instanceof RangeError;
}

function reasonOf(error: unknown): string {
  const code = error instanceof LedgerKeyConflictError ? 'ledger_key_conflict' : 'posting_failed';
  const message = error instanceof Error ? error.message : String(error);
  return `${code}: ${message}`.slice(0, MAX_REASON_LENGTH);
}

/**
 * Posts a failed batch's CDRs one by one. A CDR whose own failure says it cannot be posted is
 * quarantined at once; one that fails otherwise is tried once more at the end and quarantined
 * only when others of the batch posted meanwhile (so the database is up and the fault is this
 * CDR's). When none posts, the database is the likelier fault: nothing is quarantined, the error
 * goes up and the next sweep tries again.
 */
async function isolate(db: Db, ledger: LedgerStore, call_ids: readonly string[], settler: ReservationSettler | undefined, batchError: unknown): Promise<PostingResult[]> {
  const results = new Map<string, PostingResult>();
  const doubtful: string[] = [];
  let anyPosted = false;
  const tryOne = async (call_id: string): Promise<unknown> => {
    try {
      const result = await rateAndPostCdr(db, ledger, call_id, settler);
      results.set(call_id, result);
      if (result.outcome !== 'quarantined') anyPosted = true;
      return undefined;
    } catch (error) {
      return error;
    }
  };
  for (const call_id of call_ids) {
    const error = await tryOne(call_id);
    if (error === undefined) continue;
    if (isCdrError(error)) results.set(call_id, await quarantine(db, call_id, reasonOf(error)));
    else doubtful.push(call_id);
  }
  for (const call_id of doubtful) {
    const error = await tryOne(call_id);
    if (error === undefined) continue;
    if (!anyPosted && !isCdrError(error)) throw batchError;
    results.set(call_id, await quarantine(db, call_id, reasonOf(error)));
  }
  return call_ids.flatMap((call_id) => results.get(call_id) ?? []);
}

/** Sets a pending CDR aside with its reason; billing passes it by until an operator requeues it. */
export async function quarantine(db: Db | ITask<object>, call_id: string, reason: string): Promise<PostingResult> {
  await db.none(
    `update cdrs set billing_status = 'quarantined', quarantine_reason = $2, quarantined_at = now() where call_id = $1 and billing_status = 'pending'`,
    [call_id, reason.slice(0, MAX_REASON_LENGTH)],
  );
  return { call_id, outcome: 'quarantined' };
}

/** A batch's ledger key: a digest of its set of Call-IDs, whatever their order. */
export function batchKey(call_ids: readonly string[]): string {
  return createHash('sha256').update([...call_ids].sort().join('\n')).digest('hex');
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
  if (!settler || settlements.length === 0) return;
  await settler.settleManyInTransaction(t, settlements);
  const parties = settlements.flatMap((settlement) => [settlement.buyer_id, settlement.seller_id ?? '']).filter((id) => id !== '');
  await settler.refreshBalancesInTransaction(t, parties);
}

/**
 * Rates the CDRs whose rows the transaction `t` holds locked, posts them all to the ledger and
 * records their ratings, with a few statements for the whole group; one result per CDR, in order.
 * A CDR its stored terms cannot rate is quarantined in the same transaction.
 */
async function rateAndPostLocked(t: ITask<object>, ledger: LedgerStore, cdrs: readonly CdrRow[], settlements: Settlement[]): Promise<PostingResult[]> {
  const outcomes = new Map<string, PostingOutcome>();
  const fresh: Array<{ cdr: CdrRow; rated: RatedCall; draft: TransactionDraft | null }> = [];
  for (const cdr of cdrs) {
    if (cdr.billing_status !== 'pending') continue;
    const rating = rateStoredCdr(storedCdr(cdr));
    if (rating.ok) fresh.push({ cdr, rated: rating.rated, draft: rating.draft });
    else outcomes.set(cdr.call_id, (await quarantine(t, cdr.call_id, `${rating.reason}: ${rating.detail}`)).outcome);
  }
  // The batch's calls go to the ledger as one transaction, summed per account; each CDR keeps its
  // own amounts and points at it (see cdrBatchTransaction).
  const charged = fresh.filter(({ draft }) => draft !== null);
  const batch = charged.length === 0 ? null
    : (await ledger.postMany([cdrBatchTransaction(batchKey(charged.map(({ cdr }) => cdr.call_id)), charged.map(({ draft }) => draft!))], t))[0]!;
  const posted = fresh.map(({ draft }) => (draft === null ? null : batch));
  if (fresh.length > 0) {
    const money = (pick: (one: RatedCall) => bigint) => fresh.map(({ rated }) => pick(rated).toString());
    await t.none(
      `update cdrs c set billed_s = r.billed_s, buyer_amount_micros = r.buyer, seller_amount_micros = r.seller, fee_amount_micros = r.fee,
         premium_amount_micros = r.premium, billing_status = 'rated', rated_at = now(), ledger_transaction_id = r.ledger_transaction_id
       from unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
         as r (call_id, billed_s, buyer, seller, fee, ledger_transaction_id, premium)
       where c.call_id = r.call_id`,
      [
        fresh.map(({ cdr }) => cdr.call_id), fresh.map(({ rated }) => rated.billed_s),
        money((one) => one.buyer_amount_micros), money((one) => one.seller_amount_micros), money((one) => one.fee_amount_micros),
        posted.map((result) => (result === null ? null : result.transaction_id.toString())), money((one) => one.premium_amount_micros),
      ],
    );
  }
  fresh.forEach(({ cdr, rated }, index) => {
    settlements.push({ call_id: cdr.call_id, buyer_id: cdr.buyer_id ?? '', seller_id: cdr.seller_id, charged_micros: rated.buyer_amount_micros });
    const result = posted[index];
    outcomes.set(cdr.call_id, result === null || result === undefined ? 'nothing_to_post' : result.created ? 'posted' : 'already_posted');
  });
  return cdrs.map((cdr) => ({
    call_id: cdr.call_id,
    outcome: outcomes.get(cdr.call_id) ?? (cdr.billing_status === 'quarantined' ? 'quarantined' : cdr.ledger_transaction_id === null ? 'nothing_to_post' : 'already_posted'),
  }));
}
