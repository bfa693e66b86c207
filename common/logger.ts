/** Structured logs. One root logger; every call gets a child carrying its Call-ID. */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'minutex'): Logger {
  return pino({ name, level });
}

export function callLogger(parent: Logger, callId: string): Logger {
  return parent.child({ call_id: callId });
}
