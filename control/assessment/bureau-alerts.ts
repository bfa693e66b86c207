/**
 * The credit bureau's monitoring alerts, as a credit desk acts on them: a `report.changed` alert
 * reassesses at once every carrier filed under that company (trigger `bureau_change`, the bureau
 * asked afresh) instead of waiting for the scheduled reassessment. Each alert is taken once, by its
 * id (a bureau delivers at least once); one that cannot be acted on now because the bureau does not
 * answer the report request is forgotten, so that the bureau's next delivery tries again.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import type { Assessor } from './assessor.ts';

export interface BureauAlert {
  readonly id: string;
  readonly type: string;
  readonly bureau_id: string;
}

export type AlertOutcome =
  | { readonly status: 'duplicate' | 'ignored' }
  | { readonly status: 'applied'; readonly reassessed: number }
  /** The changed report could not be read: nothing kept, deliver it again. */
  | { readonly status: 'bureau_unavailable' };

export class BureauAlerts {
  constructor(private readonly db: Db, private readonly assessor: Assessor, private readonly log: Logger) {}

  async take(alert: BureauAlert): Promise<AlertOutcome> {
    const taken = await this.db.oneOrNone<{ id: string }>(
      'insert into bureau_alerts (id, type, bureau_id) values ($1, $2, $3) on conflict (id) do nothing returning id', [alert.id, alert.type, alert.bureau_id]);
    if (taken === null) return { status: 'duplicate' };
    // Other kinds of alert are acknowledged and kept, not acted on.
    if (alert.type !== 'report.changed') return { status: 'ignored' };
    const carriers = await this.db.any<{ carrier_id: string }>('select carrier_id from credit_profiles where bureau_id = $1 order by carrier_id', [alert.bureau_id]);
    let reassessed = 0;
    for (const { carrier_id } of carriers) {
      const outcome = await this.assessor.assess({ carrier_id, trigger: 'bureau_change', actor: 'system:bureau-alert', refresh_bureau: true });
      if (outcome.ok) reassessed += 1;
      else if (outcome.reason === 'bureau_unavailable') {
        await this.db.none('delete from bureau_alerts where id = $1', [alert.id]);
        return { status: 'bureau_unavailable' };
      } else this.log.warn({ carrier_id, reason: outcome.reason }, 'a bureau alert could not reassess a carrier');
    }
    await this.db.none('update bureau_alerts set reassessed = $2 where id = $1', [alert.id, reassessed]);
    return { status: 'applied', reassessed };
  }
}
