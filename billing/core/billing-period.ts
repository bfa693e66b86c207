/**
 * Billing periods on the calendar, without storage or time zones: which local days a period
 * spans, and whether a given day closes one. The store turns local days into instants in the
 * carrier's time zone (PostgreSQL knows the zones), so this module only does date arithmetic on
 * whole calendar days.
 *
 * - daily: every day closes a period of one day;
 * - weekly: ISO weeks, Monday to Sunday: a Sunday closes one;
 * - semi_monthly: the 1st to the 15th, and the 16th to the month's last day;
 * - monthly: the 1st to the month's last day.
 */
export type BillingPeriodKind = 'daily' | 'weekly' | 'semi_monthly' | 'monthly';

export const BILLING_PERIOD_KINDS: readonly BillingPeriodKind[] = ['daily', 'weekly', 'semi_monthly', 'monthly'];

export interface BillingTerms {
  readonly period: BillingPeriodKind;
  /** An IANA time zone name: periods start at local midnight there. */
  readonly time_zone: string;
  /** A statement is due this many days after the local day it was issued. */
  readonly payment_terms_days: number;
  /** The currency the carrier settles in. */
  readonly currency: string;
  /** Payable is offset against receivable only when the offset reaches this amount (0: always). */
  readonly netting_minimum_micros: bigint;
}

/** The terms of a carrier that has none of its own. */
export const DEFAULT_BILLING_TERMS: BillingTerms = {
  period: 'monthly',
  time_zone: 'UTC',
  payment_terms_days: 30,
  currency: 'USD',
  netting_minimum_micros: 0n,
};

/** A calendar day as `YYYY-MM-DD`. */
export type LocalDate = string;

export interface PeriodDays {
  /** The first day of the period, included. */
  readonly start: LocalDate;
  /** The last day of the period, included. */
  readonly end: LocalDate;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** The day as a UTC midnight, or undefined when the text is not a real calendar day. */
function parse(day: LocalDate): Date | undefined {
  const match = DATE.exec(day);
  if (!match) return undefined;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === day ? date : undefined;
}

function format(date: Date): LocalDate {
  return date.toISOString().slice(0, 10);
}

export function isLocalDate(text: string): boolean {
  return parse(text) !== undefined;
}

/** The day `days` after `day` (before, when negative). */
export function addDays(day: LocalDate, days: number): LocalDate {
  const date = parse(day);
  if (date === undefined) throw new RangeError(`not a calendar day: ${day}`);
  return format(new Date(date.getTime() + days * MS_PER_DAY));
}

function lastDayOfMonth(date: Date): number {
  return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 0)).getUTCDate();
}

/**
 * The period of this kind that ends on `end` (its last day), or null when `end` does not close a
 * period of this kind (a Wednesday for weekly terms, the 20th for monthly ones).
 */
export function periodEndingOn(kind: BillingPeriodKind, end: LocalDate): PeriodDays | null {
  const date = parse(end);
  if (date === undefined) throw new RangeError(`not a calendar day: ${end}`);
  const day = date.getUTCDate();
  const monthStart = format(new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1)));
  const isLastDay = day === lastDayOfMonth(date);
  switch (kind) {
    case 'daily':
      return { start: end, end };
    case 'weekly':
      // getUTCDay: 0 is Sunday, the last day of an ISO week.
      return date.getUTCDay() === 0 ? { start: addDays(end, -6), end } : null;
    case 'semi_monthly':
      if (day === 15) return { start: monthStart, end };
      return isLastDay ? { start: addDays(monthStart, 15), end } : null;
    case 'monthly':
      return isLastDay ? { start: monthStart, end } : null;
  }
}
