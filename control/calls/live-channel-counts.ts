/**
 * How many live calls hold a channel of each ingress trunk, seller trunk and trade, kept as calls
 * move rather than recounted at every setup: a call holds its ingress trunk, and the trade and
 * seller trunk of the leg it is on now (the answered one once answered).
 */
import type { ChannelCounts } from '../core/capacity.ts';
import type { LiveCall } from '../core/cdr.ts';

interface Placement {
  readonly ingress: string;
  readonly trunk: string | undefined;
  readonly trade: string | undefined;
}

export class LiveChannelCounts {
  private readonly placements = new Map<string, Placement>();
  private readonly byIngressTrunk = new Map<string, number>();
  private readonly byEgressTrunk = new Map<string, number>();
  private readonly byTrade = new Map<string, number>();

  /** Counts the call where it is now, replacing wherever it was counted before. */
  place(call: LiveCall): void {
    this.remove(call.call_id);
    const leg = call.legs[call.current_leg]?.leg;
    const placement: Placement = { ingress: call.ingress_trunk_id, trunk: leg?.trunk.id, trade: leg?.trade.id };
    this.placements.set(call.call_id, placement);
    change(this.byIngressTrunk, placement.ingress, 1);
    change(this.byEgressTrunk, placement.trunk, 1);
    change(this.byTrade, placement.trade, 1);
  }

  remove(call_id: string): void {
    const placement = this.placements.get(call_id);
    if (!placement) return;
    this.placements.delete(call_id);
    change(this.byIngressTrunk, placement.ingress, -1);
    change(this.byEgressTrunk, placement.trunk, -1);
    change(this.byTrade, placement.trade, -1);
  }

  view(): ChannelCounts {
    return { byIngressTrunk: this.byIngressTrunk, byEgressTrunk: this.byEgressTrunk, byTrade: this.byTrade };
  }
}

function change(counts: Map<string, number>, key: string | undefined, delta: number): void {
  if (key === undefined) return;
  const next = (counts.get(key) ?? 0) + delta;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
