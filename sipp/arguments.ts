/**
 * What a SIPp run may do, checked before it starts, and the command line that says it.
 *
 * SIPp plays carriers' SIP trunks in tests, the demo and benchmarks. Every run is bounded in
 * time and, when it places calls, in count, and it may only send to loopback addresses
 * (127.0.0.0/8): a typo must never turn a test into traffic on a real network.
 */
import { isIPv4 } from 'node:net';

/** The longest a run may be given, in ms: a day covers any soak test. */
export const MAX_RUN_MS = 24 * 60 * 60 * 1000;
/** The most calls one run may place: a thousand calls a second for over a quarter of an hour. */
export const MAX_CALLS_PER_RUN = 1_000_000;
/** Rows of statistics are written this often while SIPp runs (-fd), in seconds. */
export const STATISTICS_PERIOD_S = 1;
/** SIPp's own global timeout lands this long after the runner's time bound, in ms (see below). */
export const SIPP_TIMEOUT_MARGIN_MS = 5_000;
/** Size at which SIPp stops writing its error log (-max_log_size), in bytes. */
export const MAX_ERROR_LOG_BYTES = 10 * 1024 * 1024;

/**
 * Options that would move traffic elsewhere (-rsa, or -t ui with -ip_field, which takes source
 * addresses from an injection file), set what the runner sets itself, or detach SIPp from the
 * runner, which must stay its parent to bound it.
 */
const FORBIDDEN_EXTRA_ARGUMENTS: ReadonlySet<string> = new Set(['-rsa', '-i', '-mi', '-p', '-t', '-ip_field', '-bg', '-m', '-timeout']);

interface SippCommonOptions {
  /** A file name in sipp/scenarios, or an absolute path to a scenario elsewhere. */
  readonly scenario: string;
  /** The address SIPp binds and writes in Via and Contact: a 127.0.0.0/8 address. */
  readonly localAddress: string;
  /** The UDP port SIPp binds. */
  readonly localPort: number;
  /** Hard bound: SIPp is stopped (SIGTERM, then SIGKILL) this long after it starts. */
  readonly maxRunMs: number;
  /** Length of the scenario's <pause/> without a duration of its own (-d), in ms. */
  readonly callDurationMs?: number;
  /** Most calls in progress at once (-l). */
  readonly concurrentLimit?: number;
  /** Values for the scenario's [name] keywords (-key name value). */
  readonly variables?: Readonly<Record<string, string>>;
  /** Other SIPp options, except those that set addresses, the call count or the time bound. */
  readonly extraArgs?: readonly string[];
}

/** A caller (the buyer's trunk, UAC): places `calls` calls to `remote`, then exits. */
export interface SippCallerOptions extends SippCommonOptions {
  /** 'host:port' of the switch (or of an answering SIPp); the host must be a loopback address. */
  readonly remote: string;
  /** Calls to place before exiting (-m). */
  readonly calls: number;
  /** The dialled number, the user part of the Request-URI and To (-s). */
  readonly service?: string;
  /** New calls per second (-r, with a rate period of one second). */
  readonly ratePerSecond?: number;
}

/** An answerer (a seller's trunk, UAS): waits for calls until stopped, or until `calls` calls ended. */
export interface SippAnswererOptions extends SippCommonOptions {
  readonly remote?: undefined;
  /** When given, SIPp exits after this many calls (-m). */
  readonly calls?: number;
}

export type SippOptions = SippCallerOptions | SippAnswererOptions;

/** Where one run writes what happened. */
export interface SippFiles {
  readonly statsFile: string;
  readonly errorsFile: string;
  readonly logFile: string;
}

export function isLoopbackAddress(address: string): boolean {
  return isIPv4(address) && address.split('.')[0] === '127';
}

/** Splits 'host:port' and checks that the host is a loopback address; throws otherwise. */
export function parseLoopbackTarget(target: string): { readonly host: string; readonly port: number } {
  const separator = target.lastIndexOf(':');
  const host = target.slice(0, separator);
  const port = Number(target.slice(separator + 1));
  if (separator < 0 || !isLoopbackAddress(host)) {
    throw new RangeError(`SIPp may only call a loopback address (127.0.0.0/8), got '${target}'`);
  }
  requirePort(port, `the port of '${target}'`);
  return { host, port };
}

/** Throws on options that would make an unbounded run or send traffic off this machine. */
export function validateSippOptions(options: SippOptions): void {
  if (!isLoopbackAddress(options.localAddress)) {
    throw new RangeError(`SIPp may only bind a loopback address (127.0.0.0/8), got '${options.localAddress}'`);
  }
  requirePort(options.localPort, 'localPort');
  requireInteger(options.maxRunMs, 'maxRunMs', 1, MAX_RUN_MS);
  if (options.remote !== undefined) {
    parseLoopbackTarget(options.remote);
    requireInteger(options.calls, 'calls (a caller must place a bounded number of calls)', 1, MAX_CALLS_PER_RUN);
    if (options.ratePerSecond !== undefined && !(Number.isFinite(options.ratePerSecond) && options.ratePerSecond > 0)) {
      throw new RangeError(`ratePerSecond must be a positive number, got ${options.ratePerSecond}`);
    }
  } else if (options.calls !== undefined) {
    requireInteger(options.calls, 'calls', 1, MAX_CALLS_PER_RUN);
  }
  if (options.callDurationMs !== undefined) requireInteger(options.callDurationMs, 'callDurationMs', 0, MAX_RUN_MS);
  if (options.concurrentLimit !== undefined) requireInteger(options.concurrentLimit, 'concurrentLimit', 1, MAX_CALLS_PER_RUN);
  for (const name of Object.keys(options.variables ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new RangeError(`'${name}' is not a scenario keyword name`);
  }
  const forbidden = (options.extraArgs ?? []).filter((argument) => FORBIDDEN_EXTRA_ARGUMENTS.has(argument));
  if (forbidden.length > 0) {
    throw new RangeError(`extraArgs may not contain ${forbidden.join(', ')}: the runner sets them itself`);
  }
}

/**
 * The SIPp command line for a validated run.
 *
 * SIPp stays in the foreground (no -bg) so that the runner, its parent, can bound and stop it;
 * -nostdin because it has no terminal. Statistics go to a CSV file every second, unexpected
 * messages to the error file, and the scenarios' <log> actions (BYE_RECEIVED, REJECTED) to the
 * log file. SIPp's own global timeout (-timeout, whole seconds) is set a little after the
 * runner's bound, so that a SIPp orphaned by a parent that died without cleaning up still stops.
 * -aa answers INFO, NOTIFY, OPTIONS and UPDATE inside a dialog, so that keepalives from the
 * switch do not fail a call.
 */
export function sippArguments(options: SippOptions, scenarioPath: string, files: SippFiles): string[] {
  const timeoutS = Math.ceil((options.maxRunMs + SIPP_TIMEOUT_MARGIN_MS) / 1000);
  const command = [
    '-sf', scenarioPath,
    '-i', options.localAddress, '-p', String(options.localPort), '-mi', options.localAddress,
    '-nostdin', '-aa',
    '-timeout', `${timeoutS}s`,
    '-trace_stat', '-stf', files.statsFile, '-fd', `${STATISTICS_PERIOD_S}s`,
    '-trace_err', '-error_file', files.errorsFile, '-max_log_size', String(MAX_ERROR_LOG_BYTES),
    '-trace_logs', '-log_file', files.logFile,
  ];
  if (options.calls !== undefined) command.push('-m', String(options.calls));
  if (options.callDurationMs !== undefined) command.push('-d', String(options.callDurationMs));
  if (options.concurrentLimit !== undefined) command.push('-l', String(options.concurrentLimit));
  if (options.remote !== undefined) {
    if (options.service !== undefined) command.push('-s', options.service);
    if (options.ratePerSecond !== undefined) command.push('-r', String(options.ratePerSecond), '-rp', '1000');
  }
  for (const [name, value] of Object.entries(options.variables ?? {})) command.push('-key', name, value);
  command.push(...(options.extraArgs ?? []));
  if (options.remote !== undefined) command.push(options.remote);
  return command;
}

function requirePort(port: number, what: string): void {
  requireInteger(port, what, 1, 65_535);
}

function requireInteger(value: number | undefined, what: string, minimum: number, maximum: number): void {
  if (value === undefined || !Number.isInteger(value) || value < minimum || value > maximum) {
    throw new RangeError(`${what} must be an integer from ${minimum} to ${maximum}, got ${value}`);
  }
}
