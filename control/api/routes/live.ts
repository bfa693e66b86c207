/**
 * What is happening now: live calls, and a stream of call events, CDRs, orders and trades as
 * Server-Sent Events. The stream is read with fetch (so the bearer header travels with it). Each
 * principal gets only what it may see (views/stream.ts).
 */
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Subscription } from 'rxjs';
import { audit } from '../../store/audit.ts';
import { actorOf, principalOf, requireOperator } from '../access.ts';
import { BOOTSTRAP_OPERATOR } from '../auth.ts';
import { ApiError, notFound } from '../errors.ts';
import { principalStreamKey, StreamRegistry } from '../streams.ts';
import type { RouteContext } from '../route-context.ts';
import { carrierLiveCallJson, liveCallJson } from '../views/live-calls.ts';
import { callFrames, marketFrames, type StreamFrame } from '../views/stream.ts';

/** Events a slow client may fall behind by before it is disconnected (it can reconnect). */
const MAX_PENDING_STREAM_BYTES = 1_048_576;
const HEARTBEAT_MS = 15_000;
/** Live streams one principal may hold when the config does not say (tests building the API alone). */
const DEFAULT_MAX_STREAMS = 4;

// A SIP Call-ID is printable ASCII without spaces (RFC 3261 section 25.1, `word`).
const CallIdParams = Type.Object({ call_id: Type.String({ minLength: 1, maxLength: 256, pattern: '^[!-~]+$' }) });

const bigintSafe = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

export function registerLiveRoutes(app: FastifyInstance, deps: RouteContext): void {
  app.get('/v1/calls/live', { schema: { tags: ['live'] } }, (request) => {
    const principal = principalOf(request);
    const calls = deps.calls.liveCalls();
    if (principal.kind === 'operator') return { calls: calls.map(liveCallJson) };
    return { calls: calls.map((call) => carrierLiveCallJson(call, principal.carrier_id, deps.aliases)).filter((call) => call !== null) };
  });

  // The one hang-up route, beside the list of live calls it acts on (the page's call search uses
  // it too). noc and admin operators (roles.ts); a viewer or finance operator is refused before
  // this runs. Ends an answered call through the switch's one path for ending calls: a BYE to both legs.
  app.post<{ Params: { call_id: string } }>('/v1/calls/:call_id/hangup', { schema: { tags: ['live'], params: CallIdParams } }, async (request) => {
    requireOperator(request);
    const call_id = request.params.call_id;
    if (!deps.switchControl.endCall(call_id, 'ended by operator')) throw notFound('no answered live call with this Call-ID');
    await audit(deps.db, actorOf(request), 'call.hangup', `call:${call_id}`);
    return { call_id, status: 'ending' };
  });

  const streams = new StreamRegistry(deps.limits?.maxStreamsPerPrincipal ?? DEFAULT_MAX_STREAMS);
  deps.apiKeys.revoked.subscribe((key_id) => streams.closeAll(`key:${key_id}`));
  deps.operators.revoked.subscribe((name) => streams.closeAll(`operator:${name}`));

  app.get('/v1/stream', { schema: { tags: ['live'] } }, (request, reply) => {
    const principal = principalOf(request);
    const key = principalStreamKey(principal);
    const stream = { close: () => reply.raw.destroy() };
    if (!streams.add(key, stream)) {
      void reply.header('retry-after', '5');
      throw new ApiError(429, 'too_many_streams', `at most ${deps.limits?.maxStreamsPerPrincipal ?? DEFAULT_MAX_STREAMS} live streams per key: close one first`);
    }
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (frames: readonly StreamFrame[]) => {
      for (const frame of frames) {
        if (raw.writableLength > MAX_PENDING_STREAM_BYTES) {
          raw.destroy();
          return;
        }
        raw.write(`event: ${frame.event}\ndata: ${JSON.stringify(frame.data, bigintSafe)}\n\n`);
      }
    };
    const subscriptions: Subscription[] = [
      deps.calls.updates.subscribe((update) => send(callFrames(update, principal, deps.aliases))),
      deps.exchange.events.subscribe((event) => send(marketFrames(event, principal, deps.aliases))),
    ];
    const heartbeat = setInterval(() => {
      raw.write(': keep-alive\n\n');
      // A key revoked on another node is not announced here: ask now and then.
      const active = principal.kind === 'carrier' ? deps.apiKeys.isActive(principal.api_key_id)
        : principal.operator === BOOTSTRAP_OPERATOR ? Promise.resolve(true) : deps.operators.isActive(principal.operator);
      active.then((live) => { if (!live) raw.destroy(); }, () => undefined);
    }, HEARTBEAT_MS);
    raw.write(`event: hello\ndata: ${JSON.stringify({ at: new Date().toISOString() })}\n\n`);
    request.raw.on('close', () => {
      streams.remove(key, stream);
      clearInterval(heartbeat);
      for (const subscription of subscriptions) subscription.unsubscribe();
    });
  });
}
