/**
 * Delivers overdue notices to the webhook each carrier registered: a POST of the notice's JSON,
 * signed like the financial services node's webhooks (common/webhook-signature.ts: HMAC-SHA256
 * over `timestamp.body` with the carrier's secret), retried with doubling backoff until the
 * carrier answers 2xx or the attempts run out. Notices are claimed with a short lease (SKIP
 * LOCKED), so several nodes can deliver side by side without sending one twice at once; delivery
 * is at least once, and the carrier deduplicates by the notice's `id`.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { SIGNATURE_HEADER, signWebhook } from '../../common/webhook-signature.ts';

/** Attempts per notice, and the backoff between them (doubling from the first, capped). */
export const MAX_NOTICE_ATTEMPTS = 12;
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 3_600_000;
/** How long a claimed notice is left to its claimer before another node may try it. */
const CLAIM_MS = 30_000;
const BATCH = 20;
const DELIVERY_TIMEOUT_MS = 5_000;

/** The wait before attempt `attempts + 1`, after `attempts` failures. */
export function noticeBackoffMs(attempts: number): number {
  return Math.min(FIRST_BACKOFF_MS * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

interface Claimed {
  id: string;
  payload: unknown;
  attempts: number;
  url: string | null;
  secret: string | null;
}

export class NoticeDelivery {
  private timer: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;

  constructor(private readonly db: Db, private readonly log: Logger) {}

  start(every_ms: number): void {
    this.timer = setInterval(() => void this.runNow(), every_ms);
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.busy;
  }

  /** One pass over the notices due now (one pass at a time). */
  runNow(): Promise<void> {
    this.busy ??= this.deliverDue().catch((error: unknown) => this.log.error({ err: error }, 'delivering notices failed')).finally(() => {
      this.busy = undefined;
    });
    return this.busy;
  }

  private async deliverDue(): Promise<void> {
    const claimed = await this.db.any<Claimed>(
      `with due as (
         select id from overdue_notices where delivery = 'pending' and next_attempt_at <= now() order by next_attempt_at limit $1 for update skip locked)
       update overdue_notices n set next_attempt_at = now() + $2 * interval '1 millisecond' from due where n.id = due.id
       returning n.id, n.payload, n.attempts,
         (select url from carrier_webhooks w where w.carrier_id = n.carrier_id) as url,
         (select secret from carrier_webhooks w where w.carrier_id = n.carrier_id) as secret`,
      [BATCH, CLAIM_MS]);
    for (const notice of claimed) await this.deliver(notice);
  }

  private async deliver(notice: Claimed): Promise<void> {
    if (notice.url === null || notice.secret === null) {
      // The carrier removed its webhook: the notice stays listed, undelivered.
      await this.db.none(`update overdue_notices set delivery = 'none', next_attempt_at = null where id = $1`, [notice.id]);
      return;
    }
    const body = JSON.stringify(notice.payload);
    let error: string | null = null;
    try {
      const response = await fetch(notice.url, {
        method: 'POST', body, signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS), redirect: 'manual',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signWebhook(notice.secret, Math.floor(Date.now() / 1000), body) },
      });
      await response.arrayBuffer();
      if (!response.ok) error = `HTTP ${response.status}`;
    } catch (failure) {
      error = (failure as Error).message.slice(0, 500);
    }
    const attempts = notice.attempts + 1;
    if (error === null) {
      await this.db.none(`update overdue_notices set delivery = 'delivered', attempts = $2, delivered_at = now(), next_attempt_at = null, last_error = null where id = $1`, [notice.id, attempts]);
    } else if (attempts >= MAX_NOTICE_ATTEMPTS) {
      await this.db.none(`update overdue_notices set delivery = 'failed', attempts = $2, next_attempt_at = null, last_error = $3 where id = $1`, [notice.id, attempts, error]);
    } else {
      await this.db.none(`update overdue_notices set attempts = $2, next_attempt_at = now() + $3 * interval '1 millisecond', last_error = $4 where id = $1`,
        [notice.id, attempts, noticeBackoffMs(attempts), error]);
    }
  }
}
