/**
 * One line of a carrier's own CDR file, as uploaded for a reconciliation:
 *
 *   start_time,called_number,duration,amount[,call_id]
 *   2026-11-01T09:00:00Z,+44 7700 900123,90,0.025200,a84b4c76e66710@pc33.example.com
 *
 * start_time is an ISO 8601 time with its zone (Z or ±hh:mm); duration is in seconds, up to three
 * decimals (milliseconds); amount is a decimal of at most six decimals, at least zero; call_id is
 * optional (the Call-ID of the carrier's own leg). A header line is optional, recognised by its
 * first column's name. Each bad line is a problem with its line number and a stable reason.
 */
import type { TheirCall } from './reconciliation.ts';

export interface CdrLineProblem {
  readonly line: number;
  readonly reason: string;
  readonly message: string;
}

export const CARRIER_CDR_HEADERS = ['start_time', 'start', 'start_at'];
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const DURATION = /^(\d{1,9})(?:\.(\d{1,3}))?$/;
const AMOUNT = /^(\d{1,15})(?:\.(\d{1,6}))?$/;
const NUMBER = /^\+?[0-9][0-9 ().-]{0,40}$/;

export function isCarrierCdrHeader(fields: readonly string[]): boolean {
  return CARRIER_CDR_HEADERS.includes((fields[0] ?? '').toLowerCase());
}

/** Whole milliseconds from seconds with up to three decimals: "90.5" → 90500. */
function durationMs(text: string): number | null {
  const match = DURATION.exec(text);
  if (!match) return null;
  return Number(match[1]) * 1000 + Number((match[2] ?? '').padEnd(3, '0'));
}

function amountMicros(text: string): bigint | null {
  const match = AMOUNT.exec(text);
  if (!match) return null;
  return BigInt(match[1]!) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
}

/** A call of the carrier's file, or the line's problem; `span` is the period being reconciled. */
export function parseCarrierCdr(fields: readonly string[], line: number, span: { start_ms: number; end_ms: number }): TheirCall | CdrLineProblem {
  const problem = (reason: string, message: string): CdrLineProblem => ({ line, reason, message });
  if (fields.length < 4 || fields.length > 5) return problem('wrong_column_count', `expected 4 or 5 columns, found ${fields.length}`);
  const [startText = '', number = '', durationText = '', amountText = '', callId = ''] = fields;
  const start_ms = ISO_TIME.test(startText) ? Date.parse(startText) : Number.NaN;
  if (Number.isNaN(start_ms)) return problem('invalid_start_time', `'${startText}' is not an ISO 8601 time with its zone, e.g. 2026-11-01T09:00:00Z`);
  if (start_ms < span.start_ms || start_ms >= span.end_ms) return problem('outside_period', `${startText} is outside the period being reconciled`);
  if (!NUMBER.test(number)) return problem('invalid_called_number', `'${number}' is not a telephone number`);
  const duration_ms = durationMs(durationText);
  if (duration_ms === null) return problem('invalid_duration', 'duration is in seconds, at least 0, with at most 3 decimals');
  const amount_micros = amountMicros(amountText);
  if (amount_micros === null) return problem('invalid_amount', 'amount is a decimal of at least 0 with at most 6 decimals');
  if (callId.length > 255) return problem('invalid_call_id', 'a Call-ID has at most 255 characters');
  return { line, call_id: callId === '' ? null : callId, start_ms, called_number: number, duration_ms, amount_micros };
}
