/**
 * A reservation's legs as stored in credit_reservations.legs (jsonb). Micro-unit amounts are
 * decimal strings, since JSON numbers lose whole numbers beyond 2^53; increments are numbers.
 * The column is written only by this module, so a value that does not parse is a bug: it throws.
 */
import type { Tariff } from '../../billing/core/rating.ts';

interface StoredLeg {
  price_per_minute_micros: string;
  first_increment_s: number;
  next_increment_s: number;
  connect_fee_micros: string;
  /** The buyer's risk premium in basis points; absent when 0 (and on rows from before premiums). */
  premium_bps?: number;
}

const WHOLE_NUMBER = /^(0|[1-9][0-9]{0,18})$/;

export function legsToJson(legs: readonly Tariff[]): string {
  const stored: StoredLeg[] = legs.map((leg) => ({
    price_per_minute_micros: leg.price_per_minute_micros.toString(),
    first_increment_s: leg.first_increment_s,
    next_increment_s: leg.next_increment_s,
    connect_fee_micros: leg.connect_fee_micros.toString(),
    ...(leg.premium_bps !== undefined && leg.premium_bps > 0 ? { premium_bps: leg.premium_bps } : {}),
  }));
  return JSON.stringify(stored);
}

function micros(value: unknown, name: string): bigint {
  if (typeof value !== 'string' || !WHOLE_NUMBER.test(value)) throw new Error(`stored leg: ${name} is not a whole number string`);
  return BigInt(value);
}

function seconds(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) throw new Error(`stored leg: ${name} is not a positive whole number`);
  return value;
}

function basisPoints(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 10_000) throw new Error('stored leg: premium_bps is not 0 to 10000');
  return value;
}

export function legsFromJson(value: unknown): Tariff[] {
  if (!Array.isArray(value) || value.length === 0) throw new Error('stored legs: expected a non-empty array');
  return value.map((item: unknown) => {
    if (typeof item !== 'object' || item === null) throw new Error('stored leg: expected an object');
    const leg = item as Record<string, unknown>;
    return {
      price_per_minute_micros: micros(leg['price_per_minute_micros'], 'price_per_minute_micros'),
      first_increment_s: seconds(leg['first_increment_s'], 'first_increment_s'),
      next_increment_s: seconds(leg['next_increment_s'], 'next_increment_s'),
      connect_fee_micros: micros(leg['connect_fee_micros'], 'connect_fee_micros'),
      ...(leg['premium_bps'] === undefined ? {} : { premium_bps: basisPoints(leg['premium_bps']) }),
    };
  });
}
