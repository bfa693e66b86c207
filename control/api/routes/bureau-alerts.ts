/**
 * `POST /bureau/webhooks`: the credit bureau's monitoring alerts, signed like the financial
 * services node's webhooks; what an alert does is control/assessment/bureau-alerts.ts's.
 */
import type { FastifyInstance } from 'fastify';
import { BureauAlerts } from '../../assessment/bureau-alerts.ts';
import { ApiError, badRequest } from '../errors.ts';
import type { RouteContext } from '../route-context.ts';
import { parseWebhookEvent, registerSignedWebhook } from '../signed-webhook.ts';

const BUREAU_ID = /^[A-Za-z0-9-]{1,64}$/;

export function registerBureauAlertRoutes(app: FastifyInstance, deps: RouteContext): void {
  const alerts = deps.assessor === undefined ? undefined : new BureauAlerts(deps.db, deps.assessor, deps.log.child({ part: 'bureau-alerts' }));
  registerSignedWebhook(app, {
    path: '/bureau/webhooks',
    secret: alerts === undefined ? null : deps.bureau?.webhookSecret ?? null,
    unconfigured: { reason: 'bureau_not_configured', message: 'no credit bureau is configured' },
    async handle(raw) {
      const { id, type, data } = parseWebhookEvent(raw);
      const bureau_id = data['bureau_id'];
      if (typeof bureau_id !== 'string' || !BUREAU_ID.test(bureau_id)) throw badRequest('invalid_event', 'an alert names the company by its bureau_id');
      const outcome = await alerts!.take({ id, type, bureau_id });
      if (outcome.status === 'bureau_unavailable') throw new ApiError(503, 'bureau_unavailable', 'the changed report could not be read; deliver the alert again');
      return outcome;
    },
  });
}
