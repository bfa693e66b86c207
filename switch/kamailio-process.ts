/**
 * Runs Kamailio as a child process in the foreground (-DD -E), without systemd, and stops it
 * with the rest of minutex. Its stderr lines go to our log.
 *
 * Kamailio forks its workers from its main process. When the main process dies (kill -9, a
 * crash), the workers keep running, re-parented to init, still holding the SIP socket, and no
 * new Kamailio can bind it. So every Kamailio starts as the leader of a process group of its
 * own, and ending it always ends the whole group. `superviseKamailio` also starts it again when
 * it dies, with a growing delay, and tells its listeners each time it does.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Subject, type Observable } from 'rxjs';
import type { Logger } from '../common/logger.ts';
import { isAlive, listProcesses, signalQuietly } from './process-table.ts';

export interface KamailioProcessOptions {
  readonly bin: string;
  readonly configFile: string;
  readonly runDir: string;
  readonly shmMb: number;
  readonly pkgMb: number;
}

export interface KamailioExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface KamailioProcess {
  readonly pid: number | undefined;
  /** True from the start until the main process exits. */
  readonly running: boolean;
  /** Resolves once the main process has exited and every process of its group is gone. */
  readonly exited: Promise<KamailioExit>;
  stop(): Promise<void>;
}

/** How long Kamailio gets to stop its workers after SIGTERM before the group gets SIGKILL, ms. */
const STOP_GRACE_MS = 5000;
/** How long we wait for killed processes to disappear, ms: SIGKILL is not refused, so this is generous. */
const GONE_TIMEOUT_MS = 5000;
const GONE_POLL_MS = 20;

/** Kamailio's own syntax check (-c): throws with its complaint when the config does not load. */
export function checkKamailioConfig(options: Pick<KamailioProcessOptions, 'bin' | 'configFile'>): void {
  const result = spawnSync(options.bin, ['-c', '-f', options.configFile], { encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) {
    const complaint = `${result.stderr}`.split('\n').filter((line) => /ERROR|error/.test(line)).slice(0, 10).join('\n');
    throw new Error(`Kamailio refused its config ${options.configFile}:\n${complaint || result.stderr}`);
  }
}

/**
 * Processes of an earlier Kamailio run with this same config file (this run dir): a control plane
 * killed without stopping them, or a main process killed without its workers.
 */
export function findLeftovers(configFile: string): number[] {
  const wanted = path.resolve(configFile);
  const processes = listProcesses().filter((entry) => entry.state !== 'Z' && entry.state !== 'X');
  const matching = processes.filter((entry) => entry.pid !== process.pid && configArgument(entry.argv) === wanted);
  // A leftover that leads its own process group was started by us: the rest of its group goes too.
  const groups = new Set(matching.filter((entry) => entry.pgid === entry.pid).map((entry) => entry.pgid));
  const pids = new Set([...matching.map((entry) => entry.pid), ...processes.filter((entry) => groups.has(entry.pgid)).map((entry) => entry.pid)]);
  return [...pids].sort((a, b) => a - b);
}

function configArgument(argv: readonly string[]): string | undefined {
  const index = argv.indexOf('-f');
  const file = index === -1 ? undefined : argv[index + 1];
  return file === undefined ? undefined : path.resolve(file);
}

/**
 * Kills the leftovers of an earlier run so the new one can bind its ports; returns their pids.
 * Synchronous (it runs once before each start, and SIGKILL takes effect within milliseconds), so
 * starting Kamailio stays one synchronous call.
 */
export function endLeftovers(configFile: string, log: Logger): number[] {
  const leftovers = findLeftovers(configFile);
  if (leftovers.length === 0) return [];
  log.warn({ pids: leftovers }, 'ending Kamailio processes left over from an earlier run');
  for (const pid of leftovers) signalQuietly(pid, 'SIGKILL');
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (leftovers.some(isAlive) && Date.now() < deadline) Atomics.wait(pause, 0, 0, GONE_POLL_MS);
  const remaining = leftovers.filter(isAlive);
  if (remaining.length > 0) log.error({ pids: remaining }, 'Kamailio leftovers still running after SIGKILL');
  return leftovers;
}

/** Members of a process group that still run (zombies excluded: init may never reap them here). */
function groupMembers(pgid: number): number[] {
  return listProcesses().filter((entry) => entry.pgid === pgid && entry.state !== 'Z' && entry.state !== 'X').map((entry) => entry.pid);
}

async function waitUntilGone(remaining: () => number[]): Promise<void> {
  const deadline = Date.now() + GONE_TIMEOUT_MS;
  while (remaining().length > 0) {
    if (Date.now() > deadline) throw new Error(`processes still running after SIGKILL: ${remaining().join(', ')}`);
    await sleep(GONE_POLL_MS);
  }
}

/** Starts one Kamailio, in a process group of its own; it is not started again when it dies. */
export function startKamailio(options: KamailioProcessOptions, log: Logger): KamailioProcess {
  mkdirSync(options.runDir, { recursive: true });
  endLeftovers(options.configFile, log);
  const args = [
    '-f', path.resolve(options.configFile),
    '-DD', '-E',
    '-m', String(options.shmMb),
    '-M', String(options.pkgMb),
    '-Y', options.runDir,
    '-P', path.join(options.runDir, 'kamailio.pid'),
  ];
  // detached: the child calls setsid(), so its process group id is its pid and the group holds
  // every worker it forks.
  const child: ChildProcess = spawn(options.bin, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  forwardStderr(child, log);
  let running = child.pid !== undefined;
  const mainExited = new Promise<KamailioExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => {
      log.error({ err: error }, 'kamailio could not start');
      resolve({ code: null, signal: null });
    });
  });
  const pgid = child.pid;
  const exited = mainExited.then(async (exit) => {
    running = false;
    if (pgid !== undefined) {
      // Whatever ended the main process, its workers are of no use without it: end them all.
      signalQuietly(-pgid, 'SIGKILL');
      await waitUntilGone(() => groupMembers(pgid)).catch((error: unknown) => log.error({ err: error }, 'kamailio workers did not end'));
    }
    log.info({ ...exit, pid: pgid }, 'kamailio exited');
    return exit;
  });
  return {
    pid: child.pid,
    get running() {
      return running;
    },
    exited,
    async stop() {
      if (!running || pgid === undefined) {
        await exited;
        return;
      }
      signalQuietly(pgid, 'SIGTERM');
      const timer = setTimeout(() => signalQuietly(-pgid, 'SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

function forwardStderr(child: ChildProcess, log: Logger): void {
  let buffered = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.trim() !== '') log.info({ kamailio: line.trim() }, 'kamailio');
    }
  });
}

export interface RestartPolicy {
  /** Delay before the first restart, ms; doubled after each restart that did not last. */
  readonly minDelayMs: number;
  readonly maxDelayMs: number;
  /** A run that lasted this long was healthy: the next restart starts again from minDelayMs. */
  readonly stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { minDelayMs: 500, maxDelayMs: 10_000, stableAfterMs: 30_000 };

export interface KamailioRestart {
  /** The new main process. */
  readonly pid: number | undefined;
  /** How the previous one ended. */
  readonly previous: KamailioExit;
  /** Restarts since this supervisor started. */
  readonly restarts: number;
}

export interface KamailioSupervisor {
  /** True while a Kamailio main process runs (false between a death and its restart). */
  readonly running: boolean;
  readonly pid: number | undefined;
  /** Emits after each restart, once the new Kamailio has been started (its dialogs are gone). */
  readonly restarted: Observable<KamailioRestart>;
  /** Calls `listener` after each restart; returns the function that removes it. */
  onRestarted(listener: (restart: KamailioRestart) => void): () => void;
  /** Ends Kamailio (the whole group) and does not start it again. */
  stop(): Promise<void>;
}

/** Starts Kamailio and keeps it running: whenever it dies, its group is ended and it starts again. */
export function superviseKamailio(options: KamailioProcessOptions, log: Logger, policy: RestartPolicy = DEFAULT_RESTART_POLICY): KamailioSupervisor {
  const restarted = new Subject<KamailioRestart>();
  let current = startKamailio(options, log);
  let stopped = false;
  let restarts = 0;
  const wake = new AbortController();

  const loop = async () => {
    let delayMs = policy.minDelayMs;
    for (;;) {
      const startedAt = Date.now();
      const exit = await current.exited;
      if (stopped) return;
      if (Date.now() - startedAt >= policy.stableAfterMs) delayMs = policy.minDelayMs;
      log.error({ ...exit, restart_in_ms: delayMs }, 'kamailio died; starting it again');
      await sleep(delayMs, undefined, { signal: wake.signal }).catch(() => undefined);
      if (stopped) return;
      delayMs = Math.min(delayMs * 2, policy.maxDelayMs);
      current = startKamailio(options, log);
      restarts += 1;
      restarted.next({ pid: current.pid, previous: exit, restarts });
    }
  };
  const looping = loop().catch((error: unknown) => log.error({ err: error }, 'kamailio supervision stopped'));

  return {
    get running() {
      return current.running;
    },
    get pid() {
      return current.pid;
    },
    restarted: restarted.asObservable(),
    onRestarted(listener) {
      const subscription = restarted.subscribe(listener);
      return () => subscription.unsubscribe();
    },
    async stop() {
      stopped = true;
      wake.abort();
      await current.stop();
      await looping;
      restarted.complete();
    },
  };
}
