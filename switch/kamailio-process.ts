/**
 * Runs Kamailio as a child process in the foreground (-DD -E), without systemd, and stops it
 * with the rest of minutex. Its stderr lines go to our log.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../common/logger.ts';

export interface KamailioProcessOptions {
  readonly bin: string;
  readonly configFile: string;
  readonly runDir: string;
  readonly shmMb: number;
  readonly pkgMb: number;
}

export interface KamailioProcess {
  readonly pid: number | undefined;
  /** Resolves with the exit code when Kamailio exits for any reason. */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

const STOP_GRACE_MS = 5000;

/** Kamailio's own syntax check (-c): throws with its complaint when the config does not load. */
export function checkKamailioConfig(options: Pick<KamailioProcessOptions, 'bin' | 'configFile'>): void {
  const result = spawnSync(options.bin, ['-c', '-f', options.configFile], { encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) {
    const complaint = `${result.stderr}`.split('\n').filter((line) => /ERROR|error/.test(line)).slice(0, 10).join('\n');
    throw new Error(`Kamailio refused its config ${options.configFile}:\n${complaint || result.stderr}`);
  }
}

export function startKamailio(options: KamailioProcessOptions, log: Logger): KamailioProcess {
  mkdirSync(options.runDir, { recursive: true });
  const args = [
    '-f', options.configFile,
    '-DD', '-E',
    '-m', String(options.shmMb),
    '-M', String(options.pkgMb),
    '-Y', options.runDir,
    '-P', path.join(options.runDir, 'kamailio.pid'),
  ];
  const child: ChildProcess = spawn(options.bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
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
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code, signal) => {
      log.info({ code, signal }, 'kamailio exited');
      resolve(code);
    });
    child.once('error', (error) => {
      log.error({ err: error }, 'kamailio could not start');
      resolve(null);
    });
  });
  return {
    pid: child.pid,
    exited,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}
