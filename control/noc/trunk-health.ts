/**
 * Sellers' trunks as the switch's OPTIONS pings see them. The control plane keeps the switch's
 * trunk list in step with the routing data (rewritten and reloaded when trunks change), and reads
 * the trunks' states every `poll_ms`: a trunk the switch marked inactive is out of routing until
 * it answers again. Changes are published for alarms, the page and metrics.
 *
 * With a switch on another host the list file is not ours to write (`listFile` undefined): the
 * states are still read from whatever list that switch has.
 */
import { writeFileSync } from 'node:fs';
import { Subject } from 'rxjs';
import type { Logger } from '../../common/logger.ts';
import type { KamailioRpc } from '../../switch/jsonrpc-client.ts';
import type { RoutingSnapshot } from '../core/routing.ts';
import { renderTrunkList, trunkStates, type TrunkState } from './trunk-list.ts';

export interface TrunkStateChange {
  readonly trunk_id: string;
  readonly state: TrunkState;
  readonly at_ms: number;
}

export class TrunkHealth {
  private states = new Map<string, TrunkState>();
  private since = new Map<string, number>();
  private written: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  readonly changes = new Subject<TrunkStateChange>();

  constructor(
    private readonly rpc: KamailioRpc,
    private readonly snapshot: () => RoutingSnapshot,
    private readonly listFile: string | undefined,
    private readonly poll_ms: number,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  isDown(trunk_id: string): boolean {
    return this.states.get(trunk_id) === 'down';
  }

  /** Every egress trunk the switch pings, with its state and since when (ms). */
  list(): Array<{ trunk_id: string; state: TrunkState; since_ms: number }> {
    return [...this.states].map(([trunk_id, state]) => ({ trunk_id, state, since_ms: this.since.get(trunk_id) ?? 0 }));
  }

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.poll_ms);
    void this.runOnce();
  }

  stop(): void {
    clearInterval(this.timer);
    this.changes.complete();
  }

  /** One pass now: the list brought up to date, then the states read (tests, start). */
  runOnce(): Promise<void> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    try {
      await this.syncList();
      const result = await this.rpc.call('dispatcher.list').catch((error: unknown) => {
        // An empty list answers an error of its own.
        if (error instanceof Error && /No Destination Sets/i.test(error.message)) return null;
        throw error;
      });
      this.apply(trunkStates(result));
    } catch (error) {
      // A reload soon after another is refused by the switch: the next pass does it.
      if (error instanceof Error && /Ongoing reload/i.test(error.message)) return;
      this.log.warn({ err: error }, 'reading trunk states from the switch failed');
    }
  }

  private async syncList(): Promise<void> {
    if (this.listFile === undefined) return;
    const text = renderTrunkList(this.snapshot());
    if (text === this.written) return;
    writeFileSync(this.listFile, text);
    await this.rpc.call('dispatcher.reload');
    this.written = text;
  }

  private apply(next: Map<string, TrunkState>): void {
    const now = this.clock();
    for (const [trunk_id, state] of next) {
      const before = this.states.get(trunk_id);
      if (before === state) continue;
      this.since.set(trunk_id, now);
      // A trunk first seen up is news to nobody; first seen down, or any change, is.
      if (before !== undefined || state === 'down') {
        this.log.warn({ trunk_id, state }, state === 'down' ? 'seller trunk stopped answering OPTIONS: out of routing' : 'seller trunk answers OPTIONS again: back in routing');
        this.changes.next({ trunk_id, state, at_ms: now });
      }
    }
    for (const trunk_id of this.states.keys()) if (!next.has(trunk_id)) this.since.delete(trunk_id);
    this.states = next;
  }
}
