/**
 * Follows every call from route decision to CDR. Events for one call are applied in arrival order
 * (a promise chain per Call-ID), each through the lifecycle's transition function.
 *
 * When a call ends it is over at once (`call_over`: credit stops its timers, its channels are
 * free), but it leaves memory only once its CDR is durably written: until then it waits in the
 * CDR outbox, whose write is retried with backoff until it lands (`cdr_written`, and billing is
 * told it may post it). A CDR the database refuses on its own (it can never be written) is logged
 * in full and dropped. The outbox is bounded: while it is full, new calls are refused at setup.
 */
import { Subject } from 'rxjs';
import { RowRefusedError } from '../../common/db/group-writer.ts';
import type { Logger } from '../../common/logger.ts';
import { callLogger } from '../../common/logger.ts';
import type { CallEvent } from '../../switch/agent.ts';
import { nextCallState, type CallTrigger } from '../core/call-lifecycle.ts';
import { answeredCdr, failedCdr, rejectedCdr, type CdrRecord, type LiveCall } from '../core/cdr.ts';
import { refuseCallId, type CallStore } from '../store/calls.ts';
import type { ChannelCounts } from '../core/capacity.ts';
import { LiveChannelCounts } from './live-channel-counts.ts';

export type CallUpdate =
  | { readonly kind: 'call_started' | 'call_updated'; readonly call: LiveCall }
  /** The call ended with this CDR: nothing more happens on it (the CDR may still be waiting to be written). */
  | { readonly kind: 'call_over'; readonly call_id: string; readonly cdr: CdrRecord }
  | { readonly kind: 'cdr_written'; readonly cdr: CdrRecord };

export interface CdrListener {
  onCdrWritten(cdr: CdrRecord): void;
}

export interface CallTrackerOptions {
  /** Most ended calls whose CDR may wait to be written; at the bound new calls are refused at setup. */
  readonly maxOutbox: number;
  /** Wait before the first retry of a failed CDR write, in ms; it doubles with every failure. */
  readonly retryFirstMs: number;
  /** Longest wait between two attempts to write a CDR, in ms. */
  readonly retryMaxMs: number;
}

export const DEFAULT_TRACKER_OPTIONS: CallTrackerOptions = { maxOutbox: 10_000, retryFirstMs: 100, retryMaxMs: 5000 };

/** What must be in PostgreSQL before a call's CDR is (its credit reservation's row, which billing settles). */
export type BeforeCdrWrite = (call_id: string) => Promise<void>;

/** A CDR waiting to be written, as operators see it. */
export interface UnwrittenCdr {
  readonly call_id: string;
  readonly attempts: number;
  readonly waiting_since_ms: number;
  readonly last_error: string | null;
}

interface OutboxEntry {
  readonly cdr: CdrRecord;
  /** The call that ended, when it was followed (a call refused at setup never was). */
  readonly call: LiveCall | undefined;
  readonly since_ms: number;
  attempts: number;
  last_error: string | null;
  timer: NodeJS.Timeout | undefined;
}

/** Why a call cannot be followed: the tracker refuses it at setup (the switch answers 503). */
export class CallNotFollowedError extends Error {
  override name = 'CallNotFollowedError';
  constructor(readonly reason: 'call_id_refused' | 'cdr_outbox_full', message: string) {
    super(message);
  }
}

export class CallTracker {
  private readonly live = new Map<string, LiveCall>();
  private readonly channels = new LiveChannelCounts();
  private readonly chains = new Map<string, Promise<void>>();
  private readonly cdrListeners: CdrListener[] = [];
  private beforeCdrWrite: BeforeCdrWrite | undefined;
  /** Ended calls whose CDR is not written yet, by Call-ID. */
  private readonly outbox = new Map<string, OutboxEntry>();
  private outboxWaiters: Array<() => void> = [];
  private stopped = false;
  /** Failed CDR write attempts, and CDRs refused for good, since start (metrics). */
  cdrWriteFailures = 0;
  cdrsRefused = 0;
  /** Live view for the web page and the API stream. */
  readonly updates = new Subject<CallUpdate>();

  constructor(
    private readonly store: CallStore,
    private readonly log: Logger,
    private readonly options: CallTrackerOptions = DEFAULT_TRACKER_OPTIONS,
  ) {}

  /** Something every CDR write waits for first (the call's reservation row: billing settles against it). */
  setBeforeCdrWrite(before: BeforeCdrWrite): void {
    this.beforeCdrWrite = before;
  }

  addCdrListener(listener: CdrListener): void {
    this.cdrListeners.push(listener);
  }

  /** A call in progress, or one that ended and whose CDR is still being written. */
  liveCall(call_id: string): LiveCall | undefined {
    return this.live.get(call_id) ?? this.outbox.get(call_id)?.call;
  }

  /** Calls in progress (not those that ended and wait for their CDR to be written). */
  liveCalls(): LiveCall[] {
    return [...this.live.values()];
  }

  /** CDRs still waiting to be written, oldest first (operators, tests). */
  unwrittenCdrs(): UnwrittenCdr[] {
    return [...this.outbox.values()].map((entry) => ({
      call_id: entry.cdr.call_id, attempts: entry.attempts, waiting_since_ms: entry.since_ms, last_error: entry.last_error,
    }));
  }

  /** Resolves once no CDR waits to be written (tests, shutdown). */
  async cdrsWritten(): Promise<void> {
    if (this.outbox.size === 0) return;
    await new Promise<void>((resolve) => this.outboxWaiters.push(resolve));
  }

  /**
   * Holds a call's channels from the moment routing chose its legs (synchronously, so two setups
   * racing for the last channel cannot both win); `callRouted` or `abandon` follows. Throws a
   * CallNotFollowedError for a call that could never be accounted for: a Call-ID the store cannot
   * hold, or a full CDR outbox (the database has been failing for long).
   */
  hold(call: LiveCall): void {
    const refused = refuseCallId(call.call_id);
    if (refused) throw new CallNotFollowedError('call_id_refused', refused.message);
    if (this.outbox.size >= this.options.maxOutbox) {
      throw new CallNotFollowedError('cdr_outbox_full', `${this.outbox.size} CDRs wait to be written: new calls are refused until they are`);
    }
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
  /**
   * A routed call whose row is written elsewhere (with its credit reservation, in the same
   * statement group: see control/credit/reservation-journal.ts).
   */
  routed(call: LiveCall): void {
    this.live.set(call.call_id, call);
    this.channels.place(call);
    this.updates.next({ kind: 'call_started', call });
  }

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
        // The answer on the call row only helps a restart (the switch's own records and the CDR
        // carry it too): a failed update must not keep credit control from following the call.
        // Written with other answers after a short wait; the call's next events do not wait for it.
        this.store.updateCall(call).catch((error: unknown) => log.warn({ err: error }, 'answer not recorded on the call row'));
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
      case 'bye_sent': {
        if (!this.move(call, 'hung_up')) return;
        // A call whose media stopped ends at its last media, never before its answer.
        const end_us = call.media_end_us === undefined ? event.at_us : bigMax(call.media_end_us, call.answer_us ?? call.media_end_us);
        await this.finish(answeredCdr(call, end_us, 'switch', call.end_reason ?? 'ended by the switch: maximum duration'));
        break;
      }
      case 'media_stats':
        // Arrives before the end event of the same BYE, so the CDR carries it.
        call.media = event.stats;
        return;
      case 'media_timeout':
        // The switch is asked to end it (system.ts); its BYEs come back as bye_sent.
        if (call.state !== 'answered') return;
        call.media_end_us = event.at_us - BigInt(event.timeout_s) * 1_000_000n;
        call.end_reason = `media timeout: no RTP for ${event.timeout_s} s`;
        return;
      case 'route_late':
        // The switch had already answered 503 when the decision came: nothing was relayed, and the
        // call's credit and channels are released now rather than by the sweep.
        if (!this.move(call, 'failed')) return;
        await this.finish({ ...failedCdr(call, event.at_us, 503), final_reason: 'rejected: control plane timeout' });
        break;
      case 'setup_failed':
        if (!this.move(call, 'failed')) return;
        await this.finish({ ...failedCdr(call, event.at_us, event.code), final_reason: `setup failed: ${event.reason}` });
        break;
      case 'timeout_not_set':
        // The precise cut is the control plane's and still stands; only the switch's own backstop
        // is missing, which matters if this process dies before the call ends.
        log.error({ dialog: event.dialog }, 'the switch could not set the call\'s maximum duration');
        return;
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

  /**
   * The call is over: it leaves the live calls at once and waits in the outbox until its CDR is
   * written. Resolves after the first attempt to write it (later ones follow by themselves), so a
   * caller waits at most one bounded attempt, never an outage.
   */
  private finish(cdr: CdrRecord): Promise<void> {
    // A second end of the same call (a replayed event): the CDR of the first stands.
    if (this.outbox.has(cdr.call_id)) return Promise.resolve();
    const call = this.live.get(cdr.call_id);
    this.live.delete(cdr.call_id);
    // Its channels are free the moment the call is over: a trunk carries as many calls as it has
    // channels, whether or not their CDRs have reached the database yet.
    this.channels.remove(cdr.call_id);
    const entry: OutboxEntry = { cdr, call, since_ms: Date.now(), attempts: 0, last_error: null, timer: undefined };
    this.outbox.set(cdr.call_id, entry);
    this.updates.next({ kind: 'call_over', call_id: cdr.call_id, cdr });
    return this.attempt(entry);
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    entry.timer = undefined;
    entry.attempts += 1;
    const { cdr } = entry;
    let written: boolean;
    try {
      await this.beforeCdrWrite?.(cdr.call_id);
      written = await this.store.writeCdr(cdr);
    } catch (error) {
      if (error instanceof RowRefusedError) {
        this.cdrsRefused += 1;
        this.log.error({ err: error, cdr }, 'CDR refused by the database: it can never be written');
        this.leave(entry);
        return;
      }
      this.cdrWriteFailures += 1;
      entry.last_error = error instanceof Error ? error.message : String(error);
      const delay_ms = Math.min(this.options.retryFirstMs * 2 ** Math.min(entry.attempts - 1, 20), this.options.retryMaxMs);
      // Logged on the first failure and about once a minute after, not on every retry of every CDR.
      if (entry.attempts === 1 || entry.attempts % 12 === 0) {
        this.log.error({ err: error, call_id: cdr.call_id, attempts: entry.attempts, retry_in_ms: delay_ms, outbox: this.outbox.size }, 'CDR write failed; retrying');
      }
      if (!this.stopped) entry.timer = setTimeout(() => void this.attempt(entry), delay_ms);
      return;
    }
    this.leave(entry);
    if (entry.attempts > 1) this.log.info({ call_id: cdr.call_id, attempts: entry.attempts }, 'CDR written after retrying');
    if (!written) return;
    this.updates.next({ kind: 'cdr_written', cdr });
    for (const listener of this.cdrListeners) listener.onCdrWritten(cdr);
  }

  /** The CDR is written (or can never be): the call leaves memory. */
  private leave(entry: OutboxEntry): void {
    this.outbox.delete(entry.cdr.call_id);
    if (this.outbox.size === 0) {
      const waiters = this.outboxWaiters;
      this.outboxWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** Stops retrying: what is still unwritten is logged in full (reconciliation rewrites it after a restart). */
  stop(): void {
    this.stopped = true;
    for (const entry of this.outbox.values()) {
      clearTimeout(entry.timer);
      this.log.error({ cdr: entry.cdr, attempts: entry.attempts, last_error: entry.last_error }, 'CDR not written at stop');
    }
  }
}

function bigMax(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
