/**
 * The agent's state folder: private (0700), one agent per platform on a host, and a lock that a
 * crashed agent does not leave stuck.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { agentStateDir, openAgentState } from '../../../src/agent/agent-state.js';
import { processIdentity } from '../../../src/process-identity.js';
import { deadPid } from '../../helpers/processes.js';
import { onPosix } from '../../helpers/skips.js';

const root = mkdtempSync(join(tmpdir(), 'hsp-agent-state-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const freshConfig = () => mkdtempSync(join(root, 'config-'));
const modeOf = (path: string) => statSync(path).mode & 0o777;

onPosix.describe('the agent state folder', () => {
  it('is <config>/agents/<platform-id>.state, made 0700 with its parents', async () => {
    const config = join(freshConfig(), 'nested', 'hsp');
    const platform = randomUUID().toUpperCase();
    const state = await openAgentState(config, platform);
    expect(state.dir).toBe(join(config, 'agents', `${platform.toLowerCase()}.state`));
    expect(modeOf(state.dir)).toBe(0o700);
    expect(modeOf(join(config, 'agents'))).toBe(0o700);
    const lock = JSON.parse(readFileSync(join(state.dir, 'agent.lock'), 'utf8')) as Record<string, unknown>;
    expect(lock).toMatchObject({ pid: process.pid, process: processIdentity(process.pid), platform: platform.toLowerCase() });
    expect(modeOf(join(state.dir, 'agent.lock'))).toBe(0o600);
    await state.release();
    expect(existsSync(join(state.dir, 'agent.lock'))).toBe(false);
  });

  it('tightens a folder others could read', async () => {
    const config = freshConfig();
    const platform = randomUUID();
    const dir = agentStateDir(config, platform);
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o777);
    const state = await openAgentState(config, platform);
    expect(modeOf(dir)).toBe(0o700);
    await state.release();
  });

  it('refuses a second agent for the platform while the first runs, naming it', async () => {
    const config = freshConfig();
    const platform = randomUUID();
    const first = await openAgentState(config, platform);
    await expect(openAgentState(config, platform)).rejects.toThrow(
      new RegExp(`^Another agent \\(process ${process.pid}, running since \\S+\\) already serves platform ${platform} on this host; stop it before starting this one\\.$`),
    );
    // Another platform is another folder and another lock.
    const other = await openAgentState(config, randomUUID());
    await other.release();
    await first.release();
    const second = await openAgentState(config, platform);
    await second.release();
  });

  it('refuses while another live process holds the lock, and takes over once it is gone', async () => {
    const config = freshConfig();
    const platform = randomUUID();
    const dir = agentStateDir(config, platform);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const holder = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    try {
      await new Promise((resolve) => holder.once('spawn', resolve));
      const record = { pid: holder.pid, process: processIdentity(holder.pid!), platform, started_at: '2026-01-01T00:00:00.000Z' };
      writeFileSync(join(dir, 'agent.lock'), JSON.stringify(record));
      await expect(openAgentState(config, platform)).rejects.toThrow(`Another agent (process ${holder.pid}, running since 2026-01-01T00:00:00.000Z) already serves platform ${platform}`);
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    const state = await openAgentState(config, platform);
    expect(JSON.parse(readFileSync(join(dir, 'agent.lock'), 'utf8'))).toMatchObject({ pid: process.pid });
    await state.release();
  });

  it('is not fooled by a PID that came back for another process, nor by a torn lock file', async () => {
    const config = freshConfig();
    const platform = randomUUID();
    const dir = agentStateDir(config, platform);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // This very process, under another start: the PID of a crashed agent, reused.
    writeFileSync(join(dir, 'agent.lock'), JSON.stringify({ pid: process.pid, process: 'linux:another-boot:1', platform, started_at: 'then' }));
    const state = await openAgentState(config, platform);
    await state.release();
    writeFileSync(join(dir, 'agent.lock'), '{"pid": 12');
    // Old enough not to be one being written right now (on a file system without hard links).
    utimesSync(join(dir, 'agent.lock'), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    await (await openAgentState(config, platform)).release();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('of five agents started at once over the lock of a crashed one, exactly one runs, and it leaves nothing behind', async () => {
    const config = freshConfig();
    const platform = randomUUID();
    const dir = agentStateDir(config, platform);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, 'agent.lock'), JSON.stringify({ pid: await deadPid(), process: 'linux:another-boot:1', platform, started_at: 'then', token: 'ab'.repeat(16) }));
    const starts = await Promise.allSettled([1, 2, 3, 4, 5].map(() => openAgentState(config, platform)));
    const running = starts.filter((start) => start.status === 'fulfilled');
    const refused = starts.filter((start): start is PromiseRejectedResult => start.status === 'rejected');
    expect(running).toHaveLength(1);
    for (const refusal of refused) expect(String(refusal.reason)).toMatch(new RegExp(`Another agent \\(process ${process.pid}, running since \\S+\\) already serves platform ${platform}`));
    await running[0]!.value.release();
    // No claims, no staging files, no lock.
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses, in one sentence, what cannot be its folder', async () => {
    const config = freshConfig();
    const platform = randomUUID();
    mkdirSync(join(config, 'agents'), { recursive: true });
    writeFileSync(agentStateDir(config, platform), 'a file');
    await expect(openAgentState(config, platform)).rejects.toThrow(`The agent's state folder ${agentStateDir(config, platform)} is not a folder (a file or a symbolic link stands there); move it away.`);
    // A link to a folder elsewhere would put the locks where someone else chose.
    const linked = randomUUID();
    mkdirSync(join(config, 'elsewhere'));
    symlinkSync(join(config, 'elsewhere'), agentStateDir(config, linked));
    await expect(openAgentState(config, linked)).rejects.toThrow(`The agent's state folder ${agentStateDir(config, linked)} is not a folder (a file or a symbolic link stands there); move it away.`);
    await expect(openAgentState(config, 'not-a-platform')).rejects.toThrow('"not-a-platform" is not a platform id (a UUID).');
  });
});
