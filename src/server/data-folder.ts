/**
 * The data folder of an embedded marketplace (`hsp serve --data-dir`): private to its owner,
 * and used by one server at a time.
 *
 * * Private: the folder is 0700 and nothing inside is readable by others. The database in it
 *   holds the key that signs every token, and `admin.token` is the administrator's key.
 * * One server: two PGlite processes writing one cluster destroy it (each keeps its own view of
 *   the files; after a restart one server's writes are gone). A lock file, `server.lock`, names
 *   the holder (../lock-file.ts: created atomically, taken over by one contender at a time). A
 *   crash must not leave it stuck, so a lock whose process is gone is taken over: liveness by
 *   `process.kill(pid, 0)`, guarded against a reused PID and a reboot by the process's identity
 *   (../process-identity.ts). A holder on another host (a folder shared over the network, or a
 *   volume mounted by a container with another PID namespace) cannot be probed: its lock counts
 *   as held while it is touched (every 10 s), and as stale a while after.
 */
import { chmod, lstat, readdir, rmdir, stat, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { FolderRefusedError, makeFolder } from '../make-folder.js';
import { isLockToken, newLockToken, releaseLock, releaseLockSync, sweepLockLeftovers, takeLock, type LockRules } from '../lock-file.js';
import { processIdentity, recordedProcessRuns } from '../process-identity.js';

/** A data folder that cannot be used, in one sentence for the user. */
export class DataFolderError extends Error {
  override name = 'DataFolderError';
}

/** The folder is locked by a server that is still running. */
export class DataFolderInUseError extends DataFolderError {
  constructor(
    message: string,
    /** Who holds the lock. */
    readonly holder: LockHolder,
    /** True when the holder runs on this machine (so it can be asked for a token, ./token-socket.ts). */
    readonly local: boolean,
  ) {
    super(message);
  }
}

/** What a lock file records about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  /**
   * The holding process's identity (../process-identity.ts: its start, and on Linux the boot):
   * a PID reused by another process, or a lock from before a reboot, has another.
   */
  process?: string;
  /** When the lock was taken (ISO 8601). */
  started: string;
  /** The holder's command line, to name it in a refusal. */
  command: string;
  /** Random, this acquisition's own: release removes only the lock that still carries it. */
  token: string;
}

export const LOCK_FILE = 'server.lock';
/** The entries a marketplace keeps in its folder: a folder holding none of them is not one. */
const OWN_ENTRIES = ['pgdata', 'admin.token', LOCK_FILE, 'server.sock'];
/** What a file system, a file manager or git leaves in an otherwise empty folder. */
const SYSTEM_ENTRIES = ['lost+found', '.DS_Store', '.gitkeep', '.keep'];
/** A holder that cannot be probed (another host) touches its lock this often... */
const HEARTBEAT_MS = 10_000;
/** ...and its lock is stale when untouched for this long. */
const REMOTE_STALE_MS = 3 * HEARTBEAT_MS;

export interface DataFolder {
  /** The folder, absolute. */
  dir: string;
  /** This start made it: a start that fails removes it again (when nothing else is in it). */
  created: boolean;
  /** Strips group and other bits again from everything inside (files made since the start). */
  makePrivate(): Promise<void>;
  /** Makes the folder private once more, then releases the lock. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens a data folder for a server (or for `hsp serve token`): creates it 0700 if missing,
 * refuses one that belongs to another user or holds other things, takes the lock, then makes
 * everything inside private. Throws `DataFolderError` with a sentence when it cannot.
 */
export async function openDataFolder(dir: string): Promise<DataFolder> {
  const absolute = resolve(dir);
  const created = await makeFolder(absolute, 0o700).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EEXIST') throw new DataFolderError(`The data folder ${dir} is not a folder; choose another with --data-dir.`);
    throw new DataFolderError(`Cannot create the data folder ${dir}: ${describeFsError(error)}; choose another with --data-dir.`);
  });
  let lock: Lock;
  try {
    await checkOwnFolder(absolute, dir);
    await tightenFolder(absolute, dir);
    lock = await lockDataFolder(absolute, dir);
  } catch (error) {
    if (created) await rmdir(absolute).catch(() => {});
    throw error;
  }
  try {
    await makeContentsPrivate(absolute, dir);
  } catch (error) {
    await lock.release();
    if (created) await rmdir(absolute).catch(() => {});
    throw error;
  }
  let closed = false;
  return {
    dir: absolute,
    created,
    makePrivate: () => makeContentsPrivate(absolute, dir),
    async close() {
      if (closed) return;
      closed = true;
      // PGlite may have made files with the process's umask while it ran: private again at rest.
      await makeContentsPrivate(absolute, dir).catch(() => {});
      await lock.release();
    },
  };
}

/** The folder must be a directory of this user, holding a marketplace or nothing. */
async function checkOwnFolder(absolute: string, dir: string): Promise<void> {
  const info = await stat(absolute).catch((error: NodeJS.ErrnoException) => {
    throw new DataFolderError(`Cannot use the data folder ${dir}: ${describeFsError(error)}.`);
  });
  if (!info.isDirectory()) throw new DataFolderError(`The data folder ${dir} is not a folder; choose another with --data-dir.`);
  const uid = process.getuid?.();
  // Root may run a server on any folder (a container's volume); anyone else only on their own.
  if (uid !== undefined && uid !== 0 && info.uid !== uid) {
    throw new DataFolderError(`The data folder ${dir} belongs to another user (uid ${info.uid}); run hsp serve as that user, or choose another folder with --data-dir.`);
  }
  const entries = await readdir(absolute).catch((error: NodeJS.ErrnoException) => {
    throw new DataFolderError(`Cannot read the data folder ${dir}: ${describeFsError(error)}.`);
  });
  const others = entries.filter((name) => !SYSTEM_ENTRIES.includes(name));
  // Making a folder private changes every file in it: never do that to a folder that is not a
  // marketplace's (a mistyped --data-dir . or ~ would otherwise hide a whole project or home).
  if (others.length && !others.some((name) => OWN_ENTRIES.includes(name))) {
    throw new DataFolderError(
      `The data folder ${dir} already holds other files (such as "${printable(others.sort()[0]!)}") and no marketplace; choose an empty or new folder with --data-dir.`,
    );
  }
}

async function tightenFolder(absolute: string, dir: string): Promise<void> {
  if (process.platform === 'win32') return; // No POSIX modes: the user profile's ACLs apply.
  const info = await stat(absolute);
  if ((info.mode & 0o7777) === 0o700) return;
  await chmod(absolute, 0o700).catch((error: NodeJS.ErrnoException) => {
    throw new DataFolderError(`Cannot make the data folder ${dir} private (mode 0700): ${describeFsError(error)}.`);
  });
}

/**
 * Strips the group and other bits (and setuid, setgid, sticky) from everything below the
 * folder, without following symbolic links. A directory that others already cannot enter
 * and this user cannot read (a volume's lost+found, owned by root) is left alone.
 */
async function makeContentsPrivate(absolute: string, dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  await tightenFolder(absolute, dir);
  const visit = async (folder: string): Promise<void> => {
    let entries: string[];
    try {
      entries = await readdir(folder);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return; // Removed meanwhile (PGlite's temporary files).
      if (code === 'EACCES' && ((await lstat(folder)).mode & 0o077) === 0) return;
      throw new DataFolderError(`Cannot make the data folder ${dir} private: cannot read ${folder} (${describeFsError(error as NodeJS.ErrnoException)}).`);
    }
    await Promise.all(
      entries.map(async (name) => {
        const path = join(folder, name);
        const info = await lstat(path).catch(() => undefined);
        if (!info || info.isSymbolicLink()) return;
        if ((info.mode & 0o7077) !== 0) {
          await chmod(path, info.mode & 0o700).catch((error: NodeJS.ErrnoException) => {
            if (error.code === 'ENOENT') return;
            throw new DataFolderError(`Cannot make the data folder ${dir} private: cannot change the mode of ${path} (${describeFsError(error)}).`);
          });
        }
        if (info.isDirectory()) await visit(path);
      }),
    );
  };
  await visit(absolute);
}

interface Lock {
  release(): Promise<void>;
}

/**
 * Takes `server.lock` in the folder, or throws `DataFolderInUseError` naming the process that
 * holds it. Exported for tests; servers get it through `openDataFolder`.
 */
export async function lockDataFolder(absolute: string, dir = absolute): Promise<Lock> {
  const path = join(absolute, LOCK_FILE);
  const me = describeThisProcess();
  const holder = await takeLock(path, me, LOCK_RULES).catch((error: NodeJS.ErrnoException) => {
    // Writing the lock is the first write into the folder: a read-only or full one fails here.
    throw new DataFolderError(`Cannot write ${LOCK_FILE} in the data folder ${dir}: ${describeFsError(error)}; choose another folder with --data-dir.`);
  });
  if (holder) throw inUse(holder, dir);
  // Files left by processes that died while taking a lock: nobody else will remove them.
  await sweepLockLeftovers(path, LOCK_RULES);

  // A holder on another machine cannot be probed: touching the lock says it is alive.
  const heartbeat = setInterval(() => {
    const now = new Date();
    utimes(path, now, now).catch(() => {});
  }, HEARTBEAT_MS).unref();
  // An exit without close (process.exit, an uncaught error) releases it too; a crash is
  // what the liveness check is for.
  const onExit = () => releaseLockSync(path, me.token, parseHolder);
  process.on('exit', onExit);
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      process.off('exit', onExit);
      // Only while it is still ours (never another server's, after a takeover).
      await releaseLock(path, me.token, parseHolder);
    },
  };
}

const LOCK_RULES: LockRules<LockHolder> = { parse: parseHolder, isAlive };

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (!Number.isSafeInteger(value.pid) || typeof value.host !== 'string' || !isLockToken(value.token)) {
      return undefined;
    }
    return {
      pid: value.pid!,
      host: value.host,
      process: typeof value.process === 'string' ? value.process : undefined,
      started: typeof value.started === 'string' ? value.started : '',
      command: typeof value.command === 'string' ? value.command : '',
      token: value.token,
    };
  } catch {
    return undefined;
  }
}

/** Whether the lock's holder still runs. */
function isAlive(holder: LockHolder, ageMs: number): boolean {
  if (holder.host !== hostname()) return ageMs < REMOTE_STALE_MS;
  return recordedProcessRuns(holder.pid, holder.process);
}

function inUse(holder: LockHolder, dir: string): DataFolderInUseError {
  const local = holder.host === hostname();
  if (holder.pid === process.pid && local) {
    return new DataFolderInUseError(
      `The data folder ${dir} is in use by another Marketplace server in this process (${describeHolder(holder)}); close it first, or choose another folder with --data-dir.`,
      holder,
      true,
    );
  }
  const advice = local ? 'stop it first, or choose another folder with --data-dir' : `stop it first; if it no longer runs, delete ${join(dir, LOCK_FILE)}`;
  return new DataFolderInUseError(`The data folder ${dir} is in use by another Marketplace server (${describeHolder(holder)}); ${advice}.`, holder, local);
}

/** "process 4242 on host build-7, hsp serve --data-dir ./mp2, started 2025-06-01T09:30:00Z" */
export function describeHolder(holder: LockHolder): string {
  const where = holder.host === hostname() ? '' : ` on host ${printable(holder.host)}`;
  const command = holder.command && holder.pid !== process.pid ? `, ${printable(holder.command)}` : '';
  const started = /^\d{4}-\d\d-\d\dT[\d:]+(\.\d+)?Z$/.test(holder.started) ? `, started ${holder.started.replace(/\.\d+Z$/, 'Z')}` : '';
  return `process ${holder.pid}${where}${command}${started}`;
}

function describeThisProcess(): LockHolder {
  return {
    pid: process.pid,
    host: hostname(),
    process: processIdentity(process.pid),
    started: new Date().toISOString(),
    command: commandLine(),
    token: newLockToken(),
  };
}

/** `hsp serve --data-dir ./mp2`, not `/usr/bin/node /usr/lib/node_modules/hsp/bin/hsp serve …`. */
function commandLine(): string {
  const [script, ...args] = process.argv.slice(1);
  const text = [script ? basename(script) : basename(process.execPath), ...args].join(' ');
  return printable(text.length > 200 ? `${text.slice(0, 199)}…` : text);
}

/** Control characters out: a lock's text reaches a terminal. */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

function describeFsError(error: NodeJS.ErrnoException): string {
  if (error instanceof FolderRefusedError) return error.message;
  switch (error.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a folder';
    case 'ENOENT':
      return 'it does not exist';
    case 'ENOSPC':
      return 'the disk is full';
    default:
      return (error.message.split('\n')[0] ?? String(error.code)).replace(/[.]$/, '');
  }
}
