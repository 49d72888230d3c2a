/**
 * What a restarted agent does about a hook its crashed predecessor left running, with real
 * processes: each "orphan" here is a Node process in its own group, named by a lock file as the
 * dead agent wrote it.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { HookLocks, type HookLockRecord } from '../../../src/agent/hook-locks.js';
import { processIdentity } from '../../../src/process-identity.js';
import { onPosix } from '../../helpers/skips.js';

const root = mkdtempSync(join(tmpdir(), 'hsp-hook-locks-'));
const started: number[] = [];
afterAll(() => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone, as it should be.
    }
  }
  rmSync(root, { recursive: true, force: true });
});

interface Logged {
  event: string;
  [field: string]: unknown;
}

function stateDir(): string {
  const dir = join(root, randomUUID());
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

function locks(dir: string, options: { waitMs?: number; hookTimeoutMs?: number; killGraceMs?: number } = {}) {
  const logs: Logged[] = [];
  const hookLocks = new HookLocks({
    dir,
    log: (event, fields) => logs.push({ event, ...fields }),
    waitMs: options.waitMs ?? 10_000,
    hookTimeoutMs: options.hookTimeoutMs ?? 300_000,
    killGraceMs: options.killGraceMs ?? 300,
    pollMs: 20,
  });
  return { hookLocks, logs, events: () => logs.map((l) => l.event) };
}

/**
 * A hook left running: a Node process leading its own group, as the exec orchestrator spawns
 * them. It writes `<marks>/end` with the time when it ends (on its own or on SIGTERM, unless it
 * ignores SIGTERM) and may start a child in its group.
 */
function orphan(marks: string, options: { runMs: number; ignoreTerm?: boolean; withChild?: boolean }): { pid: number; childPid: () => number } {
  const source = `
    const { writeFileSync } = require('node:fs');
    const { spawn } = require('node:child_process');
    const end = (how) => { writeFileSync(${JSON.stringify(join(marks, 'end'))}, JSON.stringify({ at: Date.now(), how })); process.exit(0); };
    process.on('SIGTERM', () => { if (!${options.ignoreTerm ? 'true' : 'false'}) end('SIGTERM'); });
    if (${options.withChild ? 'true' : 'false'}) {
      const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      writeFileSync(${JSON.stringify(join(marks, 'child'))}, String(child.pid));
    }
    writeFileSync(${JSON.stringify(join(marks, 'ready'))}, '');
    setTimeout(() => end('itself'), ${options.runMs});
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['-e', source], { detached: true, stdio: 'ignore' });
  child.unref();
  started.push(child.pid!);
  return { pid: child.pid!, childPid: () => Number(readFileSync(join(marks, 'child'), 'utf8')) };
}

async function ready(marks: string): Promise<void> {
  await vi.waitFor(() => expect(existsSync(join(marks, 'ready'))).toBe(true), { timeout: 10_000, interval: 20 });
}

/** The lock file an agent wrote for a hook before it was killed. */
function leftLock(dir: string, instance: string, pid: number, overrides: Partial<HookLockRecord> = {}): string {
  const file = join(dir, `${instance}.lock`);
  const record: HookLockRecord = { instance, action: 'deploy', run: 'a1b2c3d4', pid, process: processIdentity(pid) ?? null, started_at: new Date().toISOString(), agent_pid: 999_999, ...overrides };
  writeFileSync(file, JSON.stringify(record), { mode: 0o600 });
  return file;
}

function running(pid: number): boolean {
  return processIdentity(pid) !== undefined;
}

// Each test waits on processes of its own: run side by side.
onPosix.describe('HookLocks after a crash', { concurrent: true }, () => {
  it('waits for a hook that ends on its own, and only then lets the next action on the instance start', async () => {
    const dir = stateDir();
    const marks = stateDir();
    const hook = orphan(marks, { runMs: 800 });
    await ready(marks);
    const instance = randomUUID();
    const file = leftLock(dir, instance, hook.pid);
    const { hookLocks, logs } = locks(dir);

    await hookLocks.recover();
    expect(logs[0]).toMatchObject({ event: 'deploy.orphan_found', instance, action: 'deploy', pid: hook.pid, wait_ms: 10_000 });
    const held = await hookLocks.acquire(instance, 'deploy');
    const acquiredAt = Date.now();
    const end = JSON.parse(readFileSync(join(marks, 'end'), 'utf8')) as { at: number; how: string };
    expect(end.how).toBe('itself');
    expect(end.at).toBeLessThanOrEqual(acquiredAt);
    expect(running(hook.pid)).toBe(false);
    expect(logs.map((l) => l.event)).toEqual(['deploy.orphan_found', 'deploy.orphan_waited']);
    // The file is now the new run's, without a PID until its hook is spawned.
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ instance, action: 'deploy', pid: null, agent_pid: process.pid });
    held.started(process.pid);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: process.pid, process: processIdentity(process.pid) });
    await held.release();
    expect(existsSync(file)).toBe(false);
  });

  it('ends a hook still running after the grace period with SIGTERM', async () => {
    const dir = stateDir();
    const marks = stateDir();
    const hook = orphan(marks, { runMs: 60_000 });
    await ready(marks);
    const instance = randomUUID();
    leftLock(dir, instance, hook.pid, { action: 'remove' });
    const { hookLocks, logs, events } = locks(dir, { waitMs: 300 });

    await hookLocks.recover();
    const held = await hookLocks.acquire(instance, 'deploy');
    expect(JSON.parse(readFileSync(join(marks, 'end'), 'utf8'))).toMatchObject({ how: 'SIGTERM' });
    expect(running(hook.pid)).toBe(false);
    expect(events()).toEqual(['deploy.orphan_found', 'deploy.orphan_ended']);
    expect(logs[1]).toMatchObject({ instance, action: 'remove', pid: hook.pid, signal: 'SIGTERM', reason: 'It still ran 300 ms (the grace period) after the agent restarted.' });
    expect(logs[1]!.ms).toBeGreaterThanOrEqual(300);
    await held.release();
  });

  it('ends the whole process group with SIGKILL when the hook ignores SIGTERM', async () => {
    const dir = stateDir();
    const marks = stateDir();
    const hook = orphan(marks, { runMs: 60_000, ignoreTerm: true, withChild: true });
    await ready(marks);
    const grandchild = hook.childPid();
    const instance = randomUUID();
    leftLock(dir, instance, hook.pid);
    const { hookLocks, logs } = locks(dir, { waitMs: 100, killGraceMs: 200 });

    await hookLocks.recover();
    await (await hookLocks.acquire(instance, 'deploy')).release();
    expect(logs.at(-1)).toMatchObject({ event: 'deploy.orphan_ended', signal: 'SIGKILL' });
    expect(running(hook.pid)).toBe(false);
    // What the hook started went with it: the group was signalled, not just its leader.
    await vi.waitFor(() => expect(running(grandchild)).toBe(false), { timeout: 5_000, interval: 20 });
  });

  it('ends at once a hook that has already run longer than any hook may', async () => {
    const dir = stateDir();
    const marks = stateDir();
    const hook = orphan(marks, { runMs: 60_000 });
    await ready(marks);
    const instance = randomUUID();
    leftLock(dir, instance, hook.pid, { started_at: new Date(Date.now() - 10 * 60_000).toISOString() });
    const { hookLocks, logs } = locks(dir, { waitMs: 30_000, hookTimeoutMs: 5 * 60_000 });

    await hookLocks.recover();
    await hookLocks.acquire(instance, 'deploy');
    expect(logs[0]).toMatchObject({ event: 'deploy.orphan_found', wait_ms: 0 });
    expect(logs[1]).toMatchObject({ event: 'deploy.orphan_ended', signal: 'SIGTERM' });
    expect(String(logs[1]!.reason)).toMatch(/^It had run for \d+ s, past the 300 s a hook may take\.$/);
    expect(logs[1]!.ms).toBeLessThan(5_000);
  });

  it('leaves alone a process that only has the PID of the old hook, and a hook that is gone', async () => {
    const dir = stateDir();
    const marks = stateDir();
    const stranger = orphan(marks, { runMs: 60_000 });
    await ready(marks);
    const reused = randomUUID();
    const gone = randomUUID();
    const neverSpawned = randomUUID();
    // Same PID, another start: the PID came back for another process.
    leftLock(dir, reused, stranger.pid, { process: 'linux:another-boot:12345' });
    leftLock(dir, gone, 2_147_000_000, { process: 'linux:x:1' });
    leftLock(dir, neverSpawned, 0, { pid: null, process: null });
    const { hookLocks, logs } = locks(dir);

    await hookLocks.recover();
    for (const id of [reused, gone, neverSpawned]) await (await hookLocks.acquire(id, 'deploy')).release();
    expect(running(stranger.pid)).toBe(true);
    expect(existsSync(join(marks, 'end'))).toBe(false);
    expect(logs.map((l) => [l.event, l.instance]).sort()).toEqual(
      [
        ['deploy.orphan_gone', reused],
        ['deploy.orphan_gone', gone],
        ['deploy.orphan_gone', neverSpawned],
      ].sort(),
    );
    process.kill(stranger.pid, 'SIGKILL');
  });

  it('removes a lock file it cannot read, saying so', async () => {
    const dir = stateDir();
    const instance = randomUUID();
    writeFileSync(join(dir, `${instance}.lock`), '{"pid": 1, "process": "linux:x:1"');
    writeFileSync(join(dir, `.${instance}.lock.4242.abcd0123.tmp`), '{"pid"');
    writeFileSync(join(dir, 'agent.lock'), '{}');
    const { hookLocks, logs } = locks(dir);
    await hookLocks.recover();
    await (await hookLocks.acquire(instance, 'deploy')).release();
    expect(logs).toEqual([{ event: 'deploy.orphan_ignored', instance, reason: `The lock file ${join(dir, `${instance}.lock`)} could not be read as a lock; it was removed.` }]);
    // The half-written file of a crash goes; what is not a hook lock stays.
    expect(existsSync(join(dir, `.${instance}.lock.4242.abcd0123.tmp`))).toBe(false);
    expect(existsSync(join(dir, 'agent.lock'))).toBe(true);
  });

  it('stops waiting when the action is cancelled, and leaves the old hook and its lock for later', async () => {
    const dir = stateDir();
    const marks = stateDir();
    const hook = orphan(marks, { runMs: 60_000 });
    await ready(marks);
    const instance = randomUUID();
    const file = leftLock(dir, instance, hook.pid);
    const { hookLocks } = locks(dir, { waitMs: 60_000 });
    await hookLocks.recover();
    const cancel = new AbortController();
    const waiting = hookLocks.acquire(instance, 'deploy', cancel.signal);
    setTimeout(() => cancel.abort(new Error('The agent is stopping.')), 200);
    await expect(waiting).rejects.toThrow('The agent is stopping.');
    expect(running(hook.pid)).toBe(true);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ pid: hook.pid });
    process.kill(-hook.pid, 'SIGKILL');
  });

  it('refuses to lock what is not an instance id', async () => {
    const { hookLocks } = locks(stateDir());
    await expect(hookLocks.acquire('../../etc/passwd', 'deploy')).rejects.toThrow('Cannot lock instance "../../etc/passwd": it is not a UUID.');
  });
});
