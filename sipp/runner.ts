/**
 * Runs SIPp as a child process, bounded in time and in calls, and reports what happened.
 *
 * Each run gets its own folder under the caller's work folder, holding SIPp's statistics CSV,
 * its error log and the log of the scenario's <log> actions; the result gives the counts read
 * from them. A run never outlives its bound: the runner stops SIPp after `maxRunMs` (SIGTERM,
 * which SIPp handles by writing its last statistics and exiting, then SIGKILL if it lingers).
 * It never outlives this process either: SIPp is started under `setpriv --pdeathsig SIGKILL`
 * (util-linux), so the kernel kills it when this process dies however it dies (strictly, when
 * the thread that started it ends: start SIPp from the main thread), every child still running
 * is killed on a normal exit, and SIPp's own global timeout lands shortly after the bound in
 * case everything else failed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sippArguments, validateSippOptions, type SippFiles, type SippOptions } from './arguments.ts';
import { parseScenarioLog, type SippRejection } from './scenario-log.ts';
import { parseSippStats, type SippStats } from './stats.ts';
import { isUdpEndpointBound } from './udp-ports.ts';

export type { SippAnswererOptions, SippCallerOptions, SippOptions } from './arguments.ts';
export type { SippRejection } from './scenario-log.ts';
export type { SippStats } from './stats.ts';

/** The scenarios shipped with the project; a bare file name is looked up here. */
export const SCENARIO_DIRECTORY = fileURLToPath(new URL('./scenarios/', import.meta.url));
const SIPP_EXECUTABLE = 'sipp';
/** Sets the parent-death signal, then runs SIPp in its place (same process id). */
const PARENT_DEATH_WRAPPER = '/usr/bin/setpriv';
/** Linux's table of UDP sockets, to find a port already taken. */
const PROC_NET_UDP = '/proc/net/udp';
/** How long SIPp gets to exit after SIGTERM before SIGKILL, in ms. */
const STOP_GRACE_MS = 2_000;
/** How often `ready` looks for SIPp's first row of statistics, in ms. */
const READY_POLL_MS = 20;
/** How much of SIPp's standard error a result keeps (the end of it), in characters. */
const MAX_STDERR_CHARS = 64 * 1024;

/**
 * SIPp's exit codes (`sipp -h`, "Exit codes"). Node reports SIPp's negative codes modulo 256.
 * SIPp also exits with 0 when it handles SIGTERM, whatever its calls did, so a stopped or timed
 * out run must be judged by its counts, not by its exit code.
 */
export const SIPP_EXIT_CODES = {
  allCallsSuccessful: 0,
  /** Also what SIPp 3.6 exits with when it cannot load the scenario. */
  someCallsFailed: 1,
  /** Ended by an internal command; also SIPp's own global timeout (-timeout). */
  exitOnInternalCommand: 97,
  normalExitWithoutCalls: 99,
  /** SIPp's -1. */
  fatalError: 255,
  /** SIPp's -2: it could not bind its socket (the address or port is taken). */
  fatalErrorBindingSocket: 254,
} as const;

export interface SippResult {
  /** SIPp's exit code (see SIPP_EXIT_CODES), or null when a signal SIPp does not handle ended it. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly successfulCalls: number;
  readonly failedCalls: number;
  /** Calls placed (caller) or received (answerer). */
  readonly totalCalls: number;
  /** Calls still in progress when SIPp stopped: counted neither successful nor failed. */
  readonly currentCalls: number;
  /** Calls failed on a message their scenario did not expect. */
  readonly unexpectedMessages: number;
  /** Every counter of the last statistics row; undefined if SIPp never wrote one. */
  readonly stats: SippStats | undefined;
  /** Call-IDs of the BYEs the scenario received from the network, one entry per BYE. */
  readonly receivedByeCallIds: readonly string[];
  /** The rejections a uac-call-expect-<code> scenario received, with their Reason header lines. */
  readonly rejections: readonly SippRejection[];
  readonly statsFile: string;
  /** SIPp's log of unexpected messages and other errors; undefined when it wrote none. */
  readonly errorsFile: string | undefined;
  readonly logFile: string;
  /** The end of SIPp's standard error. */
  readonly stderr: string;
  /** True when the runner stopped SIPp because `maxRunMs` ran out. */
  readonly timedOut: boolean;
  /** True when `stop()` (or `stopAllSipp()`) ended the run. */
  readonly stopped: boolean;
}

export interface SippProcess {
  readonly pid: number | undefined;
  /** Resolves once SIPp runs its scenario (its socket is bound); rejects if it exits first. */
  readonly ready: Promise<void>;
  /** Resolves when SIPp has exited and its files are read. */
  readonly done: Promise<SippResult>;
  /** Ends the run now (calls in progress are abandoned) and gives its result. */
  stop(): Promise<SippResult>;
}

const running = new Set<RunningSipp>();
let exitHookInstalled = false;

/**
 * Starts SIPp and returns at once. Throws on options that `validateSippOptions` refuses, and
 * when the address and port are already bound.
 */
export function startSipp(options: SippOptions, workDir: string): SippProcess {
  validateSippOptions(options);
  const scenarioPath = resolveScenario(options.scenario);
  refuseTakenEndpoint(options.localAddress, options.localPort);
  mkdirSync(workDir, { recursive: true });
  const runName = `${path.basename(scenarioPath, '.xml')}-${options.localAddress}-${options.localPort}-`;
  const runDirectory = mkdtempSync(path.join(workDir, runName));
  const files: SippFiles = {
    statsFile: path.join(runDirectory, 'stats.csv'),
    errorsFile: path.join(runDirectory, 'errors.log'),
    logFile: path.join(runDirectory, 'actions.log'),
  };
  installExitHook();
  const run = new RunningSipp(`${path.basename(scenarioPath)} on ${options.localAddress}:${options.localPort}`,
    `${options.localAddress}:${options.localPort}`, sippArguments(options, scenarioPath, files), runDirectory, files, options.maxRunMs);
  running.add(run);
  void run.done.finally(() => running.delete(run)).catch(() => undefined);
  return run;
}

/** Runs SIPp to its end (all calls made, or the time bound) and gives its result. */
export async function runSipp(options: SippOptions, workDir: string): Promise<SippResult> {
  return startSipp(options, workDir).done;
}

/** Stops every SIPp this process started and still running; for `after` hooks and signal handlers. */
export async function stopAllSipp(): Promise<readonly SippResult[]> {
  return Promise.all([...running].map((run) => run.stop()));
}

class RunningSipp implements SippProcess {
  readonly ready: Promise<void>;
  readonly done: Promise<SippResult>;
  private readonly child: ChildProcess;
  private stderr = '';
  private exited = false;
  private timedOut = false;
  private stopped = false;
  private readonly boundTimer: NodeJS.Timeout;
  private killTimer: NodeJS.Timeout | undefined;

  constructor(private readonly description: string, readonly endpoint: string, command: readonly string[],
    runDirectory: string, private readonly files: SippFiles, maxRunMs: number) {
    const wrapped = existsSync(PARENT_DEATH_WRAPPER);
    const executable = wrapped ? PARENT_DEATH_WRAPPER : SIPP_EXECUTABLE;
    const prefix = wrapped ? ['--pdeathsig', 'SIGKILL', '--', SIPP_EXECUTABLE] : [];
    this.child = spawn(executable, [...prefix, ...command], { cwd: runDirectory, stdio: ['ignore', 'ignore', 'pipe'] });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-MAX_STDERR_CHARS);
    });
    this.boundTimer = setTimeout(() => {
      this.timedOut = true;
      this.terminate();
    }, maxRunMs);
    this.done = this.waitForExit();
    this.ready = this.waitUntilReady();
    // Both are also handed to callers, who may await neither: a rejection must not go unhandled.
    this.done.catch(() => undefined);
    this.ready.catch(() => undefined);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  stop(): Promise<SippResult> {
    if (!this.exited) this.stopped = true;
    this.terminate();
    return this.done;
  }

  /** Kills at once, for the moment this process exits, when nothing can be awaited any more. */
  killNow(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private terminate(): void {
    if (this.exited || this.killTimer !== undefined) return;
    this.child.kill('SIGTERM');
    this.killTimer = setTimeout(() => this.killNow(), STOP_GRACE_MS);
  }

  private async waitForExit(): Promise<SippResult> {
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
      this.child.once('error', (error) => {
        if (this.child.pid === undefined) reject(new Error(`SIPp (${this.description}) did not start`, { cause: error }));
      });
      this.child.once('close', (code, signal) => resolve([code, signal]));
    }).finally(() => {
      this.exited = true;
      clearTimeout(this.boundTimer);
      clearTimeout(this.killTimer);
    });
    return this.readResult(exitCode, signal);
  }

  private async waitUntilReady(): Promise<void> {
    // SIPp binds its socket before it starts the scenario, and writes the statistics header
    // and a first row the moment the scenario starts.
    for (;;) {
      const exitedBefore = this.exited;
      const statistics = await readIfPresent(this.files.statsFile);
      if (statistics.split('\n').length >= 3) return;
      if (exitedBefore) {
        throw new Error(`SIPp (${this.description}) exited before it was ready: ${this.stderr.trim()}`);
      }
      await sleep(READY_POLL_MS);
    }
  }

  private async readResult(exitCode: number | null, signal: NodeJS.Signals | null): Promise<SippResult> {
    const [statistics, actions, errors] = await Promise.all([
      readIfPresent(this.files.statsFile), readIfPresent(this.files.logFile), readIfPresent(this.files.errorsFile)]);
    const stats = parseSippStats(statistics);
    const log = parseScenarioLog(actions);
    return {
      exitCode,
      signal,
      successfulCalls: stats?.successfulCalls ?? 0,
      failedCalls: stats?.failedCalls ?? 0,
      totalCalls: stats?.totalCallsCreated ?? 0,
      currentCalls: stats?.currentCalls ?? 0,
      unexpectedMessages: stats?.failedUnexpectedMessage ?? 0,
      stats,
      receivedByeCallIds: log.receivedByeCallIds,
      rejections: log.rejections,
      statsFile: this.files.statsFile,
      errorsFile: errors === '' ? undefined : this.files.errorsFile,
      logFile: this.files.logFile,
      stderr: this.stderr,
      timedOut: this.timedOut,
      stopped: this.stopped,
    };
  }
}

/** A bare file name is one of ours in sipp/scenarios; anything else must be an absolute path. */
function resolveScenario(scenario: string): string {
  if (!path.isAbsolute(scenario) && scenario !== path.basename(scenario)) {
    throw new RangeError(`a scenario is a file name in ${SCENARIO_DIRECTORY} or an absolute path, got '${scenario}'`);
  }
  const scenarioPath = path.isAbsolute(scenario) ? scenario : path.join(SCENARIO_DIRECTORY, scenario);
  if (!existsSync(scenarioPath)) throw new RangeError(`no SIPp scenario at ${scenarioPath}`);
  return scenarioPath;
}

/**
 * SIPp binds with SO_REUSEADDR: on a taken address and port it would start and silently share
 * the calls with whatever holds it. Checks this process's runs (one may not have bound yet) and
 * the system's table of sockets.
 */
function refuseTakenEndpoint(address: string, port: number): void {
  const endpoint = `${address}:${port}`;
  const takenHere = [...running].some((run) => run.endpoint === endpoint);
  const sockets = existsSync(PROC_NET_UDP) ? readFileSync(PROC_NET_UDP, 'utf8') : '';
  if (takenHere || isUdpEndpointBound(sockets, address, port, os.endianness())) {
    throw new Error(`UDP ${endpoint} is already bound; a SIPp started there would share its calls`);
  }
}

async function readIfPresent(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const run of running) run.killNow();
  });
}
