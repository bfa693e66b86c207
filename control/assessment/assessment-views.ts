/** Assessments as the API shows them: inputs, points per attribute, reasons and terms, money as decimal strings. */
import type { Db } from '../../common/db/database.ts';
import { formatMicros } from '../../common/money.ts';
import { AMOUNT_TERMS, type OverridableTerm } from '../core/assessment/terms.ts';

interface AssessmentRow {
  id: string;
  carrier_id: string;
  currency: string;
  scorecard_version: number;
  trigger: string;
  actor: string;
  bureau_source: string;
  bureau_report_id: string | null;
  score: number;
  grade: string;
  decision: string;
  inputs: Record<string, number | null>;
  points: Array<Record<string, unknown>>;
  reasons: Array<Record<string, unknown>>;
  unsecured_limit_micros: bigint;
  secured_limit_micros: bigint;
  collateral_required_micros: bigint;
  premium_bps: number;
  terms: {
    collateral_kinds: string[]; financing: Record<string, number>; operator_override: boolean;
    computed?: {
      decision: string; unsecured_limit_micros: string; premium_bps: number;
      secured_limit_micros?: string; collateral_required_micros?: string; financing?: Record<string, number>;
    };
    overrides?: Array<{ id: string; term: string; value: string; reason: string; expires_at: string; actor: string }>;
  };
  applied_limit_micros: bigint;
  previous_limit_micros: bigint;
  created_at: Date;
}

const COLUMNS = `id, carrier_id, trim(currency) as currency, scorecard_version, trigger, actor, bureau_source, bureau_report_id::text, score, grade, decision,
  inputs, points, reasons, unsecured_limit_micros, secured_limit_micros, collateral_required_micros, premium_bps, terms,
  applied_limit_micros, previous_limit_micros, created_at`;

/** What the decision lets the carrier do, in a sentence a credit manager can forward. */
function decisionText(row: AssessmentRow): string {
  const money = (micros: bigint) => `${formatMicros(micros, row.currency)} ${row.currency}`;
  if (row.decision === 'refused') return 'refused: the carrier may not buy on credit';
  const secured = `up to ${money(row.secured_limit_micros)} once it posts ${money(row.collateral_required_micros)} more collateral (${row.terms.collateral_kinds.join(' or ').replaceAll('_', ' ')})`;
  if (row.decision === 'secured') return `may buy against collateral only: ${secured}`;
  return `may buy unsecured up to ${money(row.unsecured_limit_micros)}; ${secured}`;
}

function view(row: AssessmentRow) {
  const money = (micros: bigint) => formatMicros(micros, row.currency);
  return {
    id: row.id, carrier_id: row.carrier_id, assessed_at: row.created_at.toISOString(), trigger: row.trigger, actor: row.actor,
    scorecard_version: row.scorecard_version, score: row.score, grade: row.grade, decision: row.decision, decision_text: decisionText(row),
    bureau: { source: row.bureau_source, report_id: row.bureau_report_id },
    inputs: row.inputs,
    points: row.points,
    reasons: row.reasons,
    terms: {
      currency: row.currency,
      unsecured_limit: money(row.unsecured_limit_micros),
      secured_limit: money(row.secured_limit_micros),
      collateral_required: money(row.collateral_required_micros),
      collateral_kinds: row.terms.collateral_kinds,
      risk_premium_bps: row.premium_bps,
      financing: row.terms.financing,
    },
    credit_limit: { applied: money(row.applied_limit_micros), previous: money(row.previous_limit_micros), operator_override: row.terms.operator_override },
    // What the scorecard gave, beside the terms above when operators' overrides changed them.
    computed_terms: row.terms.computed === undefined ? null : {
      decision: row.terms.computed.decision, unsecured_limit: money(BigInt(row.terms.computed.unsecured_limit_micros)), risk_premium_bps: row.terms.computed.premium_bps,
      // Assessments from before every term could be overridden stored these three only.
      ...(row.terms.computed.secured_limit_micros === undefined ? {} : {
        secured_limit: money(BigInt(row.terms.computed.secured_limit_micros)),
        collateral_required: money(BigInt(row.terms.computed.collateral_required_micros ?? '0')),
        financing: row.terms.computed.financing,
      }),
    },
    overrides: (row.terms.overrides ?? []).map((override) => ({
      ...override, value: AMOUNT_TERMS.has(override.term as OverridableTerm) ? money(BigInt(override.value)) : override.value,
    })),
  };
}

export type AssessmentView = ReturnType<typeof view>;

/** The collateral kinds the carrier's latest assessment accepts; null when it was never assessed (any kind). */
export async function acceptedCollateralKinds(db: Pick<Db, 'oneOrNone'>, carrier_id: string): Promise<string[] | null> {
  const row = await db.oneOrNone<{ kinds: string[] | null }>(
    `select terms->'collateral_kinds' as kinds from credit_assessments where carrier_id = $1 order by created_at desc limit 1`, [carrier_id]);
  return row?.kinds ?? null;
}

export class AssessmentViews {
  constructor(private readonly db: Db) {}

  async byId(id: string): Promise<AssessmentView | null> {
    const row = await this.db.oneOrNone<AssessmentRow>(`select ${COLUMNS} from credit_assessments where id = $1`, [id]);
    return row === null ? null : view(row);
  }

  /** The carrier's assessments, newest first, at most `limit`. */
  async history(carrier_id: string, limit: number): Promise<AssessmentView[]> {
    const rows = await this.db.any<AssessmentRow>(`select ${COLUMNS} from credit_assessments where carrier_id = $1 order by created_at desc limit $2`, [carrier_id, limit]);
    return rows.map(view);
  }
}
