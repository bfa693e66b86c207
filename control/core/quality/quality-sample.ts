/**
 * What one ended call tells about quality, and about whom. A CDR becomes one sample per scope it
 * concerns:
 *
 * - the whole exchange, the buyer × destination and the buyer's ingress trunk: one attempt per call;
 * - each seller × destination and seller's egress trunk the call tried: one attempt per leg, with
 *   that leg's SIP answer (a call that failed over from A to B is a failed attempt for A).
 *
 * Talk time belongs to the answered leg. The CDR keeps one ringing time per call, so the PDD goes
 * to the answered leg, or to the last leg tried when the call rang and was not answered.
 */
import type { CdrRecord } from '../cdr.ts';
import { emptyCounts, type QualityCounts } from './quality-counts.ts';

export type ScopeKind = 'exchange' | 'buyer_destination' | 'seller_destination' | 'trunk';

export interface Scope {
  readonly kind: ScopeKind;
  /** The carrier (buyer or seller), the trunk, or '*' for the exchange. */
  readonly id: string;
  /** For the carrier × destination scopes; '' otherwise. */
  readonly destination_id: string;
}

export function scopeKey(scope: Scope): string {
  return `${scope.kind}|${scope.id}|${scope.destination_id}`;
}

export function parseScopeKey(key: string): Scope {
  const [kind = '', id = '', destination_id = ''] = key.split('|');
  return { kind: kind as ScopeKind, id, destination_id };
}

export const EXCHANGE_SCOPE: Scope = { kind: 'exchange', id: '*', destination_id: '' };

export interface QualitySample {
  readonly at_ms: number;
  readonly scope: Scope;
  readonly counts: QualityCounts;
}

export type AttemptOutcome = 'answered' | 'busy' | 'no_answer' | 'terminal_reject' | 'failure';

/**
 * E.425's classes from a SIP final answer. A 408 or 487 after ringing is "ring, no answer" (the
 * callee did not pick up, or the caller gave up); before ringing it says nothing about the user.
 */
export function classifyAnswer(code: number, rang: boolean): AttemptOutcome {
  if (code >= 200 && code < 300) return 'answered';
  if (code === 486 || code === 600) return 'busy';
  if (code === 480 || ((code === 408 || code === 487) && rang)) return 'no_answer';
  if (code === 404 || code === 410 || code === 484 || code === 485 || code === 604) return 'terminal_reject';
  return 'failure';
}

export interface SampleOptions {
  /** An answered call shorter than this is a short call, ms. */
  readonly short_call_ms: number;
  /** True for a number on the watch list of high-risk prefixes. */
  readonly watchListed: (number: string) => boolean;
}

interface Attempt {
  readonly code: number;
  readonly rang: boolean;
  readonly talk_ms: number;
  readonly pdd_ms: number | null;
  readonly cutoff: boolean;
  readonly watch_listed: boolean;
  /** Why it failed, when it did. */
  readonly reason: string | null;
}

function attemptCounts(attempt: Attempt, options: SampleOptions): QualityCounts {
  const counts = emptyCounts();
  const outcome = classifyAnswer(attempt.code, attempt.rang);
  counts.attempts = 1;
  if (outcome === 'answered') {
    counts.answered = 1;
    counts.talk_ms = attempt.talk_ms;
    if (attempt.talk_ms < options.short_call_ms) counts.short_calls = 1;
    if (attempt.cutoff) counts.cutoffs = 1;
  }
  if (outcome !== 'failure') counts.ner_effective = 1;
  if (attempt.pdd_ms !== null) {
    counts.pdd_ms_sum = attempt.pdd_ms;
    counts.pdd_samples = 1;
  }
  if (attempt.watch_listed) counts.watch_listed = 1;
  if (attempt.reason !== null) counts.rejects[attempt.reason] = 1;
  return counts;
}

const usToMs = (us: bigint) => Number(us / 1000n);

/** The samples one ended call gives, at `at_ms` (when it ended, on the control plane's clock). */
export function samplesOfCdr(cdr: CdrRecord, at_ms: number, options: SampleOptions): QualitySample[] {
  const rang = cdr.ring_us !== null;
  const firstSignal = cdr.ring_us ?? cdr.answer_us;
  const pdd_ms = firstSignal === null ? null : Math.max(0, usToMs(firstSignal - cdr.setup_us));
  const talk_ms = Number(cdr.duration_ms);
  const cutoff = cdr.ended_by === 'switch';
  const watch_listed = options.watchListed(cdr.dialled_number.replace(/^\+/, ''));
  const refused = cdr.final_reason.startsWith('rejected:') || cdr.final_reason.startsWith('setup failed:');
  const callReason = cdr.final_sip_code >= 300 ? (refused ? cdr.final_reason : `sip ${cdr.final_sip_code}`) : null;
  const call: Attempt = { code: cdr.final_sip_code, rang, talk_ms, pdd_ms, cutoff, watch_listed, reason: callReason };

  const samples: QualitySample[] = [];
  const add = (scope: Scope, attempt: Attempt) => samples.push({ at_ms, scope, counts: attemptCounts(attempt, options) });
  add(EXCHANGE_SCOPE, call);
  if (cdr.buyer_id !== null && cdr.destination_id !== null) add({ kind: 'buyer_destination', id: cdr.buyer_id, destination_id: cdr.destination_id }, call);
  if (cdr.ingress_trunk_id !== null) add({ kind: 'trunk', id: cdr.ingress_trunk_id, destination_id: '' }, call);

  cdr.legs.forEach((leg, index) => {
    if (leg.sip_code === null) return;
    const answered = leg.sip_code >= 200 && leg.sip_code < 300;
    const last = index === cdr.legs.length - 1;
    const attempt: Attempt = {
      code: leg.sip_code,
      // The ringing time is the call's: it goes to the leg that answered, or else to the last one.
      rang: rang && (answered || last),
      talk_ms: answered ? talk_ms : 0,
      pdd_ms: answered || last ? pdd_ms : null,
      cutoff: answered && cutoff,
      watch_listed,
      reason: answered ? null : `sip ${leg.sip_code}`,
    };
    if (cdr.destination_id !== null) add({ kind: 'seller_destination', id: leg.seller_id, destination_id: cdr.destination_id }, attempt);
    add({ kind: 'trunk', id: leg.trunk_id, destination_id: '' }, attempt);
  });
  return samples;
}
