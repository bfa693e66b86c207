/**
 * Which period ends the statement schedule should run next. A day may be run only once it is over
 * in every time zone carriers bill in; days are run in calendar order, each once, from the day after
 * the last run (or, before any run, from the first day with unbilled calls), at most `max_days` per
 * pass so that a first catch-up over a long history does not hold the ledger for long.
 */
import { addDays, type LocalDate } from './billing-period.ts';

export interface ScheduleState {
  /** The latest period end already run (by the schedule or by an operator), if any. */
  readonly last_run: LocalDate | null;
  /** The local day of the earliest rated, unbilled call, if any. */
  readonly first_unbilled: LocalDate | null;
  /** The latest day that is over in every time zone in use. */
  readonly latest_over: LocalDate;
}

export function scheduledRunDays(state: ScheduleState, max_days: number): LocalDate[] {
  const first = state.last_run !== null ? addDays(state.last_run, 1) : state.first_unbilled;
  if (first === null) return [];
  const days: LocalDate[] = [];
  // Local dates in YYYY-MM-DD order compare as strings.
  for (let day = first; day <= state.latest_over && days.length < max_days; day = addDays(day, 1)) days.push(day);
  return days;
}
