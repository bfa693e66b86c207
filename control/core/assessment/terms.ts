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

export type OverridableTerm = 'unsecured_limit' | 'premium_bps' | 'decision';

export interface TermOverride {
  readonly term: OverridableTerm;
  /** unsecured_limit: micro-units as a whole number; premium_bps: basis points; decision: its name. */
  readonly value: string;
}

/** Checks an override's value for its term; the reason it is refused, or null when it is good. */
export function overrideProblem(override: TermOverride): string | null {
  if (override.term === 'unsecured_limit') return /^(0|[1-9]\d{0,17})$/.test(override.value) ? null : 'an unsecured_limit override is a whole number of micro-units';
  if (override.term === 'premium_bps') return /^(0|[1-9]\d{0,4})$/.test(override.value) && Number(override.value) <= 10_000 ? null : 'a premium_bps override is 0 to 10000';
  return ['unsecured', 'secured', 'refused'].includes(override.value) ? null : 'a decision override is unsecured, secured or refused';
}

/**
 * The terms in force: the computed terms with the operators' overrides in force put over them
 * (the latest override of a term wins). A refusal by hand also takes the limits to 0; a decision
 * that lets the carrier buy never raises a limit by itself.
 */
export function applyOverrides(computed: Terms, overrides: readonly TermOverride[]): Terms {
  let terms: Terms = computed;
  for (const override of overrides) {
    if (overrideProblem(override) !== null) throw new RangeError(`override of ${override.term}: ${overrideProblem(override)}`);
    if (override.term === 'unsecured_limit') terms = { ...terms, unsecured_limit_micros: BigInt(override.value) };
    else if (override.term === 'premium_bps') terms = { ...terms, premium_bps: Number(override.value) };
    else terms = { ...terms, decision: override.value as Decision };
  }
  if (terms.decision === 'refused') return { ...terms, unsecured_limit_micros: 0n, secured_limit_micros: 0n, collateral_required_micros: 0n };
  return terms;
}
