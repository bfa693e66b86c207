/**
 * A node's credit leases in memory: the slices of buyers' pools this node holds (lease-store.ts)
 * and what each call served from them holds. A route decision takes its first chunk here, in
 * memory, without waiting for PostgreSQL; so do extensions. The node goes to the database only to
 * take a slice (ahead of need, sized from the buyer's call rate), to give back what it does not
 * use, and to renew its leases; a call waits for the database only when its buyer's slice is
 * empty (a first call, or a buyer near the bottom of its pool).
 *
 * Memory never claims more than PostgreSQL granted: a slice counts here only after its transaction
 * committed, and a give-back leaves here before its transaction starts. When a call ends, the
 * charge its CDR will be billed (the same pure rating billing uses) leaves the lease here at once;
 * billing removes the same charge from the lease in PostgreSQL when it posts the call, so the two
 * agree again then (see credit-settlement.ts).
 *
 * One database operation per buyer at a time: take-slice and give-back of one lease never overlap.
 */
import type { Logger } from '../../common/logger.ts';
import type { CreditRefusal } from '../core/credit/credit-math.ts';
import { leaseGiveBackMicros } from '../core/credit/lease-math.ts';
import type { LeaseStore } from './lease-store.ts';

export interface LeaseSettings {
  /** This node's id: leases, reservations and calls carry it. */
  readonly node_id: string;
  /** Seconds of a buyer's calls one slice should serve. */
  readonly horizon_s: number;
  /** The fewest first chunks a slice covers. */
  readonly min_calls: number;
  /** A slice takes at most available / this (unless a waiting call needs more). */
  readonly pool_share_divisor: bigint;
  /** A lease not renewed for this long expires by itself (its node died), ms. */
  readonly ttl_ms: number;
  /** How often leases are renewed and idle ones given back, ms. */
  readonly maintain_every_ms: number;
  /** A lease no call used for this long gives back all it does not hold, ms. */
  readonly idle_return_ms: number;
}

export type EnsureResult = { readonly ok: true } | { readonly ok: false; readonly reason: CreditRefusal };

/** The most times a call waits for a slice before it is refused (other calls may take each slice first). */
const MAX_SLICE_ATTEMPTS = 3;

/** Calls per second, over a window of a few seconds, decayed as time passes. */
class RateMeter {
  private count = 0;
  private since_ms: number;
  private rate = 0;

  constructor(now_ms: number) {
    this.since_ms = now_ms;
  }

  tick(now_ms: number): void {
    this.roll(now_ms);
    this.count += 1;
  }

  perSecond(now_ms: number): number {
    this.roll(now_ms);
    const elapsed_ms = Math.max(now_ms - this.since_ms, 1);
    return Math.max(this.rate, (this.count * 1000) / Math.max(elapsed_ms, 1000));
  }

  private roll(now_ms: number): void {
    const elapsed_ms = now_ms - this.since_ms;
    if (elapsed_ms < 2000) return;
    this.rate = (this.count * 1000) / elapsed_ms;
    this.count = 0;
    this.since_ms = now_ms;
  }
}

interface BuyerLease {
  readonly carrier_id: string;
  readonly currency: string;
  lease_id: string | null;
  /** What PostgreSQL granted this node, less what it gave back and what its ended calls spent. */
  amount_micros: bigint;
  /** What this node's calls hold of it. */
  held_micros: bigint;
  /** The first chunk of the buyer's latest call, for sizing slices ahead of need. */
  first_chunk_micros: bigint;
  last_used_ms: number;
  readonly rate: RateMeter;
  /** The database operation in flight for this lease, if any. */
  busy: Promise<unknown> | null;
  /** What calls waiting for a slice need in all. */
  waiting_micros: bigint;
}

interface Hold {
  readonly buyer: BuyerLease;
  readonly lease_id: string;
  micros: bigint;
}

export class CreditLeases {
  private readonly buyers = new Map<string, BuyerLease>();
  private readonly holds = new Map<string, Hold>();
  private timer: NodeJS.Timeout | undefined;
  private maintaining: Promise<void> | null = null;

  constructor(
    private readonly store: LeaseStore,
    private readonly settings: LeaseSettings,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.maintaining ??= this.maintain().finally(() => {
        this.maintaining = null;
      });
    }, this.settings.maintain_every_ms);
    this.timer.unref();
  }

  /**
   * Gives back what this node's leases of these carriers (null: every carrier) do not hold: their
   * limit or collateral changed, so credit set aside under the old terms must not serve new calls.
   * The next call takes a slice afresh, which PostgreSQL grants only from what the new terms leave.
   */
  async recall(carrier_ids: readonly string[] | null): Promise<void> {
    const wanted = carrier_ids === null ? null : new Set(carrier_ids);
    for (const buyer of this.buyers.values()) {
      if (buyer.lease_id === null || (wanted !== null && !wanted.has(buyer.carrier_id))) continue;
      await this.giveBack(buyer, 0n).catch((error: unknown) => this.log.error({ err: error, carrier_id: buyer.carrier_id }, 'giving a recalled lease back failed'));
    }
  }

  /** Stops maintenance and gives back everything calls do not hold. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.maintaining;
    for (const buyer of this.buyers.values()) await this.giveBack(buyer, 0n).catch((error: unknown) => this.log.error({ err: error }, 'giving a lease back failed'));
  }

  /** Free credit of this node's lease on a buyer's pool. */
  free(carrier_id: string, currency: string): bigint {
    const buyer = this.buyers.get(key(carrier_id, currency));
    return buyer ? buyer.amount_micros - buyer.held_micros : 0n;
  }

  /** What a call holds, or undefined when it holds nothing here. */
  heldBy(call_id: string): { lease_id: string; micros: bigint } | undefined {
    const hold = this.holds.get(call_id);
    return hold && { lease_id: hold.lease_id, micros: hold.micros };
  }

  /** The calls holding credit here (for the sweeper). */
  holders(): string[] {
    return [...this.holds.keys()];
  }

  /**
   * Holds `micros` for a new call from the buyer's lease, in memory; the lease id, or null when the
   * lease's free credit does not cover it. Counts the call for the buyer's rate either way.
   */
  hold(call_id: string, carrier_id: string, currency: string, micros: bigint, first_chunk_micros: bigint): string | null {
    if (this.holds.has(call_id)) throw new Error(`call ${call_id} already holds credit`);
    const buyer = this.buyer(carrier_id, currency);
    const now_ms = this.clock();
    buyer.rate.tick(now_ms);
    buyer.last_used_ms = now_ms;
    buyer.first_chunk_micros = first_chunk_micros;
    if (buyer.lease_id === null || buyer.amount_micros - buyer.held_micros < micros) {
      this.topUpAhead(buyer);
      return null;
    }
    buyer.held_micros += micros;
    this.holds.set(call_id, { buyer, lease_id: buyer.lease_id, micros });
    this.topUpAhead(buyer);
    return buyer.lease_id;
  }

  /** Holds `micros` for a call that already counted in the buyer's rate (a second try after a slice); null when not covered. */
  tryHold(call_id: string, carrier_id: string, currency: string, micros: bigint): string | null {
    if (this.holds.has(call_id)) throw new Error(`call ${call_id} already holds credit`);
    const buyer = this.buyer(carrier_id, currency);
    if (buyer.lease_id === null || buyer.amount_micros - buyer.held_micros < micros) return null;
    buyer.held_micros += micros;
    this.holds.set(call_id, { buyer, lease_id: buyer.lease_id, micros });
    return buyer.lease_id;
  }

  /** Adds `micros` to what a call holds; false when the lease's free credit does not cover it. */
  grow(call_id: string, micros: bigint): boolean {
    const hold = this.holds.get(call_id);
    if (!hold) return false;
    const buyer = hold.buyer;
    if (buyer.lease_id !== hold.lease_id || buyer.amount_micros - buyer.held_micros < micros) return false;
    buyer.held_micros += micros;
    hold.micros += micros;
    buyer.last_used_ms = this.clock();
    this.topUpAhead(buyer);
    return true;
  }

  /**
   * The call is over and will be billed `spent_micros` (0 when it was never answered): its hold
   * is free again, less what it spent, which leaves the lease.
   */
  release(call_id: string, spent_micros: bigint): void {
    const hold = this.holds.get(call_id);
    if (!hold) return;
    this.holds.delete(call_id);
    const buyer = hold.buyer;
    buyer.held_micros -= hold.micros;
    // Billing takes the same from the lease in PostgreSQL, never more than the lease holds.
    buyer.amount_micros -= spent_micros < buyer.amount_micros ? spent_micros : buyer.amount_micros;
    if (buyer.held_micros < 0n) throw new Error(`credit invariant broken: lease of ${buyer.carrier_id} holds ${buyer.held_micros} micros`);
  }

  /**
   * Makes sure the buyer's lease has `needed_micros` free, taking a slice from the pool if it
   * has not (waiting for the database: a buyer's first call, or a pool running low).
   */
  async ensureFree(carrier_id: string, currency: string, needed_micros: bigint, first_chunk_micros: bigint): Promise<EnsureResult> {
    const buyer = this.buyer(carrier_id, currency);
    buyer.first_chunk_micros = first_chunk_micros;
    // Calls that arrive together wait together: one slice is asked for all of them, not one
    // round trip each.
    buyer.waiting_micros += needed_micros;
    try {
      // Waiting for another caller's slice costs nothing; only this caller's own trips to the
      // database are counted (the caller bounds the whole wait with its deadline).
      for (let takes = 0; ;) {
        const free_micros = buyer.amount_micros - buyer.held_micros;
        if (buyer.lease_id !== null && free_micros >= needed_micros) return { ok: true };
        if (buyer.busy) {
          await buyer.busy.catch(() => undefined);
          continue;
        }
        if (takes >= MAX_SLICE_ATTEMPTS) return { ok: false, reason: 'insufficient_credit' };
        takes += 1;
        const wanted_micros = buyer.waiting_micros > needed_micros ? buyer.waiting_micros : needed_micros;
        const result = await this.exclusive(buyer, () => this.takeSlice(buyer, wanted_micros - (free_micros > 0n ? free_micros : 0n)));
        if (!result.ok) return result;
      }
    } finally {
      buyer.waiting_micros -= needed_micros;
    }
  }

  /** Renews this node's leases and gives back what idle leases do not hold. */
  async maintain(): Promise<void> {
    try {
      await this.store.renew(this.settings.node_id, this.settings.ttl_ms);
    } catch (error) {
      this.log.error({ err: error }, 'renewing credit leases failed');
    }
    const now_ms = this.clock();
    for (const buyer of this.buyers.values()) {
      if (buyer.lease_id === null || buyer.busy || now_ms - buyer.last_used_ms < this.settings.idle_return_ms) continue;
      await this.giveBack(buyer, 0n).catch((error: unknown) => this.log.error({ err: error, carrier_id: buyer.carrier_id }, 'giving a lease back failed'));
    }
  }

  private buyer(carrier_id: string, currency: string): BuyerLease {
    const id = key(carrier_id, currency);
    let buyer = this.buyers.get(id);
    if (!buyer) {
      const now_ms = this.clock();
      buyer = { carrier_id, currency, lease_id: null, amount_micros: 0n, held_micros: 0n, first_chunk_micros: 1n, last_used_ms: now_ms, rate: new RateMeter(now_ms), busy: null, waiting_micros: 0n };
      this.buyers.set(id, buyer);
    }
    return buyer;
  }

  /** Takes another slice in the background when what is free would not last half the horizon. */
  private topUpAhead(buyer: BuyerLease): void {
    if (buyer.busy) return;
    const free_micros = buyer.amount_micros - buyer.held_micros;
    const per_s = buyer.rate.perSecond(this.clock());
    const expected_calls = Math.max(this.settings.min_calls, Math.ceil((per_s * this.settings.horizon_s) / 2));
    if (buyer.lease_id !== null && free_micros >= buyer.first_chunk_micros * BigInt(expected_calls)) return;
    void this.exclusive(buyer, () => this.takeSlice(buyer, 0n)).catch((error: unknown) => {
      this.log.warn({ err: error, carrier_id: buyer.carrier_id }, 'taking a credit slice ahead of need failed');
    });
  }

  private async takeSlice(buyer: BuyerLease, needed_micros: bigint): Promise<EnsureResult> {
    const result = await this.store.takeSlice({
      node_id: this.settings.node_id, carrier_id: buyer.carrier_id, currency: buyer.currency, ttl_ms: this.settings.ttl_ms,
      first_chunk_micros: buyer.first_chunk_micros, calls_per_s: buyer.rate.perSecond(this.clock()), horizon_s: this.settings.horizon_s,
      min_calls: this.settings.min_calls, needed_micros, pool_share_divisor: this.settings.pool_share_divisor,
    });
    if (!result.ok) return result;
    if (buyer.lease_id !== null && buyer.lease_id !== result.lease_id) {
      throw new Error(`credit invariant broken: node ${this.settings.node_id} holds two leases on ${buyer.carrier_id} ${buyer.currency}`);
    }
    buyer.lease_id = result.lease_id;
    buyer.amount_micros += result.granted_micros;
    this.log.debug({ carrier_id: buyer.carrier_id, granted_micros: Number(result.granted_micros), lease_micros: Number(buyer.amount_micros) }, 'credit slice taken');
    return { ok: true };
  }

  /** Gives back what the lease does not hold, less `keep_micros`; closes it when nothing is left. */
  private async giveBack(buyer: BuyerLease, keep_micros: bigint): Promise<void> {
    await this.exclusive(buyer, async () => {
      const lease_id = buyer.lease_id;
      if (lease_id === null || buyer.held_micros > buyer.amount_micros) return;
      const give_micros = leaseGiveBackMicros(buyer.amount_micros, buyer.held_micros, keep_micros);
      // Leaves memory before the transaction: no call may take what is on its way back.
      buyer.amount_micros -= give_micros;
      try {
        const { closed } = await this.store.giveBack(lease_id, give_micros, buyer.held_micros === 0n && buyer.amount_micros === 0n);
        if (closed) buyer.lease_id = null;
      } catch (error) {
        buyer.amount_micros += give_micros;
        throw error;
      }
    });
  }

  private async exclusive<T>(buyer: BuyerLease, operation: () => Promise<T>): Promise<T> {
    while (buyer.busy) await buyer.busy.catch(() => undefined);
    const running = operation();
    buyer.busy = running;
    try {
      return await running;
    } finally {
      if (buyer.busy === running) buyer.busy = null;
    }
  }
}

function key(carrier_id: string, currency: string): string {
  return `${carrier_id}|${currency}`;
}
