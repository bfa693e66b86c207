/**
 * Each carrier's billing terms (table carrier_billing_terms): a carrier without a row settles on
 * DEFAULT_BILLING_TERMS. Changes are audited in the same transaction.
 */
import type { IBaseProtocol } from 'pg-promise';
import type { Db } from '../../common/db/database.ts';
import { audit } from '../../control/store/audit.ts';
import { DEFAULT_BILLING_TERMS, type BillingPeriodKind, type BillingTerms } from '../core/billing-period.ts';

export interface TermsRow {
  period: BillingPeriodKind;
  time_zone: string;
  payment_terms_days: number;
  currency: string;
  netting_minimum_micros: bigint;
}

export const TERMS_COLUMNS = 'period, time_zone, payment_terms_days, currency, netting_minimum_micros';

export function termsOf(row: TermsRow | null): BillingTerms {
  if (row === null) return DEFAULT_BILLING_TERMS;
  return { period: row.period, time_zone: row.time_zone, payment_terms_days: row.payment_terms_days, currency: row.currency.trim(), netting_minimum_micros: row.netting_minimum_micros };
}

export class BillingTermsStore {
  constructor(private readonly db: Db) {}

  async terms(carrier_id: string, t: IBaseProtocol<object> = this.db): Promise<BillingTerms> {
    return termsOf(await t.oneOrNone<TermsRow>(`select ${TERMS_COLUMNS} from carrier_billing_terms where carrier_id = $1`, [carrier_id]));
  }

  /** Whether PostgreSQL, which turns local days into instants, knows this time zone by name. */
  async isKnownTimeZone(name: string): Promise<boolean> {
    const row = await this.db.one<{ known: boolean }>('select exists (select 1 from pg_timezone_names where name = $1) as known', [name]);
    return row.known;
  }

  /** Sets a carrier's terms (replacing any), audited with what they were before. */
  async setTerms(carrier_id: string, terms: BillingTerms, actor: string): Promise<void> {
    await this.db.tx('set-billing-terms', async (t) => {
      const before = await this.terms(carrier_id, t);
      await t.none(
        `insert into carrier_billing_terms (carrier_id, ${TERMS_COLUMNS})
         values ($<carrier_id>, $<period>, $<time_zone>, $<payment_terms_days>, $<currency>, $<netting_minimum_micros>)
         on conflict (carrier_id) do update set period = excluded.period, time_zone = excluded.time_zone,
           payment_terms_days = excluded.payment_terms_days, currency = excluded.currency,
           netting_minimum_micros = excluded.netting_minimum_micros, updated_at = now()`,
        { carrier_id, ...terms, netting_minimum_micros: terms.netting_minimum_micros.toString() },
      );
      const json = (value: BillingTerms) => ({ ...value, netting_minimum_micros: value.netting_minimum_micros.toString() });
      await audit(t, actor, 'billing_terms.set', carrier_id, { before: json(before), after: json(terms) });
    });
  }
}
