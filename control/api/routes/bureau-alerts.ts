/**
 * The credit bureau's monitoring alerts: `POST /bureau/webhooks`, signed like the financial
 * services node's webhooks (common/webhook-signature.ts). A `report.changed` alert reassesses at
 * once every carrier filed under that company at the bureau (trigger `bureau_change`, the bureau
 * asked afresh), instead of waiting for the scheduled reassessment. Each alert is taken once, by
 * its id; one the exchange cannot act on now (the bureau does not answer the report request) is
 * answered 503 and forgotten, so that the bureau's next delivery tries again.
 */
import type { FastifyInstance } from 'fastify';
import { SIGNATURE_HEADER, verifyWebhook } from '../../../common/webhook-signature.ts';
import { ApiError, badRequest } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';

interface Alert {
  readonly id: string;
  readonly type: string;
  readonly bureau_id: string;
}

const BUREAU_ID = /^[A-Za-z0-9-]{1,64}$/;

/** The alert in a verified body, or the reason it is not one. */
function parseAlert(raw: string): Alert {
  let event: unknown;
  try {
    event = JSON.parse(raw);
  } catch {
    throw badRequest('malformed_json', 'the body is not valid JSON');
  }
  const { id, type, data } = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const bureau_id = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)['bureau_id'] : undefined;
  if (typeof id !== 'string' || id.length === 0 || id.length > 200 || typeof type !== 'string') throw badRequest('invalid_event', 'an alert needs an id and a type');
  if (typeof bureau_id !== 'string' || !BUREAU_ID.test(bureau_id)) throw badRequest('invalid_event', 'an alert names the company by its bureau_id');
  return { id, type, bureau_id };
}

export function registerBureauAlertRoutes(app: FastifyInstance, deps: RouteContext): void {
  // Its own scope, so that only this route reads JSON as the raw text its signature covers.
  void app.register((scope, _options, done) => {
    scope.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => done(null, body));
    scope.post('/bureau/webhooks', { schema: { hide: true } }, async (request) => {
      const { bureau, assessor } = deps;
      if (bureau === undefined || assessor === undefined) throw new ApiError(503, 'bureau_not_configured', 'no credit bureau is configured');
      const raw = typeof request.body === 'string' ? request.body : '';
      const header = request.headers[SIGNATURE_HEADER];
      const check = verifyWebhook(bureau.webhookSecret, typeof header === 'string' ? header : undefined, raw, Math.floor(Date.now() / 1000));
      if (!check.ok) throw new ApiError(400, check.reason, 'the alert signature does not verify; nothing was changed');
      const alert = parseAlert(raw);
      const taken = await deps.db.oneOrNone<{ id: string }>(
        'insert into bureau_alerts (id, type, bureau_id) values ($1, $2, $3) on conflict (id) do nothing returning id', [alert.id, alert.type, alert.bureau_id]);
      if (taken === null) return { status: 'duplicate' };
      // Other kinds of alert are acknowledged and kept, not acted on.
      if (alert.type !== 'report.changed') return { status: 'ignored' };
      const carriers = await deps.db.any<{ carrier_id: string }>('select carrier_id from credit_profiles where bureau_id = $1 order by carrier_id', [alert.bureau_id]);
      let reassessed = 0;
      for (const { carrier_id } of carriers) {
        const outcome = await assessor.assess({ carrier_id, trigger: 'bureau_change', actor: 'system:bureau-alert', refresh_bureau: true });
        if (outcome.ok) reassessed += 1;
        else if (outcome.reason === 'bureau_unavailable') {
          await deps.db.none('delete from bureau_alerts where id = $1', [alert.id]);
          throw new ApiError(503, 'bureau_unavailable', 'the changed report could not be read; deliver the alert again');
        } else request.log.warn({ carrier_id, reason: outcome.reason }, 'a bureau alert could not reassess a carrier');
      }
      await deps.db.none('update bureau_alerts set reassessed = $2 where id = $1', [alert.id, reassessed]);
      return { status: 'applied', reassessed };
    });
    done();
  });
}
