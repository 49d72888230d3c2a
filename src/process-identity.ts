/**
 * Telling one process from another that later gets the same PID. A PID alone names whatever
 * runs under that number now; a lock file must name the very process it was written for, so
 * that a restarted agent or server never waits on, signals or gives way to a stranger.
 *
 * The identity is the process's start: on Linux, the boot's id and the start time in clock
 * ticks since boot (/proc/<pid>/stat), exact and read without running anything; elsewhere on
 * POSIX, what `ps -o lstart=` prints (to the second, enough since a PID comes back only after
 * the whole PID range has been used). Windows has no such reading here.
 *
 * A leaf (it imports nothing of the project): the agent's locks and the Marketplace server's
 * data-folder lock both use it, and neither layer may import the other.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let bootId: string | undefined;

/**
 * The identity of the running process `pid`, or `undefined` when no such process runs (a
 * zombie, dead but not yet reaped, counts as not running), or when this system cannot tell.
 * Synchronous on purpose: the agent records a hook's identity in the same turn of the event
 * loop that spawned it (agent/hook-locks.ts).
 */
export function processIdentity(pid: number): string | undefined {
  return readIdentity(pid) ?? undefined;
}

/** Whether `pid` still is the process whose identity was recorded; `false` when it cannot be read. */
export function isSameProcess(pid: number, identity: string): boolean {
  return processIdentity(pid) === identity;
}

/**
 * Whether the process a lock file on this host recorded (its PID, and its identity where one
 * could be read) still runs. Where it cannot be told, the answer is that it runs: taking over
 * the lock of a live holder (two servers on one database, two agents deploying each instance
 * twice) does more harm than refusing to start. So a PID that only another user's process
 * answers to, whose /proc entry is hidden from us (`hidepid`), counts as running, and so does
 * one whose identity `ps` failed to read.
 */
export function recordedProcessRuns(pid: number, identity: string | null | undefined): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  // kill(pid, 0) always finds this very process: only the identity tells its record from one
  // a process before it left under the same PID.
  if (pid === process.pid) return (identity ?? undefined) === processIdentity(pid);
  let othersProcess = false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM: it exists, as another user's process.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
    othersProcess = true;
  }
  // Recorded where identities cannot be read: the PID is all there is.
  if (!identity) return true;
  const current = readIdentity(pid);
  // null: a zombie (killed, not yet reaped by its parent), which kill(pid, 0) still finds; or
  // another user's process that we may not look into.
  if (current === null) return othersProcess;
  return current === undefined || current === identity;
}

/**
 * The identity of `pid`; `null` when no process this user may look into runs under it (none,
 * a zombie, or another user's hidden by /proc's `hidepid`); `undefined` when this system
 * cannot tell (Windows, `ps` missing or hung).
 */
function readIdentity(pid: number): string | null | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 0) return null;
  if (process.platform === 'linux') return linuxIdentity(pid);
  if (process.platform === 'win32') return undefined;
  return psIdentity(pid);
}

function linuxIdentity(pid: number): string | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (command) state ppid …": the command may hold spaces and parentheses, so fields are
  // counted from the last ")". The state is field 3, the start time field 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTicks = fields[19];
  if (!state || !startTicks || state === 'Z' || state === 'X') return null;
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

function psIdentity(pid: number): string | null | undefined {
  let output: string;
  try {
    output = execFileSync('ps', ['-o', 'stat=', '-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5_000 });
  } catch (error) {
    // ps ran and exited non-zero: no such process. Not run at all, or killed at the timeout: no answer.
    return typeof (error as { status?: unknown }).status === 'number' ? null : undefined;
  }
  const match = /^\s*(\S+)\s+(.+?)\s*$/.exec(output);
  if (!match) return output.trim() ? undefined : null;
  if (match[1]!.startsWith('Z')) return null;
  return `ps:${match[2]!.replace(/\s+/g, ' ')}`;
}
