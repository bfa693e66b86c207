/** Structured logs. One root logger; every call gets a child carrying its Call-ID. */
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Fields whose values never reach a log, whatever object carries them: bearer tokens, API keys, operators' tokens. */
export const REDACTED_PATHS = ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', 'key', '*.token', '*.key'];

export function createLogger(level: string, name = 'minutex', destination?: DestinationStream): Logger {
  const options = { name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  return destination === undefined ? pino(options) : pino(options, destination);
}

export function callLogger(parent: Logger, callId: string): Logger {
  return parent.child({ call_id: callId });
}
