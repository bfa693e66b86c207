/**
 * Calls and CDRs in PostgreSQL. A call row is written when the switch asks for its route and
 * updated as it moves; its CDR is written once, keyed by Call-ID, in the same transaction that
 * closes the call row, so a replayed end changes nothing.
 */
import type { Db } from '../../common/db/database.ts';
import { GroupWriter } from '../../common/db/group-writer.ts';
import type { CdrRecord, LiveCall } from '../core/cdr.ts';

/** Microseconds since the epoch as an exact timestamptz (to_timestamp would pass through a float). */
const AT = (param: string) => `case when ${param}::bigint is null then null else 'epoch'::timestamptz + ${param}::bigint * interval '1 microsecond' end`;

function offeredRoutes(call: LiveCall): string {
  return JSON.stringify(call.legs.map(({ leg }) => ({ trade_id: leg.trade.id, seller_id: leg.trade.seller_id, trunk_id: leg.trunk.id })));
}

function legsJson(call: LiveCall): string {
  return JSON.stringify(call.legs.map(({ leg, sip_code }) => ({ trade_id: leg.trade.id, trunk_id: leg.trunk.id, sip_code })));
}

export class CallStore {
  /** Calls set up at the same moment are written together (one statement for the group). */
  private readonly routedCalls: GroupWriter<LiveCall>;

  constructor(private readonly db: Db) {
    this.routedCalls = new GroupWriter((calls) => this.insertCalls(calls));
  }

  insertCall(call: LiveCall): Promise<void> {
    return this.routedCalls.add(call);
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

  async updateCall(call: LiveCall): Promise<void> {
    await this.db.none(
      `update calls set state = $2, legs = $3::jsonb, ring_at = ${AT('$4')}, answer_at = ${AT('$5')}, answered_leg = $6, updated_at = now()
       where call_id = $1 and state <> 'ended'`,
      [call.call_id, call.state, legsJson(call), call.ring_us, call.answer_us, call.answered_leg],
    );
  }

  /** Closes the call and writes its CDR; returns false when the CDR already existed. */
  async writeCdr(cdr: CdrRecord): Promise<boolean> {
    return this.db.tx('write-cdr', async (t) => {
      await t.none(
        `insert into calls (call_id, buyer_id, ingress_trunk_id, dialled_number, destination_id, state, legs, setup_at, ring_at, answer_at, end_at)
         values ($1, $2, $3, $4, $5, 'ended', $6::jsonb, ${AT('$7')}, ${AT('$8')}, ${AT('$9')}, ${AT('$10')})
         on conflict (call_id) do update set state = 'ended', legs = excluded.legs, ring_at = excluded.ring_at,
           answer_at = excluded.answer_at, end_at = excluded.end_at, updated_at = now()`,
        [cdr.call_id, cdr.buyer_id, cdr.ingress_trunk_id, cdr.dialled_number, cdr.destination_id, JSON.stringify(cdr.legs),
          cdr.setup_us, cdr.ring_us, cdr.answer_us, cdr.end_us],
      );
      const inserted = await t.result(
        `insert into cdrs (call_id, buyer_id, seller_id, ingress_trunk_id, egress_trunk_id, trade_id, dialled_number, destination_id,
           legs, setup_at, ring_at, answer_at, end_at, duration_ms, final_sip_code, final_reason, ended_by)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, ${AT('$10')}, ${AT('$11')}, ${AT('$12')}, ${AT('$13')}, $14, $15, $16, $17)
         on conflict (call_id) do nothing`,
        [cdr.call_id, cdr.buyer_id, cdr.seller_id, cdr.ingress_trunk_id, cdr.egress_trunk_id, cdr.trade_id, cdr.dialled_number,
          cdr.destination_id, JSON.stringify(cdr.legs), cdr.setup_us, cdr.ring_us, cdr.answer_us, cdr.end_us, cdr.duration_ms,
          cdr.final_sip_code, cdr.final_reason, cdr.ended_by],
      );
      return inserted.rowCount === 1;
    });
  }
}
