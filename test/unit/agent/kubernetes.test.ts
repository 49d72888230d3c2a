/**
 * The kubernetes orchestrator against the stub API server (test/helpers/kube-api-stub.ts): real
 * HTTPS, the official client, a kubeconfig with a bearer token, and every body checked against
 * the Kubernetes schemas. The agent's loop around it is tested in test/integration/agent.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { toDeployment } from '../../../src/agent/deployment.js';
import type { Deployment } from '../../../src/agent/orchestrator.js';
import { createOrchestrator } from '../../../src/agent/orchestrators/index.js';
import { KubernetesOrchestrator, type KubernetesOrchestratorOptions } from '../../../src/agent/orchestrators/kubernetes.js';
import { KUBE_ANNOTATIONS, KUBE_LABELS } from '../../../src/agent/orchestrators/kubernetes-manifests.js';
import { InvalidArgumentError } from '../../../src/index.js';
import { KubeApiStub, type PolicyRule, type StubObject } from '../../helpers/kube-api-stub.js';
import { records, type RecordsOptions } from './orchestrator-fixtures.js';

const NS = 'hsp-apps';
let stub: KubeApiStub;
let kubeconfig: string;
let tmp: string;
let logs: { event: string; fields?: Record<string, unknown> }[];

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'hsp-kube-unit-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(async () => {
  stub = await KubeApiStub.start();
  kubeconfig = await stub.writeKubeconfig({ namespace: NS });
  logs = [];
});
afterEach(async () => {
  await stub.close();
});

async function orchestrator(platformId: string, options: Partial<KubernetesOrchestratorOptions> = {}): Promise<KubernetesOrchestrator> {
  return KubernetesOrchestrator.connect({ kubeconfig, platformId, log: (event, fields) => logs.push({ event, ...(fields ? { fields } : {}) }), pollIntervalMs: 50, ...options });
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

function withTasks(deployment: Deployment, tasks: Deployment['tasks']): Deployment {
  return toDeployment({ platformId: deployment.platformId, instance: deployment.instance, build: deployment.build, configurations: [deployment.configuration], tasks });
}

type PodSpec = { containers: { name: string; image: string; args?: string[]; env?: { name: string; value?: string }[]; ports?: { containerPort: number }[]; resources: { limits?: { memory: string } } }[] };
const podOf = (object: StubObject) => (object.spec.template as { spec: PodSpec }).spec;

// The first test loads the Kubernetes client (about a second, more on a busy machine).
describe('kubernetes orchestrator', { timeout: 60_000 }, () => {
  it('applies a Deployment and a Service per task with server-side apply, and reports what the cluster says', async () => {
    const deployment = deploymentOf({
      tasks: [{ name: 'web', minimum: 2, memory: 1024, ports: [8080, 9090], environment: [{ key: 'LOG_LEVEL', description: '', default: 'info' }] }],
      environment: { API_URL: 'http://api', DB_PASSWORD: 'hunter2' },
    });
    const kube = await orchestrator(deployment.platformId);
    const report = await kube.deploy(deployment);

    const id = deployment.instance.id;
    const [live] = stub.list('deployments', NS);
    const [service] = stub.list('services', NS);
    expect(live?.metadata.name).toMatch(new RegExp(`^hsp-${id}-web-[0-9a-f]{8}$`));
    expect(service?.metadata.name).toBe(live?.metadata.name);
    const labels = {
      [KUBE_LABELS.platform]: deployment.platformId,
      [KUBE_LABELS.instance]: id,
      [KUBE_LABELS.build]: deployment.build.id,
      [KUBE_LABELS.task]: live!.metadata.name.slice(`hsp-${id}-`.length),
      'app.kubernetes.io/managed-by': 'hsp-agent',
    };
    expect(live?.metadata.labels).toEqual(labels);
    expect(live?.metadata.annotations).toMatchObject({ [KUBE_ANNOTATIONS.fingerprint]: deployment.fingerprint, [KUBE_ANNOTATIONS.taskName]: 'web', [KUBE_ANNOTATIONS.workloads]: '2' });
    expect(live?.spec).toMatchObject({ replicas: 2, selector: { matchLabels: { [KUBE_LABELS.instance]: id, [KUBE_LABELS.task]: labels[KUBE_LABELS.task] } } });
    expect((live?.spec.template as { metadata: unknown }).metadata).toEqual({ labels });
    expect(podOf(live!)).toMatchObject({ automountServiceAccountToken: false, enableServiceLinks: false, terminationGracePeriodSeconds: 15 });
    expect(podOf(live!).containers).toMatchObject([
      {
        name: 'web',
        image: 'example/web:1.2.3',
        env: [
          { name: 'API_URL', value: 'http://api' },
          { name: 'DB_PASSWORD', value: 'hunter2' },
          { name: 'LOG_LEVEL', value: 'info' },
        ],
        ports: [
          { name: 'tcp-8080', containerPort: 8080, protocol: 'TCP' },
          { name: 'tcp-9090', containerPort: 9090, protocol: 'TCP' },
        ],
        // Applied as 1024Mi; the API server writes quantities back in canonical form.
        resources: { limits: { memory: '1Gi' } },
      },
    ]);
    expect(service?.metadata.labels).toEqual(labels);
    expect(service?.spec).toMatchObject({
      type: 'ClusterIP',
      selector: { [KUBE_LABELS.instance]: id, [KUBE_LABELS.task]: labels[KUBE_LABELS.task] },
      ports: [
        { name: 'tcp-8080', port: 8080, targetPort: 8080, protocol: 'TCP' },
        { name: 'tcp-9090', port: 9090, targetPort: 9090, protocol: 'TCP' },
      ],
    });

    const applies = stub.applies();
    expect(applies.map((c) => `${c.resource} ${c.status}`)).toEqual(['deployments 201', 'services 201']);
    for (const call of applies) {
      expect(call.contentType).toBe('application/apply-patch+yaml');
      expect(call.query).toEqual({ fieldManager: 'hsp-agent', force: 'true', fieldValidation: 'Strict' });
    }
    expect(new Set(stub.tokens)).toEqual(new Set([stub.token]));

    expect(report).toEqual({
      orchestrator: 'kubernetes',
      fingerprint: deployment.fingerprint,
      namespace: NS,
      workloads: [
        {
          task: 'web',
          deployment: live?.metadata.name,
          replicas: 2,
          ready_replicas: 2,
          service: {
            name: service?.metadata.name,
            cluster_ip: service?.spec.clusterIP,
            ports: [
              { name: 'tcp-8080', port: 8080, target_port: 8080, protocol: 'TCP' },
              { name: 'tcp-9090', port: 9090, target_port: 9090, protocol: 'TCP' },
            ],
          },
        },
      ],
      // Each Service port at the Service's DNS name in the namespace.
      endpoints: [8080, 9090].map((port) => ({ task: 'web', port, host: `${service?.metadata.name}.${NS}.svc`, url: `http://${service?.metadata.name}.${NS}.svc:${port}` })),
    });
    expect(service?.spec.clusterIP).toMatch(/^10\.96\.\d+\.\d+$/);
    expect(logs.map((l) => l.event)).toEqual(['kubernetes.connected', 'kubernetes.deployed']);
    expect(logs[0]?.fields).toEqual({ server: stub.url, namespace: NS, context: 'stub', config: kubeconfig });
    expect(JSON.stringify(logs)).not.toContain('hunter2');
    expect(JSON.stringify(logs)).not.toContain(stub.token);
  });

  it('names objects within 63 characters, the same every time, distinct per task, and passes options as args', async () => {
    const tasks = [
      { name: 'Web', options: ['--mode', 'production; reboot'] },
      { name: 'web!' },
      { name: 'web!' },
      { name: 'A very long task name that goes on and on beyond any Kubernetes limit' },
      { name: 'バッチ' },
    ];
    const deployment = deploymentOf({ tasks });
    await (await orchestrator(deployment.platformId)).deploy(deployment);
    const names = stub.list('deployments', NS).map((d) => d.metadata.name);
    expect(names).toHaveLength(5);
    expect(new Set(names).size).toBe(5);
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name).toMatch(/^[a-z]([-a-z0-9]*[a-z0-9])?$/);
    }
    const web = stub.list('deployments', NS).find((d) => d.metadata.annotations?.[KUBE_ANNOTATIONS.taskName] === 'Web')!;
    expect(podOf(web).containers[0]).toMatchObject({ args: ['--mode', 'production; reboot'] });
    expect(podOf(web).containers[0]?.resources).toEqual({});
    // No ports, no Service.
    expect(stub.list('services', NS)).toEqual([]);

    // The same tasks under another build keep their names: a new build rolls the same Deployments.
    const again = deploymentOf({ tasks });
    await (await orchestrator(again.platformId)).deploy(again);
    const suffixes = (instanceId: string) => stub.list('deployments', NS).filter((d) => d.metadata.labels?.[KUBE_LABELS.instance] === instanceId).map((d) => d.metadata.name.slice(`hsp-${instanceId}-`.length)).sort();
    expect(suffixes(again.instance.id)).toEqual(suffixes(deployment.instance.id));
  });

  it('changes nothing when the instance already runs unchanged', async () => {
    const deployment = deploymentOf();
    const kube = await orchestrator(deployment.platformId);
    const first = await kube.deploy(deployment);
    const before = stub.calls.length;
    const again = await kube.deploy(deployment);
    expect(stub.calls.slice(before).filter((c) => c.method !== 'GET')).toEqual([]);
    expect(again).toEqual(first);
  });

  it('applies a changed instance to the same objects, and Kubernetes rolls it', async () => {
    const deployment = deploymentOf({ environment: { A: '1' } });
    const kube = await orchestrator(deployment.platformId);
    await kube.deploy(deployment);
    const [before] = stub.list('deployments', NS);

    const changed = withInput(deployment, { A: '2' });
    const report = await kube.deploy(changed);
    const [after] = stub.list('deployments', NS);
    expect(after?.metadata.uid).toBe(before?.metadata.uid);
    expect(after?.metadata.generation).toBe((before?.metadata.generation ?? 0) + 1);
    expect(podOf(after!).containers[0]?.env).toEqual([
      { name: 'A', value: '2' },
      { name: 'LOG_LEVEL', value: 'info' },
    ]);
    expect(after?.metadata.annotations?.[KUBE_ANNOTATIONS.fingerprint]).toBe(changed.fingerprint);
    expect(report.fingerprint).toBe(changed.fingerprint);
    expect(await kube.list()).toEqual([{ instanceId: deployment.instance.id, fingerprint: changed.fingerprint }]);
  });

  it('waits for the rollout and reports the ready replicas the cluster reports', async () => {
    stub.autoReady = false;
    const deployment = deploymentOf({ tasks: [{ name: 'web', minimum: 3, ports: [80] }] });
    const kube = await orchestrator(deployment.platformId);
    let settled = false;
    const deploying = kube.deploy(deployment).finally(() => (settled = true));
    await until(() => stub.list('deployments', NS).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled).toBe(false);
    const name = stub.list('deployments', NS)[0]!.metadata.name;
    stub.markReady(NS, name);
    const report = await deploying;
    expect(report.workloads).toMatchObject([{ task: 'web', replicas: 3, ready_replicas: 3 }]);
    expect(stub.calls.filter((c) => c.verb === 'get').length).toBeGreaterThan(0);
  });

  it('fails a rollout that does not finish in time, or that Kubernetes gave up on, and keeps the objects', async () => {
    stub.autoReady = false;
    const deployment = deploymentOf({ tasks: [{ name: 'web', minimum: 2 }] });
    const kube = await orchestrator(deployment.platformId, { rolloutTimeoutMs: 400 });
    await expect(kube.deploy(deployment)).rejects.toThrow(
      new RegExp(`^Deployment hsp-${deployment.instance.id}-web-[0-9a-f]{8} \\(task "web"\\) has 0 of 2 replicas ready after 400 ms; Kubernetes keeps trying, and the agent will look again\\.$`),
    );
    const name = stub.list('deployments', NS)[0]!.metadata.name;
    stub.markFailed(NS, name, `ReplicaSet "${name}-5d4f" has timed out progressing.`);
    await expect(kube.deploy(deployment)).rejects.toThrow(`Deployment ${name} (task "web") failed to roll out: ReplicaSet "${name}-5d4f" has timed out progressing.`);
    expect(stub.list('deployments', NS)).toHaveLength(1);
  });

  it('lists its instances with their fingerprints, nobody else\u2019s, and none that drifted', async () => {
    const one = deploymentOf({ tasks: [{ name: 'web', minimum: 2, ports: [80] }] });
    const kube = await orchestrator(one.platformId);
    await kube.deploy(one);
    const elsewhere = deploymentOf();
    await (await orchestrator(elsewhere.platformId)).deploy(elsewhere);
    expect(await kube.list()).toEqual([{ instanceId: one.instance.id, fingerprint: one.fingerprint }]);

    // kubectl rollout restart only stamps the pod template: not drift.
    const name = stub.list('deployments', NS).find((d) => d.metadata.labels?.[KUBE_LABELS.instance] === one.instance.id)!.metadata.name;
    stub.edit('deployments', NS, name, (d) => ((d.spec.template as { metadata: { annotations?: object } }).metadata.annotations = { 'kubectl.kubernetes.io/restartedAt': '2024-01-01T00:00:00Z' }), 'kubectl-rollout');
    expect(await kube.list()).toEqual([{ instanceId: one.instance.id, fingerprint: one.fingerprint }]);

    // kubectl scale changes a field the agent sets: drift, so the agent applies it again.
    stub.edit('deployments', NS, name, (d) => (d.spec.replicas = 5), 'kubectl-scale');
    expect(await kube.list()).toEqual([{ instanceId: one.instance.id, degraded: true }]);
    const before = stub.applies().length;
    await kube.deploy(one);
    expect(stub.applies().slice(before).map((c) => `${c.resource} ${c.status} force=${c.query.force}`)).toEqual(['deployments 200 force=true']);
    expect(stub.get('deployments', NS, name)?.spec.replicas).toBe(2);
    expect(await kube.list()).toEqual([{ instanceId: one.instance.id, fingerprint: one.fingerprint }]);

    // A Service removed behind the agent's back: the instance must be applied again.
    stub.remove('services', NS, name);
    expect(await kube.list()).toEqual([{ instanceId: one.instance.id, degraded: true }]);
    await kube.deploy(one);
    expect(stub.get('services', NS, name)).toBeDefined();
  });

  it('has the agent reconcile when an instance drifts or vanishes while it runs, not when it deploys', async () => {
    const one = deploymentOf({ tasks: [{ name: 'web', ports: [80] }] });
    const kube = await orchestrator(one.platformId, { resyncMs: 50 });
    const changes: string[] = [];
    const watching = new AbortController();
    kube.watch((reason) => changes.push(reason), watching.signal);
    try {
      await kube.deploy(one);
      const two = deploymentOf({ tasks: [{ name: 'web' }] });
      await kube.deploy({ ...two, platformId: one.platformId, instance: { ...two.instance, platform_id: one.platformId } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(changes).toEqual([]);

      const name = stub.list('services', NS)[0]!.metadata.name;
      stub.edit('services', NS, name, (svc) => ((svc.spec.ports as { port: number }[])[0]!.port = 81), 'kubectl-edit');
      await until(() => changes.length === 1);
      expect(changes[0]).toBe('kubernetes objects changed (1 degraded, 0 gone)');
      expect(logs).toContainEqual({ event: 'kubernetes.changed', fields: { degraded: [one.instance.id], vanished: [] } });
      // Still degraded at the next look: the agent's retry sees to it, no new reconcile.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(changes).toHaveLength(1);

      for (const d of stub.list('deployments', NS).filter((d) => d.metadata.labels?.[KUBE_LABELS.instance] === two.instance.id)) stub.remove('deployments', NS, d.metadata.name);
      await until(() => changes.length === 2);
      expect(changes[1]).toBe('kubernetes objects changed (0 degraded, 1 gone)');
    } finally {
      watching.abort();
    }
  });

  it('sees drift right after its own deploy, though the look before saw the instance half-applied', async () => {
    const one = deploymentOf({ tasks: [{ name: 'web', ports: [80] }] });
    const kube = await orchestrator(one.platformId, { resyncMs: 300 });
    await kube.deploy(one);
    const service = stub.list('services', NS)[0]!.metadata.name;
    stub.remove('services', NS, service);
    const changes: string[] = [];
    const watching = new AbortController();
    const looks = () => stub.calls.filter((c) => c.verb === 'list' && c.path.endsWith('/services') && c.query.labelSelector === `${KUBE_LABELS.platform}=${one.platformId}`).length;
    const before = looks();
    kube.watch((reason) => changes.push(reason), watching.signal);
    try {
      // A look sees the instance degraded (as in the middle of applying it); the agent deploys
      // it whole, and someone removes the Service again before the next look.
      await until(() => changes.length === 1);
      expect(looks()).toBe(before + 1);
      await kube.deploy(one);
      stub.remove('services', NS, service);
      await until(() => changes.length === 2);
      expect(changes[1]).toBe('kubernetes objects changed (1 degraded, 0 gone)');
      expect(looks()).toBe(before + 2);
    } finally {
      watching.abort();
    }
  });

  it('retires the objects of tasks the instance no longer has, after the rest is rolled out', async () => {
    const deployment = deploymentOf({ tasks: [{ name: 'web', ports: [80] }, { name: 'worker', ports: [9000] }] });
    const kube = await orchestrator(deployment.platformId);
    await kube.deploy(deployment);
    expect(stub.list('deployments', NS)).toHaveLength(2);
    expect(stub.list('services', NS)).toHaveLength(2);

    const web = deployment.tasks.find((t) => t.name === 'web')!;
    const shrunk = withTasks(deployment, [{ ...web, ports: [] }]);
    await kube.deploy(shrunk);
    expect(stub.list('deployments', NS).map((d) => d.metadata.annotations?.[KUBE_ANNOTATIONS.taskName])).toEqual(['web']);
    expect(stub.list('services', NS)).toEqual([]);
    expect(stub.calls.filter((c) => c.method === 'DELETE').map((c) => `${c.resource} ${c.query.propagationPolicy}`).sort()).toEqual(['deployments Background', 'services Background', 'services Background']);
    expect(await kube.list()).toEqual([{ instanceId: deployment.instance.id, fingerprint: shrunk.fingerprint }]);
  });

  it('skips cron tasks with a log line', async () => {
    const deployment = deploymentOf({ tasks: [{ name: 'web' }, { name: 'nightly', cron: '0 0 * * *' }] });
    const report = await (await orchestrator(deployment.platformId)).deploy(deployment);
    expect(report.workloads.map((w) => w.task)).toEqual(['web']);
    expect(logs).toContainEqual({ event: 'kubernetes.cron_task_skipped', fields: { instance_id: deployment.instance.id, task: 'nightly', cron: '0 0 * * *' } });
  });

  it('removes what the instance owns (in the background), and removing nothing succeeds', async () => {
    const deployment = deploymentOf({ tasks: [{ name: 'web', minimum: 2, ports: [80] }, { name: 'worker' }] });
    const other = deploymentOf();
    const kube = await orchestrator(deployment.platformId);
    await kube.deploy(deployment);
    await (await orchestrator(other.platformId)).deploy(other);
    await kube.remove(deployment.instance.id);
    expect(stub.list('deployments', NS).map((d) => d.metadata.labels?.[KUBE_LABELS.instance])).toEqual([other.instance.id]);
    expect(stub.list('services', NS).map((d) => d.metadata.labels?.[KUBE_LABELS.instance])).toEqual([other.instance.id]);
    expect(stub.calls.filter((c) => c.method === 'DELETE').map((c) => c.query)).toEqual([{ propagationPolicy: 'Background' }, { propagationPolicy: 'Background' }, { propagationPolicy: 'Background' }]);
    await kube.remove(deployment.instance.id);
    await kube.remove(randomUUID());
    await expect(kube.remove('x"; rm -rf /')).rejects.toThrow('Cannot remove instance "x\\"; rm -rf /": it is not a UUID.');
  });

  it('says in one sentence what RBAC forbids, and takes back what a failed attempt created', async () => {
    const deployment = deploymentOf({ tasks: [{ name: 'web', ports: [80] }] });
    const kube = await orchestrator(deployment.platformId);
    stub.deny('patch', 'services');
    const error = await kube.deploy(deployment).catch((e: Error) => e);
    const name = `hsp-${deployment.instance.id}-web-`;
    expect((error as Error).message).toMatch(
      new RegExp(
        `^Kubernetes forbids the agent to apply Service ${name}[0-9a-f]{8} in namespace "${NS}" \\(HTTP 403\\): services "${name}[0-9a-f]{8}" is forbidden: User "system:serviceaccount:hsp:hsp-agent" cannot patch resource "services" in API group "" in the namespace "${NS}"\\.$`,
      ),
    );
    // The Deployment this attempt created is gone again.
    expect(stub.list('deployments', NS)).toEqual([]);

    stub.allow('patch', 'services');
    stub.deny('create', 'deployments');
    await expect(kube.deploy(deployment)).rejects.toThrow(/cannot create resource "deployments" in API group "apps"/);
  });

  it('says in one sentence when the API server refuses an object as invalid', async () => {
    const deployment = deploymentOf();
    const kube = await orchestrator(deployment.platformId);
    await kube.deploy(deployment);
    // Someone changed the selector, which the agent's apply cannot change back.
    const [live] = stub.list('deployments', NS);
    stub.edit('deployments', NS, live!.metadata.name, (d) => {
      (d.spec.selector as { matchLabels: Record<string, string> }).matchLabels = { app: 'other' };
      (d.spec.template as { metadata: { labels: Record<string, string> } }).metadata.labels.app = 'other';
    });
    await expect(kube.deploy(withInput(deployment, { A: '1' }))).rejects.toThrow(
      `Kubernetes refused to apply Deployment ${live!.metadata.name} in namespace "${NS}" as invalid (HTTP 422): Deployment.apps "${live!.metadata.name}" is invalid: spec.selector: Invalid value: {"matchLabels":{"${KUBE_LABELS.instance}":"${deployment.instance.id}","${KUBE_LABELS.task}":"${live!.metadata.labels?.[KUBE_LABELS.task]}"}}: field is immutable.`,
    );
  });

  it('needs exactly the verbs of the example Role, no more and no fewer', async () => {
    const file = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/agent/kubernetes-rbac.yaml');
    const documents = parseAllDocuments(await readFile(file, 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { namespace: string }; rules?: PolicyRule[] });
    const role = documents.find((d) => d.kind === 'Role')!;
    expect(role.metadata.namespace).toBe(NS);
    stub.useRole(role.rules);

    // A whole life: deploy (waiting for the rollout), change, a task dropped, drift put back, removal.
    stub.autoReady = false;
    const deployment = deploymentOf({ tasks: [{ name: 'web', ports: [80] }, { name: 'worker', ports: [9000] }] });
    const kube = await orchestrator(deployment.platformId);
    const first = kube.deploy(deployment);
    await until(() => stub.list('deployments', NS).length === 2);
    for (const d of stub.list('deployments', NS)) stub.markReady(NS, d.metadata.name);
    await first;
    stub.autoReady = true;
    const web = deployment.tasks.find((t) => t.name === 'web')!;
    await kube.deploy(withTasks(withInput(deployment, { A: '1' }), [web]));
    expect(await kube.list()).toHaveLength(1);
    await kube.remove(deployment.instance.id);

    expect(stub.calls.filter((c) => c.status === 403)).toEqual([]);
    const used = new Set(stub.calls.flatMap((c) => (c.verb === 'patch' && c.status === 201 ? [`${c.resource} create`, `${c.resource} patch`] : [`${c.resource} ${c.verb}`])));
    const granted = new Set(role.rules!.flatMap((rule) => rule.resources.flatMap((resource) => rule.verbs.map((verb) => `${resource} ${verb}`))));
    expect([...used].sort()).toEqual([...granted].sort());
  });

  it('refuses credentials the server does not accept without ever showing the token', async () => {
    const wrong = await stub.writeKubeconfig({ namespace: NS, token: 'not-the-token-s3cr3t' });
    const error = await orchestrator(randomUUID(), { kubeconfig: wrong }).catch((e: Error) => e);
    expect((error as Error).message).toBe(
      `The Kubernetes API server at ${stub.url} did not accept the agent's credentials (HTTP 401) when asked to list deployments in namespace "${NS}"; check the token or certificate in ${wrong}.`,
    );
    expect(stub.tokens).toContain('not-the-token-s3cr3t');
    expect((error as Error).message).not.toContain('s3cr3t');
  });

  it('says when the API server cannot be reached, or its certificate is not the one the kubeconfig trusts', async () => {
    const closed = await KubeApiStub.start();
    const config = await closed.writeKubeconfig({ namespace: NS, file: join(tmp, 'closed.yaml') });
    const url = closed.url;
    await closed.close();
    await expect(orchestrator(randomUUID(), { kubeconfig: config })).rejects.toThrow(
      `Cannot reach the Kubernetes API server at ${url} to list deployments in namespace "${NS}": ECONNREFUSED (is the cluster running, and is this its address?).`,
    );

    // A kubeconfig that trusts another CA than the server's.
    const other = await KubeApiStub.start();
    try {
      const mismatched = join(tmp, 'other-ca.yaml');
      await other.writeKubeconfig({ namespace: NS, file: mismatched, token: stub.token });
      await writeFile(mismatched, (await readFile(mismatched, 'utf8')).replace(other.url, stub.url));
      await expect(orchestrator(randomUUID(), { kubeconfig: mismatched })).rejects.toThrow(
        new RegExp(`^Cannot reach the Kubernetes API server at ${stub.url.replace(/\./g, '\\.')} to list deployments in namespace "${NS}": [A-Z_]+ \\(does the kubeconfig name the certificate authority of this server\\?\\)\\.$`),
      );
    } finally {
      await other.close();
    }
  });

  it('reads the namespace from the context, else default, and kubeconfig lists as KUBECONFIG gives them', async () => {
    const plain = await stub.writeKubeconfig({ file: join(tmp, 'plain.yaml') });
    expect((await orchestrator(randomUUID(), { kubeconfig: plain })).namespace).toBe('default');
    expect((await orchestrator(randomUUID(), { kubeconfig: plain, namespace: 'team-a' })).namespace).toBe('team-a');
    expect((await orchestrator(randomUUID())).namespace).toBe(NS);

    // A second file adds a context; the first file's current context still decides.
    const extra = join(tmp, 'extra.yaml');
    await writeFile(extra, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'far', cluster: { server: 'https://far.example:6443' } }], users: [{ name: 'far', user: { token: 'far-token' } }], contexts: [{ name: 'far', context: { cluster: 'far', user: 'far' } }], 'current-context': 'far' }));
    expect((await orchestrator(randomUUID(), { kubeconfig: [kubeconfig, extra].join(delimiter), kubeconfigSource: 'KUBECONFIG' })).namespace).toBe(NS);
    expect(logs.filter((l) => l.event === 'kubernetes.connected').at(-1)?.fields).toMatchObject({ context: 'stub', config: [kubeconfig, extra].join(delimiter) });
  });

  it('refuses a kubeconfig that cannot work with one sentence, never quoting its content', async () => {
    const log = () => undefined;
    const connect = (kubernetes: { kubeconfig?: string; namespace?: string; homeDir?: string; kubeconfigSource?: string }) => createOrchestrator('kubernetes', { log, platformId: randomUUID(), kubernetes });
    const missing = join(tmp, 'missing.yaml');
    await expect(connect({ kubeconfig: missing })).rejects.toThrow(`The kubeconfig ${missing} (from --kubeconfig) does not exist.`);
    await expect(connect({ kubeconfig: missing })).rejects.toBeInstanceOf(InvalidArgumentError);

    const broken = join(tmp, 'broken.yaml');
    await writeFile(broken, 'users:\n  - name: agent\n    user: { token: "super-secret-token" \n');
    const error = await connect({ kubeconfig: broken, kubeconfigSource: 'KUBECONFIG' }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(new RegExp(`^The kubeconfig ${broken.replace(/\./g, '\\.')} \\(from KUBECONFIG\\) is not valid YAML at line \\d+ \\(.+\\)\\.$`));
    expect((error as Error).message).not.toContain('super-secret-token');

    const noContext = join(tmp, 'no-context.yaml');
    await writeFile(noContext, JSON.stringify({ apiVersion: 'v1', kind: 'Config', clusters: [], users: [], contexts: [] }));
    await expect(connect({ kubeconfig: noContext })).rejects.toThrow(`The kubeconfig ${noContext} has no current context: choose one with kubectl config use-context NAME.`);

    const badNamespace = await stub.writeKubeconfig({ namespace: 'Not_A_Namespace', file: join(tmp, 'bad-ns.yaml') });
    await expect(connect({ kubeconfig: badNamespace })).rejects.toThrow('The namespace of context "stub" "Not_A_Namespace" is not a namespace name');

    // Nothing given, no ~/.kube/config, not in a pod.
    await expect(connect({ homeDir: join(tmp, 'nobody') })).rejects.toThrow(
      'No Kubernetes configuration was found: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run the agent in a pod with a service account.',
    );
    // ~/.kube/config is found.
    const home = join(tmp, 'home');
    await mkdir(join(home, '.kube'), { recursive: true });
    await stub.writeKubeconfig({ namespace: 'from-home', file: join(home, '.kube', 'config') });
    const fromHome = await connect({ homeDir: home });
    expect((fromHome as KubernetesOrchestrator).namespace).toBe('from-home');
  });
});

async function until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error('Timed out waiting for a condition.');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
