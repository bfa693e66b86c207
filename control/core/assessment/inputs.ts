/**
 * The scorecard's inputs from what minutex knows of a carrier: the bureau's report and the
 * carrier's own history with the exchange. Pure: the edge (control/assessment/history-store.ts)
 * reads the rows, this file turns them into whole numbers, each documented with its unit.
 */
import { daysPastDue } from '../../../billing/core/position.ts';
import type { ScoreInputs } from './scorecard.ts';

export interface ReportFacts {
  readonly payment_index: number | null;
  readonly delinquency_score: number;
  readonly filings: ReadonlyArray<{ readonly kind: string; readonly status: string; readonly filed_on: string }>;
}

/** A statement the carrier had to pay (its balance was positive). */
export interface OwedStatement {
  readonly balance_micros: bigint;
  /** What is still unpaid. */
  readonly outstanding_micros: bigint;
  readonly due_date: string;
  /** The day it was paid in full, or null while it is not. */
  readonly paid_on: string | null;
}

export interface CarrierHistory {
  /** Today in the carrier's time zone, YYYY-MM-DD. */
  readonly today: string;
  readonly statements: readonly OwedStatement[];
  readonly tenure_days: number;
  /** Billed seconds bought and sold over the last 30 days, and the 30 days before. */
  readonly billed_s_30d: number;
  readonly billed_s_previous_30d: number;
  /** Receivable − payable from the carrier's side (positive: the exchange owes it). */
  readonly net_micros: bigint;
  /** What it owes now plus what its calls hold, against its limit plus valid collateral. */
  readonly used_micros: bigint;
  readonly line_micros: bigint;
  readonly open_disputes: number;
}

const MICROS_PER_UNIT = 1_000_000n;
/** A bankruptcy weighs for this long after it is filed, whatever its status (as bureaus report them). */
const BANKRUPTCY_YEARS = 7;
const NET_UNITS_BOUND = 1_000_000_000n;

/** 3: a bankruptcy (open, or filed within 7 years); 2: an open judgment; 1: an open lien; 0: none. */
export function filingsSeverity(filings: ReportFacts['filings'], today: string): number {
  const cutoff = `${Number(today.slice(0, 4)) - BANKRUPTCY_YEARS}${today.slice(4)}`;
  if (filings.some((filing) => filing.kind === 'bankruptcy' && (filing.status === 'open' || filing.filed_on >= cutoff))) return 3;
  if (filings.some((filing) => filing.kind === 'judgment' && filing.status === 'open')) return 2;
  if (filings.some((filing) => filing.kind === 'lien' && filing.status === 'open')) return 1;
  return 0;
}

/**
 * Days beyond terms: how late the carrier pays the exchange, averaged over its statements and
 * weighted by their amounts (as trade-credit bureaus compute it). A paid statement counts the
 * days from its due date to the day it was paid in full (0 when on time); an unpaid one past its
 * due date counts the days it is late so far. Null when no statement has fallen due yet.
 */
export function daysBeyondTerms(statements: readonly OwedStatement[], today: string): number | null {
  let weight_micros = 0n;
  let weighted_days = 0n;
  for (const statement of statements) {
    if (statement.balance_micros <= 0n) continue;
    let days: number;
    if (statement.paid_on !== null) days = Math.max(0, daysPastDue(statement.due_date, statement.paid_on));
    else if (statement.outstanding_micros > 0n && daysPastDue(statement.due_date, today) > 0) days = daysPastDue(statement.due_date, today);
    else continue;
    weight_micros += statement.balance_micros;
    weighted_days += statement.balance_micros * BigInt(days);
  }
  return weight_micros === 0n ? null : Number(weighted_days / weight_micros);
}

/**
 * Days past due now: how many days the oldest statement still (partly) unpaid is past its due
 * date; 0 when nothing is past due. Paying what is past due takes it back to 0 at once, which is
 * what lets a carrier that pays recover its grade (scorecard version 2).
 */
export function daysPastDueNow(statements: readonly OwedStatement[], today: string): number {
  let days = 0;
  for (const statement of statements) {
    if (statement.balance_micros <= 0n || statement.paid_on !== null || statement.outstanding_micros <= 0n) continue;
    days = Math.max(days, daysPastDue(statement.due_date, today));
  }
  return days;
}

/**
 * Days paid late: of the statements paid in full (within the history read, 12 months), the days
 * from due date to payment (0 when on time), averaged weighted by amount and rounded down. Null
 * when none has been paid yet. Statements still unpaid are days_past_due_now's business.
 */
export function daysPaidLate(statements: readonly OwedStatement[]): number | null {
  let weight_micros = 0n;
  let weighted_days = 0n;
  for (const statement of statements) {
    if (statement.balance_micros <= 0n || statement.paid_on === null) continue;
    weight_micros += statement.balance_micros;
    weighted_days += statement.balance_micros * BigInt(Math.max(0, daysPastDue(statement.due_date, statement.paid_on)));
  }
  return weight_micros === 0n ? null : Number(weighted_days / weight_micros);
}

function floorDiv(value: bigint, divisor: bigint): bigint {
  const quotient = value / divisor;
  return value < 0n && quotient * divisor !== value ? quotient - 1n : quotient;
}

export function scoreInputsFrom(report: ReportFacts | null, history: CarrierHistory): ScoreInputs {
  const net_units = floorDiv(history.net_micros, MICROS_PER_UNIT);
  const bounded = net_units > NET_UNITS_BOUND ? NET_UNITS_BOUND : net_units < -NET_UNITS_BOUND ? -NET_UNITS_BOUND : net_units;
  return {
    payment_index: report?.payment_index ?? null,
    delinquency_score: report?.delinquency_score ?? null,
    filings_severity: report === null ? null : filingsSeverity(report.filings, history.today),
    days_beyond_terms: daysBeyondTerms(history.statements, history.today),
    days_past_due_now: daysPastDueNow(history.statements, history.today),
    days_paid_late: daysPaidLate(history.statements),
    // Whole months of 30 days.
    tenure_months: Math.floor(history.tenure_days / 30),
    traffic_minutes_30d: Math.floor(history.billed_s_30d / 60),
    // Percent change month on month, rounded toward zero; null without a previous month.
    traffic_trend_percent: history.billed_s_previous_30d === 0 ? null
      : Math.trunc(((history.billed_s_30d - history.billed_s_previous_30d) * 100) / history.billed_s_previous_30d),
    net_position_units: Number(bounded),
    // Percent of the line in use, rounded down; null without a line.
    exposure_percent: history.line_micros <= 0n ? null : Number(((history.used_micros > 0n ? history.used_micros : 0n) * 100n) / history.line_micros),
    open_disputes: history.open_disputes,
  };
}
