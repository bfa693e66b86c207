/** Structured logs. One root logger; every call gets a child carrying its Call-ID. */
import { pino, type DestinationStream, type Logger } from 'pino';
import { prettyFactory } from 'pino-pretty';

export type { Logger };

/** Fields whose values never reach a log, whatever object carries them: bearer tokens, API keys, operators' tokens. */
export const REDACTED_PATHS = ['req.headers.authorization', 'headers.authorization', 'authorization', 'token', 'key', '*.token', '*.key'];

/** MINUTEX_LOG_FORMAT: `auto` (the default) is readable on a terminal and JSON lines otherwise. */
export const LOG_FORMAT_SETTINGS = ['auto', 'json', 'pretty'] as const;
export type LogFormatSetting = (typeof LOG_FORMAT_SETTINGS)[number];
export type LogFormat = 'json' | 'pretty';

/**
 * A person watching a terminal reads lines (pino-pretty); anything else (a file, a pipe, journald,
 * a log shipper) gets one JSON object a line, as it parses them.
 */
export function chooseLogFormat(setting: LogFormatSetting, stdoutIsTty: boolean): LogFormat {
  if (setting === 'auto') return stdoutIsTty ? 'pretty' : 'json';
  return setting;
}

/**
 * The root logger. With no destination it writes to stdout, in the format `setting` and stdout
 * being a terminal choose; with a destination (tests), JSON unless `setting` asks for pretty.
 */
export function createLogger(level: string, name = 'minutex', destination?: DestinationStream, setting: LogFormatSetting = 'auto'): Logger {
  const options = { name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } };
  const format = chooseLogFormat(setting, destination === undefined && process.stdout.isTTY === true);
  if (format === 'pretty') {
    // Formatted in this thread as each line is written (not in a transport's worker): lines keep
    // their order with console output, and the last ones are not lost at exit.
    // One line per entry, its fields after the message: a terminal scrolls by line.
    const prettify = prettyFactory({ colorize: destination === undefined && process.stdout.isTTY === true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true });
    const target = destination ?? process.stdout;
    return pino(options, { write: (line: string) => void target.write(prettify(line)) });
  }
  return destination === undefined ? pino(options) : pino(options, destination);
}

export function callLogger(parent: Logger, callId: string): Logger {
  return parent.child({ call_id: callId });
}
