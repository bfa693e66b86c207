/**
 * The value parsers of the configuration (common/config.ts): each turns one environment variable's
 * text into its value or throws with what was expected, which loadConfig collects as a problem.
 */
import { parseDecimalToMicros } from './money.ts';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export function parseHostPort(raw: string): HostPort {
  const match = /^([^:\s]+):(\d{1,5})$/.exec(raw);
  if (!match) throw new Error('expected HOST:PORT');
  return { host: match[1]!, port: parseIntInRange(match[2]!, 1, 65535) };
}

export function defaultAdvertiseUrl(addr: HostPort): string {
  const host = addr.host === '0.0.0.0' || addr.host === '::' ? '127.0.0.1' : addr.host;
  return `http://${host}:${addr.port}`;
}

export function parseHttpUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http:// or https:// URL');
  return raw.replace(/\/+$/, '');
}

export function formatHostPort(addr: HostPort): string {
  return `${addr.host}:${addr.port}`;
}

/** A certificate and key pair of settings: both or neither. */
export function tlsFiles(env: Readonly<Record<string, string | undefined>>, certName: string, keyName: string, problems: string[]): { certFile: string; keyFile: string } | undefined {
  const certFile = env[certName];
  const keyFile = env[keyName];
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    problems.push(`${certName} and ${keyName} go together`);
    return undefined;
  }
  return { certFile, keyFile };
}

export function parseIntInRange(raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new Error('expected a whole number');
  const value = Number(raw);
  if (value < min || value > max) throw new Error(`expected ${min}..${max}`);
  return value;
}

export function parseBoolean(raw: string): boolean {
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error('expected true or false');
}

export function parseOperatorToken(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (raw.length < 16) throw new Error('an operator token needs at least 16 characters');
  return raw;
}

/** Copied into Kamailio's config as a quoted string, so only URL-safe base64 characters. */
export function parseAgentSecret(raw: string): string | undefined {
  if (raw === '') return undefined;
  if (!/^[A-Za-z0-9_-]{24,128}$/.test(raw)) throw new Error('expected 24 to 128 characters among A-Z a-z 0-9 _ -');
  return raw;
}

export function parseFee(raw: string): bigint {
  const micros = parseDecimalToMicros(raw);
  if (micros < 0n) throw new Error('a fee cannot be negative');
  return micros;
}

export function nonEmpty(raw: string): string {
  if (raw.trim() === '') throw new Error('must not be empty');
  return raw;
}

export function oneOf<T extends string>(raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) throw new Error(`expected one of ${allowed.join(', ')}`);
  return raw as T;
}

export function optional(raw: string | undefined): string | undefined {
  return raw === undefined || raw === '' ? undefined : raw;
}
