/**
 * Alarm events POSTed to the operator's endpoint (a chat bridge, a paging service), signed like
 * every minutex webhook (common/webhook-signature.ts) so the receiver can trust and date them.
 * Best effort: a delivery that fails is logged and counted, never retried into a storm.
 */
import { signWebhook, SIGNATURE_HEADER } from '../../common/webhook-signature.ts';
import type { Logger } from '../../common/logger.ts';

const DELIVERY_TIMEOUT_MS = 5000;

export class AlarmWebhook {
  delivered = 0;
  failed = 0;

  constructor(private readonly url: string, private readonly secret: string, private readonly log: Logger) {}

  send(event: string, alarm: object): void {
    const body = JSON.stringify({ event, alarm, sent_at: new Date().toISOString() });
    const signature = signWebhook(this.secret, Math.floor(Date.now() / 1000), body);
    fetch(this.url, { method: 'POST', headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature }, body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS) })
      .then((response) => {
        if (!response.ok) throw new Error(`answered ${response.status}`);
        this.delivered += 1;
      })
      .catch((error: unknown) => {
        this.failed += 1;
        this.log.warn({ err: error, event }, 'alarm webhook not delivered');
      });
  }
}
