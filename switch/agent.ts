/**
 * The switch agent: it speaks Kamailio (evapi frames in, decisions and acks out) and holds no
 * business rules. Route requests go to a RouteDecider; every other event goes to the listeners.
 */
import { LatencyHistogram } from '../common/latency-histogram.ts';
import type { Logger } from '../common/logger.ts';
import type { EvapiClient } from './evapi/client.ts';
import { parseSwitchEvent, type DialogRef, type SwitchEvent } from './events.ts';
import { encodeDecision, SAFE_REASON, type RouteDecision } from './decisions.ts';

export type RouteRequest = Extract<SwitchEvent, { kind: 'route_request' }>;
export type CallEvent = Exclude<SwitchEvent, RouteRequest>;

export interface RouteDecider {
  decide(request: RouteRequest): Promise<RouteDecision>;
}

export interface CallEventSink {
  onCallEvent(event: CallEvent): void;
}

/** Sent back for every event that expects no answer: Kamailio's evapi socket keeps Nagle's
 * algorithm on, and without traffic from us its next message can wait for our delayed ACK (~40 ms). */
const ACK = JSON.stringify({ action: 'ack' });

export class SwitchAgent {
  private readonly sinks: CallEventSink[] = [];
  /** Time from a route request's arrival to its decision leaving (read by the benchmarks). */
  readonly decisionLatency = LatencyHistogram.create();

  constructor(
    private readonly client: EvapiClient,
    private readonly decider: RouteDecider,
    private readonly log: Logger,
  ) {
    client.on('frame', (payload) => this.onFrame(payload));
  }

  addSink(sink: CallEventSink): void {
    this.sinks.push(sink);
  }

  get connected(): boolean {
    return this.client.connected;
  }

  /**
   * Moves a call's hard maximum duration to `timeout_s` seconds from now; false when not connected.
   * With `call_id`, a failure comes back as a timeout_not_set event naming the call.
   */
  setCallTimeout(dialog: DialogRef, timeout_s: number, call_id = ''): boolean {
    if (!Number.isSafeInteger(timeout_s) || timeout_s < 1) throw new RangeError(`timeout_s must be a whole number >= 1, got ${timeout_s}`);
    return this.client.send(JSON.stringify({ action: 'set_timeout', call_id, h_entry: dialog.h_entry, h_id: dialog.h_id, timeout_s }));
  }

  /** Ends a call now: the switch sends BYE to both legs, with `reason` in a Reason header. */
  endCall(call_id: string, dialog: DialogRef, reason: string): boolean {
    if (!SAFE_REASON.test(reason)) throw new Error(`unsafe reason text ${JSON.stringify(reason)}`);
    return this.client.send(JSON.stringify({ action: 'end_call', call_id, h_entry: dialog.h_entry, h_id: dialog.h_id, reason }));
  }

  private onFrame(payload: string): void {
    const parsed = parseSwitchEvent(payload);
    if (!parsed.ok) {
      this.log.warn({ reason: parsed.reason, payload: payload.slice(0, 500) }, 'malformed switch event ignored');
      this.client.send(ACK);
      return;
    }
    const event = parsed.event;
    if (event.kind === 'route_request') {
      void this.answer(event, process.hrtime.bigint());
      return;
    }
    this.client.send(ACK);
    for (const sink of this.sinks) sink.onCallEvent(event);
  }

  private async answer(request: RouteRequest, arrived_ns: bigint): Promise<void> {
    let decision: RouteDecision;
    try {
      decision = await this.decider.decide(request);
    } catch (error) {
      // Fail closed: a decision we could not make is a 503, never a free call.
      this.log.error({ err: error, call_id: request.call_id }, 'route decision failed');
      decision = { kind: 'reject', code: 503, phrase: 'Service Unavailable', reason: 'routing error' };
    }
    let encoded: string;
    try {
      encoded = encodeDecision(request, decision);
    } catch (error) {
      // A decision we cannot write (an unsafe reason, an oversized record) is a bug upstream; the
      // caller still gets a clean 503 rather than a timeout.
      this.log.error({ err: error, call_id: request.call_id }, 'route decision could not be encoded');
      encoded = encodeDecision(request, { kind: 'reject', code: 503, phrase: 'Service Unavailable', reason: 'routing error' });
    }
    if (!this.client.send(encoded)) {
      this.log.warn({ call_id: request.call_id }, 'decision not sent: switch disconnected');
      return;
    }
    this.decisionLatency.recordNs(process.hrtime.bigint() - arrived_ns);
  }
}
