/**
 * The route decision, as a pure function of a snapshot of the market and one call setup.
 *
 *   source address ─▶ ingress trunk ─▶ buyer (active?) ─▶ number (E.164) ─▶ destination
 *        ─▶ the buyer's live trades for it, cheapest first ─▶ each seller's egress trunks
 *
 * Every outcome is a value: either an ordered list of legs, or a reject with a reason code that
 * one function (rejectReply) maps to the SIP reply the buyer sees.
 */
import type { Tariff } from '../../billing/core/rating.ts';
import { hasFreeChannel, NO_CALLS, type ChannelCounts } from './capacity.ts';
import { normaliseNumber, type PrefixTable } from './numbers.ts';

export interface IngressTrunk {
  readonly id: string;
  readonly carrier_id: string;
  readonly host: string;
  readonly tech_prefix: string | null;
  readonly channels: number;
  readonly cps: number;
  /** The buyer accepts media straight from the seller (only with a seller that does too). */
  readonly direct_media?: boolean;
}

export type IdentityPolicy = 'pass' | 'strip' | 'assert';

export interface EgressTrunk {
  readonly id: string;
  readonly carrier_id: string;
  readonly host: string;
  readonly port: number;
  readonly transport: 'udp' | 'tcp';
  readonly channels: number;
  /** The seller accepts media straight from the buyer (only with a buyer that does too). */
  readonly direct_media?: boolean;
  /** What the seller receives of the caller's asserted identity (migration 041); 'pass' when absent. */
  readonly identity_policy?: IdentityPolicy;
}

/** A live trade the buyer's calls may use; it bills at its tariff (the trade price on the sell order's terms). */
export interface RoutableTrade extends Tariff {
  readonly id: string;
  readonly buyer_id: string;
  readonly seller_id: string;
  readonly destination_id: string;
  readonly currency: string;
  readonly channels: number;
  /** Creation order: the earlier trade wins a price tie. */
  readonly seq: number;
}

export interface RoutingSnapshot {
  readonly carrierStatus: ReadonlyMap<string, 'active' | 'suspended'>;
  /** Ingress trunks by source host. */
  readonly ingressByHost: ReadonlyMap<string, readonly IngressTrunk[]>;
  readonly egressBySeller: ReadonlyMap<string, readonly EgressTrunk[]>;
  readonly destinations: PrefixTable<string>;
  /** Live trades by `${buyer_id}|${destination_id}`. */
  readonly tradesByBuyerDestination: ReadonlyMap<string, readonly RoutableTrade[]>;
}

export interface CallSetup {
  readonly source_ip: string;
  readonly called: string;
}

export interface Leg {
  readonly trade: RoutableTrade;
  readonly trunk: EgressTrunk;
}

export type RoutingRejectReason =
  | 'unknown_trunk'
  | 'carrier_suspended'
  | 'invalid_number'
  | 'unknown_destination'
  | 'no_trade'
  | 'no_seller_trunk'
  | 'ingress_channels_full'
  | 'no_capacity';

/** Why a call may be refused at setup: routing's reasons, the call-rate limit and credit's. */
export type RejectReason =
  | RoutingRejectReason | 'call_rate_exceeded' | 'no_credit' | 'credit_limit_reached' | 'insufficient_credit' | 'duplicate_call' | 'control_plane_busy'
  | 'account_past_due'
  | 'trunk_blocked' | 'quality_below_floor'
  | 'credit_refused';

export type RoutingOutcome =
  | {
      readonly ok: true;
      readonly buyer_id: string;
      readonly ingress_trunk: IngressTrunk;
      readonly ingress_trunk_id: string;
      readonly number: string;
      readonly destination_id: string;
      readonly legs: readonly Leg[];
    }
  | {
      readonly ok: false;
      readonly reason: RoutingRejectReason;
      readonly ingress_trunk: IngressTrunk | null;
      readonly buyer_id: string | null;
      readonly ingress_trunk_id: string | null;
      readonly number: string | null;
      readonly destination_id: string | null;
      /** The legs skipped because their trade or seller trunk had no channel left (for `no_capacity`). */
      readonly blocked: readonly Leg[];
    };

/** More legs than this add setup delay without a real chance of completing the call. */
export const MAX_LEGS = 8;

export function routeCall(snapshot: RoutingSnapshot, setup: CallSetup, counts: ChannelCounts = NO_CALLS): RoutingOutcome {
  const trunk = findIngressTrunk(snapshot, setup);
  const blocked: Leg[] = [];
  const reject = (reason: RoutingRejectReason, context: Partial<Record<'buyer_id' | 'ingress_trunk_id' | 'number' | 'destination_id', string>> = {}): RoutingOutcome => ({
    ok: false,
    reason,
    ingress_trunk: trunk ?? null,
    buyer_id: context.buyer_id ?? null,
    ingress_trunk_id: context.ingress_trunk_id ?? null,
    number: context.number ?? null,
    destination_id: context.destination_id ?? null,
    blocked,
  });

  if (!trunk) return reject('unknown_trunk');
  const known = { buyer_id: trunk.carrier_id, ingress_trunk_id: trunk.id };
  if (snapshot.carrierStatus.get(trunk.carrier_id) !== 'active') return reject('carrier_suspended', known);
  if (!hasFreeChannel(counts.byIngressTrunk, trunk.id, trunk.channels)) return reject('ingress_channels_full', known);

  const normalised = normaliseNumber(setup.called, trunk.tech_prefix);
  if (!normalised.ok) return reject('invalid_number', known);
  const number = normalised.e164;
  const destination = snapshot.destinations.lookup(number);
  if (!destination) return reject('unknown_destination', { ...known, number });
  const destination_id = destination.value;
  const context = { ...known, number, destination_id };

  const trades = snapshot.tradesByBuyerDestination.get(`${trunk.carrier_id}|${destination_id}`) ?? [];
  if (trades.length === 0) return reject('no_trade', context);
  const legs: Leg[] = [];
  let full = 0;
  // A call is reserved and charged in one currency: that of its first-choice trade. The buyer's
  // trades for the destination in other currencies are not legs of this call.
  let currency: string | undefined;
  for (const trade of [...trades].sort(cheapestFirst)) {
    if (currency !== undefined && trade.currency !== currency) continue;
    if (snapshot.carrierStatus.get(trade.seller_id) !== 'active') continue;
    for (const egress of snapshot.egressBySeller.get(trade.seller_id) ?? []) {
      // A trade or a seller's trunk already carrying all its channels is skipped for this call.
      if (!hasFreeChannel(counts.byTrade, trade.id, trade.channels) || !hasFreeChannel(counts.byEgressTrunk, egress.id, egress.channels)) {
        full += 1;
        if (blocked.length < MAX_LEGS) blocked.push({ trade, trunk: egress });
        continue;
      }
      if (legs.length < MAX_LEGS) legs.push({ trade, trunk: egress });
      currency = trade.currency;
    }
  }
  if (legs.length === 0) return reject(full > 0 ? 'no_capacity' : 'no_seller_trunk', context);
  return { ok: true, ...known, ingress_trunk: trunk, number, destination_id, legs };
}

function cheapestFirst(a: RoutableTrade, b: RoutableTrade): number {
  if (a.price_per_minute_micros !== b.price_per_minute_micros) return a.price_per_minute_micros < b.price_per_minute_micros ? -1 : 1;
  return a.seq - b.seq;
}

/** A trunk with a tech prefix matches only numbers that start with it; the longest such prefix wins
 * over a trunk without one at the same address. */
function findIngressTrunk(snapshot: RoutingSnapshot, setup: CallSetup): IngressTrunk | undefined {
  let best: IngressTrunk | undefined;
  for (const trunk of snapshot.ingressByHost.get(setup.source_ip) ?? []) {
    const prefix = trunk.tech_prefix ?? '';
    if (!setup.called.startsWith(prefix)) continue;
    if (!best || prefix.length > (best.tech_prefix ?? '').length) best = trunk;
  }
  return best;
}

export interface SipReject {
  readonly code: number;
  readonly phrase: string;
  readonly reason: string;
}

/** The one place a routing reason becomes what the buyer's switch sees. 503 where another carrier
 * might complete the call (so the buyer's switch fails over); 403/404/484 where it is final. */
export function rejectReply(reason: RejectReason): SipReject {
  switch (reason) {
    case 'unknown_trunk':
      return { code: 403, phrase: 'Forbidden', reason: 'unknown trunk' };
    case 'carrier_suspended':
      return { code: 403, phrase: 'Forbidden', reason: 'carrier suspended' };
    case 'invalid_number':
      return { code: 484, phrase: 'Address Incomplete', reason: 'invalid number' };
    case 'unknown_destination':
      return { code: 404, phrase: 'Not Found', reason: 'unknown destination' };
    case 'no_trade':
      return { code: 503, phrase: 'Service Unavailable', reason: 'no trade for destination' };
    case 'no_seller_trunk':
      return { code: 503, phrase: 'Service Unavailable', reason: 'no seller available' };
    case 'ingress_channels_full':
      return { code: 503, phrase: 'Service Unavailable', reason: 'channel limit reached' };
    case 'no_capacity':
      return { code: 503, phrase: 'Service Unavailable', reason: 'all sellers at channel limit' };
    case 'call_rate_exceeded':
      return { code: 503, phrase: 'Service Unavailable', reason: 'call rate limit exceeded' };
    case 'no_credit':
      return { code: 402, phrase: 'Payment Required', reason: 'no credit' };
    case 'credit_limit_reached':
      return { code: 402, phrase: 'Payment Required', reason: 'credit limit reached' };
    case 'insufficient_credit':
      return { code: 402, phrase: 'Payment Required', reason: 'insufficient credit' };
    case 'duplicate_call':
      return { code: 482, phrase: 'Loop Detected', reason: 'call already handled' };
    case 'account_past_due':
      // The overdue policy blocked the buyer's buying (billing/core/overdue-policy.ts) until it pays.
      return { code: 403, phrase: 'Forbidden', reason: 'account past due' };
    case 'trunk_blocked':
      // An operator or an alarm blocked the buyer's trunk (the decider adds why to the reason).
      return { code: 403, phrase: 'Forbidden', reason: 'trunk blocked' };
    case 'quality_below_floor':
      return { code: 503, phrase: 'Service Unavailable', reason: 'no seller meets the quality floor' };
    case 'control_plane_busy':
      // The database could not confirm credit in time: fail closed, and let the buyer retry elsewhere.
      return { code: 503, phrase: 'Service Unavailable', reason: 'control plane busy' };
    case 'credit_refused':
      // The buyer's latest credit assessment refused it: no call of its is carried, whatever credit is left.
      return { code: 403, phrase: 'Forbidden', reason: 'credit refused' };
  }
}
