/** Answered calls written as the switch side writes them, then rated and posted by billing's own path. */
import type { Db } from '../../common/db/database.ts';
import { rateAndPostCdr } from '../../billing/cdr-posting.ts';
import type { RunningSystem } from './system.ts';

/** The exchange's fee stored with every CDR these helpers write: 0.000600 per minute. */
export const FEE_PER_MINUTE = 600n;

let callCount = 0;

/** A finished, answered call and its CDR with its trade's terms, rated and posted by billing. */
export async function ratedCall(running: RunningSystem, trade: string, answer_at: string, duration_ms: number): Promise<string> {
  const db: Db = running.system.db;
  callCount += 1;
  const call_id = `rated-call-${callCount}`;
  const end_at = new Date(Date.parse(answer_at) + duration_ms).toISOString();
  await db.tx(async (t) => {
    const terms = await t.one<{ buyer_id: string; seller_id: string; destination_id: string }>('select buyer_id, seller_id, destination_id from trades where id = $1', [trade]);
    const values = { call_id, trade, answer_at, end_at, duration_ms, ...terms };
    await t.none(
      `insert into calls (call_id, buyer_id, dialled_number, destination_id, state, setup_at, answer_at, end_at)
       values ($<call_id>, $<buyer_id>, '99900123', $<destination_id>, 'ended', $<answer_at>, $<answer_at>, $<end_at>)`, values);
    await t.none(
      `insert into cdrs (call_id, buyer_id, seller_id, trade_id, dialled_number, destination_id, legs, setup_at, answer_at, end_at,
         duration_ms, final_sip_code, final_reason, ended_by)
       values ($<call_id>, $<buyer_id>, $<seller_id>, $<trade>, '99900123', $<destination_id>, '[]', $<answer_at>, $<answer_at>, $<end_at>,
         $<duration_ms>, 200, 'OK', 'caller')`, values);
    await t.none(
      `update cdrs c set currency = t.currency, price_per_minute_micros = t.price_per_minute_micros, first_increment_s = t.first_increment_s,
         next_increment_s = t.next_increment_s, connect_fee_micros = t.connect_fee_micros, fee_per_minute_micros = $2
       from trades t where t.id = c.trade_id and c.call_id = $1`, [call_id, FEE_PER_MINUTE]);
  });
  const result = await rateAndPostCdr(db, running.system.ledger, call_id);
  if (result.outcome !== 'posted' && result.outcome !== 'already_posted') throw new Error(`call ${call_id}: ${result.outcome}`);
  return call_id;
}

