/**
 * A lock file that one process at a time holds, its record (JSON) inside, taken over once the
 * holder is gone. The Marketplace server's data folder (`server.lock`) and the agent's state
 * folder (`agent.lock`) each have one; what "gone" means is theirs to say (`isAlive`). A leaf
 * (it imports nothing of the project), since neither layer may import the other.
 *
 * * Atomic creation: the record is written to a file of our own (`<lock>.<token>.new`), then
 *   hard-linked to the lock's name, which fails if the name exists: nobody ever reads half a
 *   lock. File systems without hard links (some network and container mounts) get O_EXCL
 *   instead, where a lock may be read while being written: one that cannot be read is given a
 *   moment before it counts as damaged.
 * * Takeover: a stale lock is removed only by whoever holds the claim on it
 *   (`<lock>.<its token>.claim`, taken the same way). Two processes starting at once after a
 *   crash cannot both remove it (the second would remove the first one's fresh lock) and both
 *   go on.
 * * Release removes only the lock that still carries this acquisition's token, never one
 *   another process took over meanwhile.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, open, readdir, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** What every lock records, besides what its user adds: this acquisition's own random mark. */
export interface LockRecord {
  /** 32 hex digits (`newLockToken()`). A record without one can be held, never released by us. */
  token?: string;
}

export interface LockRules<T extends LockRecord> {
  /** The record in a lock file's text, or `undefined` when it is none (damaged, torn). */
  parse(text: string): T | undefined;
  /** Whether the holder still runs; `ageMs` since the lock file was last modified. */
  isAlive(holder: T, ageMs: number): boolean;
}

/** A fresh token for a record. */
export function newLockToken(): string {
  return randomBytes(16).toString('hex');
}

/** Whether `value` is a token as `newLockToken` makes them: one goes into a file name (a claim's), so nothing else may pass. */
export function isLockToken(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{32}$/.test(value);
}

/**
 * Takes the lock at `path` for `me`: resolves to `undefined` once it is ours, or to the record
 * of the live process that holds it (or is taking it over right now). File system errors are
 * thrown as they are, for the caller to put into a sentence.
 */
export async function takeLock<T extends LockRecord>(path: string, me: T & { token: string }, rules: LockRules<T>): Promise<T | undefined> {
  const text = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; ; attempt++) {
    if (await createExclusive(path, text, me.token)) return undefined;
    const found = await readLock(path, rules.parse);
    if (found.kind === 'gone') continue;
    if (found.kind === 'unreadable' && found.ageMs < 2_000 && attempt < 100) {
      await sleep(20); // Being written (file systems without hard links): give it a moment.
      continue;
    }
    if (found.kind === 'held' && rules.isAlive(found.holder, found.ageMs)) return found.holder;
    // Stale: claim it, then remove it if it is still the same lock.
    const claim = `${path}.${found.identity}.claim`;
    const claimant = await takeLock(claim, me, rules);
    if (claimant) {
      // Another process is taking it over right now: it will hold the lock in a moment.
      if (attempt < 100) {
        await sleep(20);
        continue;
      }
      return claimant;
    }
    try {
      const again = await readLock(path, rules.parse);
      if (again.kind !== 'gone' && again.identity === found.identity) await unlink(path).catch(() => {});
    } finally {
      await unlink(claim).catch(() => {});
    }
  }
}

/** Removes the lock at `path` if it still carries `token`; never throws. */
export async function releaseLock<T extends LockRecord>(path: string, token: string, parse: LockRules<T>['parse']): Promise<void> {
  const current = await readLock(path, parse).catch(() => undefined);
  if (current?.kind === 'held' && current.holder.token === token) await unlink(path).catch(() => {});
}

/** `releaseLock`, synchronously: for a `process.on('exit')` handler, where nothing awaited runs. */
export function releaseLockSync<T extends LockRecord>(path: string, token: string, parse: LockRules<T>['parse']): void {
  try {
    if (parse(readFileSync(path, 'utf8'))?.token === token) unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * Removes the staging and claim files (`<lock>.*`) of processes that died while taking the
 * lock at `path`: nobody else would. Never throws.
 */
export async function sweepLockLeftovers<T extends LockRecord>(path: string, rules: LockRules<T>): Promise<void> {
  const folder = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(folder).catch(() => [] as string[]);
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const leftover = join(folder, name);
    const found = await readLock(leftover, rules.parse).catch(() => undefined);
    if (!found || found.kind === 'gone') continue;
    if (found.kind === 'held' && rules.isAlive(found.holder, found.ageMs)) continue;
    if (found.kind === 'unreadable' && found.ageMs < 60_000) continue;
    await unlink(leftover).catch(() => {});
  }
}

/** Creates `path` with `text` unless it exists: true when created. */
async function createExclusive(path: string, text: string, token: string): Promise<boolean> {
  const staging = `${path}.${token}.new`;
  await writeFile(staging, text, { mode: 0o600 });
  try {
    await link(staging, path);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // File systems without hard links (some network and container mounts): O_EXCL instead.
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
      try {
        await writeFile(path, text, { mode: 0o600, flag: 'wx' });
        return true;
      } catch (fallback) {
        if ((fallback as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw fallback;
      }
    }
    throw error;
  } finally {
    await unlink(staging).catch(() => {});
  }
}

type LockState<T> =
  | { kind: 'gone' }
  /** `identity` names this lock, not a later one at the same path: its token, else its inode. */
  | { kind: 'held'; holder: T; identity: string; ageMs: number }
  | { kind: 'unreadable'; identity: string; ageMs: number };

async function readLock<T extends LockRecord>(path: string, parse: LockRules<T>['parse']): Promise<LockState<T>> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    throw error;
  }
  try {
    // One open file for both: the identity and the text belong to the same lock.
    const info = await handle.stat();
    const text = await handle.readFile('utf8');
    const ageMs = Date.now() - info.mtimeMs;
    const holder = parse(text);
    const inode = `inode-${info.ino}`;
    if (holder) return { kind: 'held', holder, identity: isLockToken(holder.token) ? holder.token : inode, ageMs };
    return { kind: 'unreadable', identity: inode, ageMs };
  } finally {
    await handle.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
