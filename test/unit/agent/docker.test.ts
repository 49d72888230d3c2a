import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toDeployment } from '../../../src/agent/deployment.js';
import type { Deployment } from '../../../src/agent/orchestrator.js';
import { DockerEngine } from '../../../src/agent/orchestrators/docker-engine.js';
import { DockerOrchestrator, LABELS } from '../../../src/agent/orchestrators/docker.js';
import { createOrchestrator } from '../../../src/agent/orchestrators/index.js';
import { InvalidArgumentError } from '../../../src/index.js';
import { FakeDocker } from '../../helpers/fake-docker.js';
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

async function orchestrator(platformId: string, fake = engine): Promise<DockerOrchestrator> {
  const docker = await DockerOrchestrator.connect({ dockerHost: fake.host, platformId, log: (event, fields) => logs.push({ event, ...(fields ? { fields } : {}) }) });
  opened.push(docker);
  return docker;
}

function deploymentOf(options: RecordsOptions = {}): Deployment {
  return toDeployment(records(options));
}

/** The same instance with changed input, as the marketplace would send it after an update. */
function withInput(deployment: Deployment, environment: Record<string, string>): Deployment {
  return toDeployment({
    platformId: deployment.platformId,
    instance: { ...deployment.instance, launch_bindings: { environment } },
    build: deployment.build,
    configurations: [deployment.configuration],
    tasks: deployment.tasks,
  });
}

describe('docker orchestrator', () => {
  it('deploys one container per replica with labels, env, memory, ports and restart policy', async () => {
    const deployment = deploymentOf({
      tasks: [{ name: 'web', minimum: 2, memory: 256, ports: [80], environment: [{ key: 'LOG_LEVEL', description: '', default: 'info' }] }],
      environment: { API_URL: 'http://api' },
    });
    const docker = await orchestrator(deployment.platformId);
    const report = await docker.deploy(deployment);

    expect(engine.callsTo('POST', /^\/images\/create$/)).toMatchObject([{ version: '1.45', query: { fromImage: 'example/web', tag: '1.2.3' } }]);
    const creates = engine.callsTo('POST', /^\/containers\/create$/);
    expect(creates).toHaveLength(2);
    const id = deployment.instance.id;
    for (const [replica, call] of creates.entries()) {
      expect(call.query.name).toMatch(new RegExp(`^hsp-${id}-[0-9a-f]{8}-0-${replica}$`));
      expect(call.body).toEqual({
        Image: 'example/web:1.2.3',
        Env: ['API_URL=http://api', 'LOG_LEVEL=info'],
        Labels: {
          [LABELS.platform]: deployment.platformId,
          [LABELS.instance]: id,
          [LABELS.build]: deployment.build.id,
          [LABELS.fingerprint]: deployment.fingerprint,
          [LABELS.task]: 'web',
          [LABELS.workloads]: '2',
          [LABELS.replica]: String(replica),
        },
        ExposedPorts: { '80/tcp': {} },
        StopTimeout: 15,
        HostConfig: { Memory: 256 * 1024 * 1024, PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '' }] }, RestartPolicy: { Name: 'unless-stopped' }, NetworkMode: `hsp-${deployment.platformId}` },
        // Only the first replica carries the task's alias (docker-network.test.ts).
        NetworkingConfig: { EndpointsConfig: { [`hsp-${deployment.platformId}`]: replica === 0 ? { Aliases: [expect.stringMatching(/^web-[0-9a-f]{8}-[0-9a-f]{12}$/)] } : {} } },
      });
    }
    expect(engine.running()).toHaveLength(2);

    expect(report).toMatchObject({ orchestrator: 'docker', fingerprint: deployment.fingerprint });
    expect(report.workloads).toHaveLength(2);
    const hostPorts = report.workloads.map((w) => (w.ports as { container: number; host: number }[])[0]);
    expect(hostPorts.map((p) => p?.container)).toEqual([80, 80]);
    expect(new Set(hostPorts.map((p) => p?.host)).size).toBe(2);
    expect(report.workloads[0]).toMatchObject({ task: 'web', replica: 0, container_id: expect.stringMatching(/^[0-9a-f]{64}$/), name: expect.stringMatching(/^hsp-/) });
    expect(logs.map((l) => l.event)).toEqual(['docker.connected', 'docker.network_created', 'docker.deployed']);
    expect(JSON.stringify(logs)).not.toContain('http://api');
  });

  it('passes the task options as the command and leaves out a memory limit nobody set', async () => {
    const deployment = deploymentOf({ tasks: [{ name: 'cli', options: ['--mode', 'production; reboot'] }] });
    await (await orchestrator(deployment.platformId)).deploy(deployment);
    const [create] = engine.callsTo('POST', /^\/containers\/create$/);
    expect(create?.body).toMatchObject({ Cmd: ['--mode', 'production; reboot'], ExposedPorts: {}, HostConfig: { PortBindings: {} } });
    expect((create?.body as { HostConfig: object }).HostConfig).not.toHaveProperty('Memory');
  });

  it('changes nothing when the instance already runs unchanged', async () => {
    const deployment = deploymentOf();
    const docker = await orchestrator(deployment.platformId);
    const first = await docker.deploy(deployment);
    const before = engine.calls.length;
    const again = await docker.deploy(deployment);
    const since = engine.calls.slice(before);
    expect(since.filter((c) => c.method !== 'GET')).toEqual([]);
    expect(again).toEqual(first);
  });

  it('replaces a changed instance: new containers start before the old ones stop (t=15) and go', async () => {
    const deployment = deploymentOf({ environment: { A: '1' } });
    const docker = await orchestrator(deployment.platformId);
    await docker.deploy(deployment);
    const [old] = engine.running();
    const before = engine.calls.length;

    const changed = withInput(deployment, { A: '2' });
    const report = await docker.deploy(changed);
    const since = engine.calls.slice(before).filter((c) => c.method !== 'GET');
    const steps = since.map((c) => `${c.method} ${c.path.replace(/[0-9a-f]{64}/, c.path.includes(old?.Id ?? '-') ? 'OLD' : 'NEW')}`);
    expect(steps).toEqual(['POST /images/create', 'POST /containers/create', 'POST /containers/NEW/start', 'POST /containers/OLD/stop', 'DELETE /containers/OLD']);
    expect(since.find((c) => c.path.endsWith('/stop'))?.query).toEqual({ t: '15' });
    expect(since.find((c) => c.method === 'DELETE')?.query).toEqual({ force: 'true' });
    expect(engine.containers.has(old?.Id ?? '')).toBe(false);
    expect(engine.running().map((c) => c.Config.Env)).toEqual([['A=2', 'LOG_LEVEL=info']]);
    expect(report.fingerprint).toBe(changed.fingerprint);
  });

  it('redeploys an instance whose container stopped', async () => {
    const deployment = deploymentOf();
    const docker = await orchestrator(deployment.platformId);
    await docker.deploy(deployment);
    const [crashed] = engine.running();
    engine.exit(crashed?.Id ?? '');
    expect(await docker.list()).toEqual([{ instanceId: deployment.instance.id, degraded: true }]);
    await docker.deploy(deployment);
    expect(engine.running()).toHaveLength(1);
    expect(engine.containers.has(crashed?.Id ?? '')).toBe(false);
  });

  it('skips cron tasks with a log line', async () => {
    const deployment = deploymentOf({ tasks: [{ name: 'web' }, { name: 'nightly', cron: '0 0 * * *' }] });
    const report = await (await orchestrator(deployment.platformId)).deploy(deployment);
    expect(report.workloads.map((w) => w.task)).toEqual(['web']);
    expect(logs).toContainEqual({ event: 'docker.cron_task_skipped', fields: { instance_id: deployment.instance.id, task: 'nightly', cron: '0 0 * * *' } });
  });

  it('removes every container of the instance, and removing nothing succeeds', async () => {
    const deployment = deploymentOf({ tasks: [{ name: 'web', minimum: 2 }, { name: 'worker' }] });
    const docker = await orchestrator(deployment.platformId);
    await docker.deploy(deployment);
    expect(engine.containers.size).toBe(3);
    await docker.remove(deployment.instance.id);
    expect(engine.containers.size).toBe(0);
    expect(engine.callsTo('POST', /\/stop$/).map((c) => c.query.t)).toEqual(['15', '15', '15']);
    await docker.remove(deployment.instance.id);
    await docker.remove(randomUUID());
  });

  it('lists its instances with their fingerprints, and nobody else\u2019s containers', async () => {
    const one = deploymentOf({ tasks: [{ name: 'web', minimum: 2 }] });
    const docker = await orchestrator(one.platformId);
    await docker.deploy(one);
    const elsewhere = deploymentOf();
    await (await orchestrator(elsewhere.platformId)).deploy(elsewhere);
    expect(await docker.list()).toEqual([{ instanceId: one.instance.id, fingerprint: one.fingerprint }]);

    // A container missing from the set means the instance must be redeployed.
    const [first] = engine.running().filter((c) => c.Config.Labels[LABELS.instance] === one.instance.id);
    engine.containers.delete(first?.Id ?? '');
    expect(await docker.list()).toEqual([{ instanceId: one.instance.id, degraded: true }]);
  });

  it('surfaces a failed pull as one sentence and creates nothing', async () => {
    const deployment = deploymentOf();
    engine.failPull('example/web:1.2.3', 'manifest for example/web:1.2.3 not found: manifest unknown: manifest unknown');
    const docker = await orchestrator(deployment.platformId);
    await expect(docker.deploy(deployment)).rejects.toThrow('Docker could not pull example/web:1.2.3: manifest for example/web:1.2.3 not found: manifest unknown: manifest unknown.');
    expect(engine.callsTo('POST', /^\/containers\/create$/)).toEqual([]);
  });

  it('surfaces a refused pull (HTTP 404) as one sentence', async () => {
    const deployment = deploymentOf();
    engine.failOn('POST', /^\/images\/create$/, 404, 'pull access denied for example/web, repository does not exist or may require \'docker login\'');
    await expect((await orchestrator(deployment.platformId)).deploy(deployment)).rejects.toThrow(
      "Docker could not pull example/web:1.2.3 (HTTP 404): pull access denied for example/web, repository does not exist or may require 'docker login'.",
    );
  });

  it('removes what a failed attempt created and keeps the running version', async () => {
    const deployment = deploymentOf({ environment: { A: '1' } });
    const docker = await orchestrator(deployment.platformId);
    await docker.deploy(deployment);
    const [old] = engine.running();

    const changed = withInput(toDeployment({ platformId: deployment.platformId, instance: deployment.instance, build: deployment.build, configurations: [deployment.configuration], tasks: deployment.tasks.map((t) => ({ ...t, minimum: 3 })) }), { A: '2' });
    engine.failOn('POST', /^\/containers\/[0-9a-f]+\/start$/, 500, 'driver failed programming external connectivity: port is already allocated');
    await expect(docker.deploy(changed)).rejects.toThrow('Docker could not start the container of task "web" (replica 0) (HTTP 500): driver failed programming external connectivity: port is already allocated.');
    expect([...engine.containers.keys()]).toEqual([old?.Id]);
    expect(engine.running()).toHaveLength(1);
    expect(await docker.list()).toEqual([{ instanceId: deployment.instance.id, fingerprint: deployment.fingerprint }]);
  });

  it('refuses an instance id that is not a UUID on remove', async () => {
    const docker = await orchestrator(randomUUID());
    await expect(docker.remove('x"; rm -rf /')).rejects.toThrow('Cannot remove instance "x\\"; rm -rf /": it is not a UUID.');
  });
});

describe('Docker Engine API negotiation', () => {
  it.each([
    ['1.47', '1.24', '1.45'],
    ['1.43', '1.24', '1.43'],
    ['1.41', '1.12', '1.41'],
    ['1.52', '1.46', '1.46'],
  ])('speaks the newest version both know (engine %s, minimum %s → %s)', async (apiVersion, minApiVersion, chosen) => {
    const fake = await FakeDocker.start({ apiVersion, minApiVersion });
    try {
      const client = await DockerEngine.connect(fake.host);
      expect(client.apiVersion).toBe(chosen);
      expect(await client.listContainers(['org.hl7.hsp.platform=x'])).toEqual([]);
      expect(fake.calls.at(-1)).toMatchObject({ version: chosen, status: 200 });
      await client.close();
    } finally {
      await fake.close();
    }
  });

  it('refuses an Engine older than API 1.41 with a sentence', async () => {
    const old = await FakeDocker.start({ apiVersion: '1.40', minApiVersion: '1.12' });
    try {
      await expect(DockerEngine.connect(old.host)).rejects.toThrow(`The Docker Engine at ${old.host} speaks API 1.40; the agent needs 1.41 or later (Docker 20.10+).`);
    } finally {
      await old.close();
    }
  });

  it('says when the socket is not there', async () => {
    const missing = `unix://${join(tmpdir(), `hsp-no-docker-${randomUUID()}.sock`)}`;
    await expect(DockerEngine.connect(missing)).rejects.toThrow(`Cannot reach the Docker Engine at ${missing} to ask its version: ENOENT (is Docker running?).`);
  });

  it('takes unix, tcp and http hosts and refuses others', async () => {
    const log = () => undefined;
    await expect(createOrchestrator('docker', { log, platformId: randomUUID(), dockerHost: 'ftp://docker:21' })).rejects.toThrow(InvalidArgumentError);
    await expect(createOrchestrator('docker', { log, platformId: randomUUID(), dockerHost: 'unix://relative.sock' })).rejects.toThrow('must name an absolute socket path');
    await expect(createOrchestrator('docker', { log, platformId: randomUUID(), dockerHost: 'tcp://127.0.0.1:1' })).rejects.toThrow(/^Cannot reach the Docker Engine at tcp:\/\/127\.0\.0\.1:1 to ask its version: ECONNREFUSED/);
    const docker = await createOrchestrator('docker', { log, platformId: randomUUID(), dockerHost: engine.host });
    expect(docker.name).toBe('docker');
    await (docker as DockerOrchestrator).close();
  });
});
