/**
 * After a restart, the control plane rebuilds its picture from the switch's live dialogs
 * (`dlg.list`), the reservations it holds in PostgreSQL and the switch's own call records, so that
 * nothing leaks: every open reservation either follows a call that is still up (its credit timers
 * resume), or its call ended while the control plane was away and gets its CDR now (billing then
 * posts it and releases the reservation). A call that ended unrecorded is charged at the most the
 * switch's timer could have let it run, which its reservation covers.
 */
import type { Db } from '../common/db/database.ts';
import type { Logger } from '../common/logger.ts';
import { DIALOG_STATE, type KamailioRpc, type LiveDialog } from '../switch/jsonrpc-client.ts';
import type { CallTracker } from './calls/call-tracker.ts';
import { answeredCdr, failedCdr, type LiveCall } from './core/cdr.ts';
import type { EgressTrunk, Leg, RoutableTrade } from './core/routing.ts';
import type { CreditController } from './credit/credit-controller.ts';
import { MAX_OPEN_RESERVATIONS_LISTED, type CreditStore } from './credit/credit-store.ts';
import type { LeaseStore } from './credit/lease-store.ts';

interface CallRow {
  call_id: string;
  buyer_id: string;
  ingress_trunk_id: string;
  dialled_number: string;
  destination_id: string;
  offered_routes: Array<{ trade_id: string; trunk_id: string }>;
  legs: Array<{ trade_id: string; trunk_id: string; sip_code: number | null }>;
  setup_us: bigint;
  ring_us: bigint | null;
  answer_us: bigint | null;
  answered_leg: number | null;
}

interface SwitchRecord { kind: 'answered' | 'ended'; at_us: bigint; detail: string }

export interface ReconcileReport {
  readonly resumed: number;
  readonly ended_while_away: number;
  readonly expired: number;
}

export interface ReconcileDeps {
  db: Db; rpc: KamailioRpc; calls: CallTracker; credit: CreditController; credits: CreditStore; slackMs: bigint; log: Logger;
  /** This node: only its own reservations are reconciled (other nodes' calls are theirs). */
  nodeId: string;
}

/**
 * Rebuilds the picture of calls this node's earlier runs left open. Runs at start, after every
 * reconnection to the switch (a restarted Kamailio lost its dialogs) and periodically.
 */
export async function reconcileAfterRestart(deps: ReconcileDeps & {
  /** Only reservations made before this instant are reconciled: later ones belong to calls this process routes. */
  startedAt: Date;
}): Promise<ReconcileReport> {
  const { db, rpc, calls, credit, credits, log } = deps;
  const dialogs = new Map((await rpc.listDialogs()).map((dialog) => [dialog.call_id, dialog]));
  const open = (await credits.openReservations(MAX_OPEN_RESERVATIONS_LISTED, deps.nodeId))
    .filter((reservation) => reservation.created_at < deps.startedAt && !calls.liveCall(reservation.call_id));
  let resumed = 0;
  let ended = 0;
  let expired = 0;
  for (const reservation of open) {
    const row = await loadCall(db, reservation.call_id);
    if (row === 'ended') continue; // its CDR is written: billing settles the reservation when it posts it
    if (!row) {
      // A reservation whose call was never written (the process died between the two): no call
      // can be running on it, so it is released.
      if (await credits.expire(reservation.call_id, 'no call behind the reservation after a restart')) expired += 1;
      continue;
    }
    const call = await rebuildCall(db, row);
    const dialog = dialogs.get(row.call_id);
    if (dialog && dialog.state !== DIALOG_STATE.deleted) {
      adoptLiveCall(call, dialog, calls);
      if (call.state === 'answered') credit.answered(call, reservation.planned_end_ms);
      resumed += 1;
      continue;
    }
    const records = await switchRecords(db, rpc, row.call_id);
    const answered = records.find((record) => record.kind === 'answered');
    const end = records.find((record) => record.kind === 'ended');
    // Answered when the switch recorded it, or when the call row already has the answer (the
    // switch's record is written asynchronously and may be missing).
    if (answered || call.answer_us !== null) {
      call.state = 'answered';
      call.answer_us = call.answer_us ?? answered!.at_us;
      call.answered_leg = call.answered_leg ?? (answered ? Number(answered.detail) : call.current_leg);
      call.current_leg = call.answered_leg;
      // Unrecorded end: the most the switch's timer let it run (planned end plus the slack).
      const end_us = end?.at_us ?? call.answer_us + (reservation.planned_end_ms + deps.slackMs) * 1000n;
      const by = end?.detail === 'caller' || end?.detail === 'callee' ? end.detail : 'switch';
      await calls.writeRecoveredCdr(answeredCdr(call, end_us, by, `${by === 'switch' ? 'ended by the switch' : `hung up by ${by}`} while the control plane was away`));
    } else {
      await calls.writeRecoveredCdr({ ...failedCdr(call, end?.at_us ?? call.setup_us, 408), final_reason: 'not answered while the control plane was away' });
    }
    ended += 1;
  }
  log.info({ resumed, ended_while_away: ended, expired, live_dialogs: dialogs.size }, 'reconciled with the switch after start');
  return { resumed, ended_while_away: ended, expired };
}

/** The switch's records of a call: what it wrote to PostgreSQL, and what it keeps in memory. */
async function switchRecords(db: Db, rpc: KamailioRpc, call_id: string): Promise<SwitchRecord[]> {
  const records = await db.any<SwitchRecord>('select kind, at_us, detail from switch_call_records where call_id = $1', [call_id]);
  for (const kind of ['answered', 'ended'] as const) {
    if (records.some((record) => record.kind === kind)) continue;
    const kept = await rpc.switchRecord(call_id, kind).catch(() => undefined);
    if (kept) records.push({ kind, ...kept });
  }
  return records;
}

function adoptLiveCall(call: LiveCall, dialog: LiveDialog, calls: CallTracker): void {
  call.dialog = { h_entry: dialog.h_entry, h_id: dialog.h_id };
  if (dialog.state === DIALOG_STATE.confirmed || dialog.state === DIALOG_STATE.confirmedNoAck) {
    call.state = 'answered';
    call.answer_us = call.answer_us ?? BigInt(dialog.start_ts) * 1_000_000n;
    call.answered_leg = call.answered_leg ?? call.current_leg;
  }
  calls.adopt(call);
}

async function loadCall(db: Db, call_id: string): Promise<CallRow | 'ended' | null> {
  const ended = await db.oneOrNone<{ one: number }>('select 1 as one from cdrs where call_id = $1', [call_id]);
  if (ended !== null) return 'ended';
  return db.oneOrNone<CallRow>(
    `select call_id, buyer_id, ingress_trunk_id, dialled_number, destination_id, offered_routes, legs, answered_leg,
            (extract(epoch from setup_at) * 1000000)::bigint as setup_us,
            (extract(epoch from ring_at) * 1000000)::bigint as ring_us,
            (extract(epoch from answer_at) * 1000000)::bigint as answer_us
     from calls where call_id = $1 and state <> 'ended'`,
    [call_id],
  );
}

async function rebuildCall(db: Db, row: CallRow): Promise<LiveCall> {
  const tradeIds = row.offered_routes.map((route) => route.trade_id);
  const trunkIds = row.offered_routes.map((route) => route.trunk_id);
  const trades = new Map((await db.any<RoutableTrade & { seq: number }>(
    `select id, buyer_id, seller_id, destination_id, trim(currency) as currency, price_per_minute_micros, first_increment_s, next_increment_s,
            connect_fee_micros, channels, 0 as seq from trades where id in ($1:csv)`, [tradeIds])).map((trade) => [trade.id, trade]));
  const trunks = new Map((await db.any<EgressTrunk>(
    `select id, carrier_id, host(host) as host, coalesce(port, 5060) as port, transport, channels from trunks where id in ($1:csv)`, [trunkIds])).map((trunk) => [trunk.id, trunk]));
  const legs = row.offered_routes.flatMap((route, index): Array<{ leg: Leg; sip_code: number | null }> => {
    const trade = trades.get(route.trade_id);
    const trunk = trunks.get(route.trunk_id);
    return trade && trunk ? [{ leg: { trade, trunk }, sip_code: row.legs[index]?.sip_code ?? null }] : [];
  });
  const tried = legs.filter((leg) => leg.sip_code !== null && leg.sip_code >= 300).length;
  const { fee_per_minute_micros, premium_bps } = await db.one<{ fee_per_minute_micros: bigint; premium_bps: number }>(
    `select fee_per_minute_micros, coalesce((legs->0->>'premium_bps')::int, 0) as premium_bps from credit_reservations where call_id = $1`, [row.call_id]);
  return {
    call_id: row.call_id, buyer_id: row.buyer_id, ingress_trunk_id: row.ingress_trunk_id, dialled_number: row.dialled_number,
    number: row.dialled_number, destination_id: row.destination_id, legs, state: row.answer_us === null ? 'routing' : 'answered',
    setup_us: row.setup_us, ring_us: row.ring_us, answer_us: row.answer_us, answered_leg: row.answered_leg,
    current_leg: row.answered_leg ?? Math.min(tried, Math.max(legs.length - 1, 0)), end_reason: null, dialog: null, fee_per_minute_micros, premium_bps,
  };
}

export interface SweepReport {
  /** Calls followed in memory whose dialog the switch no longer has: ended now, with their CDR. */
  readonly lost_calls: number;
  /** Credit holds with no call behind them: released. */
  readonly orphan_holds: number;
  /** Leases of nodes that stopped renewing them: expired. */
  readonly expired_leases: number;
}

/** How long a call may go without a dialog in the switch before it counts as lost, ms (a dialog exists from the INVITE on). */
export const LOST_CALL_GRACE_MS = 5_000;

/**
 * The self-healing pass: a call followed here whose dialog the switch no longer has (a decision
 * that came too late, a setup that failed without a word, a Kamailio restart) is ended now with
 * its CDR, which releases its channels and settles its credit; a credit hold with no call behind
 * it is released; leases that dead nodes stopped renewing expire.
 */
export async function sweep(deps: ReconcileDeps & { leases: LeaseStore; now_ms?: number }): Promise<SweepReport> {
  const { rpc, calls, credit, log } = deps;
  const now_ms = deps.now_ms ?? Date.now();
  const dialogs = new Map((await rpc.listDialogs()).map((dialog) => [dialog.call_id, dialog]));
  let lost_calls = 0;
  for (const call of calls.liveCalls()) {
    const dialog = dialogs.get(call.call_id);
    if (dialog && dialog.state !== DIALOG_STATE.deleted) continue;
    if (now_ms - Number(call.setup_us / 1000n) < LOST_CALL_GRACE_MS) continue;
    // A lost answered call ended when the switch lost it, at the latest when its reservation ran
    // out (the switch's timer, or the cut, would have ended it there).
    let end_us = BigInt(now_ms) * 1000n;
    const planned_end_ms = credit.plannedEndMs(call.call_id);
    if (call.answer_us !== null && planned_end_ms !== undefined && call.answer_us + planned_end_ms * 1000n < end_us) end_us = call.answer_us + planned_end_ms * 1000n;
    const cdr = call.state === 'answered' && call.answer_us !== null
      ? answeredCdr(call, end_us, 'switch', 'ended by the switch: dialog lost')
      : { ...failedCdr(call, end_us, 408), final_reason: 'setup lost by the switch' };
    await calls.writeRecoveredCdr(cdr);
    lost_calls += 1;
  }
  let orphan_holds = 0;
  for (const call_id of credit.callsWithCredit()) {
    if (calls.liveCall(call_id)) continue;
    credit.ended(call_id);
    orphan_holds += 1;
  }
  const expired = await deps.leases.expire();
  if (lost_calls + orphan_holds + expired.length > 0) {
    log.warn({ lost_calls, orphan_holds, expired_leases: expired.length }, 'sweep released what nothing held');
  }
  return { lost_calls, orphan_holds, expired_leases: expired.length };
}
