/**
 * Telling one process from another that later gets the same PID. A PID alone names whatever
 * runs under that number now; the agent's locks must name the very process they were written
 * for, so that a restarted agent never waits on, or signals, a stranger.
 *
 * The identity is the process's start: on Linux, the boot's id and the start time in clock
 * ticks since boot (/proc/<pid>/stat), exact and read without running anything; elsewhere on
 * POSIX, what `ps -o lstart=` prints (to the second, enough since a PID comes back only after
 * the whole PID range has been used). Windows has no such reading here: `undefined`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let bootId: string | undefined;

/**
 * The identity of the running process `pid`, or `undefined` when no such process runs (a
 * zombie, dead but not yet reaped, counts as not running), or when this system cannot tell.
 */
export function processIdentity(pid: number): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (process.platform === 'linux') return linuxIdentity(pid);
  if (process.platform === 'win32') return undefined;
  return psIdentity(pid);
}

/** Whether `pid` still is the process whose identity was recorded. */
export function isSameProcess(pid: number, identity: string): boolean {
  return processIdentity(pid) === identity;
}

function linuxIdentity(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (command) state ppid …": the command may hold spaces and parentheses, so fields are
  // counted from the last ")". The state is field 3, the start time field 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  if (!state || !startTicks || state === 'Z' || state === 'X') return undefined;
  bootId ??= readBootId();
  return `linux:${bootId}:${startTicks}`;
}

function readBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown-boot';
  }
}

function psIdentity(pid: number): string | undefined {
  let output: string;
  try {
    output = execFileSync('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 });
  } catch {
    // ps exits non-zero when no such process runs.
    return undefined;
  }
  const match = /^\s*(\S+)\s+(.+?)\s*$/.exec(output);
  if (!match || match[1]!.startsWith('Z')) return undefined;
  return `ps:${match[2]!.replace(/\s+/g, ' ')}`;
}
