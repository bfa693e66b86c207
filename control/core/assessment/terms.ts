/**
 * The terms that follow from a grade, and the decision of a credit application. Pure.
 *
 * - `refused`: the score is below the scorecard's `refuse_below_score`; the carrier may not buy.
 * - `unsecured`: it may buy on credit up to the grade's unsecured limit, and up to the secured
 *   limit once it posts collateral (deposit or letter of credit, as the grade allows) for the
 *   difference: credit control counts collateral one for one (control/core/credit/credit-math.ts).
 * - `secured`: the grade grants no unsecured line: it buys only against collateral, up to the
 *   secured limit.
 */
import { parseDecimalToMicros } from '../../../common/money.ts';
import { gradeWithHysteresis, type FinancingTerms, type Grade, type Scorecard } from './scorecard.ts';

export type Decision = 'unsecured' | 'secured' | 'refused';

export interface Terms {
  readonly grade: Grade;
  readonly decision: Decision;
  readonly unsecured_limit_micros: bigint;
  readonly secured_limit_micros: bigint;
  /** Collateral to post, beyond what is on file now, to trade up to the secured limit; 0 when refused. */
  readonly collateral_required_micros: bigint;
  readonly collateral_kinds: ReadonlyArray<'deposit' | 'letter_of_credit'>;
  readonly premium_bps: number;
  readonly financing: FinancingTerms;
}

export interface TermsInput {
  readonly score: number;
  readonly previous_grade: Grade | null;
  /** Valid collateral on file in the assessment's currency. */
  readonly collateral_micros: bigint;
}

export function termsFor(card: Scorecard, input: TermsInput): Terms {
  const terms = gradeWithHysteresis(card, input.score, input.previous_grade);
  const unsecured_limit_micros = parseDecimalToMicros(terms.unsecured_limit);
  const secured_limit_micros = parseDecimalToMicros(terms.secured_limit);
  const refused = input.score < card.refuse_below_score;
  const decision: Decision = refused ? 'refused' : unsecured_limit_micros > 0n ? 'unsecured' : 'secured';
  const wanted_collateral_micros = secured_limit_micros - unsecured_limit_micros - input.collateral_micros;
  return {
    grade: terms.grade,
    decision,
    unsecured_limit_micros: refused ? 0n : unsecured_limit_micros,
    secured_limit_micros: refused ? 0n : secured_limit_micros,
    collateral_required_micros: refused || wanted_collateral_micros < 0n ? 0n : wanted_collateral_micros,
    collateral_kinds: terms.collateral_kinds,
    premium_bps: terms.premium_bps,
    financing: terms.financing,
  };
}

/**
 * The limit credit control should hold after an assessment, with hysteresis: the computed
 * unsecured limit replaces the current one when it differs by at least `limit_change_percent` of
 * the current one (or the current one is 0, or the carrier is refused); otherwise the current
 * one stays, so small moves of the score do not move the limit back and forth.
 */
export function limitToApply(card: Scorecard, current_micros: bigint, terms: Terms): bigint {
  const computed_micros = terms.unsecured_limit_micros;
  if (terms.decision === 'refused' || current_micros === 0n) return computed_micros;
  const difference = computed_micros > current_micros ? computed_micros - current_micros : current_micros - computed_micros;
  return difference * 100n >= current_micros * BigInt(card.limit_change_percent) ? computed_micros : current_micros;
}

export type OverridableTerm =
  | 'unsecured_limit' | 'secured_limit' | 'premium_bps' | 'decision' | 'collateral_kinds'
  | 'deferral_days' | 'deferral_rate_bps_per_year' | 'advance_rate_percent' | 'advance_fee_bps';

type CollateralKind = Terms['collateral_kinds'][number];
const COLLATERAL_KINDS: readonly CollateralKind[] = ['deposit', 'letter_of_credit'];

/** A collateral_kinds override's value: kinds separated by commas, each once ("deposit,letter_of_credit"). */
export function parseCollateralKinds(value: string): CollateralKind[] | null {
  const kinds = value.split(',');
  if (kinds.length === 0 || new Set(kinds).size !== kinds.length) return null;
  return kinds.every((kind) => (COLLATERAL_KINDS as readonly string[]).includes(kind)) ? kinds as CollateralKind[] : null;
}

/** Terms whose value is an amount (stored as whole micro-units, shown as a decimal). */
export const AMOUNT_TERMS: ReadonlySet<OverridableTerm> = new Set(['unsecured_limit', 'secured_limit']);

/** The whole-number terms and their ranges. */
const WHOLE_TERMS: Readonly<Partial<Record<OverridableTerm, readonly [number, number]>>> = {
  premium_bps: [0, 10_000],
  deferral_days: [0, 365],
  deferral_rate_bps_per_year: [0, 10_000],
  advance_rate_percent: [0, 100],
  advance_fee_bps: [0, 10_000],
};

export interface TermOverride {
  readonly term: OverridableTerm;
  /** Amounts: micro-units as a whole number; whole-number terms: the number; decision: its name. */
  readonly value: string;
}

/** Checks an override's value for its term; the reason it is refused, or null when it is good. */
export function overrideProblem(override: TermOverride): string | null {
  if (AMOUNT_TERMS.has(override.term)) return /^(0|[1-9]\d{0,17})$/.test(override.value) ? null : `a ${override.term} override is a whole number of micro-units`;
  const range = WHOLE_TERMS[override.term];
  if (range !== undefined) {
    const [min, max] = range;
    return /^(0|[1-9]\d{0,5})$/.test(override.value) && Number(override.value) >= min && Number(override.value) <= max ? null : `a ${override.term} override is ${min} to ${max}`;
  }
  if (override.term === 'decision') return ['unsecured', 'secured', 'refused'].includes(override.value) ? null : 'a decision override is unsecured, secured or refused';
  if (override.term === 'collateral_kinds') return parseCollateralKinds(override.value) === null ? 'a collateral_kinds override is deposit, letter_of_credit or both, separated by a comma' : null;
  return `${String(override.term)} cannot be overridden`;
}

/**
 * The terms with operators' overrides put over the computed ones (the latest of a term wins). The
 * collateral required follows the limits as overridden (secured − unsecured − collateral on file);
 * a refusal takes every limit to 0.
 */
export function applyOverrides(computed: Terms, overrides: readonly TermOverride[], collateral_micros = 0n): Terms {
  let terms: Terms = computed;
  for (const override of overrides) {
    if (overrideProblem(override) !== null) throw new RangeError(`override of ${override.term}: ${overrideProblem(override)}`);
    const value = override.value;
    switch (override.term) {
      case 'unsecured_limit': terms = { ...terms, unsecured_limit_micros: BigInt(value) }; break;
      case 'secured_limit': terms = { ...terms, secured_limit_micros: BigInt(value) }; break;
      case 'premium_bps': terms = { ...terms, premium_bps: Number(value) }; break;
      case 'decision': terms = { ...terms, decision: value as Decision }; break;
      case 'collateral_kinds': terms = { ...terms, collateral_kinds: parseCollateralKinds(value)! }; break;
      default: terms = { ...terms, financing: { ...terms.financing, [override.term]: Number(value) } };
    }
  }
  if (terms.decision === 'refused') return { ...terms, unsecured_limit_micros: 0n, secured_limit_micros: 0n, collateral_required_micros: 0n };
  if (terms === computed) return terms;
  const wanted_micros = terms.secured_limit_micros - terms.unsecured_limit_micros - collateral_micros;
  return { ...terms, collateral_required_micros: wanted_micros > 0n ? wanted_micros : 0n };
}
