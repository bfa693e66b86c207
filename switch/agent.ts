/**
 * The switch agent: it speaks Kamailio (evapi frames in, decisions and acks out) and holds no
 * business rules. Route requests go to a RouteDecider; every other event goes to the listeners.
 */
import type { Logger } from '../common/logger.ts';
import type { EvapiClient } from './evapi/client.ts';
import { parseSwitchEvent, type SwitchEvent } from './events.ts';
import { encodeDecision, type RouteDecision } from './decisions.ts';

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

  private onFrame(payload: string): void {
    const parsed = parseSwitchEvent(payload);
    if (!parsed.ok) {
      this.log.warn({ reason: parsed.reason, payload: payload.slice(0, 500) }, 'malformed switch event ignored');
      this.client.send(ACK);
      return;
    }
    const event = parsed.event;
    if (event.kind === 'route_request') {
      void this.answer(event);
      return;
    }
    this.client.send(ACK);
    for (const sink of this.sinks) sink.onCallEvent(event);
  }

  private async answer(request: RouteRequest): Promise<void> {
    let decision: RouteDecision;
    try {
      decision = await this.decider.decide(request);
    } catch (error) {
      // Fail closed: a decision we could not make is a 503, never a free call.
      this.log.error({ err: error, call_id: request.call_id }, 'route decision failed');
      decision = { kind: 'reject', code: 503, phrase: 'Service Unavailable', reason: 'routing error' };
    }
    if (!this.client.send(encodeDecision(request.transaction, decision))) {
      this.log.warn({ call_id: request.call_id }, 'decision not sent: switch disconnected');
    }
  }
}
