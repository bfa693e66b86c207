/**
 * Writes route decisions' rows to PostgreSQL in one group: the calls' rows, their reservations
 * (served from leases), the reservations' last extension and the calls dropped at setup. Used by
 * the reservation journal after the route answers, and by the recovery of a write-ahead file
 * after a crash; every statement is idempotent, so a row written twice is written once.
 */
import type { Queryable } from './credit-account-lock.ts';
import type { WriteAheadEntry } from './write-ahead.ts';

export type ReserveEntry = Extract<WriteAheadEntry, { t: 'reserve' }>;
export type ChangeEntry = Extract<WriteAheadEntry, { t: 'change' }>;

export async function writeDecisionRows(
  t: Queryable,
  reserves: readonly ReserveEntry[],
  changes: readonly ChangeEntry[],
  voids: readonly string[],
): Promise<void> {
  const calls = reserves.flatMap((row) => (row.call === undefined ? [] : [{ ...row, call: row.call }]));
  if (calls.length > 0) {
    // The call row goes with its reservation: both or neither (reconciliation needs the two).
    await t.none(
      `insert into calls (call_id, buyer_id, ingress_trunk_id, dialled_number, destination_id, state, offered_routes, legs, setup_at, node_id)
       select call_id, buyer_id, ingress_trunk_id, dialled_number, destination_id, 'routing', offered_routes::jsonb, legs::jsonb,
              'epoch'::timestamptz + setup_us * interval '1 microsecond', node_id
       from unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::bigint[], $9::text[])
         as r (call_id, buyer_id, ingress_trunk_id, dialled_number, destination_id, offered_routes, legs, setup_us, node_id)
       on conflict (call_id) do nothing`,
      [
        calls.map((row) => row.call_id), calls.map((row) => row.carrier_id), calls.map((row) => row.call.ingress_trunk_id),
        calls.map((row) => row.call.dialled_number), calls.map((row) => row.call.destination_id), calls.map((row) => JSON.stringify(row.call.offered_routes)),
        calls.map((row) => JSON.stringify(row.call.offered_routes.map(({ trade_id, trunk_id }) => ({ trade_id, trunk_id, sip_code: null })))),
        calls.map((row) => row.call.setup_us), calls.map((row) => row.node_id),
      ],
    );
  }
  if (reserves.length > 0) {
    await t.none(
      `insert into credit_reservations (call_id, node_id, lease_id, carrier_id, currency, amount_micros, state, planned_end_ms, legs,
         fee_per_minute_micros, slack_ms)
       select call_id, node_id, lease_id, carrier_id, currency, amount_micros, 'pending', planned_end_ms, legs::jsonb, fee, slack
       from unnest($1::text[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::bigint[], $7::bigint[], $8::text[], $9::bigint[], $10::bigint[])
         as r (call_id, node_id, lease_id, carrier_id, currency, amount_micros, planned_end_ms, legs, fee, slack)
       on conflict (call_id) do nothing`,
      [
        reserves.map((row) => row.call_id), reserves.map((row) => row.node_id), reserves.map((row) => row.lease_id), reserves.map((row) => row.carrier_id),
        reserves.map((row) => row.currency), reserves.map((row) => row.amount_micros), reserves.map((row) => row.planned_end_ms), reserves.map((row) => row.legs),
        reserves.map((row) => row.fee_per_minute_micros), reserves.map((row) => row.slack_ms),
      ],
    );
  }
  if (changes.length > 0) {
    // Only open reservations move, and never backwards: a change that arrives after billing
    // closed the reservation, or after a later change, is a no-op.
    await t.none(
      `update credit_reservations r set amount_micros = c.amount_micros, planned_end_ms = c.planned_end_ms,
         answered_leg = coalesce(c.answered_leg, r.answered_leg), state = 'extended', updated_at = now()
       from unnest($1::text[], $2::bigint[], $3::bigint[], $4::int[]) as c (call_id, amount_micros, planned_end_ms, answered_leg)
       where r.call_id = c.call_id and r.state in ('pending', 'extended') and r.amount_micros <= c.amount_micros`,
      [changes.map((row) => row.call_id), changes.map((row) => row.amount_micros), changes.map((row) => row.planned_end_ms), changes.map((row) => row.answered_leg)],
    );
  }
  if (voids.length > 0) {
    await t.none(
      `update credit_reservations set state = 'voided', charged_micros = 0, closed_at = now(), closed_reason = 'dropped at setup', updated_at = now()
       where call_id in ($1:csv) and state in ('pending', 'extended') and lease_id is not null`,
      [voids],
    );
  }
}
