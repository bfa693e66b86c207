/**
 * The one parser of what Kamailio sends over evapi. Raw JSON becomes a typed SwitchEvent, or a
 * ParseFailure with a reason we log; nothing downstream ever sees an untyped map.
 */

/** Microseconds since the epoch, as Kamailio's $TV(Sn) gives them ("1700000000.123456"). */
export type EpochMicros = bigint;

export interface TransactionRef {
  readonly index: number;
  readonly label: number;
}

export interface DialogRef {
  readonly h_entry: number;
  readonly h_id: number;
}

export type SwitchEvent =
  | {
      readonly kind: 'route_request';
      readonly transaction: TransactionRef;
      readonly call_id: string;
      readonly source_ip: string;
      readonly source_port: number;
      readonly called: string;
      readonly caller: string;
      readonly at_us: EpochMicros;
    }
  | { readonly kind: 'leg_ringing'; readonly call_id: string; readonly leg: number; readonly code: number; readonly at_us: EpochMicros }
  | {
      readonly kind: 'call_answered';
      readonly call_id: string;
      readonly leg: number;
      readonly code: number;
      /** The dialog's hash handles: how the switch is asked to move its timeout or end it. */
      readonly dialog: DialogRef;
      readonly at_us: EpochMicros;
    }
  | {
      readonly kind: 'leg_failed';
      readonly call_id: string;
      readonly leg: number;
      readonly code: number;
      /** True when no seller is left to try: the call has failed. */
      readonly final: boolean;
      readonly at_us: EpochMicros;
    }
  | { readonly kind: 'call_ended'; readonly call_id: string; readonly by: 'caller' | 'callee'; readonly at_us: EpochMicros }
  | { readonly kind: 'bye_sent'; readonly call_id: string; readonly to_uri: string; readonly at_us: EpochMicros };

export type ParseResult = { readonly ok: true; readonly event: SwitchEvent } | { readonly ok: false; readonly reason: string };

type Fields = Record<string, unknown>;

class FieldError extends Error {}

export function parseSwitchEvent(payload: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return { ok: false, reason: 'not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'not a JSON object' };
  const fields = value as Fields;
  try {
    return { ok: true, event: toEvent(fields) };
  } catch (error) {
    if (error instanceof FieldError) return { ok: false, reason: error.message };
    throw error;
  }
}

function toEvent(fields: Fields): SwitchEvent {
  const kind = text(fields, 'event');
  switch (kind) {
    case 'route_request':
      return {
        kind,
        transaction: { index: integer(fields, 'tindex'), label: integer(fields, 'tlabel') },
        call_id: text(fields, 'call_id', 1),
        source_ip: text(fields, 'source_ip', 1),
        source_port: integer(fields, 'source_port'),
        called: text(fields, 'called'),
        caller: text(fields, 'caller'),
        at_us: epochMicros(fields, 'at'),
      };
    case 'leg_ringing':
      return { kind, call_id: text(fields, 'call_id', 1), leg: integer(fields, 'leg'), code: sipCode(fields), at_us: epochMicros(fields, 'at') };
    case 'call_answered':
      return {
        kind,
        call_id: text(fields, 'call_id', 1),
        leg: integer(fields, 'leg'),
        code: sipCode(fields),
        dialog: { h_entry: integer(fields, 'h_entry'), h_id: integer(fields, 'h_id') },
        at_us: epochMicros(fields, 'at'),
      };
    case 'leg_failed':
      return {
        kind,
        call_id: text(fields, 'call_id', 1),
        leg: integer(fields, 'leg'),
        code: sipCode(fields),
        final: integer(fields, 'final') === 1,
        at_us: epochMicros(fields, 'at'),
      };
    case 'call_ended': {
      const by = text(fields, 'by');
      if (by !== 'caller' && by !== 'callee') throw new FieldError(`call_ended.by is ${JSON.stringify(by)}`);
      return { kind, call_id: text(fields, 'call_id', 1), by, at_us: epochMicros(fields, 'at') };
    }
    case 'bye_sent':
      return { kind, call_id: text(fields, 'call_id', 1), to_uri: text(fields, 'to_uri'), at_us: epochMicros(fields, 'at') };
    default:
      throw new FieldError(`unknown event ${JSON.stringify(kind)}`);
  }
}

function text(fields: Fields, name: string, minLength = 0): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.length < minLength) throw new FieldError(`${name} is missing or not a string`);
  return value;
}

function integer(fields: Fields, name: string): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new FieldError(`${name} is not a whole number`);
  return value;
}

function sipCode(fields: Fields): number {
  const code = integer(fields, 'code');
  if (code < 100 || code > 699) throw new FieldError(`code ${code} is not a SIP status`);
  return code;
}

/** "1700000000.123456" → 1700000000123456n, without a float. */
function epochMicros(fields: Fields, name: string): EpochMicros {
  // Kamailio pads the microseconds to six digits; anything else is refused rather than misread.
  const match = /^(\d{9,11})\.(\d{6})$/.exec(text(fields, name));
  if (!match) throw new FieldError(`${name} is not seconds.microseconds`);
  return BigInt(match[1]!) * 1_000_000n + BigInt(match[2]!);
}
