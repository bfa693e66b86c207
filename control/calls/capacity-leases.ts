/**
 * Channel and call-rate limits that hold across control-plane nodes, served from memory. Each
 * node holds slots of every resource it routes on (capacity-lease-store.ts); routing sees, for
 * each trunk and trade, this node's live calls plus the slots it does not hold, so the pure route
 * choice (control/core/routing.ts) refuses or skips exactly when this node's slots are used up.
 *
 * Slots grow ahead of need (when a node's calls use three quarters of them) and, when a setup
 * finds none left, once while that setup waits (bounded by the caller); they shrink back when a
 * resource goes idle, so another node can take them. A node that dies stops renewing, and its
 * slots stop counting when they expire.
 */
import type { Logger } from '../../common/logger.ts';
import type { ChannelCounts } from '../core/capacity.ts';
import type { CapacityLeaseStore } from './capacity-lease-store.ts';

export type CapacityKind = 'ingress' | 'egress' | 'trade' | 'cps';

export interface CapacityNeed {
  readonly kind: CapacityKind;
  readonly id: string;
  /** The resource's limit (channels, or calls per second). */
  readonly limit: number;
  /** What this node uses of it now (live calls, or setups in the last second). */
  readonly in_use: number;
}

export interface CapacitySettings {
  readonly node_id: string;
  readonly ttl_ms: number;
  /** The fewest slots a node asks for when it takes a resource. */
  readonly min_slots: number;
  readonly idle_return_ms: number;
}

interface Held {
  slots: number;
  limit: number;
  in_use: number;
  last_used_ms: number;
  busy: Promise<number> | null;
}

/** A count map as routing reads it: this node's calls plus the slots held elsewhere. */
class CountsWithLeases implements ReadonlyMap<string, number> {
  constructor(private readonly local: ReadonlyMap<string, number>, private readonly kind: CapacityKind, private readonly leases: CapacityLeases) {}

  get(id: string): number {
    return (this.local.get(id) ?? 0) + this.leases.notHeld(this.kind, id);
  }

  has(id: string): boolean {
    return this.local.has(id);
  }

  get size(): number {
    return this.local.size;
  }

  forEach(callback: (value: number, key: string, map: ReadonlyMap<string, number>) => void): void {
    for (const [key] of this.local) callback(this.get(key), key, this);
  }

  *entries(): MapIterator<[string, number]> {
    for (const [key] of this.local) yield [key, this.get(key)];
  }

  keys(): MapIterator<string> {
    return this.local.keys();
  }

  *values(): MapIterator<number> {
    for (const [key] of this.local) yield this.get(key);
  }

  [Symbol.iterator](): MapIterator<[string, number]> {
    return this.entries();
  }
}

export class CapacityLeases {
  private readonly held = new Map<string, Held>();

  constructor(
    private readonly store: CapacityLeaseStore,
    private readonly settings: CapacitySettings,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The counts routing reads: the node's own live calls plus, per resource, the slots it does not hold. */
  view(local: ChannelCounts): ChannelCounts {
    return {
      byIngressTrunk: new CountsWithLeases(local.byIngressTrunk, 'ingress', this),
      byEgressTrunk: new CountsWithLeases(local.byEgressTrunk, 'egress', this),
      byTrade: new CountsWithLeases(local.byTrade, 'trade', this),
    };
  }

  /** limit − slots held here; everything (no channel at all) for a resource this node holds none of. */
  notHeld(kind: CapacityKind, id: string): number {
    const held = this.held.get(`${kind}:${id}`);
    return held === undefined ? Number.POSITIVE_INFINITY : Math.max(held.limit - held.slots, 0);
  }

  /** Slots of a resource held here (0 when none). */
  slots(kind: CapacityKind, id: string): number {
    return this.held.get(`${kind}:${id}`)?.slots ?? 0;
  }

  /** Takes more slots of resources a setup could not get, or that are running short; resolves when done. */
  async grow(needs: readonly CapacityNeed[]): Promise<void> {
    await Promise.all(needs.map((need) => this.resize(need, Math.min(need.limit, Math.max(this.settings.min_slots, (need.in_use + 1) * 2)))));
  }

  /** Called after every routed call: takes more slots in the background when its calls use three quarters. */
  used(needs: readonly CapacityNeed[]): void {
    const now_ms = this.clock();
    const short: CapacityNeed[] = [];
    for (const need of needs) {
      const held = this.held.get(`${need.kind}:${need.id}`);
      if (held) {
        held.last_used_ms = now_ms;
        held.in_use = need.in_use;
      }
      if ((!held || (need.in_use + 1) * 4 >= held.slots * 3) && (held?.slots ?? 0) < need.limit) short.push(need);
    }
    if (short.length > 0) void this.grow(short).catch((error: unknown) => this.log.warn({ err: error }, 'taking capacity slots ahead of need failed'));
  }

  /** Renews this node's slots and gives back those of resources idle for a while. */
  async maintain(in_use: (kind: CapacityKind, id: string) => number): Promise<void> {
    await this.store.renew(this.settings.node_id, this.settings.ttl_ms);
    const now_ms = this.clock();
    for (const [resource, held] of this.held) {
      if (held.busy || held.slots === 0 || now_ms - held.last_used_ms < this.settings.idle_return_ms) continue;
      const [kind, id] = resource.split(':') as [CapacityKind, string];
      const using = in_use(kind, id);
      if (using > 0) continue;
      await this.resize({ kind, id, limit: held.limit, in_use: 0 }, 0).catch((error: unknown) => this.log.warn({ err: error, resource }, 'giving capacity slots back failed'));
    }
  }

  async releaseAll(): Promise<void> {
    this.held.clear();
    await this.store.releaseAll(this.settings.node_id);
  }

  private async resize(need: CapacityNeed, wanted: number): Promise<number> {
    const resource = `${need.kind}:${need.id}`;
    let held = this.held.get(resource);
    if (!held) {
      held = { slots: 0, limit: need.limit, in_use: need.in_use, last_used_ms: this.clock(), busy: null };
      this.held.set(resource, held);
    }
    while (held.busy) await held.busy.catch(() => undefined);
    const entry = held;
    // Another setup's request, made while this one waited, may have covered this one too.
    if (wanted > need.in_use && entry.slots > need.in_use && entry.slots >= Math.min(wanted, need.limit)) return entry.slots;
    // Shrinking leaves memory before the database (no call may take a slot on its way back);
    // growing counts only once the database granted it.
    if (wanted < entry.slots) entry.slots = Math.max(wanted, need.in_use);
    entry.limit = need.limit;
    const running = this.store.resize(this.settings.node_id, resource, need.limit, wanted, need.in_use, this.settings.ttl_ms);
    entry.busy = running;
    try {
      entry.slots = await running;
      return entry.slots;
    } finally {
      entry.busy = null;
    }
  }
}
