/**
 * Past-due handling in PostgreSQL (db/migrations/023_overdue.sql): the exchange's overdue policy,
 * each carrier's state, its transitions (audited) and the notices they produce (an outbox the
 * operator and the carrier list, delivered to the carrier's webhook when it registered one).
 */
import { randomUUID } from 'node:crypto';
import type { IBaseProtocol, ITask } from 'pg-promise';
import type { Db } from '../../common/db/database.ts';
import { formatMicros } from '../../common/money.ts';
import { audit } from '../../control/store/audit.ts';
import { validatePolicy, type OverduePolicy, type OverdueStanding, type OverdueState, type OwedStatement } from '../core/overdue-policy.ts';
import { OPEN_STATEMENT_STATES } from '../core/statement-lifecycle.ts';

type Tx = ITask<object>;

export interface CarrierOverdue {
  readonly carrier_id: string;
  readonly state: string | null;
  readonly blocked: boolean;
  readonly days_past_due: number;
  readonly past_due: Record<string, string>;
  readonly since: Date | null;
  readonly evaluated_at: Date | null;
}

export interface NoticeRow {
  readonly id: string;
  readonly event_id: string;
  readonly carrier_id: string;
  readonly state: string | null;
  readonly message: string;
  readonly payload: unknown;
  readonly delivery: 'none' | 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly delivered_at: Date | null;
  readonly created_at: Date;
}

/** What good standing tells the carrier. */
export const REINSTATED_MESSAGE = 'Your account is in good standing again: nothing is past due.';

export function pastDueView(past_due_micros: ReadonlyMap<string, bigint>): Record<string, string> {
  return Object.fromEntries([...past_due_micros].sort(([a], [b]) => a.localeCompare(b)).map(([currency, micros]) => [currency, formatMicros(micros, currency)]));
}

export class OverdueStore {
  constructor(private readonly db: Db) {}

  async policy(t: IBaseProtocol<object> = this.db): Promise<OverduePolicy> {
    const row = await t.one<{ states: unknown }>('select states from overdue_policy');
    const checked = validatePolicy(row.states);
    if (!checked.ok) throw new Error(`the stored overdue policy is invalid: ${checked.reason}`);
    return checked.policy;
  }

  async setPolicy(policy: OverduePolicy, actor: string): Promise<void> {
    await this.db.tx('overdue-policy', async (t) => {
      const before = await t.one<{ states: unknown }>('select states from overdue_policy for update');
      await t.none('update overdue_policy set states = $1::jsonb, updated_by = $2, updated_at = now()', [JSON.stringify(policy), actor]);
      await audit(t, actor, 'overdue.set_policy', 'exchange', { states: policy, previous: before.states });
    });
  }

  /** Locks a carrier's overdue row (created in good standing on first use). */
  async lockCarrier(t: Tx, carrier_id: string): Promise<CarrierOverdue> {
    await t.none('insert into carrier_overdue (carrier_id) values ($1) on conflict do nothing', [carrier_id]);
    return t.one<CarrierOverdue>('select * from carrier_overdue where carrier_id = $1 for update', [carrier_id]);
  }

  /** The statements a carrier still owes something on (outstanding = balance − paid). */
  async owedStatements(t: IBaseProtocol<object>, carrier_id: string): Promise<OwedStatement[]> {
    return t.map(
      `select id as statement_id, trim(currency) as currency, balance_micros - credited_micros + debited_micros - paid_micros as outstanding_micros, due_date::text as due_date
       from statements where carrier_id = $1 and status in ($2:csv) and balance_micros - credited_micros + debited_micros > paid_micros order by due_date, number`,
      [carrier_id, OPEN_STATEMENT_STATES], (row: OwedStatement) => row);
  }

  /** Marks the carrier's statements past due on `today` as overdue (statement-lifecycle's fall_overdue). */
  async markStatementsOverdue(t: Tx, carrier_id: string, today: string): Promise<void> {
    await t.none(
      `update statements set status = 'overdue' where carrier_id = $1 and status in ('issued', 'partially_paid')
         and balance_micros - credited_micros + debited_micros > paid_micros and due_date < $2::date`, [carrier_id, today]);
  }

  /** Records where the carrier stands; a change of state is a transition: audited, with a notice. */
  async saveStanding(t: Tx, before: CarrierOverdue, standing: OverdueStanding, at: Date, actor: string): Promise<{ changed: boolean; blocked: boolean }> {
    const state: OverdueState | null = standing.state;
    const blocked = state?.block_buying ?? false;
    const past_due = pastDueView(standing.past_due_micros);
    const changed = (state?.name ?? null) !== before.state;
    await t.none(
      `update carrier_overdue set state = $2, blocked = $3, days_past_due = $4, past_due = $5::jsonb, evaluated_at = $6,
         since = case when $7 then $6 else since end where carrier_id = $1`,
      [before.carrier_id, state?.name ?? null, blocked, standing.days_past_due, JSON.stringify(past_due), at, changed]);
    if (!changed) return { changed, blocked };
    const transition = await t.one<{ id: string }>(
      `insert into overdue_transitions (carrier_id, from_state, to_state, blocked, days_past_due, past_due, at, actor)
       values ($1, $2, $3, $4, $5, $6::jsonb, $7, $8) returning id`,
      [before.carrier_id, before.state, state?.name ?? null, blocked, standing.days_past_due, JSON.stringify(past_due), at, actor]);
    const details = { from_state: before.state, to_state: state?.name ?? null, blocked, days_past_due: standing.days_past_due, past_due, at: at.toISOString() };
    await audit(t, actor, 'overdue.transition', `carrier:${before.carrier_id}`, details);
    const message = state?.message ?? REINSTATED_MESSAGE;
    const event_id = randomUUID();
    const payload = { id: event_id, type: 'overdue.state_changed', created: Math.floor(at.getTime() / 1000), data: { carrier_id: before.carrier_id, ...details, message } };
    await t.none(
      `insert into overdue_notices (event_id, carrier_id, transition_id, state, message, payload, delivery, next_attempt_at)
       select $1, $2, $3, $4, $5, $6::jsonb, case when w.carrier_id is null then 'none' else 'pending' end, case when w.carrier_id is null then null else now() end
       from (select 1) one left join carrier_webhooks w on w.carrier_id = $2`,
      [event_id, before.carrier_id, transition.id, state?.name ?? null, message, JSON.stringify(payload)]);
    return { changed, blocked };
  }

  /** Carriers the schedule looks at: those that owe on an open statement, or are not in good standing. */
  async carriersToEvaluate(): Promise<string[]> {
    return this.db.map(
      `select carrier_id from statements where status in ($1:csv) and balance_micros - credited_micros + debited_micros > paid_micros
       union select carrier_id from carrier_overdue where state is not null or blocked order by 1`,
      [OPEN_STATEMENT_STATES], (row: { carrier_id: string }) => row.carrier_id);
  }

  async blockedCarriers(): Promise<string[]> {
    return this.db.map('select carrier_id from carrier_overdue where blocked', [], (row: { carrier_id: string }) => row.carrier_id);
  }

  /** Carriers not in good standing (all, or one). */
  async standings(carrier_id: string | null): Promise<CarrierOverdue[]> {
    return this.db.any<CarrierOverdue>(
      `select * from carrier_overdue where (state is not null or blocked) and ($1::uuid is null or carrier_id = $1) order by days_past_due desc, carrier_id`, [carrier_id]);
  }

  /** The notices, newest first (all, or one carrier's). */
  async notices(carrier_id: string | null, limit: number): Promise<NoticeRow[]> {
    return this.db.any<NoticeRow>(
      `select id, event_id, carrier_id, state, message, payload, delivery, attempts, delivered_at, created_at from overdue_notices
       where $1::uuid is null or carrier_id = $1 order by id desc limit $2`, [carrier_id, limit]);
  }

  async setWebhook(carrier_id: string, url: string, secret: string, actor: string): Promise<void> {
    await this.db.tx('carrier-webhook', async (t) => {
      await t.none(
        `insert into carrier_webhooks (carrier_id, url, secret) values ($1, $2, $3)
         on conflict (carrier_id) do update set url = excluded.url, secret = excluded.secret, updated_at = now()`, [carrier_id, url, secret]);
      await audit(t, actor, 'webhook.register', `carrier:${carrier_id}`, { url });
    });
  }

  async webhook(carrier_id: string): Promise<{ url: string; updated_at: Date } | null> {
    return this.db.oneOrNone('select url, updated_at from carrier_webhooks where carrier_id = $1', [carrier_id]);
  }

  async deleteWebhook(carrier_id: string, actor: string): Promise<boolean> {
    return this.db.tx('carrier-webhook-delete', async (t) => {
      const gone = await t.result('delete from carrier_webhooks where carrier_id = $1', [carrier_id]);
      if (gone.rowCount > 0) await audit(t, actor, 'webhook.delete', `carrier:${carrier_id}`);
      return gone.rowCount > 0;
    });
  }
}
