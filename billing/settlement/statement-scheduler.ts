/**
 * Statement runs on a schedule: every interval, each period end that is over in every carrier's time
 * zone and not run yet is run, oldest first, as an operator's `POST /v1/statements/run` would (actor
 * "schedule"). Several nodes may run the schedule on one database: the run is keyed by its period
 * end, so a day another node (or an operator) ran first is skipped.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { scheduledRunDays, type ScheduleState } from '../core/statement-schedule.ts';
import type { LedgerStore } from '../ledger-store.ts';
import { runStatements } from './statement-run.ts';

/** A first pass over a long history catches up a month at a time. */
const MAX_DAYS_PER_PASS = 31;

/** The time zones periods are counted in: every carrier's terms, and UTC for carriers without terms. */
const ZONES = `
  select distinct time_zone from carrier_billing_terms
  union
  select 'UTC' where exists (select 1 from carriers c where not exists (select 1 from carrier_billing_terms b where b.carrier_id = c.id))`;

export async function readScheduleState(db: Db): Promise<ScheduleState | null> {
  const row = await db.one<{ last_run: string | null; latest_over: string | null }>(
    `with zones as (${ZONES})
     select (select max(period_end)::text from statement_runs) as last_run,
            (select min((now() at time zone time_zone)::date - 1)::text from zones) as latest_over`);
  if (row.latest_over === null) return null;
  let first_unbilled: string | null = null;
  if (row.last_run === null) {
    // Only before the first run: the earliest local day (in any zone) of a call waiting to be billed.
    first_unbilled = (await db.one<{ day: string | null }>(
      `with zones as (${ZONES}), first as (
         select min(answer_at) as answer_at from cdrs
         where billing_status = 'rated' and billed_s > 0 and (buyer_statement_id is null or seller_statement_id is null))
       select min((first.answer_at at time zone zones.time_zone)::date)::text as day from first, zones`)).day;
  }
  return { last_run: row.last_run, first_unbilled, latest_over: row.latest_over };
}

export class StatementScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Db,
    private readonly ledger: LedgerStore,
    private readonly interval_ms: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.interval_ms <= 0) return;
    this.timer = setInterval(() => void this.runDue(), this.interval_ms);
    this.timer.unref();
    void this.runDue();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One pass; a pass still going when the next is due is not doubled. */
  runDue(): Promise<void> {
    this.running ??= this.pass().catch((error: unknown) => this.log.error({ err: error }, 'scheduled statement run failed')).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<void> {
    const state = await readScheduleState(this.db);
    if (state === null) return;
    for (const period_end of scheduledRunDays(state, MAX_DAYS_PER_PASS)) {
      if (this.timer === undefined && this.interval_ms > 0) return;
      const outcome = await runStatements(this.db, this.ledger, period_end, 'schedule');
      if (outcome.ok) {
        if (outcome.statements.length > 0) this.log.info({ period_end, statements: outcome.statements.length }, 'scheduled statement run issued statements');
      } else if (outcome.reason === 'period_not_over') {
        // A carrier's terms moved it to a later time zone since the state was read: next pass.
        return;
      }
    }
  }
}
