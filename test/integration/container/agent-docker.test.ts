/**
 * `hsp agent listen --orchestrator docker` (the built bin/hsp) against a real Docker Engine and
 * a real registry on loopback (test/helpers/real-docker.ts), deploying a busybox httpd image
 * for instances of the project's own marketplace: what operators see, container by container,
 * by tag and pinned to the image's digest.
 * In the `containers` project, so it runs once, on PostgreSQL when HSP_TEST_DATABASE_URL is set.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { NEWEST_API_VERSION } from '../../../src/agent/orchestrators/docker-engine.js';
import { LABELS } from '../../../src/agent/orchestrators/docker.js';
import type { Instance, Platform } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { realDockerSkipReason, useRealDocker, type TestImage } from '../../helpers/real-docker.js';
import { onlyIf } from '../../helpers/skips.js';
import { deployableBuild, spawnAgent, type AgentProcess, type Catalogue, type LogEntry } from '../agent/harness.js';

const docker = useRealDocker();
const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
let owner: TestUser;
let tmp: string;
let httpd: Catalogue;
const agents: AgentProcess[] = [];

/** What `launch_bindings.deployment` holds for a docker deploy. */
interface DockerReport {
  orchestrator: string;
  fingerprint: string;
  workloads: { container_id: string; name: string; task: string; replica: number; ports: { container: number; host: number }[] }[];
}

/** The parts of `GET /containers/{id}/json` checked here. */
interface Inspected {
  Id: string;
  State: { Running: boolean; Status: string };
  Config: { Env: string[]; Image: string; Labels: Record<string, string> };
  HostConfig: { Memory: number; RestartPolicy: { Name: string } };
}

onlyIf(!realDockerSkipReason, realDockerSkipReason ?? '').describe('hsp agent listen --orchestrator docker on a real Docker Engine', () => {
  beforeAll(async () => {
    owner = await m.user('Dora Docker');
    httpd = await buildOf(docker.httpd);
    tmp = await mkdtemp(join(tmpdir(), 'hsp-agent-docker-'));
  });
  afterAll(async () => {
    for (const agent of agents) agent.child.kill('SIGKILL');
    // Whatever a failed test left behind goes with the engine's other containers of this file.
    for (const platformId of platforms) {
      const { body } = await docker.api('GET', `/containers/json?all=true&filters=${encodeURIComponent(JSON.stringify({ label: [`${LABELS.platform}=${platformId}`] }))}`);
      for (const container of body as { Id: string }[]) await docker.api('DELETE', `/containers/${container.Id}?force=true`);
      // The platform's network, which the agent leaves when the last instance goes.
      const { body: networks } = await docker.api('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ label: [`${LABELS.platform}=${platformId}`] }))}`);
      for (const network of networks as { Id: string }[]) await docker.api('DELETE', `/networks/${network.Id}`);
    }
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('deploys from the registry: the port answers, memory and environment applied; a change replaces the container; deleting the instance removes it', { timeout: 120_000 }, async () => {
    const platform = await newPlatform('lifecycle');
    const agent = listen(platform);
    const connected = await logged(agent, (e) => e.event === 'docker.connected', 'the connection to the engine', 0, 60_000);
    // The version both speak: this engine's newest, or the agent's newest when the engine is newer.
    const { body: version } = await docker.api('GET', '/version');
    const engineVersion = (version as { ApiVersion: string }).ApiVersion;
    expect(connected.api_version).toBe(olderVersion(engineVersion, NEWEST_API_VERSION));
    await logged(agent, (e) => e.event === 'reconcile.done', 'the first reconcile', 0, 60_000);

    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: httpd.buildId, launch_bindings: { environment: { GREETING: 'bonjour' } } });
    const deployed = await deployedReport(agent, platform, instance);
    expect(deployed.workloads).toHaveLength(1);
    const [workload] = deployed.workloads;
    expect(workload).toMatchObject({ task: 'web', replica: 0, name: expect.stringMatching(`^hsp-${instance.id}-`) });
    const container = await inspect(workload!.container_id);
    expect(container.State).toMatchObject({ Running: true, Status: 'running' });
    expect(container.Config.Image).toBe(docker.httpd.reference);
    expect(container.HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(container.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
    expect(container.Config.Env).toEqual(expect.arrayContaining(['GREETING=bonjour', 'PORT=8080']));
    expect(container.Config.Labels).toMatchObject({ [LABELS.platform]: platform.id, [LABELS.instance]: instance.id, [LABELS.build]: httpd.buildId, [LABELS.fingerprint]: deployed.fingerprint });

    // The published port, as the report gives it, reaches the container's server.
    const port = workload!.ports.find((p) => p.container === 8080)?.host;
    expect(port).toEqual(expect.any(Number));
    expect(await httpGet(port!, '/')).toBe('hello from busybox httpd\n');
    expect(await httpGet(port!, '/cgi-bin/env')).toMatch(/^GREETING=bonjour$/m);

    // A change to the instance: a new container with the new value, the old one gone.
    await owner.client.instances.update(owner.id, platform.id, instance.id, { launch_bindings: { environment: { GREETING: 'hola' } } });
    const updated = await deployedReport(agent, platform, instance, (report) => report.fingerprint !== deployed.fingerprint);
    const replacement = updated.workloads[0]!;
    expect(replacement.container_id).not.toBe(workload!.container_id);
    expect((await inspect(replacement.container_id)).Config.Env).toContain('GREETING=hola');
    expect((await docker.api('GET', `/containers/${workload!.container_id}/json`)).status).toBe(404);
    expect(await httpGet(replacement.ports[0]!.host, '/cgi-bin/env')).toMatch(/^GREETING=hola$/m);

    // Undeploy: the instance deleted, its container removed.
    await owner.client.instances.delete(owner.id, platform.id, instance.id);
    await logged(agent, (e) => e.event === 'remove.done' && e.instance === instance.id, 'the removal');
    expect(await containersOf(platform)).toEqual([]);
    // Its own stops and removals are not news to it: no reconcile was asked for because of them.
    expect(agent.logs.of('docker.container_changed')).toEqual([]);
  });

  it('restores a container killed or removed behind its back, and reports the new one', { timeout: 120_000 }, async () => {
    const platform = await newPlatform('restore');
    const agent = listen(platform);
    await logged(agent, (e) => e.event === 'reconcile.done', 'the first reconcile', 0, 60_000);
    const killed = await owner.client.instances.create(owner.id, platform.id, { build_id: httpd.buildId });
    const removed = await owner.client.instances.create(owner.id, platform.id, { build_id: httpd.buildId });
    const before = {
      killed: (await deployedReport(agent, platform, killed)).workloads[0]!.container_id,
      removed: (await deployedReport(agent, platform, removed)).workloads[0]!.container_id,
    };

    const from = agent.logs.length;
    expect((await docker.api('POST', `/containers/${before.killed}/kill`)).status).toBe(204);
    expect((await docker.api('DELETE', `/containers/${before.removed}?force=true`)).status).toBe(204);

    for (const [instance, old] of [[killed, before.killed], [removed, before.removed]] as const) {
      await logged(agent, (e) => e.event === 'deploy.done' && e.instance === instance.id, `the redeploy of ${instance.id}`, from, 60_000);
      const report = await deployedReport(agent, platform, instance, (r) => r.workloads[0]?.container_id !== old);
      const now = report.workloads[0]!;
      expect((await inspect(now.container_id)).State.Running).toBe(true);
      expect(await httpGet(now.ports[0]!.host, '/')).toBe('hello from busybox httpd\n');
    }
    const changed = agent.logs.entries.slice(from).filter((e) => e.event === 'docker.container_changed');
    expect(changed).toEqual(expect.arrayContaining([
      expect.objectContaining({ instance_id: killed.id, action: 'die' }),
      expect.objectContaining({ instance_id: removed.id, action: 'destroy' }),
    ]));
    // The killed container was retired with the redeploy; nothing but the two new ones is left.
    expect((await docker.api('GET', `/containers/${before.killed}/json`)).status).toBe(404);
    expect((await containersOf(platform)).length).toBe(2);
  });

  it('restarted with containers running, recreates nothing', { timeout: 120_000 }, async () => {
    const platform = await newPlatform('restart');
    const first = listen(platform);
    await logged(first, (e) => e.event === 'reconcile.done', 'the first reconcile', 0, 60_000);
    const instances = await Promise.all([1, 2].map(() => owner.client.instances.create(owner.id, platform.id, { build_id: httpd.buildId })));
    for (const instance of instances) await deployedReport(first, platform, instance);
    const running = (await containersOf(platform)).sort();
    expect(running).toHaveLength(2);
    first.child.kill('SIGTERM');
    expect((await first.exited).code).toBe(0);

    const second = listen(platform);
    const done = await logged(second, (e) => e.event === 'reconcile.done', 'the reconcile at start', 0, 60_000);
    expect(done).toMatchObject({ instances: 2, workloads: 2, orphans: 0 });
    await settle(second);
    expect(second.logs.of('deploy.started')).toEqual([]);
    expect((await containersOf(platform)).sort()).toEqual(running);
    for (const instance of instances) {
      const record = await owner.client.instances.retrieve(owner.id, platform.id, instance.id);
      expect(record.deployed_at).not.toBeNull();
    }
  });

  it("reports a pull failure and an image that cannot start on the instance, with the engine's reason, and leaves no container", { timeout: 120_000 }, async () => {
    const platform = await newPlatform('failures');
    const agent = listen(platform);
    await logged(agent, (e) => e.event === 'reconcile.done', 'the first reconcile', 0, 60_000);
    const missing = await buildOf({ ...docker.httpd, tag: 'no-such-tag' });
    const broken = await buildOf(docker.broken);

    const cases = [
      { build: missing, reason: /manifest unknown/ },
      { build: broken, reason: /no-such-program/ },
    ];
    for (const { build, reason } of cases) {
      const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: build.buildId });
      const failed = await logged(agent, (e) => e.event === 'deploy.failed' && e.instance === instance.id, `the failure of ${build.buildId}`, 0, 60_000);
      expect(failed.reason).toMatch(reason);
      const record = await waitForRecord(platform, instance, (r) => typeof deploymentOf(r)?.error === 'string');
      expect(record.deployed_at).toBeNull();
      expect(deploymentOf(record)).toMatchObject({ orchestrator: 'docker', error: expect.stringMatching(reason) });
      // One sentence, as an operator reads it in `hsp instances list`.
      expect(String(deploymentOf(record)?.error)).toMatch(/^Docker could not [^\n]+\.$/);
      // Retried with backoff, failing the same way: the record is not written again, so its
      // update event cannot start a loop.
      const failures = () => agent.logs.of('deploy.failed', instance.id);
      await logged(agent, (e) => e.event === 'deploy.failed' && e.instance === instance.id && failures().length >= 2, 'the retry', 0, 60_000);
      expect(failures().map((e) => e.reason)).toEqual([failed.reason, failed.reason]);
      expect(agent.logs.of('report.cleared', instance.id)).toHaveLength(1);
      expect((await owner.client.instances.retrieve(owner.id, platform.id, instance.id)).updated_at).toBe(record.updated_at);
    }
    expect(await containersOf(platform)).toEqual([]);
  });

  it("deploys a build pinned to its image's digest as name@digest, and reports a digest the registry does not have", { timeout: 120_000 }, async () => {
    const platform = await newPlatform('pinned');
    const agent = listen(platform);
    await logged(agent, (e) => e.event === 'reconcile.done', 'the first reconcile', 0, 60_000);
    const digest = await manifestDigest(docker.httpd);
    const pinned = await buildOf(docker.httpd);
    await m.admin.builds.update(pinned.productId, pinned.buildId, { container_digest: digest });
    // The broken image's digest exists, but not in the httpd repository.
    const elsewhere = await buildOf(docker.httpd);
    await m.admin.builds.update(elsewhere.productId, elsewhere.buildId, { container_digest: await manifestDigest(docker.broken) });

    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: pinned.buildId });
    const report = await deployedReport(agent, platform, instance);
    const container = await inspect(report.workloads[0]!.container_id);
    expect(container.Config.Image).toBe(`${docker.httpd.repository}@${digest}`);
    expect(await httpGet(report.workloads[0]!.ports[0]!.host, '/')).toBe('hello from busybox httpd\n');

    const missing = await owner.client.instances.create(owner.id, platform.id, { build_id: elsewhere.buildId });
    const failed = await logged(agent, (e) => e.event === 'deploy.failed' && e.instance === missing.id, 'the failed pull');
    expect(failed.reason).toMatch(/^Docker could not pull .*manifest unknown/);
    const record = await waitForRecord(platform, missing, (r) => typeof deploymentOf(r)?.error === 'string');
    expect(deploymentOf(record)?.error).toBe(failed.reason);
    expect((await containersOf(platform)).length).toBe(1);
  });
});

const platforms: string[] = [];

/**
 * The digest of an image's manifest, as `hsp publish` records it: the registry's
 * `Docker-Content-Digest` for the Docker v2 manifest the Engine pushed.
 */
async function manifestDigest(image: TestImage): Promise<string> {
  const [registry, ...path] = image.repository.split('/');
  const response = await fetch(`http://${registry}/v2/${path.join('/')}/manifests/${image.tag}`, {
    method: 'HEAD',
    headers: { accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  expect(response.status).toBe(200);
  return response.headers.get('docker-content-digest')!;
}

async function newPlatform(name: string): Promise<Platform> {
  const platform = await owner.client.platforms.create(owner.id, { name: `${name}-${Math.random().toString(36).slice(2, 8)}` });
  platforms.push(platform.id);
  return platform;
}

/** A published product whose one task runs `image` (see harness.ts: port 8080, 256 MiB, PORT and GREETING). */
function buildOf(image: TestImage): Promise<Catalogue> {
  return deployableBuild(m, { repository: image.repository, tag: image.tag });
}

function listen(platform: Platform): AgentProcess {
  const agent = spawnAgent(['--platform', platform.id, '--orchestrator', 'docker', '--docker-host', docker.host], {
    HSP_URL: m.url,
    HSP_TOKEN: owner.token,
    HSP_CONFIG_DIR: join(tmp, 'config'),
  });
  agents.push(agent);
  return agent;
}

function deploymentOf(instance: Instance): Record<string, unknown> | undefined {
  return instance.launch_bindings?.deployment as Record<string, unknown> | undefined;
}

/** Polls the record until `done` holds: the report lands a moment after the agent logs it. */
async function waitForRecord(platform: Platform, instance: Instance, done: (record: Instance) => boolean, timeoutMs = 60_000): Promise<Instance> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await owner.client.instances.retrieve(owner.id, platform.id, instance.id);
    if (done(record)) return record;
    if (Date.now() > deadline) throw new Error(`The instance ${instance.id} never got there; last seen: ${JSON.stringify(record)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The report on the record once the agent deployed it (and `accept` likes it). */
async function deployedReport(agent: AgentProcess, platform: Platform, instance: Instance, accept: (report: DockerReport) => boolean = () => true): Promise<DockerReport> {
  const record = await waitForRecord(platform, instance, (r) => r.deployed_at !== null && (deploymentOf(r) as DockerReport | undefined)?.orchestrator === 'docker' && accept(deploymentOf(r) as unknown as DockerReport)).catch((error: Error) => {
    throw new Error(`${error.message}\nThe agent's log:\n${agent.logs.entries.map((e) => JSON.stringify(e)).join('\n')}`);
  });
  return deploymentOf(record) as unknown as DockerReport;
}

async function inspect(id: string): Promise<Inspected> {
  const { status, body } = await docker.api('GET', `/containers/${id}/json`);
  expect(status).toBe(200);
  return body as Inspected;
}

/** Ids of the platform's containers, running or not. */
async function containersOf(platform: Platform): Promise<string[]> {
  const filters = JSON.stringify({ label: [`${LABELS.platform}=${platform.id}`] });
  const { body } = await docker.api('GET', `/containers/json?all=true&filters=${encodeURIComponent(filters)}`);
  return (body as { Id: string }[]).map((c) => c.Id);
}

/** GET over loopback, retried while the server in a just-started container is not listening yet. */
async function httpGet(port: number, path: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
      if (response.ok) return await response.text();
      if (Date.now() > deadline) throw new Error(`GET ${path} on port ${port}: HTTP ${response.status}`);
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The first log entry from `from` on that matches, now or later; fails at once, with its stderr, if the agent exits. */
async function logged(agent: AgentProcess, match: (entry: LogEntry) => boolean, what: string, from = 0, timeoutMs = 60_000): Promise<LogEntry> {
  const exited = agent.exited.then((exit) => {
    throw new Error(`The agent exited (${exit.signal ?? `code ${exit.code}`}) before ${what}:\n${exit.stderr}`);
  });
  return Promise.race([agent.logs.waitFor(match, what, from, timeoutMs), exited]);
}

/** The older of two Engine API versions (`1.41` < `1.45` < `1.100`). */
function olderVersion(a: string, b: string): string {
  const [aMajor = 0, aMinor = 0] = a.split('.').map(Number);
  const [bMajor = 0, bMinor = 0] = b.split('.').map(Number);
  return (aMajor - bMajor || aMinor - bMinor) <= 0 ? a : b;
}

/** Waits until the agent has logged nothing for a while: whatever a reconcile starts has started. */
async function settle(agent: AgentProcess, quietMs = 1_500): Promise<void> {
  let seen = -1;
  while (seen !== agent.logs.length) {
    seen = agent.logs.length;
    await new Promise((resolve) => setTimeout(resolve, quietMs));
  }
}
