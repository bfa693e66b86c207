/**
 * Parses an order as a carrier submits it (decimal strings, "30/6" increments) into exact values,
 * with one reason code per kind of bad input.
 */
import { isCurrencyCode, parseDecimalToMicros } from '../../common/money.ts';
import type { Quality, Side } from '../core/matching/types.ts';
import type { Tariff } from '../../billing/core/rating.ts';

export interface OrderInput {
  readonly carrier_id: string;
  readonly side: Side;
  readonly prefix: string;
  readonly price_per_minute: string;
  readonly currency: string;
  readonly increments: string;
  readonly connect_fee?: string;
  /** Checked here, not trusted: a JSON body may carry anything. */
  readonly channels: unknown;
  readonly client_order_id?: string;
  readonly quality?: { asr_percent: number; acd_s: number; pdd_ms: number };
  readonly valid_until?: string;
}

export interface ParsedOrder extends Tariff {
  readonly carrier_id: string;
  readonly side: Side;
  readonly prefix: string;
  readonly currency: string;
  readonly channels: number;
  readonly client_order_id: string | null;
  readonly quality: Quality | null;
  readonly valid_until_ms: number | null;
}

export type OrderInputProblem = 'invalid_price' | 'invalid_currency' | 'invalid_increments' | 'invalid_amount' | 'invalid_channels' | 'invalid_validity';

/** Longest increment we accept, in seconds: an hour is already far beyond any carrier's plan. */
const MAX_INCREMENT_S = 3600;
/** Most channels one order may offer or ask for. */
export const MAX_CHANNELS = 1_000_000;

/** "30/6" → first and next billing increments in whole seconds. */
export function parseIncrements(text: string): { ok: true; first_increment_s: number; next_increment_s: number } | { ok: false; message: string } {
  const match = /^([1-9]\d{0,3})\/([1-9]\d{0,3})$/.exec(text);
  if (!match) return { ok: false, message: 'increments must be N/M with positive whole seconds, e.g. 60/60 or 30/6' };
  const first = Number(match[1]);
  const next = Number(match[2]);
  if (first > MAX_INCREMENT_S || next > MAX_INCREMENT_S) return { ok: false, message: `increments are at most ${MAX_INCREMENT_S} s` };
  return { ok: true, first_increment_s: first, next_increment_s: next };
}

export function isChannelCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 && value <= MAX_CHANNELS;
}

/**
 * An ISO 8601 date (midnight UTC) or date and time with a zone, as epoch ms; null for anything
 * else (Date.parse alone accepts many forms that mean different instants on different machines).
 */
export function parseIsoTime(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

export function parseOrderInput(input: OrderInput, now_ms: number): { ok: true; order: ParsedOrder } | { ok: false; reason: OrderInputProblem; message: string } {
  const fail = (reason: OrderInputProblem, message: string) => ({ ok: false as const, reason, message });
  let price: bigint;
  try {
    price = parseDecimalToMicros(input.price_per_minute);
  } catch {
    return fail('invalid_price', 'price_per_minute must be a decimal string with at most 6 decimals, of at most 1000000000000 units');
  }
  if (price <= 0n) return fail('invalid_price', 'price_per_minute must be greater than zero');
  if (!isCurrencyCode(input.currency)) return fail('invalid_currency', 'currency must be an ISO 4217 code');
  const increments = parseIncrements(input.increments);
  if (!increments.ok) return fail('invalid_increments', increments.message);
  const { first_increment_s: first, next_increment_s: next } = increments;
  let connectFee = 0n;
  if (input.connect_fee !== undefined) {
    try {
      connectFee = parseDecimalToMicros(input.connect_fee);
    } catch {
      return fail('invalid_amount', 'connect_fee must be a decimal string with at most 6 decimals, of at most 1000000000000 units');
    }
    if (connectFee < 0n) return fail('invalid_amount', 'connect_fee cannot be negative');
  }
  if (!isChannelCount(input.channels)) return fail('invalid_channels', `channels must be a whole number from 1 to ${MAX_CHANNELS}`);
  let validUntil: number | null = null;
  if (input.valid_until !== undefined) {
    validUntil = parseIsoTime(input.valid_until);
    if (validUntil === null) return fail('invalid_validity', 'valid_until must be an ISO 8601 time, e.g. 2030-01-31T18:00:00Z');
    if (validUntil <= now_ms) return fail('invalid_validity', 'valid_until is in the past');
  }
  return {
    ok: true,
    order: {
      carrier_id: input.carrier_id,
      side: input.side,
      prefix: input.prefix,
      currency: input.currency,
      price_per_minute_micros: price,
      first_increment_s: first,
      next_increment_s: next,
      connect_fee_micros: connectFee,
      channels: input.channels,
      client_order_id: input.client_order_id ?? null,
      quality: input.quality ?? null,
      valid_until_ms: validUntil,
    },
  };
}
