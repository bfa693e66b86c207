/**
 * Submitting a group of orders as one exchange command. Orders that arrive while the exchange is
 * busy wait together; the next command takes them all: one query looks up what every one of them
 * needs (carrier, destination, pre-trading approval, an earlier order with the same reference, a
 * seq), the engine applies them one by one in arrival order, and one write stores the lot. Under
 * load this shares the round trips and the commit among many orders (group commit); alone, an
 * order is a group of one.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../common/db/database.ts';
import type { MatchingEngine } from '../core/matching/engine.ts';
import type { ParsedOrder } from './order-input.ts';
import { newOrderRow, orderSpec, rejectionOf } from './order-specs.ts';
import type { WriteBatch } from './write-batch.ts';

export type SubmitRefusal =
  | 'unknown_destination' | 'unknown_carrier' | 'carrier_suspended' | 'credit_not_approved' | 'credit_assessment_required' | 'credit_refused'
  | 'credit_limit_reached' | 'rejected';

/**
 * What pre-trading approval asks of a buyer: `assessment`, a credit assessment on file that did
 * not refuse it, and a limit or collateral in the order's currency; `manual`, the limit or
 * collateral alone (an operator decides by hand).
 */
export type CreditApproval = 'assessment' | 'manual';

/** What a submit did, before its rows are read back from the committed batch. */
export type SubmitResult =
  | { readonly ok: true; readonly order_id: string; readonly duplicate: boolean; readonly trade_ids: readonly string[] }
  | { readonly ok: false; readonly reason: SubmitRefusal; readonly message: string };

export interface PendingSubmit {
  readonly order: ParsedOrder;
  readonly actor: string;
}

interface Lookup {
  carrier_status: string | null;
  destination_id: string | null;
  approved: boolean | null;
  decision: string | null;
  available_micros: bigint | null;
  existing_order_id: string | null;
  seq: bigint;
}

/** Everything each order needs to know, and a seq for each, in one round trip. */
const LOOKUP_SQL = `
  select (select status from carriers where id = i.carrier_id) as carrier_status,
         (select destination_id from destination_prefixes where prefix = i.prefix) as destination_id,
         (select limit_micros > 0 or collateral_micros > 0 from credit_accounts where carrier_id = i.carrier_id and currency = i.currency) as approved,
         (select decision from credit_assessments where carrier_id = i.carrier_id order by created_at desc limit 1) as decision,
         (select limit_micros + collateral_micros + balance_micros - reserved_micros - leased_micros from credit_accounts
          where carrier_id = i.carrier_id and currency = i.currency) as available_micros,
         (select id from orders where carrier_id = i.carrier_id and client_order_id = i.client_order_id) as existing_order_id,
         nextval(pg_get_serial_sequence('orders', 'seq')) as seq
  from unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) with ordinality as i (carrier_id, prefix, currency, client_order_id, position)
  order by i.position`;

export interface SubmitContext {
  readonly db: Db;
  readonly engine: MatchingEngine;
  readonly batch: WriteBatch;
  readonly now_ms: number;
  readonly approval: CreditApproval;
}

export async function submitGroupIn(context: SubmitContext, group: readonly PendingSubmit[]): Promise<SubmitResult[]> {
  const orders = group.map((pending) => pending.order);
  const lookups = await context.db.any<Lookup>(LOOKUP_SQL, [
    orders.map((order) => order.carrier_id), orders.map((order) => order.prefix), orders.map((order) => order.currency),
    orders.map((order) => order.client_order_id),
  ]);
  // Seqs are handed out in arrival order, so each order's time priority is its place in the group.
  const seqs = lookups.map((lookup) => lookup.seq).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  /** Orders of this group by carrier and reference: a resubmission inside one group is a duplicate too. */
  const placed = new Map<string, string>();
  return group.map((pending, index) => submitOne(context, pending, lookups[index]!, seqs[index]!, placed));
}

function submitOne(context: SubmitContext, pending: PendingSubmit, found: Lookup, seq: bigint, placed: Map<string, string>): SubmitResult {
  const { order, actor } = pending;
  const { batch, engine } = context;
  if (found.carrier_status === null) return { ok: false, reason: 'unknown_carrier', message: 'unknown carrier' };
  const reference = order.client_order_id === null ? null : `${order.carrier_id}\n${order.client_order_id}`;
  // The carrier's own reference makes a resubmission harmless: the first order stands.
  const existing = found.existing_order_id ?? (reference === null ? undefined : placed.get(reference));
  if (existing !== null && existing !== undefined) return { ok: true, order_id: existing, duplicate: true, trade_ids: [] };
  if (found.carrier_status !== 'active') return { ok: false, reason: 'carrier_suspended', message: 'the carrier is suspended' };
  if (found.destination_id === null) return { ok: false, reason: 'unknown_destination', message: `no destination has prefix ${order.prefix}` };
  if (order.side === 'buy' && context.approval === 'assessment' && found.decision !== 'unsecured' && found.decision !== 'secured') {
    const reason = found.decision === null ? 'credit_assessment_required' : 'credit_refused';
    batch.audit(actor, 'order.refused', `carrier:${order.carrier_id}`, { reason, currency: order.currency });
    return {
      ok: false, reason,
      message: found.decision === null
        ? 'no credit assessment on file: apply first (POST /v1/carriers/{id}/credit-applications)'
        : 'the latest credit assessment refused credit: buying is not approved (see GET /v1/carriers/{id}/credit-assessment)',
    };
  }
  if (order.side === 'buy' && context.approval === 'assessment' && found.approved === true && found.available_micros !== null && found.available_micros <= 0n) {
    // A limit lowered below what the buyer already owes and holds: no new buying until it is paid down.
    batch.audit(actor, 'order.refused', `carrier:${order.carrier_id}`, { reason: 'credit_limit_reached', currency: order.currency });
    return { ok: false, reason: 'credit_limit_reached', message: `no credit left in ${order.currency}: what the carrier owes and holds reaches its limit and collateral` };
  }
  if (order.side === 'buy' && found.approved !== true) {
    // Pre-trading approval: a refused order stores nothing but the audit entry.
    batch.audit(actor, 'order.refused', `carrier:${order.carrier_id}`, { reason: 'credit_not_approved', currency: order.currency });
    return { ok: false, reason: 'credit_not_approved', message: `no credit limit or collateral on file in ${order.currency}: buying is not approved` };
  }
  const spec = orderSpec(order, randomUUID(), seq, found.destination_id);
  const events = engine.apply({ kind: 'submit', order: spec, now_ms: context.now_ms });
  const rejected = rejectionOf(events, spec.order_id);
  if (rejected === undefined) batch.insertOrder(newOrderRow(spec, order.client_order_id, null));
  batch.persistEvents(events);
  if (rejected !== undefined) return { ok: false, reason: 'rejected', message: `order rejected: ${rejected}` };
  const trade_ids = batch.tradeIdsOf(events);
  batch.audit(actor, 'order.submit', `order:${spec.order_id}`, { side: order.side, carrier_id: order.carrier_id, trades: trade_ids });
  if (reference !== null) placed.set(reference, spec.order_id);
  return { ok: true, order_id: spec.order_id, duplicate: false, trade_ids };
}
