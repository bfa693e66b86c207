/**
 * Order commands forwarded by the other nodes of the control plane to the one that leads the
 * exchange (control/exchange/gateway.ts). Not part of the public API: requests carry the nodes'
 * shared key, and the leader answers with its exchange's outcome, or 503 `not_leader` when it
 * does not lead (nothing was stored, so the sender may try the new leader).
 */
import type { FastifyInstance } from 'fastify';
import { ExchangeUnavailableError } from '../../exchange/exchange-unavailable.ts';
import { FORWARD_PATH, NODE_KEY_HEADER, NOT_LEADER_STATUS, WIRE_CONTENT_TYPE } from '../../exchange/leader-client.ts';
import { decodeWire, encodeWire } from '../../exchange/wire.ts';
import { IMPORT_BODY_LIMIT_BYTES } from './imports.ts';
import { ApiError } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';

/** A forwarded rate deck is its lines as JSON: allow a few times the CSV upload's limit. */
const FORWARD_BODY_LIMIT_BYTES = 4 * IMPORT_BODY_LIMIT_BYTES;

export function registerExchangeForwardingRoutes(app: FastifyInstance, context: RouteContext): void {
  app.addContentTypeParser(WIRE_CONTENT_TYPE, { parseAs: 'string', bodyLimit: FORWARD_BODY_LIMIT_BYTES }, (_request, body, done) => done(null, body));

  app.post<{ Params: { command: string }; Body: string }>(`${FORWARD_PATH}:command`, {
    bodyLimit: FORWARD_BODY_LIMIT_BYTES,
    schema: { hide: true },
    // Checked before the body is read: only another node may make this node read a large body.
    onRequest: (request, _reply, done) => {
      const key = request.headers[NODE_KEY_HEADER];
      if (context.exchange.acceptsNodeKey(typeof key === 'string' ? key : undefined)) done();
      else done(new ApiError(401, 'unauthorized', 'a node key is required'));
    },
  }, async (request, reply) => {
    const args = decodeWire(request.body);
    if (!Array.isArray(args)) throw new ApiError(400, 'invalid_request', 'expected the command\'s arguments');
    try {
      const outcome = await context.exchange.serveForwarded(request.params.command, args);
      return await reply.status(200).type(WIRE_CONTENT_TYPE).send(encodeWire(outcome));
    } catch (error) {
      if (error instanceof ExchangeUnavailableError && error.stored === 'no') {
        return reply.status(NOT_LEADER_STATUS).send({ error: 'not_leader', message: error.message });
      }
      throw error;
    }
  });
}
