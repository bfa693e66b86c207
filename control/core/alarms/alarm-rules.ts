/**
 * Alarm rules as data, evaluated as pure functions: a rule's metric read from a scope's measured
 * figures, and whether an alarm should be raised, cleared or left as it is.
 *
 * Hysteresis: a rule raises when the metric crosses `threshold` (with at least `min_attempts`
 * attempts in the window) and clears only once it is back past `clear_threshold`, so a metric
 * hovering at the line does not flap. A scope with no attempts left in the window clears too
 * (nothing is happening there any more); one with some, but fewer than `min_attempts`, keeps its
 * state.
 */
import type { QualityStats } from '../quality/quality-counts.ts';
import type { ScopeKind } from '../quality/quality-sample.ts';

export type AlarmMetric = 'asr' | 'acd_s' | 'ner' | 'pdd_ms' | 'short_call_ratio' | 'cps' | 'cps_vs_hour' | 'watch_listed' | 'trunk_down';
export type AlarmAction = 'notify' | 'block_buyer_trunk' | 'seller_out_of_routing' | 'lower_cps';

export interface AlarmRule {
  readonly id: string;
  readonly description: string;
  readonly metric: AlarmMetric;
  readonly scope_kind: ScopeKind;
  readonly time_window: 'short' | 'long';
  readonly comparison: 'below' | 'above';
  readonly threshold: number;
  readonly clear_threshold: number;
  readonly min_attempts: number;
  readonly action: AlarmAction;
  readonly action_cps: number | null;
  readonly enabled: boolean;
}

export interface MetricReading {
  /** Null: the metric says nothing (no answered call for an ACD, no history for a spike). */
  readonly value: number | null;
  readonly attempts: number;
}

/**
 * The rule's metric for a scope. `short` and `long` are the scope's figures over the two windows;
 * `trunk_down` is whether the switch's pings say the trunk is down (trunk scopes only).
 */
export function readMetric(rule: Pick<AlarmRule, 'metric' | 'time_window' | 'min_attempts'>, short: QualityStats, long: QualityStats, short_ms: number, long_ms: number, trunk_down = false): MetricReading {
  const stats = rule.time_window === 'short' ? short : long;
  switch (rule.metric) {
    case 'trunk_down':
      return { value: trunk_down ? 1 : 0, attempts: Number.MAX_SAFE_INTEGER };
    case 'cps_vs_hour': {
      // The last window's rate against the rest of the hour's: a scope needs enough history
      // there too, or every new trunk would look like a spike.
      const earlier_attempts = long.attempts - short.attempts;
      if (earlier_attempts < rule.min_attempts || earlier_attempts <= 0) return { value: null, attempts: short.attempts };
      const earlier_cps = earlier_attempts / ((long_ms - short_ms) / 1000);
      return { value: short.cps / earlier_cps, attempts: short.attempts };
    }
    case 'watch_listed':
      return { value: stats.watch_listed, attempts: stats.attempts };
    default:
      return { value: stats[rule.metric], attempts: stats.attempts };
  }
}

export type AlarmDecision = 'raise' | 'clear' | 'keep';

export function decideAlarm(rule: Pick<AlarmRule, 'comparison' | 'threshold' | 'clear_threshold' | 'min_attempts'>, reading: MetricReading, open: boolean): AlarmDecision {
  const { value, attempts } = reading;
  if (!open) {
    if (value === null || attempts < rule.min_attempts) return 'keep';
    const crossed = rule.comparison === 'below' ? value < rule.threshold : value > rule.threshold;
    return crossed ? 'raise' : 'keep';
  }
  if (attempts === 0) return 'clear';
  if (value === null || attempts < rule.min_attempts) return 'keep';
  const back = rule.comparison === 'below' ? value >= rule.clear_threshold : value <= rule.clear_threshold;
  return back ? 'clear' : 'keep';
}

/** One line for the operator: what crossed what, where. */
export function alarmMessage(rule: Pick<AlarmRule, 'metric' | 'comparison' | 'threshold' | 'description'>, value: number | null): string {
  const shown = (metric: AlarmMetric, number: number | null) => {
    if (number === null) return 'n/a';
    if (metric === 'asr' || metric === 'ner' || metric === 'short_call_ratio') return `${(number * 100).toFixed(1)}%`;
    if (metric === 'pdd_ms') return `${(number / 1000).toFixed(1)} s`;
    if (metric === 'acd_s') return `${number.toFixed(0)} s`;
    if (metric === 'cps_vs_hour') return `${number.toFixed(1)}x`;
    return number.toFixed(metric === 'cps' ? 2 : 0);
  };
  if (rule.metric === 'trunk_down') return 'seller trunk not answering OPTIONS';
  return `${rule.metric} ${shown(rule.metric, value)} ${rule.comparison} ${shown(rule.metric, rule.threshold)}`;
}
