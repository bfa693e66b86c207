/**
 * Answers the switch's route requests: the pure route choice over the current snapshot, then the
 * call is followed (or its reject recorded) before the answer goes back to Kamailio.
 */
import type { Logger } from '../common/logger.ts';
import type { RouteDecider, RouteRequest } from '../switch/agent.ts';
import type { RouteDecision } from '../switch/decisions.ts';
import type { CallTracker } from './calls/call-tracker.ts';
import { rejectReply, routeCall } from './core/routing.ts';
import type { RoutingSnapshotCache } from './store/routing-snapshot.ts';

export interface RouteDeciderOptions {
  readonly maxCallDurationS: number;
}

export class ExchangeRouteDecider implements RouteDecider {
  constructor(
    private readonly snapshots: RoutingSnapshotCache,
    private readonly calls: CallTracker,
    private readonly options: RouteDeciderOptions,
    private readonly log: Logger,
  ) {}

  async decide(request: RouteRequest): Promise<RouteDecision> {
    const snapshot = await this.snapshots.get();
    const outcome = routeCall(snapshot, { source_ip: request.source_ip, called: request.called });
    if (!outcome.ok) {
      const reply = rejectReply(outcome.reason);
      this.log.info({ call_id: request.call_id, source: request.source_ip, called: request.called, reason: outcome.reason }, 'call rejected');
      await this.calls.callRejected({
        call_id: request.call_id,
        buyer_id: outcome.buyer_id,
        ingress_trunk_id: outcome.ingress_trunk_id,
        dialled_number: request.called,
        destination_id: outcome.destination_id,
        setup_us: request.at_us,
        code: reply.code,
        reason: reply.reason,
      });
      return { kind: 'reject', ...reply };
    }
    await this.calls.callRouted({
      call_id: request.call_id,
      buyer_id: outcome.buyer_id,
      ingress_trunk_id: outcome.ingress_trunk_id,
      dialled_number: request.called,
      number: outcome.number,
      destination_id: outcome.destination_id,
      legs: outcome.legs.map((leg) => ({ leg, sip_code: null })),
      state: 'routing',
      setup_us: request.at_us,
      ring_us: null,
      answer_us: null,
      answered_leg: null,
      dialog: null,
    });
    return {
      kind: 'route',
      max_duration_s: this.options.maxCallDurationS,
      targets: outcome.legs.map(({ trunk }) => ({ number: outcome.number, host: trunk.host, port: trunk.port, transport: trunk.transport })),
    };
  }
}
