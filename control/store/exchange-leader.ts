/**
 * The exchange's leadership in PostgreSQL: an advisory lock held on a session of its own (the
 * lock lives exactly as long as that session, so a leader that dies frees it), the leader row the
 * other nodes read to forward orders, and the fence each write of the books starts with
 * (db/migrations/015_exchange_leader.sql).
 */
import type { Db } from '../../common/db/database.ts';
import { pgp } from '../../common/db/database.ts';

/** The advisory lock's key: one lock per database, so each database has its own leader. */
const LEADER_LOCK_KEY = 774_411_015n;
/** SQLSTATE raised by exchange_fence() when the term has moved on. */
export const FENCE_SQLSTATE = 'MXL01';

/** A connection of its own, outside the pool. */
export type LockSession = Awaited<ReturnType<Db['connect']>>;

export interface LeaderRow {
  readonly term: bigint;
  readonly node_id: string | null;
  readonly api_url: string | null;
}

export class ExchangeLeaderStore {
  constructor(private readonly db: Db) {}

  /** A session of its own for the lock: closing it (or the process dying) releases the lock. */
  openLockSession(): Promise<LockSession> {
    return this.db.connect({ direct: true });
  }

  /** Takes the lock if nobody holds it; true when this session holds it (now or already). */
  async tryLock(session: LockSession): Promise<boolean> {
    const row = await session.one<{ held: boolean }>('select pg_try_advisory_lock($1::bigint) as held', [LEADER_LOCK_KEY]);
    return row.held;
  }

  /** True while the session still holds the lock (a cheap check that the session is alive, too). */
  async holdsLock(session: LockSession): Promise<boolean> {
    const row = await session.one<{ held: boolean }>(
      // A key below 2^32 shows in pg_locks as classid 0 and objid the key (objsubid 1: a bigint key).
      `select exists (select 1 from pg_locks where locktype = 'advisory' and granted and pid = pg_backend_pid()
         and classid = 0 and objid = $1::bigint::oid and objsubid = 1) as held`, [LEADER_LOCK_KEY]);
    return row.held;
  }

  /**
   * Records this node as the leader in a new term. Waits for any write of the previous term still
   * under way (it holds the row through its fence), and makes every later one fail its fence.
   */
  async claim(session: LockSession, node_id: string, api_url: string): Promise<bigint> {
    const row = await session.one<{ term: bigint }>(
      'update exchange_leader set term = term + 1, node_id = $1, api_url = $2, elected_at = now() where id = 1 returning term', [node_id, api_url]);
    return row.term;
  }

  current(): Promise<LeaderRow> {
    return this.db.one<LeaderRow>('select term, node_id, api_url from exchange_leader where id = 1');
  }

  /** The statement a write of the books made in `term` starts with (see exchange_fence()). */
  static fenceSql(term: bigint): string {
    return pgp.as.format('select exchange_fence($1::bigint)', [term]);
  }
}

/** True when a write was refused by its fence: the term moved on and nothing was stored. */
export function isFenceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: string }).code === FENCE_SQLSTATE;
}
