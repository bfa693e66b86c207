/** Structured logs. One root logger; every call gets a child carrying its Call-ID. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'minutex'): Logger {
  // Tokens and keys never reach a log, whatever object carries them.
  return pino({ name, level, redact: { paths: ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', 'key', '*.token', '*.key'], censor: '[redacted]' } });
}

export function callLogger(parent: Logger, callId: string): Logger {
  return parent.child({ call_id: callId });
}
