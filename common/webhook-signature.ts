/**
 * Signed webhooks between the financial services node and minutex, in the convention payment
 * providers use: the signature header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`.
 * The receiver recomputes the HMAC over the raw body it received (never a re-serialised one),
 * compares it in constant time, and refuses a timestamp more than the tolerance away from its
 * own clock, so that a captured request cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'minutex-signature';
/** How far a webhook's timestamp may be from the receiver's clock, in seconds. */
export const SIGNATURE_TOLERANCE_S = 300;

export type SignatureCheck =
  | { readonly ok: true; readonly timestamp_s: number }
  | { readonly ok: false; readonly reason: 'missing_signature' | 'malformed_signature' | 'timestamp_out_of_tolerance' | 'bad_signature' };

function mac(secret: string, timestamp_s: number, body: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp_s}.${body}`).digest();
}

export function signWebhook(secret: string, timestamp_s: number, body: string): string {
  return `t=${timestamp_s},v1=${mac(secret, timestamp_s, body).toString('hex')}`;
}

export function verifyWebhook(secret: string, header: string | undefined, body: string, now_s: number, tolerance_s = SIGNATURE_TOLERANCE_S): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'missing_signature' };
  const parts = new Map(header.split(',').map((part) => {
    const at = part.indexOf('=');
    return [part.slice(0, at).trim(), part.slice(at + 1).trim()] as const;
  }));
  const t = parts.get('t');
  const v1 = parts.get('v1');
  if (t === undefined || v1 === undefined || !/^\d{1,12}$/.test(t) || !/^[0-9a-f]{64}$/.test(v1)) return { ok: false, reason: 'malformed_signature' };
  const timestamp_s = Number(t);
  if (Math.abs(now_s - timestamp_s) > tolerance_s) return { ok: false, reason: 'timestamp_out_of_tolerance' };
  if (!timingSafeEqual(Buffer.from(v1, 'hex'), mac(secret, timestamp_s, body))) return { ok: false, reason: 'bad_signature' };
  return { ok: true, timestamp_s };
}
