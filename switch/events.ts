/**
 * The one parser of what Kamailio sends over evapi. Raw JSON becomes a typed SwitchEvent, or a
 * ParseFailure with a reason we log; nothing downstream ever sees an untyped map. Every string is
 * bounded here (the switch refuses longer values before asking, see minutex-routing.cfg), so no
 * oversized value reaches a store whose column would refuse it along with its neighbours.
 */

/** Longest Call-ID we accept, in characters (calls.call_id and switch_call_records.call_id). */
export const MAX_CALL_ID_CHARS = 256;
/** Longest dialled or calling number (the user part of a SIP URI), in characters. */
export const MAX_NUMBER_CHARS = 64;
/** Longest source address: an IPv6 address in text is at most 45 characters. */
export const MAX_ADDRESS_CHARS = 45;
/** Longest SIP URI we report (bye_sent.to_uri), in characters. */
export const MAX_URI_CHARS = 512;
/** Longest reason text from the switch, in characters. */
export const MAX_REASON_CHARS = 120;

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
  | { readonly kind: 'bye_sent'; readonly call_id: string; readonly to_uri: string; readonly at_us: EpochMicros }
  /** A decision reached the switch after its route timeout (the caller already had a 503): nothing was routed. */
  | { readonly kind: 'route_late'; readonly call_id: string; readonly at_us: EpochMicros }
  /** The switch could not carry out a route decision (bad route set, relay failure): the caller got `code`. */
  | { readonly kind: 'setup_failed'; readonly call_id: string; readonly code: number; readonly reason: string; readonly at_us: EpochMicros }
  /**
   * The switch could not set a call's maximum duration: the call has no backstop timer of the
   * switch's own. `call_id` is empty and `dialog` null when the switch did not know them.
   */
  | { readonly kind: 'timeout_not_set'; readonly call_id: string; readonly dialog: DialogRef | null; readonly at_us: EpochMicros }
  /** The media relay saw no RTP on the call for `timeout_s` seconds before `at_us`: its media stopped. */
  | { readonly kind: 'media_timeout'; readonly call_id: string; readonly timeout_s: number; readonly at_us: EpochMicros }
  /** What the media relay measured on the call, sent as it released the call's media (before the end event). */
  | { readonly kind: 'media_stats'; readonly call_id: string; readonly stats: MediaStats; readonly at_us: EpochMicros };

export interface MediaStats {
  /** RTP packets relayed in both directions; null when the relay did not say. */
  readonly packets: number | null;
  /** From the carriers' RTCP reports; null without them. */
  readonly mos_x10: number | null;
  readonly packet_loss_pct: number | null;
  readonly jitter_ms: number | null;
}

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
        call_id: callId(fields),
        source_ip: text(fields, 'source_ip', 1, MAX_ADDRESS_CHARS),
        source_port: port(fields, 'source_port'),
        called: text(fields, 'called', 0, MAX_NUMBER_CHARS),
        caller: text(fields, 'caller', 0, MAX_NUMBER_CHARS),
        at_us: epochMicros(fields, 'at'),
      };
    case 'leg_ringing':
      return { kind, call_id: callId(fields), leg: integer(fields, 'leg'), code: sipCode(fields), at_us: epochMicros(fields, 'at') };
    case 'call_answered':
      return {
        kind,
        call_id: callId(fields),
        leg: integer(fields, 'leg'),
        code: sipCode(fields),
        dialog: { h_entry: integer(fields, 'h_entry'), h_id: integer(fields, 'h_id') },
        at_us: epochMicros(fields, 'at'),
      };
    case 'leg_failed':
      return {
        kind,
        call_id: callId(fields),
        leg: integer(fields, 'leg'),
        code: sipCode(fields),
        final: integer(fields, 'final') === 1,
        at_us: epochMicros(fields, 'at'),
      };
    case 'call_ended': {
      const by = text(fields, 'by');
      if (by !== 'caller' && by !== 'callee') throw new FieldError(`call_ended.by is ${JSON.stringify(by)}`);
      return { kind, call_id: callId(fields), by, at_us: epochMicros(fields, 'at') };
    }
    case 'bye_sent':
      return { kind, call_id: callId(fields), to_uri: text(fields, 'to_uri', 0, MAX_URI_CHARS), at_us: epochMicros(fields, 'at') };
    case 'route_late':
      return { kind, call_id: callId(fields), at_us: epochMicros(fields, 'at') };
    case 'setup_failed':
      return { kind, call_id: callId(fields), code: sipCode(fields), reason: text(fields, 'reason', 0, MAX_REASON_CHARS), at_us: epochMicros(fields, 'at') };
    case 'timeout_not_set':
      return { kind, call_id: text(fields, 'call_id', 0, MAX_CALL_ID_CHARS), dialog: optionalDialog(fields), at_us: epochMicros(fields, 'at') };
    case 'media_stats':
      return {
        kind, call_id: callId(fields), at_us: epochMicros(fields, 'at'),
        stats: {
          packets: optionalCount(fields, 'packets'), mos_x10: optionalCount(fields, 'mos_x10', 10, 50),
          packet_loss_pct: optionalCount(fields, 'packet_loss_pct', 0, 100), jitter_ms: optionalCount(fields, 'jitter_ms'),
        },
      };
    case 'media_timeout':
      return { kind, call_id: callId(fields), timeout_s: integer(fields, 'timeout_s'), at_us: epochMicros(fields, 'at') };
    default:
      throw new FieldError(`unknown event ${JSON.stringify(kind)}`);
  }
}

/** The longest string any field may hold: the event's kind, or a timestamp. */
const MAX_FIELD_CHARS = 64;

function text(fields: Fields, name: string, minLength = 0, maxLength = MAX_FIELD_CHARS): string {
  const value = fields[name];
  if (typeof value !== 'string' || value.length < minLength) throw new FieldError(`${name} is missing or not a string`);
  if (value.length > maxLength) throw new FieldError(`${name} has ${value.length} characters, more than ${maxLength}`);
  return value;
}

function callId(fields: Fields): string {
  return text(fields, 'call_id', 1, MAX_CALL_ID_CHARS);
}

/** Largest whole number in an event: Kamailio's transaction and dialog handles are 32-bit unsigned. */
const MAX_INTEGER = 0xffff_ffff;

function integer(fields: Fields, name: string): number {
  const value = fields[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > MAX_INTEGER) throw new FieldError(`${name} is not a whole number`);
  return value;
}

function port(fields: Fields, name: string): number {
  const value = integer(fields, name);
  if (value < 1 || value > 65535) throw new FieldError(`${name} ${value} is not a port`);
  return value;
}

/** A dialog's handles when the switch knew them; it sends -1 for each when it did not. */
function optionalDialog(fields: Fields): DialogRef | null {
  if (fields['h_entry'] === undefined || fields['h_entry'] === -1 || fields['h_id'] === undefined || fields['h_id'] === -1) return null;
  return { h_entry: integer(fields, 'h_entry'), h_id: integer(fields, 'h_id') };
}

/** A measure the switch may not have (absent, or -1): null then; out of its range, refused. */
function optionalCount(fields: Fields, name: string, minimum = 0, maximum = Number.MAX_SAFE_INTEGER): number | null {
  const value = fields[name];
  if (value === undefined || value === -1) return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < minimum || value > maximum) throw new FieldError(`${name} is not a whole number from ${minimum} to ${maximum}`);
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
