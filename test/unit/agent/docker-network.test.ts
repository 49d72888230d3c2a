/**
 * The docker orchestrator's platform network, against the fake Engine (test/helpers/fake-docker.ts):
 * one user-defined bridge network per platform, made when missing (and safely when two deploys
 * race for it), every container on it, each task's first replica under a stable alias, and the
 * report's endpoints at that alias. The same against a real Engine: test/integration/container/
 * docker-network.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toDeployment } from '../../../src/agent/deployment.js';
import type { Deployment } from '../../../src/agent/orchestrator.js';
import { aliasOf, DockerOrchestrator, LABELS, networkNameOf } from '../../../src/agent/orchestrators/docker.js';
import { taskKeysOf } from '../../../src/agent/orchestrators/kubernetes-manifests.js';
import { FakeDocker, type FakeContainer } from '../../helpers/fake-docker.js';
import { records, type RecordsOptions } from './orchestrator-fixtures.js';

let engine: FakeDocker;
let logs: { event: string; fields?: Record<string, unknown> }[];
const opened: DockerOrchestrator[] = [];

beforeEach(async () => {
  engine = await FakeDocker.start();
  logs = [];
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  await engine.close();
});

async function orchestrator(platformId: string): Promise<DockerOrchestrator> {
  const docker = await DockerOrchestrator.connect({ dockerHost: engine.host, platformId, log: (event, fields) => logs.push({ event, ...(fields ? { fields } : {}) }) });
  opened.push(docker);
  return docker;
}

/** An instance of `platformId` (a new platform when not given). */
function deploymentOf(options: RecordsOptions = {}, platformId?: string): Deployment {
  const input = records(options);
  if (platformId === undefined) return toDeployment(input);
  return toDeployment({ ...input, platformId, instance: { ...input.instance, platform_id: platformId } });
}

function containersOf(deployment: Deployment): FakeContainer[] {
  return [...engine.containers.values()].filter((c) => c.Config.Labels[LABELS.instance] === deployment.instance.id).sort((a, b) => (a.Name < b.Name ? -1 : 1));
}

describe('docker orchestrator: the platform network', () => {
  it('puts every instance of a platform on one labelled bridge network, each task under an alias, and reports the endpoints', async () => {
    const platformId = randomUUID();
    const web = deploymentOf({ tasks: [{ name: 'web', minimum: 2, ports: [8080, 9090] }, { name: 'worker' }, { name: 'nightly', cron: '0 0 * * *', ports: [7070] }] }, platformId);
    const api = deploymentOf({ tasks: [{ name: 'FHIR API', ports: [80] }] }, platformId);
    const docker = await orchestrator(platformId);

    const webReport = await docker.deploy(web);
    const apiReport = await docker.deploy(api);

    const name = `hsp-${platformId}`;
    expect(networkNameOf(platformId.toUpperCase())).toBe(name);
    const [network, ...others] = engine.networksNamed(name);
    expect(others).toEqual([]);
    expect(network).toMatchObject({ Driver: 'bridge', Labels: { [LABELS.platform]: platformId } });
    // Made once, by the first deploy.
    expect(engine.callsTo('POST', /^\/networks\/create$/)).toMatchObject([{ body: { Name: name, CheckDuplicate: true, Driver: 'bridge', Labels: { [LABELS.platform]: platformId } }, status: 201 }]);
    expect(logs.filter((l) => l.event === 'docker.network_created')).toEqual([{ event: 'docker.network_created', fields: { network: name } }]);

    const [webKey, workerKey] = taskKeysOf([{ name: 'web' }, { name: 'worker' }].map((t, index) => ({ ...t, index, replicas: 1, ports: [], options: [], environment: {} })));
    const webAlias = aliasOf(web.instance.id, webKey!);
    const workerAlias = aliasOf(web.instance.id, workerKey!);
    expect(webAlias).toBe(`${webKey}-${web.instance.id.replace(/-/g, '').slice(-12)}`);
    expect(webAlias).toMatch(/^web-[0-9a-f]{8}-[0-9a-f]{12}$/);
    // Every container on the network; only each task's first replica under the alias.
    expect(containersOf(web).map((c) => [c.Config.Labels[LABELS.task], c.Config.Labels[LABELS.replica], c.networks])).toEqual([
      ['web', '0', { [name]: { NetworkID: network!.Id, Aliases: [webAlias] } }],
      ['web', '1', { [name]: { NetworkID: network!.Id, Aliases: null } }],
      ['worker', '0', { [name]: { NetworkID: network!.Id, Aliases: [workerAlias] } }],
    ]);

    // A task's ports at its alias; no endpoint for a task without ports, nor for a cron task (not run).
    expect(webReport.endpoints).toEqual([
      { task: 'web', port: 8080, host: webAlias, url: `http://${webAlias}:8080` },
      { task: 'web', port: 9090, host: webAlias, url: `http://${webAlias}:9090` },
    ]);
    const apiAlias = apiReport.endpoints?.[0]?.host;
    expect(apiAlias).toMatch(/^fhir-api-[0-9a-f]{8}-[0-9a-f]{12}$/);
    expect(apiReport.endpoints).toEqual([{ task: 'FHIR API', port: 80, host: apiAlias, url: `http://${apiAlias}:80` }]);
    expect(apiAlias).not.toBe(webAlias);

    // The same alias after a redeploy with new containers: dependents' URLs stay valid.
    const changed = toDeployment({ platformId, instance: { ...web.instance, launch_bindings: { environment: { A: '1' } } }, build: web.build, configurations: [web.configuration], tasks: web.tasks });
    const again = await docker.deploy(changed);
    expect(again.endpoints).toEqual(webReport.endpoints);
    expect(containersOf(web)[0]?.networks[name]?.Aliases).toEqual([webAlias]);
    expect(await docker.list()).toEqual(expect.arrayContaining([{ instanceId: web.instance.id, fingerprint: changed.fingerprint }]));
  });

  it('keeps platforms apart: each has its own network', async () => {
    const one = deploymentOf();
    const two = deploymentOf();
    await (await orchestrator(one.platformId)).deploy(one);
    await (await orchestrator(two.platformId)).deploy(two);
    expect(Object.keys(containersOf(one)[0]!.networks)).toEqual([`hsp-${one.platformId}`]);
    expect(Object.keys(containersOf(two)[0]!.networks)).toEqual([`hsp-${two.platformId}`]);
  });

  it('uses the network that is there, and takes a 409 from a creation that lost a race as success', async () => {
    const platformId = randomUUID();
    const name = `hsp-${platformId}`;
    const docker = await orchestrator(platformId);
    // Another agent creates it between this one's look and its creation.
    engine.before('POST', /^\/networks\/create$/, () => engine.addNetwork(name, { [LABELS.platform]: platformId }));
    const first = deploymentOf({}, platformId);
    await docker.deploy(first);
    expect(engine.callsTo('POST', /^\/networks\/create$/).map((c) => c.status)).toEqual([409]);
    expect(logs.map((l) => l.event)).not.toContain('docker.network_created');
    expect(engine.networksNamed(name)).toHaveLength(1);
    expect(Object.keys(containersOf(first)[0]!.networks)).toEqual([name]);

    // Found next time: not created again.
    await docker.deploy(deploymentOf({}, platformId));
    expect(engine.callsTo('POST', /^\/networks\/create$/)).toHaveLength(1);
  });

  it('makes the network once when deploys run side by side', async () => {
    const platformId = randomUUID();
    const docker = await orchestrator(platformId);
    const deployments = [1, 2, 3, 4].map(() => deploymentOf({}, platformId));
    await Promise.all(deployments.map((d) => docker.deploy(d)));
    expect(engine.callsTo('POST', /^\/networks\/create$/)).toHaveLength(1);
    expect(engine.networksNamed(`hsp-${platformId}`)).toHaveLength(1);
    expect(deployments.every((d) => containersOf(d)[0]?.networks[`hsp-${platformId}`] !== undefined)).toBe(true);
  });

  it('keeps the oldest of duplicate networks (an older Engine made two at once) and removes its own others', async () => {
    const platformId = randomUUID();
    const name = `hsp-${platformId}`;
    const labels = { [LABELS.platform]: platformId };
    const younger = engine.addNetwork(name, labels, { created: '2024-01-01T00:00:00.27989761Z' });
    const older = engine.addNetwork(name, labels, { created: '2024-01-01T00:00:00.2798976Z' });
    const deployment = deploymentOf({}, platformId);
    await (await orchestrator(platformId)).deploy(deployment);
    expect(engine.networksNamed(name).map((n) => n.Id)).toEqual([older.Id]);
    expect(containersOf(deployment)[0]?.networks[name]?.NetworkID).toBe(older.Id);
    expect(logs).toContainEqual({ event: 'docker.network_duplicate_removed', fields: { network: name, removed: younger.Id.slice(0, 12), kept: older.Id.slice(0, 12) } });
  });

  it('refuses, with a sentence, to deploy while someone else\u2019s network has the same name', async () => {
    const platformId = randomUUID();
    const name = `hsp-${platformId}`;
    const ours = engine.addNetwork(name, { [LABELS.platform]: platformId }, { created: '2024-01-01T00:00:00Z' });
    engine.addNetwork(name, { owner: 'someone' }, { created: '2024-01-02T00:00:00Z' });
    const deployment = deploymentOf({}, platformId);
    await expect((await orchestrator(platformId)).deploy(deployment)).rejects.toThrow(
      `Docker has 2 networks named ${name}, so it cannot attach containers to it; remove all but ${ours.Id.slice(0, 12)} (docker network ls --filter name=${name}).`,
    );
    expect(containersOf(deployment)).toEqual([]);
    expect(engine.networksNamed(name)).toHaveLength(2);
  });

  it('attaches containers deployed before the network where they run: degraded until then, no new container', async () => {
    const platformId = randomUUID();
    const name = `hsp-${platformId}`;
    const deployment = deploymentOf({ tasks: [{ name: 'web', minimum: 2, ports: [80] }] }, platformId);
    const docker = await orchestrator(platformId);
    await docker.deploy(deployment);
    // As an agent without networks left them: on the default bridge only.
    const bridge = [...engine.networks.values()].find((n) => n.Name === 'bridge')!;
    for (const container of containersOf(deployment)) container.networks = { bridge: { NetworkID: bridge.Id, Aliases: null } };
    const ids = containersOf(deployment).map((c) => c.Id);

    expect(await docker.list()).toEqual([{ instanceId: deployment.instance.id, degraded: true }]);
    const before = engine.calls.length;
    const report = await docker.deploy(deployment);
    const since = engine.calls.slice(before).filter((c) => c.method !== 'GET');
    expect(since.map((c) => `${c.method} ${c.path.replace(/[0-9a-f]{64}/, 'ID')}`)).toEqual(['POST /networks/ID/connect', 'POST /networks/ID/connect']);
    const alias = aliasOf(deployment.instance.id, taskKeysOf([{ name: 'web', index: 0, replicas: 2, ports: [80], options: [], environment: {} }])[0]!);
    expect(since.map((c) => c.body)).toEqual([
      { Container: ids[0], EndpointConfig: { Aliases: [alias] } },
      { Container: ids[1], EndpointConfig: {} },
    ]);
    expect(containersOf(deployment).map((c) => c.Id)).toEqual(ids);
    expect(containersOf(deployment).map((c) => (c.networks[name] ? c.networks[name].Aliases : 'not attached'))).toEqual([[alias], null]);
    expect(report.endpoints).toEqual([{ task: 'web', port: 80, host: alias, url: `http://${alias}:80` }]);
    expect(logs).toContainEqual({ event: 'docker.network_attached', fields: { instance_id: deployment.instance.id, network: name, containers: 2 } });
    expect(await docker.list()).toEqual([{ instanceId: deployment.instance.id, fingerprint: deployment.fingerprint }]);
  });

  it('gives its alias back to a first replica that joined the network without it', async () => {
    const platformId = randomUUID();
    const name = `hsp-${platformId}`;
    const deployment = deploymentOf({}, platformId);
    const docker = await orchestrator(platformId);
    await docker.deploy(deployment);
    const [container] = containersOf(deployment);
    const alias = container!.networks[name]!.Aliases![0]!;
    container!.networks[name]!.Aliases = null;
    const before = engine.calls.length;
    await docker.deploy(deployment);
    expect(engine.calls.slice(before).filter((c) => c.method !== 'GET').map((c) => c.path.replace(/[0-9a-f]{64}/, 'ID'))).toEqual(['/networks/ID/disconnect', '/networks/ID/connect']);
    expect(containersOf(deployment)[0]?.networks[name]?.Aliases).toEqual([alias]);
  });

  it('leaves the network when the platform\u2019s last instance goes', async () => {
    const deployment = deploymentOf();
    const docker = await orchestrator(deployment.platformId);
    await docker.deploy(deployment);
    await docker.remove(deployment.instance.id);
    expect(engine.containers.size).toBe(0);
    expect(engine.networksNamed(`hsp-${deployment.platformId}`)).toHaveLength(1);
    expect(engine.callsTo('DELETE', /^\/networks\//)).toEqual([]);
  });

  it('reports no endpoints and makes no network for an instance with nothing long-running', async () => {
    const deployment = deploymentOf({ tasks: [{ name: 'nightly', cron: '0 0 * * *', ports: [80] }] });
    const report = await (await orchestrator(deployment.platformId)).deploy(deployment);
    expect(report.endpoints).toEqual([]);
    expect(engine.networksNamed(`hsp-${deployment.platformId}`)).toEqual([]);
  });
});
