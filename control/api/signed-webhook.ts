/**
 * A webhook from an outside system (the financial services node, the credit bureau), signed with
 * a shared secret (common/webhook-signature.ts): registered in a scope of its own, so that only its
 * route reads JSON as the raw text the signature covers; a missing secret answers 503, a bad
 * signature or timestamp 400, and nothing is changed by either.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SIGNATURE_HEADER, verifyWebhook } from '../../common/webhook-signature.ts';
import { ApiError } from './errors.ts';

export interface SignedWebhook {
  readonly path: string;
  /** The secret, or null when the outside system is not configured (503 with `unconfigured`). */
  readonly secret: string | null;
  readonly unconfigured: { readonly reason: string; readonly message: string };
  /** The verified body, as it came. */
  handle(raw: string, request: FastifyRequest): Promise<unknown>;
}

export function registerSignedWebhook(app: FastifyInstance, hook: SignedWebhook): void {
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post(hook.path, { schema: { hide: true } }, async (request) => {
      if (hook.secret === null) throw new ApiError(503, hook.unconfigured.reason, hook.unconfigured.message);
      const raw = typeof request.body === 'string' ? request.body : '';
      const header = request.headers[SIGNATURE_HEADER];
      const check = verifyWebhook(hook.secret, typeof header === 'string' ? header : undefined, raw, Math.floor(Date.now() / 1000));
      if (!check.ok) throw new ApiError(400, check.reason, 'the webhook signature does not verify; nothing was changed');
      return hook.handle(raw, request);
    });
    done();
  });
}

/** An event as outside systems send them: an id (taken once), a type, and its data. */
export interface WebhookEventBody {
  readonly id: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** The event in a verified body; 400 `malformed_json` or `invalid_event` otherwise. */
export function parseWebhookEvent(raw: string): WebhookEventBody {
  let event: unknown;
  try {
    event = JSON.parse(raw);
  } catch {
    throw new ApiError(400, 'malformed_json', 'the body is not valid JSON');
  }
  const { id, type, data } = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200 || typeof type !== 'string') throw new ApiError(400, 'invalid_event', 'an event needs an id and a type');
  return { id, type, data: typeof data === 'object' && data !== null && !Array.isArray(data) ? data as Record<string, unknown> : {} };
}
