/**
 * The agent's state folder, one per platform beside its registration and key:
 * `<config>/agents/<platform-id>.state/` (`HSP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/hsp`, else
 * `~/.config/hsp`), mode 0700. It holds what must outlive the agent's process:
 * - `agent.lock`: the agent serving the platform from this host, so that a second one refuses
 *   to start (two agents would deploy each instance twice, and each would take the other's
 *   running hooks for a crashed agent's leftovers);
 * - `<instance-id>.lock`: a hook running for that instance (see hook-locks.ts).
 *
 * A lock names its process by PID and start (process-identity.ts), so a crashed agent's lock
 * never blocks the next one, even once the PID is reused.
 */
import { randomBytes } from 'node:crypto';
import { chmod, link, lstat, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { agentsDir } from './identity.js';
import { isUuid } from './deployment.js';
import { isSameProcess, processIdentity } from './process-identity.js';

/** A state folder that cannot be used, or a platform another agent already serves: one sentence. */
export class AgentStateError extends Error {
  override name = 'AgentStateError';
}

export interface AgentState {
  /** The folder, 0700. */
  dir: string;
  /** Gives up the agent lock (only if it is still this process's). */
  release(): Promise<void>;
}

interface AgentLockRecord {
  pid: number;
  process: string | null;
  platform: string;
  started_at: string;
}

export function agentStateDir(configDir: string, platformId: string): string {
  if (!isUuid(platformId)) throw new AgentStateError(`"${String(platformId).slice(0, 60)}" is not a platform id (a UUID).`);
  return join(agentsDir(configDir), `${platformId.toLowerCase()}.state`);
}

/** Makes (or tightens) the state folder and takes the agent lock in it. */
export async function openAgentState(configDir: string, platformId: string): Promise<AgentState> {
  const dir = agentStateDir(configDir, platformId);
  await privateFolder(dir);
  const lock = join(dir, 'agent.lock');
  const record: AgentLockRecord = { pid: process.pid, process: processIdentity(process.pid) ?? null, platform: platformId.toLowerCase(), started_at: new Date().toISOString() };
  // Written whole under a private name, then linked into place: link fails if the lock exists,
  // and a lock that exists is never seen half-written by another agent starting at that moment.
  const written = join(dir, `.agent.lock.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(written, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(record)}\n`, 'utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw stateProblem(error, written);
  }
  try {
    // Twice at most: once over a lock a dead agent left behind.
    for (let attempt = 0; ; attempt++) {
      try {
        await link(written, lock);
        break;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw stateProblem(error, lock);
      }
      const holder = await readLock(lock);
      if (holder && holderRuns(holder)) {
        throw new AgentStateError(
          `Another agent (process ${holder.pid}, running since ${holder.started_at}) already serves platform ${platformId.toLowerCase()} on this host; stop it before starting this one.`,
        );
      }
      await unlink(lock).catch(() => undefined);
    }
  } finally {
    await unlink(written).catch(() => undefined);
  }
  return {
    dir,
    release: async () => {
      const holder = await readLock(lock);
      if (holder?.pid === process.pid) await unlink(lock).catch(() => undefined);
    },
  };
}

/**
 * Creates the folder 0700 (its parents too), or tightens one that others may read. Whatever
 * else stands there (a file, a symbolic link, another user's folder) is refused.
 */
export async function privateFolder(dir: string): Promise<void> {
  const notAFolder = () => new AgentStateError(`The agent's state folder ${dir} is not a folder (a file or a symbolic link stands there); move it away.`);
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EEXIST' ? notAFolder() : error;
    });
    const info = await lstat(dir);
    if (!info.isDirectory()) throw notAFolder();
    const uid = process.getuid?.();
    if (uid !== undefined && info.uid !== uid) throw new AgentStateError(`The agent's state folder ${dir} belongs to another user (uid ${info.uid}); the agent runs as uid ${uid}.`);
    if ((info.mode & 0o077) !== 0) await chmod(dir, 0o700);
  } catch (error) {
    if (error instanceof AgentStateError) throw error;
    throw stateProblem(error, dir);
  }
}

function holderRuns(holder: AgentLockRecord): boolean {
  if (holder.process) return isSameProcess(holder.pid, holder.process);
  // Recorded where identities cannot be read: the PID is all there is.
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's record, or undefined when it is gone or unreadable (a crash mid-write): stale either way. */
async function readLock(path: string): Promise<AgentLockRecord | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<AgentLockRecord>;
    if (!Number.isSafeInteger(parsed.pid) || (parsed.pid as number) <= 0) return undefined;
    return { pid: parsed.pid as number, process: typeof parsed.process === 'string' ? parsed.process : null, platform: String(parsed.platform ?? ''), started_at: String(parsed.started_at ?? 'an unknown time') };
  } catch {
    return undefined;
  }
}

function stateProblem(error: unknown, path: string): AgentStateError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'the disk is full' : code === 'ENOTDIR' ? 'a file stands where a folder should be' : (code ?? (error as Error).message);
  return new AgentStateError(`Cannot use the agent's state folder (${path}): ${reason}.`, { cause: error });
}
