/**
 * The credit scorecard: points per attribute band, summed onto the card's intercept. Pure: the table is data (a versioned
 * JSON file, control/assessment/scorecards/, loaded into the `credit_scorecards` table), this file
 * only reads it.
 *
 * How a score is read (documented in the file as `base_score`, `base_odds` and
 * `points_to_double_odds`): a carrier scoring `base_score` has odds of `base_odds` good outcomes
 * to one bad (severe delinquency within a year); every `points_to_double_odds` points more double
 * those odds, every as many fewer halve them. So with base 600 at 50:1 and 20 points to double,
 * 620 means 100:1 and 580 means 25:1.
 *
 * Each attribute has bands given by their inclusive lower bounds, in ascending order: a value
 * falls in the last band whose `min` it reaches. A value the carrier does not have (a thin bureau
 * file, no statements yet) scores the attribute's `missing_points`. Every attribute also has a
 * reason code: the reasons of an assessment are the attributes that lost the most points against
 * that attribute's best band (ties in file order), at most four, as lenders must give them.
 *
 * A card scores the attributes it lists, each once; the inputs of an assessment hold every known
 * attribute, so a newer card may score attributes an older one did not (version 2 splits version
 * 1's days beyond terms into what is past due now and what was paid late).
 */

export const ATTRIBUTES = [
  'payment_index', 'delinquency_score', 'filings_severity', 'days_beyond_terms', 'days_past_due_now', 'days_paid_late', 'tenure_months',
  'traffic_minutes_30d', 'traffic_trend_percent', 'net_position_units', 'exposure_percent', 'open_disputes',
] as const;

export type Attribute = (typeof ATTRIBUTES)[number];

export const GRADES = ['A', 'B', 'C', 'D', 'E'] as const;
export type Grade = (typeof GRADES)[number];

/** The inputs of an assessment, each a whole number or null when the carrier has none. */
export type ScoreInputs = Readonly<Record<Attribute, number | null>>;

export interface Band {
  /** Inclusive lower bound; the first band's is the lowest value any input may take. */
  readonly min: number;
  readonly points: number;
}

export interface AttributeTable {
  readonly attribute: Attribute;
  readonly reason_code: string;
  /** What the reason says to the carrier, e.g. "payments to other suppliers are late". */
  readonly reason: string;
  readonly missing_points: number;
  readonly bands: readonly Band[];
}

export interface FinancingTerms {
  /** Days a buyer may defer paying a statement beyond its terms. */
  readonly deferral_days: number;
  /** Yearly rate charged on a deferred amount, in basis points. */
  readonly deferral_rate_bps_per_year: number;
  /** Share of a receivable a seller may draw early when this grade's buyers are behind it, in percent. */
  readonly advance_rate_percent: number;
  /** Fee on an advance, in basis points of the amount advanced. */
  readonly advance_fee_bps: number;
}

export interface GradeTerms {
  readonly grade: Grade;
  /** Lowest score of the grade. */
  readonly min_score: number;
  /** Unsecured credit line, a decimal amount in the carrier's currency. */
  readonly unsecured_limit: string;
  /** The most the carrier may buy on credit once it posts collateral; decimal amount (>= unsecured). */
  readonly secured_limit: string;
  /** Which collateral widens the line at this grade. */
  readonly collateral_kinds: ReadonlyArray<'deposit' | 'letter_of_credit'>;
  /** Risk premium on the trade price, in basis points. */
  readonly premium_bps: number;
  readonly financing: FinancingTerms;
}

export interface Scorecard {
  readonly version: number;
  readonly description: string;
  /** Points every carrier starts with, before its attributes' points are added. */
  readonly intercept_points: number;
  readonly base_score: number;
  readonly base_odds: number;
  readonly points_to_double_odds: number;
  /** Below this score the application is refused whatever the grade table says. */
  readonly refuse_below_score: number;
  /** A better grade is given only when the score clears its floor by this many points (hysteresis). */
  readonly upgrade_margin_points: number;
  /** A new limit replaces the current one only when it differs by at least this share, in percent. */
  readonly limit_change_percent: number;
  readonly attributes: readonly AttributeTable[];
  /** Best grade first. */
  readonly grades: readonly GradeTerms[];
}

export interface AttributeScore {
  readonly attribute: Attribute;
  readonly value: number | null;
  readonly points: number;
  /** The best band's points minus these: what the attribute cost the carrier. */
  readonly points_lost: number;
  readonly reason_code: string;
  readonly reason: string;
}

export interface Score {
  readonly score: number;
  readonly attributes: readonly AttributeScore[];
  /** At most four reasons, most points lost first. */
  readonly reasons: ReadonlyArray<{ readonly reason_code: string; readonly reason: string; readonly attribute: Attribute; readonly points_lost: number }>;
}

export class ScorecardError extends Error {
  override name = 'ScorecardError';
}

const MAX_REASONS = 4;

function fail(message: string): never {
  throw new ScorecardError(message);
}

function wholeNumber(value: unknown, name: string, min = -1e9, max = 1e9): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) fail(`${name} must be a whole number from ${min} to ${max}`);
  return value;
}

const DECIMAL = /^\d{1,15}(\.\d{1,6})?$/;

/** Checks a scorecard read from JSON; throws ScorecardError naming the first problem. */
export function parseScorecard(value: unknown): Scorecard {
  if (typeof value !== 'object' || value === null) fail('a scorecard is a JSON object');
  const card = value as Record<string, unknown>;
  wholeNumber(card['version'], 'version', 1);
  if (typeof card['description'] !== 'string') fail('description must be a string');
  wholeNumber(card['intercept_points'], 'intercept_points');
  wholeNumber(card['base_score'], 'base_score', 0);
  wholeNumber(card['base_odds'], 'base_odds', 1);
  wholeNumber(card['points_to_double_odds'], 'points_to_double_odds', 1);
  wholeNumber(card['refuse_below_score'], 'refuse_below_score');
  wholeNumber(card['upgrade_margin_points'], 'upgrade_margin_points', 0);
  wholeNumber(card['limit_change_percent'], 'limit_change_percent', 0, 100);
  const attributes = card['attributes'];
  if (!Array.isArray(attributes)) fail('attributes must be an array');
  const seen = new Set<string>();
  for (const table of attributes as Array<Record<string, unknown>>) {
    const name = String(table['attribute']);
    if (!(ATTRIBUTES as readonly string[]).includes(name)) fail(`unknown attribute ${name}`);
    if (seen.has(name)) fail(`attribute ${name} appears twice`);
    seen.add(name);
    if (typeof table['reason_code'] !== 'string' || typeof table['reason'] !== 'string') fail(`${name}: reason_code and reason are strings`);
    wholeNumber(table['missing_points'], `${name}.missing_points`);
    const bands = table['bands'];
    if (!Array.isArray(bands) || bands.length === 0) fail(`${name}: bands must be a non-empty array`);
    let previous = -Infinity;
    for (const band of bands as Array<Record<string, unknown>>) {
      const min = wholeNumber(band['min'], `${name}.bands.min`);
      wholeNumber(band['points'], `${name}.bands.points`);
      if (min <= previous) fail(`${name}: band bounds must ascend`);
      previous = min;
    }
  }
  if (seen.size === 0) fail('a scorecard scores at least one attribute');
  const grades = card['grades'];
  if (!Array.isArray(grades) || grades.length !== GRADES.length) fail(`grades must list ${GRADES.join(', ')}`);
  let floor = Infinity;
  (grades as Array<Record<string, unknown>>).forEach((terms, index) => {
    if (terms['grade'] !== GRADES[index]) fail(`grade ${index + 1} must be ${GRADES[index]}`);
    const min_score = wholeNumber(terms['min_score'], `${GRADES[index]}.min_score`);
    if (min_score >= floor) fail('grade floors must descend from A to E');
    floor = min_score;
    for (const field of ['unsecured_limit', 'secured_limit']) {
      if (typeof terms[field] !== 'string' || !DECIMAL.test(terms[field])) fail(`${GRADES[index]}.${field} must be a decimal string`);
    }
    wholeNumber(terms['premium_bps'], `${GRADES[index]}.premium_bps`, 0, 10_000);
    const kinds = terms['collateral_kinds'];
    if (!Array.isArray(kinds) || kinds.some((kind) => kind !== 'deposit' && kind !== 'letter_of_credit')) fail(`${GRADES[index]}.collateral_kinds`);
    const financing = terms['financing'] as Record<string, unknown> | undefined;
    if (typeof financing !== 'object' || financing === null) fail(`${GRADES[index]}.financing must be an object`);
    wholeNumber(financing['deferral_days'], 'financing.deferral_days', 0, 365);
    wholeNumber(financing['deferral_rate_bps_per_year'], 'financing.deferral_rate_bps_per_year', 0, 100_000);
    wholeNumber(financing['advance_rate_percent'], 'financing.advance_rate_percent', 0, 100);
    wholeNumber(financing['advance_fee_bps'], 'financing.advance_fee_bps', 0, 10_000);
  });
  return card as unknown as Scorecard;
}

/** The points of one value in one attribute's table. */
export function bandPoints(table: AttributeTable, value: number | null): number {
  if (value === null) return table.missing_points;
  let points = table.bands[0]!.points;
  for (const band of table.bands) {
    if (value >= band.min) points = band.points;
    else break;
  }
  return points;
}

function bestPoints(table: AttributeTable): number {
  return Math.max(table.missing_points, ...table.bands.map((band) => band.points));
}

/** Scores the inputs on the card: points per attribute, their sum, and the top reasons. */
export function scoreInputs(card: Scorecard, inputs: ScoreInputs): Score {
  const attributes = card.attributes.map((table): AttributeScore => {
    const value = inputs[table.attribute];
    const points = bandPoints(table, value);
    return { attribute: table.attribute, value, points, points_lost: bestPoints(table) - points, reason_code: table.reason_code, reason: table.reason };
  });
  const score = attributes.reduce((sum, attribute) => sum + attribute.points, card.intercept_points);
  // Stable sort: equal losses keep the file's order.
  const reasons = attributes
    .filter((attribute) => attribute.points_lost > 0)
    .sort((left, right) => right.points_lost - left.points_lost)
    .slice(0, MAX_REASONS)
    .map(({ reason_code, reason, attribute, points_lost }) => ({ reason_code, reason, attribute, points_lost }));
  return { score, attributes, reasons };
}

/** The grade a score falls in, without hysteresis: the best grade whose floor it reaches (E at worst). */
export function gradeOf(card: Scorecard, score: number): GradeTerms {
  return card.grades.find((terms) => score >= terms.min_score) ?? card.grades[card.grades.length - 1]!;
}

/**
 * The grade with hysteresis against the carrier's previous one: a worse grade applies at once (the
 * exchange's risk grew), a better one only when the score clears that grade's floor by
 * `upgrade_margin_points`, so a score wavering around an edge does not flap between two grades.
 * The carrier moves up to the best grade the margin allows, never above what the score gives.
 */
export function gradeWithHysteresis(card: Scorecard, score: number, previous: Grade | null): GradeTerms {
  const plain = gradeOf(card, score);
  if (previous === null) return plain;
  const previousIndex = GRADES.indexOf(previous);
  const plainIndex = GRADES.indexOf(plain.grade);
  if (plainIndex >= previousIndex) return plain;
  for (let index = plainIndex; index < previousIndex; index += 1) {
    const terms = card.grades[index]!;
    if (score >= terms.min_score + card.upgrade_margin_points) return terms;
  }
  return card.grades[previousIndex]!;
}

/** Good-to-bad odds a score stands for: base_odds * 2^((score - base_score) / points_to_double_odds). */
export function oddsOf(card: Scorecard, score: number): number {
  return card.base_odds * 2 ** ((score - card.base_score) / card.points_to_double_odds);
}
