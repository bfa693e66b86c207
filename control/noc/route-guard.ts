/**
 * What the NOC adds to the route decision, read from memory only: a buyer's trunk blocked, a
 * trunk's call rate lowered, and the legs routing chose by price passed through the pure choice
 * by quality, trunk health and operators' controls (core/quality/quality-routing.ts).
 */
import type { Leg } from '../core/routing.ts';
import { chooseLegs, type LegChoice, type LegView, type QualityPolicy } from '../core/quality/quality-routing.ts';
import type { QualityMonitor } from './quality-monitor.ts';
import type { RoutingControls } from './routing-controls.ts';
import type { TradeTermsCache } from './trade-terms.ts';
import type { TrunkHealth } from './trunk-health.ts';

export interface RouteGuard {
  ingressBlock(trunk_id: string): { readonly reason: string } | undefined;
  cpsLimit(trunk_id: string): number | undefined;
  chooseLegs(destination_id: string, legs: readonly Leg[]): LegChoice;
}

export class NocRouteGuard implements RouteGuard {
  private readonly view: LegView;
  /** Legs skipped since start, by reason; calls routed as probes (metrics). */
  readonly skipped: Record<string, number> = {};
  probes = 0;

  constructor(
    quality: QualityMonitor,
    terms: TradeTermsCache,
    private readonly controls: RoutingControls,
    health: TrunkHealth,
    private readonly policy: QualityPolicy,
    private readonly random: () => number = Math.random,
  ) {
    this.view = {
      sellerQuality: (seller_id, destination_id) => quality.stats({ kind: 'seller_destination', id: seller_id, destination_id }),
      floor: (trade_id) => terms.get(trade_id)?.floor,
      trunkDown: (trunk_id) => health.isDown(trunk_id),
      sellerExcluded: (seller_id, destination_id) => controls.sellerExcluded(seller_id, destination_id),
      tradeSuspended: (trade_id) => controls.tradeSuspended(trade_id),
    };
  }

  ingressBlock(trunk_id: string): { reason: string } | undefined {
    return this.controls.ingressBlock(trunk_id);
  }

  cpsLimit(trunk_id: string): number | undefined {
    return this.controls.cpsLimit(trunk_id);
  }

  chooseLegs(destination_id: string, legs: readonly Leg[]): LegChoice {
    const choice = chooseLegs(legs, destination_id, this.view, this.policy, this.random());
    for (const { reason } of choice.skipped) this.skipped[reason] = (this.skipped[reason] ?? 0) + 1;
    if (choice.probe && legs.length > 0) this.probes += 1;
    return choice;
  }
}
