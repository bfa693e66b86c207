/**
 * Formatting for the live page. Money is a decimal string and stays one: it is only trimmed of
 * trailing zeros, by string operations.
 */
import { serverNow } from './clock.js';

/**
 * "0.012500" → ["0.0125", "00"]: the significant part and the trailing zeros, which the page dims so
 * that amounts still line up on the decimal point. At least two decimals stay significant.
 * @param {string} amount
 * @returns {[string, string]}
 */
export function splitTrailingZeros(amount) {
  const match = /^(-?\d+)\.(\d*?)(0*)$/.exec(amount);
  if (!match) return [amount, ''];
  const [, whole = '', significant = '', zeros = ''] = match;
  const kept = Math.max(0, 2 - significant.length);
  return [`${whole}.${significant}${zeros.slice(0, kept)}`, zeros.slice(kept)];
}

/** @param {number} value */
const twoDigits = (value) => String(value).padStart(2, '0');

/**
 * 65_400 → "1:05", 3_723_000 → "1:02:03". Whole seconds, rounded down, as a call timer shows them.
 * @param {number} milliseconds
 */
export function formatDuration(milliseconds) {
  const totalSeconds = Math.max(0, Math.floor(milliseconds / 1000));
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return hours > 0 ? `${hours}:${twoDigits(minutes)}:${twoDigits(seconds)}` : `${minutes}:${twoDigits(seconds)}`;
}

/**
 * An ISO time as the NOC reads it, in UTC: "05:52:51" today, "11-25 05:52" on another day.
 * @param {string | null} iso
 */
export function formatTime(iso) {
  if (!iso) return '—';
  const today = new Date(serverNow()).toISOString().slice(0, 10);
  return iso.slice(0, 10) === today ? iso.slice(11, 19) : `${iso.slice(5, 10)} ${iso.slice(11, 16)}`;
}

/**
 * The class that colours a final SIP response code by its class (RFC 3261 section 7.2).
 * @param {number} code
 */
export function sipClass(code) {
  if (code >= 200 && code < 300) return 'sip-2xx';
  if (code >= 400 && code < 500) return 'sip-4xx';
  if (code >= 500) return 'sip-5xx';
  return 'sip-other';
}

/**
 * An error as one line of text for a tooltip.
 * @param {unknown} error
 */
export function describe(error) {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : 'unknown error';
}

/** Quality figures for the NOC's tables (ratios and durations, never money). */
export const percent = (/** @type {number | null} */ value) => (value === null ? '—' : `${(value * 100).toFixed(1)}%`);
export const seconds = (/** @type {number | null} */ value) => (value === null ? '—' : `${value.toFixed(0)} s`);
export const pdd = (/** @type {number | null} */ value) => (value === null ? '—' : `${(value / 1000).toFixed(1)} s`);
