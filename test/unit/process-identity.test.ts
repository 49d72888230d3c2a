/**
 * Telling a process from another under the same PID, on real processes: a live one, one that
 * has exited, a zombie (exited, not yet reaped), and a PID whose recorded identity is another's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, expect, it } from 'vitest';
import { isSameProcess, processIdentity, recordedProcessRuns } from '../../src/process-identity.js';
import { deadPid } from '../helpers/processes.js';
import { onPosix } from '../helpers/skips.js';

const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) child.kill('SIGKILL');
});

async function live(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  started.push(child);
  await new Promise((resolve) => child.once('spawn', resolve));
  return child as ChildProcess & { pid: number };
}

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

onPosix.describe('process identity', () => {
  it('names a live process the same way each time, and another process otherwise', async () => {
    const own = processIdentity(process.pid);
    expect(own).toEqual(expect.any(String));
    expect(processIdentity(process.pid)).toBe(own);
    const other = await live();
    expect(processIdentity(other.pid)).toEqual(expect.any(String));
    expect(processIdentity(other.pid)).not.toBe(own);
    expect(isSameProcess(other.pid, processIdentity(other.pid)!)).toBe(true);
    expect(isSameProcess(other.pid, own!)).toBe(false);
  });

  it('has none for a process that has exited, nor for what cannot be a PID', async () => {
    const pid = await deadPid();
    expect(processIdentity(pid)).toBeUndefined();
    for (const bad of [0, -1, 1.5, Number.NaN, 2 ** 60]) expect(processIdentity(bad)).toBeUndefined();
  });

  it('counts a zombie (exited, not yet reaped) as gone, though kill(pid, 0) still finds it', async () => {
    // The shell starts `sleep 1`, then becomes `sleep 30`, which never reaps it.
    const parent = spawn('sh', ['-c', 'sleep 1 & echo $!; exec sleep 30'], { stdio: ['ignore', 'pipe', 'ignore'] });
    started.push(parent);
    const pid = Number(await new Promise<string>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
    const identity = processIdentity(pid);
    expect(identity).toEqual(expect.any(String));
    expect(recordedProcessRuns(pid, identity)).toBe(true);
    await until(() => processIdentity(pid) === undefined);
    expect(() => process.kill(pid, 0)).not.toThrow();
    expect(isSameProcess(pid, identity!)).toBe(false);
    expect(recordedProcessRuns(pid, identity)).toBe(false);
  });
});

onPosix.describe("a lock's recorded process", () => {
  it('runs while it is the very process recorded', async () => {
    const other = await live();
    expect(recordedProcessRuns(other.pid, processIdentity(other.pid))).toBe(true);
    expect(recordedProcessRuns(process.pid, processIdentity(process.pid))).toBe(true);
  });

  it('is gone once its PID names another process (a reused PID, or one from before a reboot)', async () => {
    expect(recordedProcessRuns(process.ppid, 'linux:another-boot:1')).toBe(false);
    // This very process: kill(pid, 0) finds it, but the record is a predecessor's.
    expect(recordedProcessRuns(process.pid, 'linux:another-boot:1')).toBe(false);
  });

  it('is gone when nothing runs under its PID, with or without an identity', async () => {
    const pid = await deadPid();
    expect(recordedProcessRuns(pid, 'linux:another-boot:1')).toBe(false);
    expect(recordedProcessRuns(pid, null)).toBe(false);
    for (const bad of [0, -1, 1.5]) expect(recordedProcessRuns(bad, undefined)).toBe(false);
  });

  it('recorded without an identity (where none could be read), runs while its PID does', async () => {
    const other = await live();
    expect(recordedProcessRuns(other.pid, null)).toBe(true);
    other.kill('SIGKILL');
    await new Promise((resolve) => other.once('exit', resolve));
    expect(recordedProcessRuns(other.pid, null)).toBe(false);
  });
});
