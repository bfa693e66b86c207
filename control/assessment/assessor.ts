/**
 * Runs a credit assessment: the carrier's bureau report (through the cache), its own history, the
 * scorecard in force, the grade (with hysteresis against the last one) and the terms; then, in one
 * transaction holding the carrier's credit account lock, the limit credit control applies and the
 * assessment row, both audited. The scoring is control/core/assessment/*.
 */
import type { Db } from '../../common/db/database.ts';
import type { Logger } from '../../common/logger.ts';
import { BillingTermsStore } from '../../billing/settlement/billing-terms-store.ts';
import { scoreInputsFrom } from '../core/assessment/inputs.ts';
import { scoreInputs, type Grade } from '../core/assessment/scorecard.ts';
import { applyOverrides, limitToApply, termsFor, type OverridableTerm } from '../core/assessment/terms.ts';
import { lockCreditAccountRow } from '../credit/credit-account-lock.ts';
import { audit } from '../store/audit.ts';
import { BureauError } from './bureau-client.ts';
import type { BureauReports, SourcedReport } from './bureau-reports.ts';
import { HistoryStore } from './history-store.ts';
import type { ScorecardStore } from './scorecard-store.ts';

export type AssessmentTrigger =
  | 'application' | 'operator' | 'payment' | 'missed_due_date' | 'exposure' | 'net_position' | 'traffic' | 'bureau_change' | 'schedule' | 'override' | 'override_expired';

interface OverrideRow {
  id: string;
  term: OverridableTerm;
  value: string;
  reason: string;
  expires_at: Date;
  actor: string;
}

export interface AssessRequest {
  readonly carrier_id: string;
  readonly trigger: AssessmentTrigger;
  readonly actor: string;
  /** The carrier's id at the bureau: required the first time, remembered after. */
  readonly bureau_id?: string;
  /** Ask the bureau even when the cached report is still valid. */
  readonly refresh_bureau?: boolean;
  /** Hand a limit an operator set by hand back to assessments. */
  readonly apply_limit?: boolean;
  /**
   * False for a carrier applying itself: the bureau id it gives first is kept, and only an operator
   * may change it afterwards (a carrier must not borrow a better-rated company's file).
   */
  readonly may_change_bureau_id?: boolean;
}

export type AssessRefusal = 'unknown_carrier' | 'no_bureau_id' | 'bureau_id_locked' | 'unknown_company' | 'bureau_unavailable' | 'invalid_report';

export type AssessOutcome =
  | { readonly ok: true; readonly assessment_id: string; readonly bureau_changed: boolean }
  | { readonly ok: false; readonly reason: AssessRefusal; readonly message: string };

const BUREAU_ID = /^[A-Za-z0-9-]{1,64}$/;

export class Assessor {
  private readonly history: HistoryStore;

  constructor(
    private readonly db: Db,
    private readonly scorecards: ScorecardStore,
    private readonly reports: BureauReports,
    private readonly log: Logger,
    /** Called after each assessment commits (the premiums this node prices calls with). */
    private readonly onAssessed: (carrier_id: string) => Promise<void> = () => Promise.resolve(),
  ) {
    this.history = new HistoryStore(db);
  }

  async assess(request: AssessRequest): Promise<AssessOutcome> {
    const { carrier_id } = request;
    const carrier = await this.db.oneOrNone<{ id: string }>('select id from carriers where id = $1', [carrier_id]);
    if (carrier === null) return { ok: false, reason: 'unknown_carrier', message: 'unknown carrier' };
    if (request.bureau_id !== undefined && !BUREAU_ID.test(request.bureau_id)) return { ok: false, reason: 'no_bureau_id', message: 'bureau_id must be 1 to 64 letters, digits or dashes' };
    const profile = await this.db.oneOrNone<{ bureau_id: string }>('select bureau_id from credit_profiles where carrier_id = $1', [carrier_id]);
    if (request.may_change_bureau_id === false && profile !== null && request.bureau_id !== undefined && request.bureau_id !== profile.bureau_id) {
      return { ok: false, reason: 'bureau_id_locked', message: 'the bureau id on file can only be changed by an operator' };
    }
    const bureau_id = request.bureau_id ?? profile?.bureau_id;
    if (bureau_id === undefined) return { ok: false, reason: 'no_bureau_id', message: 'the carrier has no bureau id on file: give bureau_id' };

    let sourced: SourcedReport;
    try {
      sourced = await this.reports.report(bureau_id, { refresh: request.refresh_bureau === true });
    } catch (error) {
      if (error instanceof BureauError) {
        this.log.warn({ carrier_id, bureau_id, reason: error.reason }, 'credit assessment without a bureau report');
        return { ok: false, reason: error.reason, message: error.message };
      }
      throw error;
    }
    const currency = (await new BillingTermsStore(this.db).terms(carrier_id)).currency;
    const history = await this.history.history(carrier_id, currency);
    const card = await this.scorecards.inForce();
    const inputs = scoreInputsFrom(sourced.report, history);
    const scored = scoreInputs(card, inputs);

    const assessment_id = await this.db.tx('credit-assess', async (t) => {
      const account = await lockCreditAccountRow(t, carrier_id, currency);
      const source = await t.one<{ limit_source: string; collateral_micros: bigint }>(
        'select limit_source, credit_valid_collateral_micros($1, $2) as collateral_micros from credit_accounts where carrier_id = $1 and currency = $2',
        [carrier_id, currency]);
      const previous = await t.oneOrNone<{ grade: Grade }>('select grade from credit_assessments where carrier_id = $1 order by created_at desc limit 1', [carrier_id]);
      const computed = termsFor(card, { score: scored.score, previous_grade: previous?.grade ?? null, collateral_micros: source.collateral_micros });
      // Operators' overrides in force, oldest first: the latest of a term wins.
      const overrides = await t.any<OverrideRow>(
        `select id, term, value, reason, expires_at, actor from credit_overrides
         where carrier_id = $1 and revoked_at is null and expires_at > now() order by created_at, id`, [carrier_id]);
      const terms = applyOverrides(computed, overrides, source.collateral_micros);
      const limit_overridden = overrides.some((override) => override.term === 'unsecured_limit') || terms.decision !== computed.decision;
      // A limit an operator typed stands (an override) unless this request hands it back.
      const operator_override = source.limit_source === 'operator' && account.limit_micros > 0n && request.apply_limit !== true;
      const applied_limit_micros = operator_override ? account.limit_micros
        : limit_overridden ? terms.unsecured_limit_micros : limitToApply(card, account.limit_micros, terms);
      if (request.bureau_id !== undefined && request.bureau_id !== profile?.bureau_id) {
        await t.none(
          `insert into credit_profiles (carrier_id, bureau_id) values ($1, $2)
           on conflict (carrier_id) do update set bureau_id = excluded.bureau_id, updated_at = now()`, [carrier_id, bureau_id]);
        await audit(t, request.actor, 'credit.bureau_id_set', `carrier:${carrier_id}`, { bureau_id, previous_bureau_id: profile?.bureau_id ?? null });
      }
      if (!operator_override && (applied_limit_micros !== account.limit_micros || source.limit_source !== 'assessment')) {
        await t.none(`update credit_accounts set limit_micros = $3, limit_source = 'assessment', updated_at = now() where carrier_id = $1 and currency = $2`,
          [carrier_id, currency, applied_limit_micros]);
      }
      const { id } = await t.one<{ id: string }>(
        `insert into credit_assessments (carrier_id, currency, scorecard_version, trigger, actor, bureau_source, bureau_report_id, score, grade, decision,
           inputs, points, reasons, unsecured_limit_micros, secured_limit_micros, collateral_required_micros, premium_bps, terms,
           applied_limit_micros, previous_limit_micros)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13::jsonb, $14, $15, $16, $17, $18::jsonb, $19, $20) returning id`,
        [carrier_id, currency, card.version, request.trigger, request.actor, sourced.source, sourced.report_id, scored.score, terms.grade, terms.decision,
          JSON.stringify(inputs), JSON.stringify(scored.attributes), JSON.stringify(scored.reasons), terms.unsecured_limit_micros, terms.secured_limit_micros,
          terms.collateral_required_micros, terms.premium_bps,
          JSON.stringify({
            collateral_kinds: terms.collateral_kinds, financing: terms.financing, operator_override,
            computed: {
              decision: computed.decision, unsecured_limit_micros: computed.unsecured_limit_micros.toString(), premium_bps: computed.premium_bps,
              secured_limit_micros: computed.secured_limit_micros.toString(), collateral_required_micros: computed.collateral_required_micros.toString(),
              financing: computed.financing,
            },
            overrides: overrides.map((override) => ({ ...override, expires_at: override.expires_at.toISOString() })),
          }),
          applied_limit_micros, account.limit_micros]);
      await audit(t, request.actor, 'credit.assessed', `carrier:${carrier_id}`, {
        assessment_id: id, trigger: request.trigger, score: scored.score, grade: terms.grade, decision: terms.decision, currency,
        limit_micros: applied_limit_micros.toString(), previous_limit_micros: account.limit_micros.toString(), operator_override,
      });
      if (applied_limit_micros !== account.limit_micros) {
        await audit(t, request.actor, 'credit.set_limit', `carrier:${carrier_id}`, {
          currency, limit_micros: applied_limit_micros.toString(), previous_limit_micros: account.limit_micros.toString(), assessment_id: id,
        });
      }
      return id;
    });
    await this.onAssessed(carrier_id).catch((error: unknown) => this.log.warn({ err: error }, 'after an assessment'));
    return { ok: true, assessment_id, bureau_changed: sourced.changed };
  }
}
