/**
 * Channel and call-rate limits at call setup, as pure functions over counts the caller keeps.
 *
 * - Channels: a trunk or a trade carries at most `channels` calls at once. An ingress trunk at its
 *   limit refuses the call; a seller's trunk or a trade at its limit is skipped for this call.
 * - Calls per second: an ingress trunk accepts at most `cps` new calls in any one-second window
 *   (a sliding window over the last second's setups).
 */

export interface ChannelCounts {
  /** Live calls per ingress trunk id, per egress trunk id and per trade id. */
  readonly byIngressTrunk: ReadonlyMap<string, number>;
  readonly byEgressTrunk: ReadonlyMap<string, number>;
  readonly byTrade: ReadonlyMap<string, number>;
}

export const NO_CALLS: ChannelCounts = { byIngressTrunk: new Map(), byEgressTrunk: new Map(), byTrade: new Map() };

export function hasFreeChannel(counts: ReadonlyMap<string, number>, id: string, channels: number): boolean {
  return (counts.get(id) ?? 0) < channels;
}

/** Length of the call-rate window, in ms. */
const WINDOW_MS = 1000;
/** Trunks whose windows are kept; the oldest idle ones are dropped past this. */
const MAX_TRACKED_TRUNKS = 100_000;

/** Sliding one-second windows of call setups per trunk, on the caller's clock. */
export class CallRateLimiter {
  private readonly setups = new Map<string, number[]>();

  /** Records a setup and returns true when the trunk is under `cps` in the last second; else false. */
  tryAcquire(trunk_id: string, cps: number, now_ms: number): boolean {
    let window = this.setups.get(trunk_id);
    if (!window) {
      if (this.setups.size >= MAX_TRACKED_TRUNKS) this.dropIdle(now_ms);
      window = [];
      this.setups.set(trunk_id, window);
    }
    while (window.length > 0 && window[0]! <= now_ms - WINDOW_MS) window.shift();
    if (window.length >= cps) return false;
    window.push(now_ms);
    return true;
  }

  /** Setups counted for the trunk within the last second. */
  recent(trunk_id: string, now_ms: number): number {
    const window = this.setups.get(trunk_id);
    if (!window) return 0;
    while (window.length > 0 && window[0]! <= now_ms - WINDOW_MS) window.shift();
    return window.length;
  }

  private dropIdle(now_ms: number): void {
    for (const [trunk_id, window] of this.setups) {
      if (window.length === 0 || window[window.length - 1]! <= now_ms - WINDOW_MS) this.setups.delete(trunk_id);
    }
  }
}
