/**
 * Answers the switch's route requests: the pure route choice over the current snapshot and the
 * live channel counts, the trunk's call-rate limit, then the credit reservation; the call is
 * followed (or its reject recorded) before the answer goes back to Kamailio.
 */
import type { Logger } from '../common/logger.ts';
import type { RouteDecider, RouteRequest } from '../switch/agent.ts';
import type { RouteDecision } from '../switch/decisions.ts';
import type { CallTracker } from './calls/call-tracker.ts';
import { CallRateLimiter } from './core/capacity.ts';
import type { LiveCall } from './core/cdr.ts';
import { rejectReply, routeCall, type IngressTrunk, type RejectReason, type RoutingOutcome } from './core/routing.ts';
import type { CapacityLeases, CapacityNeed } from './calls/capacity-leases.ts';
import { withDeadline } from '../common/deadline.ts';
import type { CreditController } from './credit/credit-controller.ts';
import type { RoutingSnapshotCache } from './store/routing-snapshot.ts';
import { UnknownSources } from './calls/unknown-sources.ts';
import type { RouteGuard } from './noc/route-guard.ts';

/** A setup asks for more channel slots at most this many times (the ingress trunk, then the legs). */
const MAX_CAPACITY_ATTEMPTS = 2;

export class ExchangeRouteDecider implements RouteDecider {
  private readonly callRate = new CallRateLimiter();
  readonly unknownSources: UnknownSources;
  private guard: RouteGuard | undefined;

  constructor(
    private readonly snapshots: RoutingSnapshotCache,
    private readonly calls: CallTracker,
    private readonly credit: CreditController,
    private readonly capacity: CapacityLeases,
    /** The longest a setup waits for more channel or call-rate slots from PostgreSQL, ms. */
    private readonly waitForCapacityMs: number,
    /** The exchange fee per minute credit control reserves with (its settings' exchangeFeePerMinuteMicros): each call keeps it for its CDR. */
    private readonly feePerMinuteMicros: bigint,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    /** Buyers the overdue policy blocks, kept in memory (billing/overdue/buying-blocks.ts). */
    private readonly blocks: { isBlocked(carrier_id: string): boolean } = { isBlocked: () => false },
  ) {
    this.unknownSources = new UnknownSources(log);
  }

  /** Blocks, call-rate limits and the choice of legs by quality and trunk health (control/noc). */
  useGuard(guard: RouteGuard): void {
    this.guard = guard;
  }

  /** This node's call-rate slots of a trunk, never above a limit an operator or alarm set. */
  private cpsSlots(trunk_id: string): number {
    return Math.min(this.capacity.slots('cps', trunk_id), this.guard?.cpsLimit(trunk_id) ?? Infinity);
  }

  async decide(request: RouteRequest): Promise<RouteDecision> {
    const snapshot = this.snapshots.current();
    const setup = { source_ip: request.source_ip, called: request.called };
    let outcome = routeCall(snapshot, setup, this.capacity.view(this.calls.channelCounts()));
    // A buyer the overdue policy blocks is refused before it takes any slot or credit.
    if (outcome.buyer_id !== null && this.blocks.isBlocked(outcome.buyer_id)) return this.reject(request, 'account_past_due', outcome);
    // This node's slots of the ingress trunk, then of the trades and seller trunks, may be used
    // up: ask for more (other nodes may leave some), for a bounded time, and route again.
    const deadline_ms = this.clock() + this.waitForCapacityMs;
    for (let attempt = 0; attempt < MAX_CAPACITY_ATTEMPTS && !outcome.ok && (outcome.reason === 'ingress_channels_full' || outcome.reason === 'no_capacity'); attempt += 1) {
      const needs = this.blockedNeeds(outcome);
      const left_ms = deadline_ms - this.clock();
      if (needs.length === 0 || left_ms <= 0) break;
      await withDeadline(this.capacity.grow(needs), left_ms);
      outcome = routeCall(snapshot, setup, this.capacity.view(this.calls.channelCounts()));
    }
    // The call rate counts every setup a known trunk sends, routable or not, so a flood of calls
    // to unknown numbers is held back like any other. Each node counts against its own slots.
    const trunk = outcome.ingress_trunk;
    const block = trunk ? this.guard?.ingressBlock(trunk.id) : undefined;
    if (block) return this.reject(request, 'trunk_blocked', outcome, block.reason);
    if (trunk && !this.callRate.tryAcquire(trunk.id, this.cpsSlots(trunk.id), this.clock())) {
      const cps = { kind: 'cps', id: trunk.id, limit: trunk.cps, in_use: this.callRate.recent(trunk.id, this.clock()) } as const;
      if (this.cpsSlots(trunk.id) >= Math.min(trunk.cps, this.guard?.cpsLimit(trunk.id) ?? Infinity)) return this.reject(request, 'call_rate_exceeded', outcome);
      await withDeadline(this.capacity.grow([cps]), this.waitForCapacityMs);
      if (!this.callRate.tryAcquire(trunk.id, this.cpsSlots(trunk.id), this.clock())) return this.reject(request, 'call_rate_exceeded', outcome);
    }
    if (trunk) this.capacity.used([{ kind: 'cps', id: trunk.id, limit: trunk.cps, in_use: this.callRate.recent(trunk.id, this.clock()) }]);
    if (!outcome.ok) return this.reject(request, outcome.reason, outcome);
    if (this.guard) {
      // Dead seller trunks, sellers out of routing and sellers below the buyer's quality floors.
      const choice = this.guard.chooseLegs(outcome.destination_id, outcome.legs);
      if (choice.legs.length === 0) {
        return this.reject(request, choice.skipped.some((skip) => skip.reason === 'below_floor') ? 'quality_below_floor' : 'no_seller_trunk', outcome);
      }
      outcome = { ...outcome, legs: choice.legs };
    }
    if (this.calls.liveCall(request.call_id)) return this.reject(request, 'duplicate_call', outcome);
    if (this.credit.refused(outcome.buyer_id)) return this.reject(request, 'credit_refused', outcome);
    const call: LiveCall = {
      call_id: request.call_id, buyer_id: outcome.buyer_id, ingress_trunk_id: outcome.ingress_trunk_id, dialled_number: request.called,
      number: outcome.number, destination_id: outcome.destination_id, legs: outcome.legs.map((leg) => ({ leg, sip_code: null })),
      state: 'routing', setup_us: request.at_us, ring_us: null, answer_us: null, answered_leg: null, current_leg: 0, end_reason: null, dialog: null,
      fee_per_minute_micros: this.feePerMinuteMicros, premium_bps: this.credit.premiumOf(outcome.buyer_id),
    };
    // Hold the channels before the first await, so concurrent setups see them taken. Credit comes
    // from this node's lease in memory; the call row and the reservation's row are written after
    // the answer, in groups (the switch keeps its own record of the call meanwhile).
    this.calls.hold(call);
    let reservation;
    try {
      reservation = await this.credit.reserve(call.call_id, call.buyer_id, outcome.legs, {
        ingress_trunk_id: call.ingress_trunk_id, dialled_number: call.dialled_number, destination_id: call.destination_id, setup_us: call.setup_us.toString(),
        offered_routes: outcome.legs.map(({ trade, trunk }) => ({ trade_id: trade.id, seller_id: trade.seller_id, trunk_id: trunk.id })),
      }, call.premium_bps);
    } catch (error) {
      this.calls.abandon(call.call_id);
      throw error;
    }
    if (!reservation.ok) {
      this.calls.abandon(call.call_id);
      return this.reject(request, reservation.reason === 'reservation_closed' ? 'duplicate_call' : reservation.reason, outcome);
    }
    this.capacity.used(this.routedNeeds(call, outcome.ingress_trunk));
    this.calls.routed(call);
    return {
      kind: 'route',
      max_duration_s: reservation.max_duration_s,
      targets: outcome.legs.map(({ trunk }) => ({
        number: outcome.number, host: trunk.host, port: trunk.port, transport: trunk.transport,
        // Direct media only when both carriers asked for it: each gives up hiding its media address.
        direct_media: outcome.ingress_trunk.direct_media === true && trunk.direct_media === true,
        identity: trunk.identity_policy ?? 'pass',
      })),
    };
  }

  /** The resources a refused setup could not get a channel of. */
  private blockedNeeds(outcome: Extract<RoutingOutcome, { ok: false }>): CapacityNeed[] {
    const counts = this.calls.channelCounts();
    if (outcome.reason === 'ingress_channels_full') {
      const trunk = outcome.ingress_trunk;
      return trunk ? [{ kind: 'ingress', id: trunk.id, limit: trunk.channels, in_use: counts.byIngressTrunk.get(trunk.id) ?? 0 }] : [];
    }
    return outcome.blocked.flatMap(({ trade, trunk }): CapacityNeed[] => [
      { kind: 'trade', id: trade.id, limit: trade.channels, in_use: counts.byTrade.get(trade.id) ?? 0 },
      { kind: 'egress', id: trunk.id, limit: trunk.channels, in_use: counts.byEgressTrunk.get(trunk.id) ?? 0 },
    ]);
  }

  /** The resources a routed call holds a channel of (its ingress trunk and its first leg). */
  private routedNeeds(call: LiveCall, ingress: IngressTrunk): CapacityNeed[] {
    const counts = this.calls.channelCounts();
    const needs: CapacityNeed[] = [{ kind: 'ingress', id: ingress.id, limit: ingress.channels, in_use: counts.byIngressTrunk.get(ingress.id) ?? 0 }];
    for (const { leg } of call.legs) {
      needs.push({ kind: 'trade', id: leg.trade.id, limit: leg.trade.channels, in_use: counts.byTrade.get(leg.trade.id) ?? 0 });
      needs.push({ kind: 'egress', id: leg.trunk.id, limit: leg.trunk.channels, in_use: counts.byEgressTrunk.get(leg.trunk.id) ?? 0 });
    }
    return needs;
  }

  private reject(
    request: RouteRequest,
    reason: RejectReason,
    context: { buyer_id: string | null; ingress_trunk_id: string | null; destination_id: string | null },
    /** Why, in the operator's words (a block's reason), added to the reply's reason. */
    detail?: string,
  ): RouteDecision {
    const standard = rejectReply(reason);
    // The switch copies the reason into a quoted header: only the characters it accepts (SAFE_REASON), 120 at most.
    const reply = detail === undefined ? standard : { ...standard, reason: `${standard.reason}: ${detail}`.replace(/[^A-Za-z0-9 ,.:;()_/-]/g, ' ').slice(0, 120).trimEnd() };
    if (reason === 'unknown_trunk') {
      // The switch refuses strangers itself (minutex-edge.cfg); one that still gets here (the
      // switch's trunk list not yet reloaded) is counted, never written: a flood must not make
      // the database do the work.
      this.unknownSources.refused(request.source_ip);
      return { kind: 'reject', ...reply };
    }
    this.log.info({ call_id: request.call_id, source: request.source_ip, called: request.called, reason }, 'call refused at setup');
    if (reason !== 'duplicate_call') {
      // The refusal's CDR is written after the answer: a refusal never waits for the database.
      void this.calls.callRejected({
        call_id: request.call_id, buyer_id: context.buyer_id, ingress_trunk_id: context.ingress_trunk_id, dialled_number: request.called,
        destination_id: context.destination_id, setup_us: request.at_us, code: reply.code, reason: reply.reason,
      }).catch((error: unknown) => this.log.error({ err: error, call_id: request.call_id }, 'writing a refused call failed'));
    }
    return { kind: 'reject', ...reply };
  }
}
