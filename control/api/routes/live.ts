/**
 * What is happening now: live calls, and a stream of call events, CDRs and trades as
 * Server-Sent Events. The stream is read with fetch (so the bearer header travels with it).
 */
import type { FastifyInstance } from 'fastify';
import type { Subscription } from 'rxjs';
import type { LiveCall } from '../../core/cdr.ts';
import type { ApiDependencies } from '../dependencies.ts';
import { notFound } from '../errors.ts';
import { audit } from '../../store/audit.ts';

/** Events a slow client may fall behind by before it is disconnected (it can reconnect). */
const MAX_PENDING_STREAM_BYTES = 1_048_576;

export function liveCallJson(call: LiveCall) {
  const answered = call.answered_leg === null ? undefined : call.legs[call.answered_leg];
  return {
    call_id: call.call_id,
    buyer_id: call.buyer_id,
    number: call.number,
    destination_id: call.destination_id,
    state: call.state,
    setup_at: new Date(Number(call.setup_us / 1000n)).toISOString(),
    answer_at: call.answer_us === null ? null : new Date(Number(call.answer_us / 1000n)).toISOString(),
    seller_id: answered?.leg.trade.seller_id ?? null,
    legs_tried: call.legs.filter((leg) => leg.sip_code !== null).length,
  };
}

const bigintSafe = (_key: string, value: unknown) => (typeof value === 'bigint' ? value.toString() : value);

export function registerLiveRoutes(app: FastifyInstance, deps: ApiDependencies): void {
  app.get('/v1/calls/live', { schema: { tags: ['live'] } }, () => ({ calls: deps.calls.liveCalls().map(liveCallJson) }));

  app.post<{ Params: { call_id: string } }>('/v1/calls/:call_id/hangup', { schema: { tags: ['live'] } }, async (request) => {
    const call_id = request.params.call_id;
    if (!deps.switchControl.endCall(call_id, 'ended by operator')) throw notFound('no answered live call with this Call-ID');
    await audit(deps.db, request.principal?.name ?? 'unknown', 'call.hangup', `call:${call_id}`);
    return { call_id, status: 'ending' };
  });

  app.get('/v1/stream', { schema: { tags: ['live'] } }, (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const send = (event: string, data: unknown) => {
      if (raw.writableLength > MAX_PENDING_STREAM_BYTES) {
        raw.destroy();
        return;
      }
      raw.write(`event: ${event}\ndata: ${JSON.stringify(data, bigintSafe)}\n\n`);
    };
    const subscriptions: Subscription[] = [
      deps.calls.updates.subscribe((update) => {
        if (update.kind === 'cdr_written') send('cdr', { call_id: update.cdr.call_id, final_sip_code: update.cdr.final_sip_code, duration_ms: update.cdr.duration_ms, buyer_id: update.cdr.buyer_id, seller_id: update.cdr.seller_id });
        else send('call', liveCallJson(update.call));
      }),
      deps.exchange.events.subscribe((event) => send('market', event)),
    ];
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), 15_000);
    send('hello', { at: new Date().toISOString() });
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      for (const subscription of subscriptions) subscription.unsubscribe();
    });
  });
}
