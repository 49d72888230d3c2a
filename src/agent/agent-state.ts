/**
 * The agent's state folder, one per platform beside its registration and key:
 * `<config>/agents/<platform-id>.state/` (`HSP_CONFIG_DIR`, else `$XDG_CONFIG_HOME/hsp`, else
 * `~/.config/hsp`), mode 0700. It holds what must outlive the agent's process:
 * - `agent.lock`: the agent serving the platform from this host, so that a second one refuses
 *   to start (two agents would deploy each instance twice, and each would take the other's
 *   running hooks for a crashed agent's leftovers);
 * - `<instance-id>.lock`: a hook running for that instance (see hook-locks.ts).
 *
 * A lock names its process by PID and start (../process-identity.ts), so a crashed agent's lock
 * never blocks the next one, even once the PID is reused. The agent lock is created and taken
 * over as the server's data-folder lock is (../lock-file.ts): of two agents started at once
 * after a crash, one runs.
 */
import { chmod, lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { newLockToken, releaseLock, sweepLockLeftovers, takeLock, type LockRules } from '../lock-file.js';
import { processIdentity, recordedProcessRuns } from '../process-identity.js';
import { agentsDir } from './identity.js';
import { isUuid } from './deployment.js';

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
  /** This start's own mark (../lock-file.ts); absent from the locks of agents before it was added. */
  token?: string;
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
  const record = { pid: process.pid, process: processIdentity(process.pid) ?? null, platform: platformId.toLowerCase(), started_at: new Date().toISOString(), token: newLockToken() };
  let holder: AgentLockRecord | undefined;
  try {
    holder = await takeLock(lock, record, LOCK_RULES);
  } catch (error) {
    throw stateProblem(error, lock);
  }
  if (holder) {
    throw new AgentStateError(
      `Another agent (process ${holder.pid}, running since ${holder.started_at}) already serves platform ${platformId.toLowerCase()} on this host; stop it before starting this one.`,
    );
  }
  // Files left by agents that died while taking the lock: nobody else will remove them.
  await sweepLockLeftovers(lock, LOCK_RULES);
  return {
    dir,
    // Only while it is still this start's (never another agent's, after a takeover).
    release: () => releaseLock(lock, record.token, parseLock),
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

/** The lock's holder is the agent it names, while that process runs; a lock it cannot parse (a crash mid-write) names nobody. */
const LOCK_RULES: LockRules<AgentLockRecord> = { parse: parseLock, isAlive: (holder) => recordedProcessRuns(holder.pid, holder.process) };

function parseLock(text: string): AgentLockRecord | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<AgentLockRecord>;
    if (!Number.isSafeInteger(parsed.pid) || (parsed.pid as number) <= 0) return undefined;
    return {
      pid: parsed.pid as number,
      process: typeof parsed.process === 'string' ? parsed.process : null,
      platform: String(parsed.platform ?? ''),
      started_at: String(parsed.started_at ?? 'an unknown time'),
      token: typeof parsed.token === 'string' ? parsed.token : undefined,
    };
  } catch {
    return undefined;
  }
}

function stateProblem(error: unknown, path: string): AgentStateError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'the disk is full' : code === 'ENOTDIR' ? 'a file stands where a folder should be' : (code ?? (error as Error).message);
  return new AgentStateError(`Cannot use the agent's state folder (${path}): ${reason}.`, { cause: error });
}
