/**
 * Money at the edges. Inside minutex an amount is a bigint count of micro-units (10^-6) of its
 * currency; outside (JSON, CSV, the web page) it is a decimal string with a currency code.
 * dinero.js formats; parsing is strict and never passes through a float.
 */
import { dinero, toDecimal } from 'dinero.js/bigint';
import * as currencies from 'dinero.js/bigint/currencies';

/** Micro-units per unit of currency: every amount is scaled by 10^6. */
export const MICROS_SCALE = 6;
export const MICROS_PER_UNIT = 1_000_000n;

const DECIMAL = /^(-?)(\d{1,15})(?:\.(\d{1,6}))?$/;

/**
 * The largest amount accepted from outside, in micro-units: 10^12 units. PostgreSQL's bigint holds
 * about 9.2 × 10^18 micro-units; keeping every single amount nine times below that leaves room
 * for the sums and products the ledger makes of them (balances, a price times a few minutes'
 * increments) without an overflow deep inside a transaction.
 */
export const MAX_AMOUNT_MICROS = 1_000_000_000_000n * MICROS_PER_UNIT;

export class AmountError extends Error {}

/**
 * "0.012500" → 12500n. Rejects more than 6 decimals, exponents, spaces and anything a float would
 * accept, and amounts beyond ±MAX_AMOUNT_MICROS.
 */
export function parseDecimalToMicros(text: string): bigint {
  const match = DECIMAL.exec(text);
  if (!match) throw new AmountError('expected a decimal number with at most 6 decimals');
  const [, sign, whole, fraction = ''] = match;
  const micros = BigInt(whole!) * MICROS_PER_UNIT + BigInt(fraction.padEnd(MICROS_SCALE, '0'));
  if (micros > MAX_AMOUNT_MICROS) throw new AmountError('the amount is beyond 1000000000000 units, the most minutex accepts');
  return sign === '-' ? -micros : micros;
}

type Currency = { code: string; base: bigint; exponent: bigint };
const currencyTable = currencies as unknown as Record<string, Currency | undefined>;

export function isCurrencyCode(code: string): boolean {
  return /^[A-Z]{3}$/.test(code) && currencyTable[code] !== undefined;
}

/** 12500n, "USD" → "0.012500": always six decimals, so columns line up and nothing is lost. */
export function formatMicros(amountMicros: bigint, currencyCode = 'USD'): string {
  const currency = currencyTable[currencyCode];
  if (!currency) throw new Error(`unknown currency ${currencyCode}`);
  return toDecimal(dinero({ amount: amountMicros, currency, scale: BigInt(MICROS_SCALE) }));
}

/** The JSON shape of an amount: a decimal string beside its currency. */
export interface MoneyJson {
  amount: string;
  currency: string;
}

export function moneyJson(amountMicros: bigint, currency: string): MoneyJson {
  return { amount: formatMicros(amountMicros, currency), currency };
}
