/**
 * Runs rtpengine, the media relay that anchors every call's RTP at the exchange, as a child
 * process under our own supervision like Kamailio: in the foreground, userspace forwarding only
 * (no kernel module: `--table=-1`), no config file of Debian's, logging to stderr (into our log).
 * It is started again when it dies, with a growing delay. Calls in progress lose their media when
 * it dies (their relay ports close): rtpengine keeps no state across a restart here.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../common/logger.ts';
import { formatHostPort, type HostPort } from '../common/config.ts';
import { DEFAULT_RESTART_POLICY, type RestartPolicy } from './kamailio-process.ts';
import { signalQuietly } from './process-table.ts';

export interface RtpengineOptions {
  readonly bin: string;
  /** The address rtpengine relays media on: the only media address each side sees. */
  readonly mediaAddress: string;
  /** Where it takes Kamailio's commands (ng protocol over UDP): loopback only. */
  readonly controlAddr: HostPort;
  readonly portMin: number;
  readonly portMax: number;
  /** Seconds without any RTP in either direction after which rtpengine gives a call up. */
  readonly rtpTimeoutS: number;
  /** Where rtpengine reports a call it gave up (XML-RPC, Kamailio's format): the switch ends it. */
  readonly timeoutCallbackUrl?: string;
  /**
   * Folder for rtpengine's config file, which carries the callback URL: the URL holds a secret
   * path, and a command line is readable by every local user, a file of mode 0600 is not.
   */
  readonly runDir?: string;
}

/** rtpengine's config file (a GLib key file, section [rtpengine]) for the settings that are secret. */
export function writeRtpengineConfig(options: RtpengineOptions): string | undefined {
  if (options.timeoutCallbackUrl === undefined || options.runDir === undefined) return undefined;
  mkdirSync(options.runDir, { recursive: true });
  const file = path.join(options.runDir, 'rtpengine.conf');
  writeFileSync(file, `[rtpengine]\nb2b-url = ${options.timeoutCallbackUrl}\nxmlrpc-format = 2\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** Seconds rtpengine keeps a deleted call's media ports before freeing them. */
export const RTPENGINE_DELETE_DELAY_S = 3;

/** How long rtpengine gets to stop after SIGTERM before SIGKILL, ms. */
const STOP_GRACE_MS = 3000;

export function rtpengineArguments(options: RtpengineOptions, configFile?: string): string[] {
  return [
    `--config-file=${configFile ?? 'none'}`, '--foreground', '--log-stderr', '--table=-1',
    `--interface=${options.mediaAddress}`,
    `--listen-ng=${formatHostPort(options.controlAddr)}`,
    `--port-min=${options.portMin}`, `--port-max=${options.portMax}`,
    `--timeout=${options.rtpTimeoutS}`,
    // rtpengine keeps a deleted call, and its media ports, for 30 s by default (to absorb late
    // packets). At hundreds of calls per second that holds tens of thousands of ports: the range
    // ran dry and new calls failed. A few seconds absorb a late BYE's retransmission just as well.
    `--delete-delay=${RTPENGINE_DELETE_DELAY_S}`,
    ...(options.timeoutCallbackUrl === undefined || configFile !== undefined ? [] : [`--b2b-url=${options.timeoutCallbackUrl}`, '--xmlrpc-format=2']),
    // Warnings and worse: rtpengine logs every offer and answer at its default level.
    '--log-level=4',
  ];
}

export interface RtpengineSupervisor {
  readonly running: boolean;
  stop(): Promise<void>;
}

/** Starts rtpengine and keeps it running until `stop()`. */
export function superviseRtpengine(options: RtpengineOptions, log: Logger, policy: RestartPolicy = DEFAULT_RESTART_POLICY): RtpengineSupervisor {
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let stopped = false;
  const wake = new AbortController();

  const configFile = writeRtpengineConfig(options);
  const start = () => {
    // detached: a process group of its own, ended as a whole.
    const started = spawn(options.bin, rtpengineArguments(options, configFile), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      for (const line of chunk.split('\n')) if (line.trim() !== '') log.info({ rtpengine: line.trim() }, 'rtpengine');
    });
    exited = new Promise((resolve) => {
      started.once('exit', (code, signal) => {
        if (started.pid !== undefined) signalQuietly(-started.pid, 'SIGKILL');
        log.info({ code, signal }, 'rtpengine exited');
        resolve();
      });
      started.once('error', (error) => {
        log.error({ err: error }, 'rtpengine could not start');
        resolve();
      });
    });
    child = started;
  };

  const loop = async () => {
    let delayMs = policy.minDelayMs;
    for (;;) {
      const startedAt = Date.now();
      start();
      await exited;
      if (stopped) return;
      if (Date.now() - startedAt >= policy.stableAfterMs) delayMs = policy.minDelayMs;
      log.error({ restart_in_ms: delayMs }, 'rtpengine died; starting it again');
      await sleep(delayMs, undefined, { signal: wake.signal }).catch(() => undefined);
      if (stopped) return;
      delayMs = Math.min(delayMs * 2, policy.maxDelayMs);
    }
  };
  const looping = loop().catch((error: unknown) => log.error({ err: error }, 'rtpengine supervision stopped'));

  return {
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    async stop() {
      stopped = true;
      wake.abort();
      const pid = child?.pid;
      if (pid !== undefined && child?.exitCode === null && child.signalCode === null) {
        signalQuietly(pid, 'SIGTERM');
        const timer = setTimeout(() => signalQuietly(-pid, 'SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      await looping;
    },
  };
}
