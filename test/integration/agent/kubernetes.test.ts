/**
 * The agent with the kubernetes orchestrator, end to end and in-process: a real `hsp serve`
 * (events over the real cable, records over REST), the official Kubernetes client over HTTPS
 * to the stub API server (test/helpers/kube-api-stub.ts), which checks every body against the
 * Kubernetes schemas. A deploy becomes Deployments and Services, the report on the instance is
 * what the cluster says, a change is applied again, an undeploy deletes, a restart removes
 * orphans and puts back drift without touching what is unchanged, and RBAC refusals are
 * reported on the instance.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import { KubernetesOrchestrator } from '../../../src/agent/orchestrators/kubernetes.js';
import { KUBE_ANNOTATIONS, KUBE_LABELS } from '../../../src/agent/orchestrators/kubernetes-manifests.js';
import type { Instance, Platform } from '../../../src/index.js';
import { KubeApiStub, type StubObject } from '../../helpers/kube-api-stub.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { FAST_EVENTS, LogRecorder, startAgent, type LogEntry, type RunningAgent } from './harness.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
const NS = 'hsp-apps';
const running: Agent[] = [];
let stub: KubeApiStub;
let kubeconfig: string;
let owner: TestUser;
let buildId: string;

beforeAll(async () => {
  owner = await m.user('Kim Kubernetes');
  // A build with two tasks: a web server (two replicas, a memory limit, a port, variables) and a worker.
  const product = await m.admin.products.create({ name: `Cluster app ${Math.random().toString(36).slice(2)}` });
  await m.admin.products.publish(product.id);
  const build = await m.admin.builds.create(product.id, { version: '2.0.0', container_repository: 'registry.example/cluster-app', container_tag: '2.0.0' });
  const configuration = await m.admin.configurations.create(product.id, build.id, { name: 'default' });
  await m.admin.tasks.create(product.id, build.id, configuration.id, {
    name: 'web',
    minimum: 2,
    memory: 512,
    ports: [8080],
    environment: [
      { key: 'PORT', description: 'where to listen', default: '8080' },
      { key: 'GREETING', description: 'what to say', default: 'hello' },
    ],
  });
  await m.admin.tasks.create(product.id, build.id, configuration.id, { name: 'worker', minimum: 1, memory: 128, options: ['--queue', 'default'] });
  buildId = build.id;
});
beforeEach(async () => {
  stub = await KubeApiStub.start();
  kubeconfig = await stub.writeKubeconfig({ namespace: NS });
});
afterEach(async () => {
  for (const agent of running.splice(0)) await agent.stop(1_000);
  await stub.close();
});

async function newPlatform(name: string): Promise<Platform> {
  return owner.client.platforms.create(owner.id, { name: `${name}-${Math.random().toString(36).slice(2, 8)}` });
}

async function start(platform: Platform, options: { resyncMs?: number } = {}): Promise<RunningAgent> {
  const logs = new LogRecorder();
  const orchestrator = await KubernetesOrchestrator.connect({ kubeconfig, platformId: platform.id, log: logs.log, pollIntervalMs: 100, ...options });
  const started = await startAgent(owner, platform, orchestrator, { logs });
  running.push(started.agent);
  return started;
}

function create(platform: Platform, launch_bindings: Record<string, unknown> = {}): Promise<Instance> {
  return owner.client.instances.create(owner.id, platform.id, { build_id: buildId, launch_bindings });
}

function retrieve(platform: Platform, id: string): Promise<Instance> {
  return owner.client.instances.retrieve(owner.id, platform.id, id);
}

function objectsOf(instanceId: string): { deployments: StubObject[]; services: StubObject[] } {
  const mine = (o: StubObject) => o.metadata.labels?.[KUBE_LABELS.instance] === instanceId;
  return { deployments: stub.list('deployments', NS).filter(mine), services: stub.list('services', NS).filter(mine) };
}

/** The agent handled the update event its own report caused (see agent.test.ts). */
async function reportEchoed({ logs, agent }: RunningAgent, instanceId: string, written: LogEntry): Promise<void> {
  await logs.waitFor((e) => e.event === 'instance.unchanged' && e.instance === instanceId, `the echo of the report for ${instanceId}`, logs.entries.indexOf(written) + 1);
  await agent.settled();
}

async function until(condition: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

type Pod = { containers: { name: string; image: string; args?: string[]; env?: { name: string; value?: string }[]; ports?: { containerPort: number }[]; resources: { limits?: { memory: string } } }[] };
const podOf = (object: StubObject) => (object.spec.template as { spec: Pod }).spec;
/** A container's variables without the claim data (HSP_*), which every task gets and claim-data tests check. */
const ownVariables = (env: unknown) => (env as { name: string }[] | undefined)?.filter((e) => !e.name.startsWith('HSP_'));
const byTask = (objects: StubObject[], task: string) => objects.find((o) => o.metadata.annotations?.[KUBE_ANNOTATIONS.taskName] === task)!;

// Each test starts an agent (and the first one loads the Kubernetes client): give them room on a busy machine.
describe('the agent with the kubernetes orchestrator', { timeout: 60_000 }, () => {
  it('deploys an instance as a Deployment per task and a Service for its ports, and reports the ready replicas once the cluster has them', async () => {
    stub.autoReady = false;
    const platform = await newPlatform('kube');
    const agent = await start(platform);
    const instance = await create(platform, { environment: { GREETING: 'bonjour', API_KEY: 'k-123' } });

    await until(() => objectsOf(instance.id).deployments.length === 2 && objectsOf(instance.id).services.length === 1, 'the applied objects');
    const { deployments, services } = objectsOf(instance.id);
    const web = byTask(deployments, 'web');
    const worker = byTask(deployments, 'worker');
    const labels = (o: StubObject) => o.metadata.labels;
    for (const object of [...deployments, ...services]) {
      expect(labels(object)).toMatchObject({ [KUBE_LABELS.platform]: platform.id, [KUBE_LABELS.instance]: instance.id, [KUBE_LABELS.build]: buildId, 'app.kubernetes.io/managed-by': 'hsp-agent' });
      expect(object.metadata.name.length).toBeLessThanOrEqual(63);
    }
    expect(web.spec.replicas).toBe(2);
    expect(worker.spec.replicas).toBe(1);
    expect(ownVariables(podOf(web).containers[0]?.env)).toEqual([
      { name: 'API_KEY', value: 'k-123' },
      { name: 'GREETING', value: 'bonjour' },
      { name: 'PORT', value: '8080' },
    ]);
    expect(podOf(web).containers[0]?.env).toContainEqual({ name: 'HSP_INSTANCE_ID', value: instance.id });
    expect(podOf(web).containers).toMatchObject([
      {
        image: 'registry.example/cluster-app:2.0.0',
        ports: [{ containerPort: 8080, protocol: 'TCP' }],
        resources: { limits: { memory: '512Mi' } },
      },
    ]);
    expect(podOf(worker).containers).toMatchObject([{ args: ['--queue', 'default'], resources: { limits: { memory: '128Mi' } } }]);
    expect(podOf(worker).containers[0]).not.toHaveProperty('ports');
    expect(services[0]?.metadata.name).toBe(web.metadata.name);
    expect(services[0]?.spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }], selector: (web.spec.selector as { matchLabels: object }).matchLabels });
    for (const call of stub.applies()) expect([call.contentType, call.query.fieldManager, call.query.force]).toEqual(['application/apply-patch+yaml', 'hsp-agent', 'true']);

    // The pods are not ready yet: the instance is not reported as deployed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await retrieve(platform, instance.id)).deployed_at).toBeNull();
    expect(agent.logs.of('deploy.done', instance.id)).toEqual([]);

    stub.markReady(NS, web.metadata.name);
    stub.markReady(NS, worker.metadata.name);
    const done = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
    const record = await retrieve(platform, instance.id);
    expect(record.deployed_at).not.toBeNull();
    expect(record.launch_bindings).toEqual({
      environment: { GREETING: 'bonjour', API_KEY: 'k-123' },
      deployment: {
        orchestrator: 'kubernetes',
        fingerprint: done.fingerprint,
        namespace: NS,
        workloads: [
          {
            task: 'web',
            deployment: web.metadata.name,
            replicas: 2,
            ready_replicas: 2,
            service: { name: web.metadata.name, cluster_ip: services[0]?.spec.clusterIP, ports: [{ name: 'tcp-8080', port: 8080, target_port: 8080, protocol: 'TCP' }] },
          },
          { task: 'worker', deployment: worker.metadata.name, replicas: 1, ready_replicas: 1 },
        ],
        endpoints: [{ task: 'web', port: 8080, host: `${web.metadata.name}.${NS}.svc`, url: `http://${web.metadata.name}.${NS}.svc:8080` }],
      },
    });
    await reportEchoed(agent, instance.id, done);
    expect(agent.orchestrator.deploys.get(instance.id)).toBe(1);
    expect(stub.applies()).toHaveLength(3);
    expect(JSON.stringify(agent.logs.entries)).not.toContain('k-123');
  });

  it('applies a changed instance to the same objects, and deletes them on undeploy', async () => {
    const platform = await newPlatform('change');
    const agent = await start(platform);
    const instance = await create(platform, { environment: { GREETING: 'hello' } });
    const first = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
    await reportEchoed(agent, instance.id, first);
    const before = byTask(objectsOf(instance.id).deployments, 'web');

    const from = agent.logs.length;
    const applied = stub.applies().length;
    const deployed = await retrieve(platform, instance.id);
    await owner.client.instances.update(owner.id, platform.id, instance.id, { launch_bindings: { ...deployed.launch_bindings, environment: { GREETING: 'hola' } } });
    const second = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the redeploy', from);
    expect(second.fingerprint).not.toBe(first.fingerprint);
    await reportEchoed(agent, instance.id, second);

    const after = byTask(objectsOf(instance.id).deployments, 'web');
    expect(after.metadata.uid).toBe(before.metadata.uid);
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    expect(podOf(after).containers[0]?.env).toContainEqual({ name: 'GREETING', value: 'hola' });
    // Every task gets the instance's variables (as every docker container does), so both roll.
    expect(stub.applies().slice(applied).map((c) => c.resource)).toEqual(['deployments', 'deployments', 'services']);
    expect(ownVariables(podOf(byTask(objectsOf(instance.id).deployments, 'worker')).containers[0]?.env)).toEqual([{ name: 'GREETING', value: 'hola' }]);
    expect((await retrieve(platform, instance.id)).launch_bindings).toMatchObject({ environment: { GREETING: 'hola' }, deployment: { fingerprint: second.fingerprint } });

    await owner.client.instances.delete(owner.id, platform.id, instance.id);
    await agent.logs.waitFor((e) => e.event === 'remove.done' && e.instance === instance.id, 'the removal');
    expect(objectsOf(instance.id)).toEqual({ deployments: [], services: [] });
    expect(stub.calls.filter((c) => c.method === 'DELETE').map((c) => `${c.resource} ${c.query.propagationPolicy} ${c.status}`).sort()).toEqual([
      'deployments Background 200',
      'deployments Background 200',
      'services Background 200',
    ]);
    expect(agent.orchestrator.removes.get(instance.id)).toBe(1);
  });

  it('after a restart removes what belongs to no instance, applies drift again, and leaves unchanged instances alone', async () => {
    const platform = await newPlatform('restart');
    const first = await start(platform);
    const [kept, doomed, drifted] = await Promise.all([create(platform), create(platform), create(platform)]);
    for (const instance of [kept, doomed, drifted]) await first.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, `the deploy of ${instance.id}`);
    await first.agent.settled();
    await first.agent.stop(1_000);

    // While no agent runs: an instance is deleted, and someone scales another by hand.
    await owner.client.instances.delete(owner.id, platform.id, doomed.id);
    const scaled = byTask(objectsOf(drifted.id).deployments, 'web');
    stub.edit('deployments', NS, scaled.metadata.name, (d) => (d.spec.replicas = 9), 'kubectl-scale');
    const keptBefore = [...objectsOf(kept.id).deployments, ...objectsOf(kept.id).services].map((o) => `${o.metadata.name} ${o.metadata.resourceVersion}`);
    const callsBefore = stub.calls.length;

    const second = await start(platform);
    await second.agent.settled();
    expect(second.logs.of('reconcile.done')[0]).toMatchObject({ instances: 2, workloads: 3, orphans: 1 });
    expect(objectsOf(doomed.id)).toEqual({ deployments: [], services: [] });
    expect(second.orchestrator.removes.get(doomed.id)).toBe(1);
    expect(byTask(objectsOf(drifted.id).deployments, 'web').spec.replicas).toBe(2);
    expect(second.orchestrator.deploys.get(drifted.id)).toBe(1);
    expect(second.orchestrator.deploys.has(kept.id)).toBe(false);
    const patches = stub.calls.slice(callsBefore).filter((c) => c.method === 'PATCH');
    expect(patches.map((c) => c.name)).toEqual([scaled.metadata.name]);
    expect([...objectsOf(kept.id).deployments, ...objectsOf(kept.id).services].map((o) => `${o.metadata.name} ${o.metadata.resourceVersion}`)).toEqual(keptBefore);
  });

  it('puts back drift while it runs', async () => {
    const platform = await newPlatform('drift');
    const logs = new LogRecorder();
    const orchestrator = await KubernetesOrchestrator.connect({ kubeconfig, platformId: platform.id, log: logs.log, pollIntervalMs: 100, resyncMs: 100 });
    // The orchestrator itself, not wrapped: the agent follows its watch.
    const agent = new Agent({ client: owner.client, platform, orchestrator, log: logs.log, events: FAST_EVENTS, retry: { initialMs: 100, maxMs: 1_000 } });
    await agent.start();
    running.push(agent);
    const instance = await create(platform);
    const done = await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
    await logs.waitFor((e) => e.event === 'instance.unchanged' && e.instance === instance.id, 'the echo of the report', logs.entries.indexOf(done) + 1);

    const service = objectsOf(instance.id).services[0]!;
    const from = logs.length;
    stub.remove('services', NS, service.metadata.name);
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy that puts the Service back', from);
    expect(objectsOf(instance.id).services.map((s) => s.metadata.name)).toEqual([service.metadata.name]);
    expect(logs.entries.slice(from).find((e) => e.event === 'kubernetes.changed')).toMatchObject({ degraded: [instance.id], vanished: [] });
    expect(logs.entries.slice(from).find((e) => e.event === 'deploy.started')).toMatchObject({ reason: 'degraded' });
  });

  it('reports on the instance, in one sentence, what RBAC forbids, and deploys once it is allowed', async () => {
    stub.deny('patch', 'deployments');
    const platform = await newPlatform('rbac');
    const agent = await start(platform);
    const instance = await create(platform);
    const failed = await agent.logs.waitFor((e) => e.event === 'deploy.failed' && e.instance === instance.id, 'the refused deploy');
    const sentence = new RegExp(
      `^Kubernetes forbids the agent to apply Deployment hsp-${instance.id}-web-[0-9a-f]{8} in namespace "${NS}" \\(HTTP 403\\): deployments\\.apps "hsp-${instance.id}-web-[0-9a-f]{8}" is forbidden: User "system:serviceaccount:hsp:hsp-agent" cannot patch resource "deployments" in API group "apps" in the namespace "${NS}"\\.$`,
    );
    expect(failed.reason).toMatch(sentence);
    await agent.logs.waitFor((e) => e.event === 'report.cleared' && e.instance === instance.id, 'the failure written on the instance');
    const record = await retrieve(platform, instance.id);
    expect(record.deployed_at).toBeNull();
    expect(record.launch_bindings.deployment).toMatchObject({ orchestrator: 'kubernetes', error: expect.stringMatching(sentence) });
    expect(JSON.stringify(record)).not.toContain(stub.token);
    expect(JSON.stringify(agent.logs.entries)).not.toContain(stub.token);

    // Once the Role allows it, the agent's retry deploys.
    stub.allow('patch', 'deployments');
    await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy after the retry');
    expect((await retrieve(platform, instance.id)).deployed_at).not.toBeNull();
  });
});
