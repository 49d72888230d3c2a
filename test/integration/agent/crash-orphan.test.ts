/**
 * `hsp agent listen` killed with SIGKILL in the middle of a deploy leaves its exec hook running
 * (the hook leads its own process group and outlives the agent). The agent started next must
 * never run a second hook for that instance beside it: it waits for the old one to end, or ends
 * it once the grace period is over, and says which in its log. The hook here writes down when
 * each of its runs starts and ends; the test reads those intervals.
 *
 * Real processes throughout: the built bin/hsp (`npm run build`), a Node hook, the project's
 * own server on loopback.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Platform } from '../../../src/index.js';
import { processIdentity } from '../../../src/process-identity.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, spawnAgent, type Catalogue } from './harness.js';


const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
let owner: TestUser;
let catalogue: Catalogue;
let tmp: string;
const agents: { kill(signal: NodeJS.Signals): void }[] = [];
const hookPids = new Set<number>();

beforeAll(async () => {
  owner = await m.user('Kim Killed');
  catalogue = await deployableBuild(m);
  tmp = await mkdtemp(join(tmpdir(), 'hsp-agent-orphan-'));
});
afterAll(async () => {
  for (const agent of agents) agent.kill('SIGKILL');
  for (const pid of hookPids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Ended, as it should have been.
    }
  }
  await rm(tmp, { recursive: true, force: true });
});

/**
 * `node hook.mjs MARKS`: each deploy appends `start`, then `end` (or `end-SIGTERM` when
 * stopped) with its instance, PID and time to MARKS/intervals.log; while MARKS/hold exists it
 * does not finish until MARKS/release does. Deployed instances are MARKS/<id>.running; `list`
 * prints them.
 */
async function hookIn(marks: string): Promise<string[]> {
  const path = join(marks, 'hook.mjs');
  await writeFile(
    path,
    `import { appendFileSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
const marks = process.argv[2];
const action = process.env.HSP_ACTION;
const id = process.env.HSP_INSTANCE_ID;
const input = JSON.parse(readFileSync(0, 'utf8'));
const note = (what) => appendFileSync(marks + '/intervals.log', [what, id, process.pid, Date.now()].join(' ') + '\\n');
if (action === 'list') {
  process.stdout.write(JSON.stringify(readdirSync(marks).filter((n) => n.endsWith('.running')).map((n) => n.slice(0, -8))));
} else if (action === 'deploy') {
  note('start');
  process.on('SIGTERM', () => { note('end-SIGTERM'); process.exit(143); });
  if (existsSync(marks + '/hold')) while (!existsSync(marks + '/release')) await new Promise((resolve) => setTimeout(resolve, 20));
  writeFileSync(marks + '/' + id + '.running', input.deployment.fingerprint);
  // Noted before printing: the agent that would read the output may be gone (a broken pipe).
  note('end');
  process.stdout.write(JSON.stringify({ workloads: [{ pid: process.pid }] }));
}
`,
  );
  return ['--orchestrator', 'exec', '--exec', process.execPath, path, marks];
}

interface Interval {
  instance: string;
  pid: number;
  start: number;
  end?: number;
  how?: string;
}

/** The hook's runs for an instance, oldest first. */
async function intervalsOf(marks: string, instance: string): Promise<Interval[]> {
  const file = join(marks, 'intervals.log');
  if (!existsSync(file)) return [];
  const runs = new Map<number, Interval>();
  for (const line of (await readFile(file, 'utf8')).trim().split('\n')) {
    const [what, id, pid, at] = line.split(' ') as [string, string, string, string];
    if (id !== instance) continue;
    const run = runs.get(Number(pid)) ?? { instance: id, pid: Number(pid), start: Number.NaN };
    if (what === 'start') run.start = Number(at);
    else Object.assign(run, { end: Number(at), how: what });
    runs.set(Number(pid), run);
    hookPids.add(Number(pid));
  }
  return [...runs.values()].sort((a, b) => a.start - b.start);
}

/** No run began before the one before it had ended. */
function expectNoOverlap(runs: Interval[]): void {
  for (let i = 1; i < runs.length; i++) {
    const before = runs[i - 1]!;
    expect(before.end, `run ${i} (process ${before.pid}) has an end`).toBeDefined();
    expect(runs[i]!.start, `run ${i + 1} (process ${runs[i]!.pid}) starts after run ${i} ends`).toBeGreaterThanOrEqual(before.end!);
  }
}

/** `hsp agent listen …` with its own config directory (shared by the agents of one test). */
function listen(config: string, args: string[]) {
  const agent = spawnAgent(args, { HSP_URL: m.url, HSP_TOKEN: owner.token, HSP_CONFIG_DIR: config });
  agents.push(agent.child);
  return agent;
}

async function scene(name: string): Promise<{ platform: Platform; config: string; marks: string; argv: string[] }> {
  const platform = await owner.client.platforms.create(owner.id, { name: `${name}-${Math.random().toString(36).slice(2, 8)}` });
  const config = await mkdtemp(join(tmp, `${name}-config-`));
  const marks = await mkdtemp(join(tmp, `${name}-marks-`));
  return { platform, config, marks, argv: await hookIn(marks) };
}

/** Starts an agent, has it begin a deploy of a new instance that waits for MARKS/release, and kills it with SIGKILL then. */
async function crashMidDeploy(s: Awaited<ReturnType<typeof scene>>): Promise<{ instance: string; orphan: Interval }> {
  await writeFile(join(s.marks, 'hold'), '');
  const first = listen(s.config, ['--platform', s.platform.id, ...s.argv]);
  await first.logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile', 0, 30_000);
  const { id: instance } = await owner.client.instances.create(owner.id, s.platform.id, { build_id: catalogue.buildId });
  await first.logs.waitFor((e) => e.event === 'deploy.started' && e.instance === instance, 'the deploy');
  await vi.waitFor(async () => expect(await intervalsOf(s.marks, instance)).toHaveLength(1), { timeout: 10_000, interval: 50 });
  first.child.kill('SIGKILL');
  expect((await first.exited).signal).toBe('SIGKILL');
  const [orphan] = await intervalsOf(s.marks, instance);
  // The agent is gone; its hook is not.
  expect(processIdentity(orphan!.pid)).toBeDefined();
  expect(orphan!.end).toBeUndefined();
  // What the agent left: a lock for the running hook, and its own (stale now).
  const lock = JSON.parse(await readFile(join(s.config, 'agents', `${s.platform.id}.state`, `${instance}.lock`), 'utf8')) as Record<string, unknown>;
  expect(lock).toMatchObject({ instance, action: 'deploy', pid: orphan!.pid });
  return { instance, orphan: orphan! };
}

describe('hsp agent listen after a SIGKILL mid-deploy', () => {
  it('waits for the hook the killed agent left running, then deploys: never two at once', { timeout: 90_000 }, async () => {
    const s = await scene('waits');
    const { instance, orphan } = await crashMidDeploy(s);

    const second = listen(s.config, ['--platform', s.platform.id, '--grace-period', '60s', ...s.argv]);
    const found = await second.logs.waitFor((e) => e.event === 'deploy.orphan_found', 'the orphan', 0, 30_000);
    expect(found).toMatchObject({ instance, action: 'deploy', pid: orphan.pid, wait_ms: 60_000 });
    // However long the old hook takes, the new agent runs none of its own for the instance meanwhile.
    await second.logs.waitFor((e) => e.event === 'deploy.started' && e.instance === instance, 'the deploy it wants', 0, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await intervalsOf(s.marks, instance)).toHaveLength(1);
    expect(second.logs.of('deploy.done', instance)).toEqual([]);
    await writeFile(join(s.marks, 'release'), '');
    const waited = await second.logs.waitFor((e) => e.event === 'deploy.orphan_waited', 'the orphan to end', 0, 30_000);
    expect(waited).toMatchObject({ instance, pid: orphan.pid });
    const done = await second.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance, 'the deploy after it', 0, 30_000);

    const runs = await intervalsOf(s.marks, instance);
    expect(runs.map((r) => [r.pid, r.how])).toEqual([
      [orphan.pid, 'end'],
      [expect.any(Number), 'end'],
    ]);
    expectNoOverlap(runs);
    expect(second.logs.of('deploy.orphan_ended')).toEqual([]);
    // Said in that order: found, waited, and only then this agent's own hook.
    const order = second.logs.entries.map((e) => e.event);
    expect(order.indexOf('deploy.orphan_found')).toBeLessThan(order.indexOf('deploy.orphan_waited'));
    const record = await owner.client.instances.retrieve(owner.id, s.platform.id, instance);
    expect(record.launch_bindings.deployment).toMatchObject({ orchestrator: 'exec', fingerprint: done.fingerprint, workloads: [{ pid: runs[1]!.pid }] });

    second.child.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null, stderr: '' });
    expect(existsSync(join(s.config, 'agents', `${s.platform.id}.state`, 'agent.lock'))).toBe(false);
  });

  it('ends the left-over hook once the grace period is over, then deploys', { timeout: 90_000 }, async () => {
    const s = await scene('ends');
    const { instance, orphan } = await crashMidDeploy(s);
    // Held for good: only the agent can end it. The new agent's own hook does not wait.
    await rm(join(s.marks, 'hold'));

    const second = listen(s.config, ['--platform', s.platform.id, '--grace-period', '1s', ...s.argv]);
    const found = await second.logs.waitFor((e) => e.event === 'deploy.orphan_found', 'the orphan', 0, 30_000);
    expect(found).toMatchObject({ instance, pid: orphan.pid, wait_ms: 1_000 });
    const ended = await second.logs.waitFor((e) => e.event === 'deploy.orphan_ended', 'the orphan to be ended', 0, 30_000);
    expect(ended).toMatchObject({ instance, action: 'deploy', pid: orphan.pid, signal: 'SIGTERM', reason: 'It still ran 1 s (the grace period) after the agent restarted.' });
    expect(ended.ms).toBeGreaterThanOrEqual(1_000);
    await second.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance, 'the deploy after it', 0, 30_000);

    const runs = await intervalsOf(s.marks, instance);
    expect(runs.map((r) => [r.pid, r.how])).toEqual([
      [orphan.pid, 'end-SIGTERM'],
      [expect.any(Number), 'end'],
    ]);
    expectNoOverlap(runs);
    expect(processIdentity(orphan.pid)).toBeUndefined();
    second.child.kill('SIGTERM');
    expect((await second.exited).code).toBe(0);
  });

  it('a second agent for the platform refuses to start while the first runs, naming it', { timeout: 60_000 }, async () => {
    const s = await scene('twice');
    const first = listen(s.config, ['--platform', s.platform.id, ...s.argv]);
    await first.logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile', 0, 30_000);
    const second = listen(s.config, ['--platform', s.platform.name, ...s.argv]);
    const refused = await second.exited;
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      new RegExp(`^Another agent \\(process ${first.child.pid}, running since \\S+\\) already serves platform ${s.platform.id} on this host; stop it before starting this one\\.\\n$`),
    );
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);
  });
});
