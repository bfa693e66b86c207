/**
 * The counters quality is measured with, and the figures carriers quote from them. Counters add
 * and subtract (a sliding window adds a bucket as it fills and subtracts it as it ages out); the
 * ratios are computed only when asked for.
 *
 * - ASR: answered attempts over attempts.
 * - ACD: talk time over answered attempts, in seconds.
 * - NER (ITU-T E.425): attempts that the network carried to a user outcome (answered, user busy,
 *   ring no answer, terminal reject such as an unallocated number) over seizures (every attempt).
 * - PDD: setup to the first ringing or answer, the mean over attempts that rang or answered, in ms.
 * - Short-call ratio: answered calls shorter than the short-call threshold over answered calls.
 * - CPS: attempts per second over the window.
 */

export interface QualityCounts {
  attempts: number;
  answered: number;
  /** Attempts with a user outcome (E.425): answered, busy, no answer, terminal reject. */
  ner_effective: number;
  talk_ms: number;
  pdd_ms_sum: number;
  pdd_samples: number;
  short_calls: number;
  /** Answered calls the switch ended (credit cutoff, maximum duration, operator). */
  cutoffs: number;
  /** Calls to a number on the watch list of high-risk prefixes. */
  watch_listed: number;
  /** Failed or refused attempts by reason ("sip 503", "rejected: no credit" ...). */
  rejects: Record<string, number>;
}

export function emptyCounts(): QualityCounts {
  return { attempts: 0, answered: 0, ner_effective: 0, talk_ms: 0, pdd_ms_sum: 0, pdd_samples: 0, short_calls: 0, cutoffs: 0, watch_listed: 0, rejects: {} };
}

const NUMERIC_FIELDS = ['attempts', 'answered', 'ner_effective', 'talk_ms', 'pdd_ms_sum', 'pdd_samples', 'short_calls', 'cutoffs', 'watch_listed'] as const;

/** Adds `from` into `into` (sign 1) or takes it out (sign -1), in place. */
export function addCounts(into: QualityCounts, from: QualityCounts, sign: 1 | -1 = 1): QualityCounts {
  for (const field of NUMERIC_FIELDS) into[field] += sign * from[field];
  for (const [reason, count] of Object.entries(from.rejects)) {
    const next = (into.rejects[reason] ?? 0) + sign * count;
    if (next === 0) delete into.rejects[reason];
    else into.rejects[reason] = next;
  }
  return into;
}

export interface QualityStats {
  readonly attempts: number;
  readonly answered: number;
  /** 0..1; null without attempts. */
  readonly asr: number | null;
  /** Seconds; null without answered calls. */
  readonly acd_s: number | null;
  /** 0..1; null without attempts. */
  readonly ner: number | null;
  /** Milliseconds; null when no attempt rang. */
  readonly pdd_ms: number | null;
  /** 0..1; null without answered calls. */
  readonly short_call_ratio: number | null;
  readonly cps: number;
  readonly cutoffs: number;
  readonly watch_listed: number;
  readonly rejects: Readonly<Record<string, number>>;
}

export function statsOf(counts: QualityCounts, window_ms: number): QualityStats {
  const per = (part: number, whole: number) => (whole === 0 ? null : part / whole);
  return {
    attempts: counts.attempts,
    answered: counts.answered,
    asr: per(counts.answered, counts.attempts),
    acd_s: counts.answered === 0 ? null : counts.talk_ms / counts.answered / 1000,
    ner: per(counts.ner_effective, counts.attempts),
    pdd_ms: counts.pdd_samples === 0 ? null : counts.pdd_ms_sum / counts.pdd_samples,
    short_call_ratio: per(counts.short_calls, counts.answered),
    cps: counts.attempts / (window_ms / 1000),
    cutoffs: counts.cutoffs,
    watch_listed: counts.watch_listed,
    rejects: { ...counts.rejects },
  };
}
