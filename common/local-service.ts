/**
 * Outside systems' sandboxes (the financial services node, the credit bureau) run as processes of
 * their own, as a provider's test mode would. When the address minutex is configured to use is on
 * this machine, `npm start` and `npm run demo` start the sandbox there so a newcomer's system is
 * whole; an address elsewhere, or one where something already answers, is used as it is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from './logger.ts';

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const START_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 5_000;

export interface LocalService {
  readonly url: string;
  stop(): Promise<void>;
}

export interface LocalServiceSpec {
  /** What the logs call it, e.g. "financial services node sandbox". */
  readonly name: string;
  /** The address minutex talks to. */
  readonly url: string;
  /** The entry script, relative to the project root, run with tsx. */
  readonly script: string;
  readonly env?: Record<string, string>;
}

export function isOnThisMachine(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('127.');
}

/** Starts the sandbox process unless the address is elsewhere or already answers; null when not started. */
export async function startLocalService(spec: LocalServiceSpec, log: Logger): Promise<LocalService | null> {
  if (!isOnThisMachine(spec.url)) return null;
  if (await answers(spec.url)) {
    log.info({ url: spec.url }, `a ${spec.name} already listens there: using it`);
    return null;
  }
  const child = spawn(process.execPath, ['--import', 'tsx', spec.script], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the ${spec.name} exited with code ${child.exitCode} before it listened on ${spec.url}`);
    if (await answers(spec.url)) break;
    if (Date.now() > deadline) {
      await stopChild(child, exited);
      throw new Error(`the ${spec.name} did not listen on ${spec.url} within ${START_TIMEOUT_MS} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  log.info({ url: spec.url, pid: child.pid }, `${spec.name} started`);
  return { url: spec.url, stop: () => stopChild(child, exited) };
}

/** Any HTTP answer at all means something listens there. */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await exited;
  clearTimeout(timer);
}
