/**
 * Calls and CDRs in PostgreSQL. A call row is written when the switch asks for its route and
 * updated as it moves; its CDR is written once, keyed by Call-ID, in the same transaction that
 * closes the call row, so a replayed end changes nothing.
 */
import type { Db } from '../../common/db/database.ts';
import { GroupWriter, RowRefusedError } from '../../common/db/group-writer.ts';
import type { CdrRecord, LiveCall } from '../core/cdr.ts';

/** The longest Call-ID the tables hold (calls.call_id): a longer one can never be written. */
export const MAX_CALL_ID_LENGTH = 256;

/**
 * The longest one attempt to write a group of CDRs may take, in ms: a stalled database fails the
 * attempt (the caller tries again later) rather than holding the group's connection indefinitely.
 */
const CDR_WRITE_TIMEOUT_MS = 5000;

/** A RowRefusedError for a Call-ID the tables cannot hold; null when it fits. */
export function refuseCallId(call_id: string): RowRefusedError | null {
  return call_id.length >= 1 && call_id.length <= MAX_CALL_ID_LENGTH
    ? null
    : new RowRefusedError(`Call-ID of ${call_id.length} characters refused: at most ${MAX_CALL_ID_LENGTH} are stored`);
}

/** Microseconds since the epoch as an exact timestamptz (to_timestamp would pass through a float). */
const AT = (param: string) => `case when ${param}::bigint is null then null else 'epoch'::timestamptz + ${param}::bigint * interval '1 microsecond' end`;

function offeredRoutes(call: LiveCall): string {
  return JSON.stringify(call.legs.map(({ leg }) => ({ trade_id: leg.trade.id, seller_id: leg.trade.seller_id, trunk_id: leg.trunk.id })));
}

function legsJson(call: LiveCall): string {
  return JSON.stringify(call.legs.map(({ leg, sip_code }) => ({ trade_id: leg.trade.id, trunk_id: leg.trunk.id, sip_code })));
}

/**
 * How long call rows and answers (nobody waits on them) and CDRs (the call waits in the outbox)
 * linger for others to share their statement, ms.
 */
export const DEFAULT_LINGER_MS = { calls: 100, cdrs: 50 } as const;

export class CallStore {
  /** Calls set up at the same moment are written together (one statement for the group). */
  private readonly routedCalls: GroupWriter<LiveCall>;
  private readonly endedCalls: GroupWriter<CdrRecord, boolean>;

  private readonly answeredCalls: GroupWriter<LiveCall>;

  constructor(private readonly db: Db, lingerMs: { calls: number; cdrs: number } = DEFAULT_LINGER_MS) {
    this.routedCalls = new GroupWriter((calls) => this.insertCalls(calls), 1000, lingerMs.calls);
    this.answeredCalls = new GroupWriter((calls) => this.updateCalls(calls), 1000, lingerMs.calls);
    this.endedCalls = new GroupWriter((cdrs) => this.writeCdrs(cdrs), 500, lingerMs.cdrs);
  }

  /** Writes every row waiting in a group now (at stop: nothing queued is lost when the pool closes). */
  async flush(): Promise<void> {
    await Promise.all([this.routedCalls.flush(), this.answeredCalls.flush(), this.endedCalls.flush()]);
  }

  /** Rejects with a RowRefusedError when the call can never be written (e.g. its Call-ID is too long). */
  insertCall(call: LiveCall): Promise<void> {
    const refused = refuseCallId(call.call_id);
    return refused ? Promise.reject(refused) : this.routedCalls.add(call);
  }

  private async insertCalls(calls: readonly LiveCall[]): Promise<void> {
    await this.db.none(
      `insert into calls (call_id, buyer_id, ingress_trunk_id, dialled_number, destination_id, state, offered_routes, legs, setup_at)
       select call_id, buyer_id, ingress_trunk_id, dialled_number, destination_id, state, offered_routes::jsonb, legs::jsonb,
              'epoch'::timestamptz + setup_us * interval '1 microsecond'
       from unnest($1::text[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::text[], $8::text[], $9::bigint[])
         as rows (call_id, buyer_id, ingress_trunk_id, dialled_number, destination_id, state, offered_routes, legs, setup_us)
       on conflict (call_id) do nothing`,
      [
        calls.map((call) => call.call_id), calls.map((call) => call.buyer_id), calls.map((call) => call.ingress_trunk_id),
        calls.map((call) => call.dialled_number), calls.map((call) => call.destination_id), calls.map((call) => call.state),
        calls.map(offeredRoutes), calls.map(legsJson), calls.map((call) => call.setup_us.toString()),
      ],
    );
  }

  /** Records a call's answer on its row; answers arriving together are written together. */
  updateCall(call: LiveCall): Promise<void> {
    return this.answeredCalls.add({ ...call, legs: call.legs.map((leg) => ({ ...leg })) });
  }

  private async updateCalls(calls: readonly LiveCall[]): Promise<void> {
    const us = (value: bigint | null) => (value === null ? null : value.toString());
    // A later state of the same call in the batch wins; an ended call's row is the CDR's.
    const latest = new Map(calls.map((call) => [call.call_id, call]));
    const rows = [...latest.values()];
    await this.db.none(
      `update calls c set state = u.state, legs = u.legs::jsonb, ring_at = ${AT('u.ring_us')}, answer_at = ${AT('u.answer_us')},
         answered_leg = u.answered_leg, updated_at = now()
       from unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::int[]) as u (call_id, state, legs, ring_us, answer_us, answered_leg)
       where c.call_id = u.call_id and c.state <> 'ended'`,
      [rows.map((call) => call.call_id), rows.map((call) => call.state), rows.map(legsJson), rows.map((call) => us(call.ring_us)),
        rows.map((call) => us(call.answer_us)), rows.map((call) => call.answered_leg)],
    );
  }

  /**
   * Closes the call and writes its CDR; false when the CDR already existed. CDRs ending together
   * are written together. Rejects with a RowRefusedError when this CDR can never be written, and
   * with the database's error when the attempt failed for another reason (then try again).
   */
  writeCdr(cdr: CdrRecord): Promise<boolean> {
    const refused = refuseCallId(cdr.call_id);
    return refused ? Promise.reject(refused) : this.endedCalls.add(cdr);
  }

  private async writeCdrs(all: readonly CdrRecord[]): Promise<boolean[]> {
    // One row per Call-ID in a statement (PostgreSQL refuses to upsert a row twice in one); a
    // second CDR for the same call in the same group is a replay and is not written.
    const firstOfCall = new Map<string, CdrRecord>();
    for (const cdr of all) if (!firstOfCall.has(cdr.call_id)) firstOfCall.set(cdr.call_id, cdr);
    const cdrs = [...firstOfCall.values()];
    const column = <T>(pick: (cdr: CdrRecord) => T) => cdrs.map(pick);
    const us = (value: bigint | null) => (value === null ? null : value.toString());
    const values = [
      column((cdr) => cdr.call_id), column((cdr) => cdr.buyer_id), column((cdr) => cdr.seller_id), column((cdr) => cdr.ingress_trunk_id),
      column((cdr) => cdr.egress_trunk_id), column((cdr) => cdr.trade_id), column((cdr) => cdr.dialled_number), column((cdr) => cdr.destination_id),
      column((cdr) => JSON.stringify(cdr.legs)), column((cdr) => us(cdr.setup_us)), column((cdr) => us(cdr.ring_us)), column((cdr) => us(cdr.answer_us)),
      column((cdr) => us(cdr.end_us)), column((cdr) => cdr.duration_ms.toString()), column((cdr) => cdr.final_sip_code), column((cdr) => cdr.final_reason),
      column((cdr) => cdr.ended_by), column((cdr) => cdr.terms?.currency ?? null),
      column((cdr) => cdr.terms?.price_per_minute_micros.toString() ?? null), column((cdr) => cdr.terms?.first_increment_s ?? null),
      column((cdr) => cdr.terms?.next_increment_s ?? null), column((cdr) => cdr.terms?.connect_fee_micros.toString() ?? null),
      column((cdr) => cdr.terms?.fee_per_minute_micros.toString() ?? null),
      column((cdr) => cdr.media?.packets ?? null), column((cdr) => cdr.media?.mos_x10 ?? null),
      column((cdr) => cdr.media?.packet_loss_pct ?? null), column((cdr) => cdr.media?.jitter_ms ?? null),
      column((cdr) => cdr.terms?.premium_bps ?? null),
    ];
    const ROWS = `unnest($1::text[], $2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::uuid[], $7::text[], $8::uuid[], $9::text[],
      $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::bigint[], $15::int[], $16::text[], $17::text[],
      $18::text[], $19::bigint[], $20::int[], $21::int[], $22::bigint[], $23::bigint[],
      $24::bigint[], $25::smallint[], $26::smallint[], $27::int[], $28::int[])
      as rows (call_id, buyer_id, seller_id, ingress_trunk_id, egress_trunk_id, trade_id, dialled_number, destination_id, legs,
               setup_us, ring_us, answer_us, end_us, duration_ms, final_sip_code, final_reason, ended_by,
               currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, fee_per_minute_micros,
               media_packets, media_mos_x10, media_packet_loss_pct, media_jitter_ms, premium_bps)`;
    const stamp = (column_name: string) => `case when ${column_name} is null then null else 'epoch'::timestamptz + ${column_name} * interval '1 microsecond' end`;
    const inserted = await this.db.tx('write-cdrs', async (t) => {
      await t.none(`set local statement_timeout = ${CDR_WRITE_TIMEOUT_MS}`);
      await t.none(
        `insert into calls (call_id, buyer_id, ingress_trunk_id, dialled_number, destination_id, state, legs, setup_at, ring_at, answer_at, end_at)
         select call_id, buyer_id, ingress_trunk_id, dialled_number, destination_id, 'ended', legs::jsonb, ${stamp('setup_us')}, ${stamp('ring_us')},
                ${stamp('answer_us')}, ${stamp('end_us')}
         from ${ROWS}
         on conflict (call_id) do update set state = 'ended', legs = excluded.legs, ring_at = excluded.ring_at,
           answer_at = excluded.answer_at, end_at = excluded.end_at, updated_at = now()`,
        values,
      );
      return t.map(
        `insert into cdrs (call_id, buyer_id, seller_id, ingress_trunk_id, egress_trunk_id, trade_id, dialled_number, destination_id,
           legs, setup_at, ring_at, answer_at, end_at, duration_ms, final_sip_code, final_reason, ended_by,
           currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, fee_per_minute_micros,
           media_packets, media_mos_x10, media_packet_loss_pct, media_jitter_ms, premium_bps)
         select call_id, buyer_id, seller_id, ingress_trunk_id, egress_trunk_id, trade_id, dialled_number, destination_id, legs::jsonb,
                ${stamp('setup_us')}, ${stamp('ring_us')}, ${stamp('answer_us')}, ${stamp('end_us')}, duration_ms, final_sip_code, final_reason, ended_by,
                currency, price_per_minute_micros, first_increment_s, next_increment_s, connect_fee_micros, fee_per_minute_micros,
                media_packets, media_mos_x10, media_packet_loss_pct, media_jitter_ms, premium_bps
         from ${ROWS}
         on conflict (call_id) do nothing
         returning call_id`,
        values,
        (row: { call_id: string }) => row.call_id,
      );
    });
    const written = new Set(inserted);
    return all.map((cdr) => written.has(cdr.call_id) && firstOfCall.get(cdr.call_id) === cdr);
  }
}
