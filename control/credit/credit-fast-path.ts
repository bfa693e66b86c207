/**
 * The reservation fast path: when a buyer's cached position clearly covers a whole first chunk,
 * the chunk is taken with one statement (a conditional UPDATE of the buyer's credit account and
 * the reservation's INSERT), so the account row is locked for that statement alone. Everything
 * else (not enough for a whole chunk, an expired collateral, a Call-ID seen before) is left to the
 * locking path in credit-store.ts, which reads the exact position.
 */
import type { Db } from '../../common/db/database.ts';
import { firstReservation, type CallPricing } from '../core/credit/credit-math.ts';
import type { ReserveInput, ReserveResult } from './credit-store.ts';
import { legsToJson } from './stored-legs.ts';

/** A credit position no first chunk can exhaust: the fast path prices a whole chunk with it. */
const MAX_RATED_AMOUNT_MICROS = 9_000_000_000_000_000_000n;
const UNIQUE_VIOLATION = '23505';

/**
 * The fast path: a whole first chunk taken in one statement when the buyer's cached position
 * clearly covers it, so the account row is locked for the statement alone. It declines (null),
 * leaving the decision to the locking path, whenever anything needs a closer look: not enough
 * credit for a whole chunk, a collateral whose validity has run out, a Call-ID seen before, or a
 * concurrent duplicate (the statement then fails as a whole and changes nothing).
 */
export async function reserveWhenPlentiful(db: Db, input: ReserveInput, pricing: CallPricing): Promise<ReserveResult | null> {
  const plenty = firstReservation({
    pricing, chunk_s: input.chunk_s, slack_ms: input.slack_ms,
    position: { limit_micros: MAX_RATED_AMOUNT_MICROS, collateral_micros: 0n, balance_micros: 0n, reserved_micros: 0n },
  });
  if (!plenty.ok) return null;
  try {
    const granted = await db.oneOrNone<{ call_id: string }>(
      `with granted as (
         update credit_accounts set reserved_micros = reserved_micros + $4, updated_at = now()
         where carrier_id = $2 and currency = $3
           and limit_micros + collateral_micros + balance_micros - reserved_micros - leased_micros >= $4
           and not exists (select 1 from collateral c where c.carrier_id = $2 and c.currency = $3 and c.status = 'active'
                           and c.valid_until is not null and c.valid_until <= now())
           and not exists (select 1 from credit_reservations r where r.call_id = $1)
         returning carrier_id)
       insert into credit_reservations (call_id, carrier_id, currency, amount_micros, state, planned_end_ms, legs, fee_per_minute_micros, slack_ms)
       select $1, $2, $3, $4, 'pending', $5, $6::jsonb, $7, $8 from granted
       returning call_id`,
      [input.call_id, input.carrier_id, input.currency, plenty.amount_micros, plenty.planned_end_ms, legsToJson(input.legs), input.fee_per_minute_micros, input.slack_ms],
    );
    return granted === null ? null : plenty;
  } catch (error) {
    if ((error as { code?: string }).code === UNIQUE_VIOLATION) return null;
    throw error;
  }
}
