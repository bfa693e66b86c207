/**
 * Linux's process table (/proc), read to find what a Kamailio of ours left behind: its workers
 * keep running after their main process dies, re-parented to init, holding the SIP socket.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessEntry {
  readonly pid: number;
  readonly ppid: number;
  /** Process group id: every Kamailio worker shares its main process's group. */
  readonly pgid: number;
  /** One letter, as in /proc/PID/stat: R, S, D, Z (zombie: dead, holding nothing) ... */
  readonly state: string;
  readonly argv: readonly string[];
}

/** Every process we may read, zombies included; processes that vanish while we read are skipped. */
export function listProcesses(): ProcessEntry[] {
  const entries: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProcess(Number(name));
    if (entry) entries.push(entry);
  }
  return entries;
}

export function readProcess(pid: number): ProcessEntry | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may itself hold spaces or parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((arg) => arg !== '');
    return { pid, state: fields[0] ?? '?', ppid: Number(fields[1]), pgid: Number(fields[2]), argv };
  } catch {
    return undefined;
  }
}

/** True while the process exists and is not a zombie (a zombie holds no socket and does no work). */
export function isAlive(pid: number): boolean {
  const entry = readProcess(pid);
  return entry !== undefined && entry.state !== 'Z' && entry.state !== 'X';
}

/** Sends a signal, ignoring a process that is already gone. */
export function signalQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}
