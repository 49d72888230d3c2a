/**
 * The exec orchestrator with a state folder: each deploy or remove holds its instance's lock
 * while its hook runs, and an orchestrator started on the same folder (the agent after a crash)
 * runs no hook for that instance beside the one still running.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { toDeployment } from '../../../src/agent/deployment.js';
import { ExecOrchestrator } from '../../../src/agent/orchestrators/exec.js';
import { processIdentity } from '../../../src/process-identity.js';
import { records } from './orchestrator-fixtures.js';
import { onPosix } from '../../helpers/skips.js';

const root = mkdtempSync(join(tmpdir(), 'hsp-exec-locks-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/**
 * `node hook.mjs MARKS SLEEP_MS`: appends `start`/`end` lines (PID, time, how it ended) to
 * MARKS/intervals.log, takes SLEEP_MS over a deploy or remove, and ends early on SIGTERM. A
 * listing writes what the state folder held while it ran.
 */
const hookFile = join(root, 'hook.mjs');
writeFileSync(
  hookFile,
  `import { appendFileSync, readdirSync, writeFileSync } from 'node:fs';
const [marks, sleepMs, state] = process.argv.slice(2);
const note = (what) => appendFileSync(marks + '/intervals.log', what + ' ' + process.pid + ' ' + Date.now() + '\\n');
if (process.env.HSP_ACTION === 'list') {
  writeFileSync(marks + '/seen-while-listing', JSON.stringify(readdirSync(state)));
  process.stdout.write('[]');
} else {
  note('start');
  process.on('SIGTERM', () => { note('end-SIGTERM'); process.exit(143); });
  setTimeout(() => { note('end'); process.exit(0); }, Number(sleepMs));
}
`,
);

interface Interval {
  pid: number;
  start: number;
  end?: number;
  how?: string;
}

function intervals(marks: string): Interval[] {
  const byPid = new Map<number, Interval>();
  for (const line of readFileSync(join(marks, 'intervals.log'), 'utf8').trim().split('\n')) {
    const [what, pid, at] = line.split(' ');
    const entry = byPid.get(Number(pid)) ?? { pid: Number(pid), start: 0 };
    if (what === 'start') entry.start = Number(at);
    else Object.assign(entry, { end: Number(at), how: what });
    byPid.set(Number(pid), entry);
  }
  return [...byPid.values()].sort((a, b) => a.start - b.start);
}

function setup() {
  const state = mkdtempSync(join(root, 'state-'));
  const marks = mkdtempSync(join(root, 'marks-'));
  const deployment = toDeployment(records());
  const agent = (sleepMs: number, options: { orphanWaitMs?: number } = {}) => {
    const logs: { event: string; [field: string]: unknown }[] = [];
    const orchestrator = new ExecOrchestrator({
      argv: [process.execPath, hookFile, marks, String(sleepMs), state],
      platformId: deployment.platformId,
      log: (event, fields) => logs.push({ event, ...fields }),
      env: { PATH: process.env.PATH },
      stateDir: state,
      killGraceMs: 300,
      ...options,
    });
    return Object.assign(orchestrator, { logs });
  };
  const startedHooks = () => (existsSync(join(marks, 'intervals.log')) ? intervals(marks).length : 0);
  return { state, marks, deployment, agent, startedHooks, lockFile: join(state, `${deployment.instance.id}.lock`) };
}

onPosix.describe('exec orchestrator and the instance locks', { concurrent: true }, () => {
  it("holds the instance's lock, naming the hook's process, while the hook runs, and only then", async () => {
    const { deployment, agent, lockFile, marks, state, startedHooks } = setup();
    const deploying = agent(600).deploy(deployment);
    await vi.waitFor(() => expect(startedHooks()).toBe(1), { timeout: 10_000, interval: 20 });
    const [hook] = intervals(marks);
    const lock = JSON.parse(readFileSync(lockFile, 'utf8')) as Record<string, unknown>;
    expect(lock).toMatchObject({ instance: deployment.instance.id, action: 'deploy', pid: hook!.pid, process: processIdentity(hook!.pid), agent_pid: process.pid });
    // A listing runs beside it, and takes no lock of its own.
    await agent(0).list();
    expect(JSON.parse(readFileSync(join(marks, 'seen-while-listing'), 'utf8'))).toEqual([`${deployment.instance.id}.lock`]);
    await deploying;
    expect(readdirSync(state)).toEqual([]);
  });

  it('an agent started on the same folder waits for the hook still running for the instance', async () => {
    const { deployment, agent, marks, startedHooks } = setup();
    const crashed = agent(800);
    const first = crashed.deploy(deployment);
    await vi.waitFor(() => expect(startedHooks()).toBe(1), { timeout: 10_000, interval: 20 });

    const restarted = agent(0, { orphanWaitMs: 20_000 });
    await restarted.recover();
    expect(restarted.logs).toEqual([expect.objectContaining({ event: 'deploy.orphan_found', instance: deployment.instance.id, action: 'deploy', wait_ms: 20_000 })]);
    await restarted.deploy(deployment);
    await restarted.remove(deployment.instance.id);
    await first;

    const [old, again, removal] = intervals(marks);
    expect(old!.how).toBe('end');
    expect(again!.start).toBeGreaterThanOrEqual(old!.end!);
    expect(removal!.start).toBeGreaterThanOrEqual(again!.end!);
    expect(restarted.logs.map((l) => l.event)).toEqual(['deploy.orphan_found', 'deploy.orphan_waited']);
  });

  it('ends the old hook once the grace period is over, then runs its own', async () => {
    const { deployment, agent, marks, startedHooks, state } = setup();
    const crashed = agent(60_000);
    // Settled while the restarted one deploys: caught at once, looked at later.
    const first = crashed.deploy(deployment).then(
      () => 'deployed',
      (error: Error) => error.message,
    );
    await vi.waitFor(() => expect(startedHooks()).toBe(1), { timeout: 10_000, interval: 20 });

    const restarted = agent(0, { orphanWaitMs: 300 });
    await restarted.deploy(deployment);
    expect(await first).toBe(`The exec hook failed to deploy instance ${deployment.instance.id}: it exited with code 143.`);

    const [old, again] = intervals(marks);
    expect(old!.how).toBe('end-SIGTERM');
    expect(again!.start).toBeGreaterThanOrEqual(old!.end!);
    expect(restarted.logs.at(-1)).toMatchObject({ event: 'deploy.orphan_ended', signal: 'SIGTERM', instance: deployment.instance.id });
    expect(readdirSync(state)).toEqual([]);
  });

  it('refuses to run a hook when the state folder cannot be written, with one sentence', async () => {
    const { deployment, agent, state, startedHooks } = setup();
    rmSync(state, { recursive: true });
    writeFileSync(state, 'not a folder');
    await expect(agent(0).deploy(deployment)).rejects.toThrow(/^Cannot keep track of running hooks in the agent's state folder .+: a file stands where the folder should be\.$/);
    expect(startedHooks()).toBe(0);
  });
});
