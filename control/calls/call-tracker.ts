/**
 * Follows every call from route decision to CDR. Events for one call are applied in arrival order
 * (a promise chain per Call-ID), each through the lifecycle's transition function; the CDR is
 * written when the call ends and billing is told it may post it.
 */
import { Subject } from 'rxjs';
import type { Logger } from '../../common/logger.ts';
import { callLogger } from '../../common/logger.ts';
import type { CallEvent } from '../../switch/agent.ts';
import { nextCallState, type CallTrigger } from '../core/call-lifecycle.ts';
import { answeredCdr, failedCdr, rejectedCdr, type CdrRecord, type LiveCall } from '../core/cdr.ts';
import type { CallStore } from '../store/calls.ts';
import type { ChannelCounts } from '../core/capacity.ts';
import { LiveChannelCounts } from './live-channel-counts.ts';

export type CallUpdate =
  | { readonly kind: 'call_started' | 'call_updated'; readonly call: LiveCall }
  | { readonly kind: 'cdr_written'; readonly cdr: CdrRecord };

export interface CdrListener {
  onCdrWritten(cdr: CdrRecord): void;
}

export class CallTracker {
  private readonly live = new Map<string, LiveCall>();
  private readonly channels = new LiveChannelCounts();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly cdrListeners: CdrListener[] = [];
  /** Live view for the web page and the API stream. */
  readonly updates = new Subject<CallUpdate>();

  constructor(private readonly store: CallStore, private readonly log: Logger) {}

  addCdrListener(listener: CdrListener): void {
    this.cdrListeners.push(listener);
  }

  liveCall(call_id: string): LiveCall | undefined {
    return this.live.get(call_id);
  }

  liveCalls(): LiveCall[] {
    return [...this.live.values()];
  }

  /**
   * Holds a call's channels from the moment routing chose its legs (synchronously, so two setups
   * racing for the last channel cannot both win); `callRouted` or `abandon` follows.
   */
  hold(call: LiveCall): void {
    this.live.set(call.call_id, call);
    this.channels.place(call);
  }

  /** Follows a call again after a restart (it is already written). */
  adopt(call: LiveCall): void {
    this.live.set(call.call_id, call);
    this.channels.place(call);
    this.updates.next({ kind: 'call_started', call });
  }

  /** Writes the CDR of a call that ended while the control plane was away. */
  async writeRecoveredCdr(cdr: CdrRecord): Promise<void> {
    await this.finish(cdr);
  }

  /** Drops a held call that was refused after routing (e.g. for credit). */
  abandon(call_id: string): void {
    this.live.delete(call_id);
    this.channels.remove(call_id);
  }

  /** A routed call is written before Kamailio relays it, so no event can come first. */
  async callRouted(call: LiveCall): Promise<void> {
    this.live.set(call.call_id, call);
    this.channels.place(call);
    await this.store.insertCall(call);
    this.updates.next({ kind: 'call_started', call });
  }

  /** Live calls per ingress trunk, and per trade and seller trunk of the leg each is on now. */
  channelCounts(): ChannelCounts {
    return this.channels.view();
  }

  async callRejected(input: Parameters<typeof rejectedCdr>[0]): Promise<void> {
    await this.finish(rejectedCdr(input));
  }

  onCallEvent(event: CallEvent): void {
    const previous = this.chains.get(event.call_id) ?? Promise.resolve();
    const next = previous
      .then(() => this.apply(event))
      .catch((error: unknown) => this.log.error({ err: error, call_id: event.call_id, event: event.kind }, 'call event failed'))
      .finally(() => {
        if (this.chains.get(event.call_id) === next) this.chains.delete(event.call_id);
      });
    this.chains.set(event.call_id, next);
  }

  /** Resolves when every event received so far has been applied (for shutdown and tests). */
  async settled(): Promise<void> {
    await Promise.all([...this.chains.values()]);
  }

  private async apply(event: CallEvent): Promise<void> {
    const call = this.live.get(event.call_id);
    const log = callLogger(this.log, event.call_id);
    if (!call) {
      log.debug({ event: event.kind }, 'event for a call not followed here');
      return;
    }
    switch (event.kind) {
      case 'leg_ringing':
        // Ringing and failed legs are kept in memory and written with the answer or the CDR: the
        // switch's own records and the CDR are what a restart needs, not every provisional step.
        if (!this.move(call, 'ringing')) return;
        call.ring_us ??= event.at_us;
        break;
      case 'call_answered': {
        if (!this.move(call, 'answered')) return;
        call.answer_us = event.at_us;
        call.answered_leg = event.leg;
        call.current_leg = event.leg;
        this.channels.place(call);
        call.dialog = event.dialog;
        const leg = call.legs[event.leg];
        if (leg) leg.sip_code = event.code;
        await this.store.updateCall(call);
        break;
      }
      case 'leg_failed': {
        const leg = call.legs[event.leg];
        if (leg) leg.sip_code = event.code;
        if (!event.final) {
          call.current_leg = event.leg + 1;
          this.channels.place(call);
          break;
        }
        if (!this.move(call, 'failed')) return;
        await this.finish(failedCdr(call, event.at_us, event.code));
        break;
      }
      case 'call_ended':
        if (!this.move(call, 'hung_up')) return;
        await this.finish(answeredCdr(call, event.at_us, event.by, `hung up by ${event.by}`));
        break;
      case 'bye_sent':
        if (!this.move(call, 'hung_up')) return;
        await this.finish(answeredCdr(call, event.at_us, 'switch', call.end_reason ?? 'ended by the switch: maximum duration'));
        break;
    }
    this.updates.next({ kind: 'call_updated', call });
    log.debug({ state: call.state }, 'call moved');
  }

  private move(call: LiveCall, trigger: CallTrigger): boolean {
    const next = nextCallState(call.state, trigger);
    if (next === undefined) return false;
    call.state = next;
    return true;
  }

  private async finish(cdr: CdrRecord): Promise<void> {
    this.live.delete(cdr.call_id);
    this.channels.remove(cdr.call_id);
    const written = await this.store.writeCdr(cdr);
    if (!written) return;
    this.updates.next({ kind: 'cdr_written', cdr });
    for (const listener of this.cdrListeners) listener.onCdrWritten(cdr);
  }
}
