/**
 * Reads a carrier's own history with the exchange for its assessment: statements and when they
 * were paid (settlement), tenure, traffic, net position, exposure against its line, and open
 * disputes. The arithmetic is control/core/assessment/inputs.ts.
 */
import type { Db } from '../../common/db/database.ts';
import { BillingTermsStore } from '../../billing/settlement/billing-terms-store.ts';
import type { CarrierHistory, OwedStatement } from '../core/assessment/inputs.ts';

/** Statements that fell due within this many days count toward days beyond terms. */
const PAYMENT_HISTORY_DAYS = 365;

export class HistoryStore {
  constructor(private readonly db: Db) {}

  async history(carrier_id: string, currency: string): Promise<CarrierHistory> {
    const terms = await new BillingTermsStore(this.db).terms(carrier_id);
    const facts = await this.db.tx('credit-history', async (t) => {
      await t.none('set transaction isolation level repeatable read, read only');
      const today = (await t.one<{ today: string }>('select (now() at time zone $1)::date::text as today', [terms.time_zone])).today;
      const statements = await t.map(
        `select s.balance_micros, s.balance_micros - s.paid_micros as outstanding_micros, s.due_date::text as due_date,
                case when s.status = 'paid' then (select (max(e.received_at) at time zone $3)::date::text from fsn_events e where e.statement_id = s.id) end as paid_on
         from statements s
         where s.carrier_id = $1 and s.currency = $2 and s.status in ('issued', 'partially_paid', 'overdue', 'paid') and s.balance_micros > 0
           and s.due_date > (now() at time zone $3)::date - $4::int`,
        [carrier_id, currency, terms.time_zone, PAYMENT_HISTORY_DAYS],
        (row: OwedStatement) => row);
      const counts = await t.one<{ tenure_days: number; billed_s_30d: string; billed_s_previous_30d: string }>(
        `select coalesce((select extract(day from now() - created_at)::int from carriers where id = $1), 0) as tenure_days,
                coalesce(sum(billed_s) filter (where end_at > now() - interval '30 days'), 0)::text as billed_s_30d,
                coalesce(sum(billed_s) filter (where end_at <= now() - interval '30 days'), 0)::text as billed_s_previous_30d
         from cdrs where (buyer_id = $1 or seller_id = $1) and billing_status = 'rated' and billed_s > 0 and end_at > now() - interval '60 days'`,
        [carrier_id]);
      const money = await t.one<{ net_micros: bigint; used_micros: bigint; line_micros: bigint }>(
        `select -coalesce((select sum(balance_micros) from ledger_accounts where carrier_id = $1 and currency = $2 and kind in ('receivable', 'payable')), 0)::bigint as net_micros,
                (greatest(-credit_ledger_balance_micros($1, $2), 0) + coalesce(a.reserved_micros, 0) + coalesce(a.leased_micros, 0))::bigint as used_micros,
                (coalesce(a.limit_micros, 0) + credit_valid_collateral_micros($1, $2))::bigint as line_micros
         from (select 1) as one left join credit_accounts a on a.carrier_id = $1 and a.currency = $2`,
        [carrier_id, currency]);
      return { today, statements, counts, money };
    });
    return {
      today: facts.today,
      statements: facts.statements,
      tenure_days: facts.counts.tenure_days,
      billed_s_30d: Number(facts.counts.billed_s_30d),
      billed_s_previous_30d: Number(facts.counts.billed_s_previous_30d),
      ...facts.money,
      open_disputes: await this.openDisputes(carrier_id),
    };
  }

  /**
   * Open disputes, read defensively: the disputes table belongs to the disputes work and may not
   * exist (0 then), nor have the columns expected (0 too, rather than no assessment at all).
   */
  private async openDisputes(carrier_id: string): Promise<number> {
    const { present } = await this.db.one<{ present: boolean }>(`select to_regclass('public.disputes') is not null as present`);
    if (!present) return 0;
    try {
      const row = await this.db.one<{ count: number }>(`select count(*)::int as count from disputes where carrier_id = $1 and status = 'open'`, [carrier_id]);
      return row.count;
    } catch {
      return 0;
    }
  }
}
