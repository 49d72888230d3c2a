/**
 * One lock file per instance whose hook runs, in the agent's state folder (agent-state.ts):
 * `<instance-id>.lock`, naming the hook's process by PID and start (../process-identity.ts).
 *
 * Within one agent the KeyedQueue already runs one action per instance at a time. The locks
 * carry that across the agent's own death: a hook runs in its own process group and outlives
 * an agent killed with SIGKILL, and the agent started next must not run a second hook for the
 * same instance beside it. So at start the agent looks for locks whose process still runs and,
 * for each, waits for it to end on its own (up to the grace period, and never past the time
 * any hook may run), then ends its process group (SIGTERM, then SIGKILL). An action on that
 * instance waits until then; one that cannot be made safe fails, to be retried, rather than run
 * beside the old hook. A lock whose process is gone (or is some other process under a reused
 * PID) is simply removed.
 *
 * The lock is written twice: before the spawn without a PID (so a folder that cannot be
 * written stops the action before anything runs), and synchronously right after it, in the
 * same turn of the event loop, with the PID: no await lies between the two, so an agent killed
 * at any moment leaves either no hook or a lock naming it.
 */
import { randomBytes } from 'node:crypto';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isUuid } from './deployment.js';
import type { AgentLog } from './orchestrator.js';
import { OrchestratorError } from './orchestrators/orchestrator-error.js';
import { isSameProcess, processIdentity } from '../process-identity.js';

export interface HookLocksOptions {
  /** The agent's state folder (0700, made by `openAgentState`). */
  dir: string;
  log: AgentLog;
  /** How long a hook left by an earlier run of the agent may go on before it is ended: the grace period. */
  waitMs: number;
  /** The longest one hook run may last (the exec timeout): one running longer is ended at once. */
  hookTimeoutMs: number;
  /** After SIGTERM, how long before SIGKILL. */
  killGraceMs: number;
  /** How often to look whether a process has gone (default 100 ms). */
  pollMs?: number;
}

/** What a lock file holds. */
export interface HookLockRecord {
  instance: string;
  action: string;
  /** This run's own mark, so that it removes no lock but its own. */
  run: string;
  /** The hook's PID (its process group's id too); null until it has been spawned. */
  pid: number | null;
  /** Its identity (see ../process-identity.ts); null where it cannot be read. */
  process: string | null;
  started_at: string;
  /** The agent that started it, for whoever reads the file. */
  agent_pid: number;
}

/** The lock of one hook run of this agent. */
export interface HeldLock {
  /** Records the spawned hook. Synchronous on purpose (see above); throws when it cannot be written. */
  started(pid: number): void;
  /** Removes the lock once the hook has exited; never throws. */
  release(): Promise<void>;
}

/** How long SIGKILL gets to take effect before the agent says it could not end a hook. */
const KILL_WAIT_MS = 5_000;

export class HookLocks {
  private recovery: Promise<void> | undefined;
  /** Per instance: the old hook being waited for or ended, shared by everyone who must wait. */
  private readonly settling = new Map<string, Promise<void>>();
  private readonly pollMs: number;

  constructor(private readonly options: HookLocksOptions) {
    this.pollMs = options.pollMs ?? 100;
  }

  /**
   * Looks, once, for hooks an earlier run of the agent left running, and starts waiting for
   * (or ending) each in the background. Resolves once the folder has been read.
   */
  recover(): Promise<void> {
    return (this.recovery ??= this.scan());
  }

  /**
   * Resolves once no hook of an earlier run runs for the instance, holding this run's lock.
   * Rejects when such a hook could not be ended, or the folder cannot be written.
   */
  async acquire(instanceId: string, action: string, signal?: AbortSignal): Promise<HeldLock> {
    if (!isUuid(instanceId)) throw new OrchestratorError(`Cannot lock instance ${JSON.stringify(String(instanceId).slice(0, 60))}: it is not a UUID.`);
    const id = instanceId.toLowerCase();
    await this.recover();
    const ending = this.settling.get(id) ?? (await this.inspect(id))?.ending;
    if (ending) await abortable(this.settling.has(id) ? ending : this.track(id, ending), signal);
    const file = this.fileOf(id);
    const base = { instance: id, action, run: randomBytes(8).toString('hex'), started_at: new Date().toISOString(), agent_pid: process.pid };
    await this.write(file, { ...base, pid: null, process: null });
    return {
      started: (pid) => writeSync(file, { ...base, pid, process: processIdentity(pid) ?? null }),
      // Only this run's: should another agent have taken the lock over meanwhile, it stays.
      release: async () => {
        const current = parseRecord(await readFile(file, 'utf8').catch(() => ''));
        if (current?.run === base.run) await unlink(file).catch(() => undefined);
      },
    };
  }

  private async scan(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.options.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.folderProblem(error);
    }
    for (const name of names) {
      const id = /^(.+)\.lock$/.exec(name)?.[1];
      if (id && isUuid(id)) {
        const instance = id.toLowerCase();
        const ending = (await this.inspect(instance))?.ending;
        // Waited for in the background, and by the instance's next action, which then sees a failure itself.
        if (ending) this.track(instance, ending).catch((error: unknown) => this.options.log('deploy.orphan_failed', { instance, reason: (error as Error).message }));
      } else if (/^\..+\.lock\.\d+\.[0-9a-f]+\.tmp$/.test(name)) {
        // Half a write by an agent that died in it.
        await unlink(join(this.options.dir, name)).catch(() => undefined);
      }
    }
  }

  private track(id: string, settle: Promise<void>): Promise<void> {
    this.settling.set(id, settle);
    const forget = () => {
      if (this.settling.get(id) === settle) this.settling.delete(id);
    };
    settle.then(forget, forget);
    return settle;
  }

  /**
   * Reads the instance's lock, if any. When the hook it names has gone (or never started),
   * removes it and resolves to nothing; otherwise logs `deploy.orphan_found` and resolves to
   * the wait for that hook to end (or be ended), after which the lock is removed. (Wrapped in an
   * object: a promise resolved with a promise would wait for it.)
   */
  private async inspect(id: string): Promise<{ ending: Promise<void> } | undefined> {
    const file = this.fileOf(id);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw this.folderProblem(error);
    }
    const record = parseRecord(text);
    if (!record) {
      this.options.log('deploy.orphan_ignored', { instance: id, reason: `The lock file ${file} could not be read as a lock; it was removed.` });
      await this.remove(file);
      return undefined;
    }
    const { pid, process: identity, action } = record;
    if (pid === null || identity === null || !isSameProcess(pid, identity)) {
      this.options.log('deploy.orphan_gone', { level: 'debug', instance: id, action, pid });
      await this.remove(file);
      return undefined;
    }
    const startedAt = Date.parse(record.started_at);
    const runningMs = Number.isNaN(startedAt) ? 0 : Math.max(0, Date.now() - startedAt);
    // No longer than any hook may run: past its timeout, the old agent would have ended it too.
    const wait = Math.max(0, Math.min(this.options.waitMs, this.options.hookTimeoutMs - runningMs));
    this.options.log('deploy.orphan_found', { instance: id, action, pid, running_ms: runningMs, wait_ms: wait });
    return { ending: this.end({ id, action, pid, identity, runningMs, wait }).then(() => this.remove(file)) };
  }

  /** Waits `wait` ms for the hook to end, then ends its process group: SIGTERM, then SIGKILL. */
  private async end(hook: { id: string; action: string; pid: number; identity: string; runningMs: number; wait: number }): Promise<void> {
    const { id, action, pid, identity, runningMs, wait } = hook;
    const { waitMs, hookTimeoutMs, killGraceMs } = this.options;
    const since = performance.now();
    const elapsed = () => Math.round(performance.now() - since);
    if (await this.gone(pid, identity, wait)) {
      this.options.log('deploy.orphan_waited', { instance: id, action, pid, ms: elapsed() });
      return;
    }
    const reason =
      wait < waitMs
        ? `It had run for ${describeMs(runningMs + wait)}, past the ${describeMs(hookTimeoutMs)} a hook may take.`
        : `It still ran ${describeMs(wait)} (the grace period) after the agent restarted.`;
    let denied = false;
    for (const [signal, within] of [
      ['SIGTERM', killGraceMs],
      ['SIGKILL', KILL_WAIT_MS],
    ] as const) {
      denied = signalGroup(pid, signal) || denied;
      if (await this.gone(pid, identity, within)) {
        this.options.log('deploy.orphan_ended', { instance: id, action, pid, signal, ms: elapsed(), reason });
        return;
      }
    }
    throw new OrchestratorError(
      `The ${action} hook an earlier run of the agent started for instance ${id} (process ${pid}) still runs and could not be ended${denied ? ' (permission denied)' : ''}; no other hook runs for the instance until it is gone.`,
    );
  }

  /** Resolves to whether the process is gone within `ms`, looking every `pollMs`. */
  private async gone(pid: number, identity: string, ms: number): Promise<boolean> {
    const deadline = performance.now() + ms;
    for (;;) {
      if (!isSameProcess(pid, identity)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      // Unreferenced: a wait in the background must not hold the process open once the agent stops.
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.pollMs, left)).unref());
    }
  }

  private fileOf(id: string): string {
    return join(this.options.dir, `${id}.lock`);
  }

  private async write(file: string, record: HookLockRecord): Promise<void> {
    const temporary = temporaryOf(file);
    try {
      const handle = await open(temporary, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(record), 'utf8');
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
    } catch (error) {
      await unlink(temporary).catch(() => undefined);
      throw this.folderProblem(error);
    }
  }

  private async remove(file: string): Promise<void> {
    await unlink(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw this.folderProblem(error);
    });
  }

  private folderProblem(error: unknown): OrchestratorError {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'ENOSPC'
          ? 'the disk is full'
          : code === 'ENOTDIR'
            ? 'a file stands where the folder should be'
            : code === 'ENOENT'
              ? 'the folder is gone'
              : (code ?? (error as Error).message);
    return new OrchestratorError(`Cannot keep track of running hooks in the agent's state folder ${this.options.dir}: ${reason}.`);
  }
}

function writeSync(file: string, record: HookLockRecord): void {
  const temporary = temporaryOf(file);
  try {
    writeFileSync(temporary, JSON.stringify(record), { mode: 0o600, flag: 'wx' });
    renameSync(temporary, file);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // Never written.
    }
    throw error;
  }
}

function temporaryOf(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * SIGTERM or SIGKILL to the hook's process group (it was spawned as the leader of its own), and
 * to the hook itself in case it left the group. Returns whether the system refused (EPERM).
 */
function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  // -1 would be every process the agent may signal: a lock never names init, but never trust that here.
  if (!Number.isSafeInteger(pid) || pid <= 1) return false;
  let denied = false;
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EPERM') denied = true;
    }
  }
  return denied;
}

function parseRecord(text: string): HookLockRecord | undefined {
  let parsed: Partial<HookLockRecord>;
  try {
    parsed = JSON.parse(text) as Partial<HookLockRecord>;
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object') return undefined;
  const pid = parsed.pid;
  if (pid !== null && (!Number.isSafeInteger(pid) || (pid as number) <= 1)) return undefined;
  return {
    instance: String(parsed.instance ?? ''),
    action: typeof parsed.action === 'string' && /^[a-z]{1,20}$/.test(parsed.action) ? parsed.action : 'unknown',
    run: String(parsed.run ?? ''),
    pid: pid as number | null,
    process: typeof parsed.process === 'string' ? parsed.process : null,
    started_at: String(parsed.started_at ?? ''),
    agent_pid: Number(parsed.agent_pid),
  };
}

/** Waits for `promise`, or rejects with the signal's reason when it is aborted first. */
function abortable(promise: Promise<void>, signal?: AbortSignal): Promise<void> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}

function describeMs(ms: number): string {
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000} s`;
  if (ms >= 10_000) return `${Math.round(ms / 1000)} s`;
  return `${ms} ms`;
}
