/**
 * A cross-process lock as a file created with O_EXCL: whoever creates it holds the lock. Two
 * hsp processes refreshing or saving one credential at once would otherwise both spend one
 * refresh token, or lose one of two writes. A lock left by a process that died is stale: its
 * owner's pid is gone (same host), or the file is older than `staleMs` (any host, e.g. a home
 * directory on NFS), and the next taker breaks it.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';

export interface LockOptions {
  /** Give up waiting after this long (default 30 s). */
  waitMs?: number;
  /** A lock older than this is stale whoever holds it (default 60 s). */
  staleMs?: number;
  /** Time between attempts (default 50 ms, plus jitter so waiters do not march in step). */
  pollMs?: number;
}

interface Owner {
  pid: number;
  host: string;
  /** Tells this taking of the lock from any other, so we never delete a lock we no longer hold. */
  id: string;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

export async function withFileLock<T>(lockPath: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const owner: Owner = { pid: process.pid, host: hostname(), id: randomBytes(12).toString('hex') };
  await acquire(lockPath, owner, options);
  try {
    return await work();
  } finally {
    await release(lockPath, owner);
  }
}

async function acquire(lockPath: string, owner: Owner, options: LockOptions): Promise<void> {
  const waitMs = options.waitMs ?? 30_000;
  const staleMs = options.staleMs ?? 60_000;
  const pollMs = options.pollMs ?? 50;
  const deadline = Date.now() + waitMs;
  await mkdir(dirname(lockPath), { recursive: true, mode: 0o700 });
  for (;;) {
    try {
      const handle = await open(lockPath, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(owner));
      } finally {
        await handle.close();
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const seen = await inspect(lockPath);
    if (seen && isStale(seen, staleMs)) {
      await breakLock(lockPath, seen.text);
      continue;
    }
    if (Date.now() >= deadline) {
      throw new LockTimeoutError(`Another hsp process is holding ${lockPath}; try again in a moment, or delete that file if no hsp is running.`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs + Math.random() * pollMs));
  }
}

async function release(lockPath: string, owner: Owner): Promise<void> {
  const seen = await inspect(lockPath);
  // Someone judged our lock stale and took it: theirs now, not ours to delete.
  if (seen?.owner?.id === owner.id) await unlink(lockPath).catch(() => undefined);
}

interface Seen {
  text: string;
  owner?: Owner;
  ageMs: number;
}

async function inspect(lockPath: string): Promise<Seen | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]);
    return { text, owner: parseOwner(text), ageMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function parseOwner(text: string): Owner | undefined {
  try {
    const value = JSON.parse(text) as Partial<Owner>;
    return typeof value.pid === 'number' && typeof value.host === 'string' && typeof value.id === 'string' ? (value as Owner) : undefined;
  } catch {
    // Empty or partial: its owner is between creating and writing it; only age can tell.
    return undefined;
  }
}

function isStale(seen: Seen, staleMs: number): boolean {
  if (seen.ageMs > staleMs) return true;
  return !!seen.owner && seen.owner.host === hostname() && !isAlive(seen.owner.pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, but another user's.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves the stale lock aside (rename is atomic: of two breakers only one succeeds), then checks
 * that what was moved is the stale lock that was judged. If a third process had meanwhile
 * broken it and taken a fresh lock, that fresh lock is put back (link fails rather than
 * overwrite a lock taken in between).
 */
async function breakLock(lockPath: string, staleText: string): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(6).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    const moved = await readFile(aside, 'utf8');
    if (moved !== staleText) await link(aside, lockPath).catch(() => undefined);
  } finally {
    await unlink(aside).catch(() => undefined);
  }
}
