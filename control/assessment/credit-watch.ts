/**
 * Reassessment on events and on a schedule. Every pass looks, in one query, for assessed carriers
 * whose situation changed since their latest assessment, and reassesses each with the first
 * reason that applies:
 * - `missed_due_date`: a statement fell past its due date unpaid since then (or one already past
 *   due was issued since then);
 * - `payment`: a payment of theirs was received since then;
 * - `override_expired`: an operator's override of its terms expired since then;
 * - `exposure`: the share of their credit line in use moved by EXPOSURE_JUMP_POINTS or more;
 * - `net_position`: its net position (receivable − payable) moved by NET_POSITION_JUMP_UNITS or more;
 * - `traffic`: a jump in traffic: the minutes it bought and sold since the assessment, within the
 *   last 24 hours, reach TRAFFIC_JUMP_FACTOR times its daily average over the 30 days before those
 *   24 hours, and at least TRAFFIC_JUMP_MIN_MINUTES (so a quiet carrier's first calls are no jump).
 *   Counting only since the assessment means one jump triggers one reassessment, not one per pass;
 * - `schedule`: the assessment is older than the schedule's period (the bureau is asked afresh,
 *   so a changed bureau report is picked up; the assessment's audit entry says whether it changed).
 * One node at a time runs a pass (a PostgreSQL advisory lock), so several nodes on one database do
 * not assess the same carrier twice for one event.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import type { AssessmentTrigger, Assessor } from './assessor.ts';

export interface CreditWatchOptions {
  readonly every_ms: number;
  /** 0: no scheduled reassessment. */
  readonly reassess_every_s: number;
}

/** Percentage points of the credit line in use that count as a jump in exposure. */
export const EXPOSURE_JUMP_POINTS = 25;
/** Whole currency units the net position must move by to count as a change of position. */
export const NET_POSITION_JUMP_UNITS = 10_000;
/** How many times its usual daily minutes a carrier must bill within a day for a jump in traffic. */
export const TRAFFIC_JUMP_FACTOR = 3;
/** The fewest minutes within a day that count as a jump, whatever the carrier's usual traffic. */
export const TRAFFIC_JUMP_MIN_MINUTES = 1_000;
/** Most carriers one pass reassesses; the rest wait for the next pass. */
const MAX_PER_PASS = 100;
/** Advisory lock key of the watch ("credit watch" in ASCII, truncated). */
const WATCH_LOCK_KEY = 0x63726564_77617463n;

const DUE_SQL = `
  with latest as (
    select distinct on (carrier_id) carrier_id, currency, created_at, (inputs->>'exposure_percent')::int as exposure_percent,
           (inputs->>'net_position_units')::bigint as net_position_units
    from credit_assessments order by carrier_id, created_at desc
  ), now_exposure as (
    select l.*, case when a.limit_micros + a.collateral_micros > 0 then
        ((greatest(-a.balance_micros, 0) + a.reserved_micros + a.leased_micros) * 100 / (a.limit_micros + a.collateral_micros))::int end as exposure_now
    from latest l left join credit_accounts a on a.carrier_id = l.carrier_id and a.currency = l.currency
  )
  select carrier_id, case
      when exists (select 1 from statements s where s.carrier_id = n.carrier_id and s.status in ('issued', 'partially_paid', 'overdue')
                   and s.balance_micros > 0 and s.paid_micros < s.balance_micros and s.due_date < current_date and ((s.due_date + 1)::timestamptz > n.created_at or s.created_at > n.created_at))
        then 'missed_due_date'
      when exists (select 1 from fsn_events e join statements s on s.id = e.statement_id
                   where s.carrier_id = n.carrier_id and e.type = 'collection.payment_received' and e.received_at > n.created_at)
        then 'payment'
      when exists (select 1 from credit_overrides o where o.carrier_id = n.carrier_id and o.expires_at > n.created_at and o.expires_at <= now())
        then 'override_expired'
      when abs(coalesce(n.exposure_now, 0) - coalesce(n.exposure_percent, 0)) >= $1 then 'exposure'
      when abs(-coalesce((select sum(la.balance_micros) from ledger_accounts la
                          where la.carrier_id = n.carrier_id and la.currency = n.currency and la.kind in ('receivable', 'payable')), 0) / 1000000
               - coalesce(n.net_position_units, 0)) >= $3 then 'net_position'
      -- The day's minutes first (a short index range); the month before is read only when they reach the minimum.
      when case when (select coalesce(sum(c.billed_s), 0) from cdrs c where (c.buyer_id = n.carrier_id or c.seller_id = n.carrier_id)
                        and c.billing_status = 'rated' and c.end_at > greatest(n.created_at, now() - interval '1 day')) >= $5::bigint * 60
             then (select coalesce(sum(c.billed_s) filter (where c.end_at > greatest(n.created_at, now() - interval '1 day')), 0) * 30
                            >= $4::bigint * coalesce(sum(c.billed_s) filter (where c.end_at <= now() - interval '1 day'), 0)
                   from cdrs c where (c.buyer_id = n.carrier_id or c.seller_id = n.carrier_id) and c.billing_status = 'rated'
                     and c.end_at > now() - interval '31 days')
             else false end
        then 'traffic'
      when $2::int > 0 and n.created_at < now() - make_interval(secs => $2::int) then 'schedule'
    end as trigger
  from now_exposure n`;

export class CreditWatch {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly db: Db, private readonly assessor: Assessor, private readonly options: CreditWatchOptions, private readonly log: Logger) {}

  start(): void {
    if (this.options.every_ms <= 0) return;
    this.timer = setInterval(() => void this.runNow(), this.options.every_ms);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass now (or the one under way); never rejects. */
  runNow(): Promise<void> {
    this.running ??= this.pass().catch((error: unknown) => this.log.warn({ err: error }, 'credit reassessment pass failed')).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    await this.db.task('credit-watch', async (t) => {
      const { locked } = await t.one<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [WATCH_LOCK_KEY.toString()]);
      if (!locked) return;
      try {
        const due = await t.any<{ carrier_id: string; trigger: AssessmentTrigger | null }>(DUE_SQL, [EXPOSURE_JUMP_POINTS, this.options.reassess_every_s, NET_POSITION_JUMP_UNITS, TRAFFIC_JUMP_FACTOR, TRAFFIC_JUMP_MIN_MINUTES]);
        for (const { carrier_id, trigger } of due.filter((row) => row.trigger !== null).slice(0, MAX_PER_PASS)) {
          const outcome = await this.assessor.assess({ carrier_id, trigger: trigger!, actor: 'system:credit-watch', refresh_bureau: trigger === 'schedule' });
          if (!outcome.ok) this.log.warn({ carrier_id, trigger, reason: outcome.reason }, 'reassessment could not run');
          else this.log.info({ carrier_id, trigger, assessment_id: outcome.assessment_id, bureau_changed: outcome.bureau_changed }, 'carrier reassessed');
        }
      } finally {
        await t.one('select pg_advisory_unlock($1)', [WATCH_LOCK_KEY.toString()]);
      }
    });
  }
}
