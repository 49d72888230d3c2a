/**
 * `hsp agent listen --orchestrator kubernetes` as operators run it: the built bin/hsp in a child
 * process (`npm test` builds dist/ first), a real `hsp serve`, and the stub Kubernetes API server
 * reached through the kubeconfig the flag (or KUBECONFIG) names. Flags that cannot work end at
 * once with one sentence.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KUBE_LABELS } from '../../../src/agent/orchestrators/kubernetes-manifests.js';
import type { Platform } from '../../../src/index.js';
import { hsp as hspInProcess } from '../../helpers/cli.js';
import { KubeApiStub } from '../../helpers/kube-api-stub.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, spawnAgent, type Catalogue } from './harness.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
let owner: TestUser;
let catalogue: Catalogue;
let stub: KubeApiStub;
let tmp: string;
const children: { kill(signal: NodeJS.Signals): void }[] = [];

beforeAll(async () => {
  owner = await m.user('Kai Cluster');
  catalogue = await deployableBuild(m);
  stub = await KubeApiStub.start();
  tmp = await mkdtemp(join(tmpdir(), 'hsp-kube-listen-'));
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await stub.close();
  await rm(tmp, { recursive: true, force: true });
});

/** The agent's environment: a marketplace, a signed-in user, a config directory and a home of its own (no ~/.kube/config). */
function agentEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HSP_') && !['DOCKER_HOST', 'KUBECONFIG'].includes(name)));
  return { ...env, HOME: join(tmp, 'home'), HSP_URL: m.url, HSP_TOKEN: owner.token, HSP_CONFIG_DIR: join(tmp, 'config'), ...extra };
}

async function newPlatform(name: string): Promise<Platform> {
  return owner.client.platforms.create(owner.id, { name: `${name}-${Math.random().toString(36).slice(2, 8)}` });
}

// A child process loads the Kubernetes client (seconds on a busy machine) before it signs in and connects.
describe('hsp agent listen --orchestrator kubernetes in a child process', () => {
  it('deploys into the --namespace of the cluster --kubeconfig names, reports, removes, and stops on SIGTERM', { timeout: 120_000 }, async () => {
    const platform = await newPlatform('cluster');
    const kubeconfig = await stub.writeKubeconfig({ namespace: 'from-context', file: join(tmp, 'flag.yaml') });
    const agent = spawnAgent(['--platform', platform.name, '--orchestrator', 'kubernetes', '--kubeconfig', kubeconfig, '--namespace', 'team-a'], agentEnv());
    children.push(agent.child);
    const connected = await agent.logs.waitFor((e) => e.event === 'kubernetes.connected', 'the connection', 0, 60_000);
    expect(connected).toMatchObject({ server: stub.url, namespace: 'team-a', context: 'stub', config: kubeconfig });
    await agent.logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile', 0, 60_000);

    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId, launch_bindings: { environment: { GREETING: 'hej' } } });
    const done = await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');
    const [deployment] = stub.list('deployments', 'team-a').filter((d) => d.metadata.labels?.[KUBE_LABELS.instance] === instance.id);
    expect(deployment?.spec.replicas).toBe(1);
    expect(stub.list('services', 'team-a').map((s) => s.metadata.name)).toContain(deployment?.metadata.name);
    expect(stub.list('deployments', 'from-context')).toEqual([]);
    const record = await owner.client.instances.retrieve(owner.id, platform.id, instance.id);
    expect(record.launch_bindings.deployment).toMatchObject({ orchestrator: 'kubernetes', namespace: 'team-a', fingerprint: done.fingerprint, workloads: [{ task: 'web', replicas: 1, ready_replicas: 1 }] });

    await owner.client.instances.delete(owner.id, platform.id, instance.id);
    await agent.logs.waitFor((e) => e.event === 'remove.done' && e.instance === instance.id, 'the removal');
    expect(stub.list('deployments', 'team-a').filter((d) => d.metadata.labels?.[KUBE_LABELS.instance] === instance.id)).toEqual([]);

    agent.child.kill('SIGTERM');
    expect(await agent.exited).toEqual({ code: 0, signal: null, stderr: '' });
    // The product is the log: none of it carries a token.
    expect(JSON.stringify(agent.logs.entries)).not.toContain(stub.token);
    expect(new Set(stub.tokens)).toEqual(new Set([stub.token]));
  });

  it('without the flag, reads KUBECONFIG and the namespace of its current context', { timeout: 120_000 }, async () => {
    const platform = await newPlatform('env');
    const kubeconfig = await stub.writeKubeconfig({ namespace: 'team-b', file: join(tmp, 'env.yaml') });
    const agent = spawnAgent(['--platform', platform.id, '--orchestrator', 'kubernetes'], agentEnv({ KUBECONFIG: kubeconfig }));
    children.push(agent.child);
    expect(await agent.logs.waitFor((e) => e.event === 'kubernetes.connected', 'the connection', 0, 60_000)).toMatchObject({ namespace: 'team-b', config: kubeconfig });
    await agent.logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile', 0, 60_000);
    agent.child.kill('SIGTERM');
    expect((await agent.exited).code).toBe(0);
  });
});

describe('hsp agent listen --orchestrator kubernetes refuses a configuration that cannot work', () => {
  it.each([
    { args: ['--orchestrator', 'kubernetes', '--namespace', 'Team_A'], says: '--namespace must be a Kubernetes namespace name (at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit), not "Team_A".' },
    { args: ['--orchestrator', 'kubernetes', '--rollout-timeout', 'forever'], says: '--rollout-timeout must be a duration such as 30s, 2m or 1500ms, not "forever".' },
    { args: ['--orchestrator', 'kubernetes', '--kubeconfig', ''], says: '--kubeconfig needs the path of a kubeconfig file.' },
    { args: ['--orchestrator', 'dry-run', '--namespace', 'team-a'], says: '--namespace works only with --orchestrator kubernetes, not with dry-run.' },
    { args: ['--orchestrator', 'docker', '--kubeconfig', '/etc/kube.yaml'], says: '--kubeconfig works only with --orchestrator kubernetes, not with docker.' },
  ])('$args: exit 2 with one sentence', async ({ args, says }) => {
    const run = await hspInProcess(['agent', 'listen', '--platform', 'anything', ...args], { env: agentEnv() });
    expect([run.code, run.stderr, run.stdout]).toEqual([2, `${says}\n`, '']);
  });

  it('a missing kubeconfig, no configuration at all, an unreachable API server: one sentence each, no stack trace', { timeout: 60_000 }, async () => {
    const platform = await newPlatform('misconfigured');
    const missing = join(tmp, 'nowhere.yaml');
    const noFile = await hspInProcess(['agent', 'listen', '--platform', platform.id, '--orchestrator', 'kubernetes', '--kubeconfig', missing], { env: agentEnv() });
    expect([noFile.code, noFile.stderr]).toEqual([2, `The kubeconfig ${missing} (from --kubeconfig) does not exist.\n`]);

    const fromEnv = await hspInProcess(['agent', 'listen', '--platform', platform.id, '--orchestrator', 'kubernetes'], { env: agentEnv({ KUBECONFIG: missing }) });
    expect([fromEnv.code, fromEnv.stderr]).toEqual([2, `The kubeconfig ${missing} (from KUBECONFIG) does not exist.\n`]);

    const nothing = await hspInProcess(['agent', 'listen', '--platform', platform.id, '--orchestrator', 'kubernetes'], { env: agentEnv() });
    expect([nothing.code, nothing.stderr]).toEqual([2, 'No Kubernetes configuration was found: pass --kubeconfig FILE, set KUBECONFIG, create ~/.kube/config, or run the agent in a pod with a service account.\n']);

    const gone = await KubeApiStub.start();
    const unreachable = await gone.writeKubeconfig({ file: join(tmp, 'gone.yaml') });
    const url = gone.url;
    await gone.close();
    const down = await hspInProcess(['agent', 'listen', '--platform', platform.id, '--orchestrator', 'kubernetes', '--kubeconfig', unreachable], { env: agentEnv() });
    expect(down.code).not.toBe(0);
    expect(down.stderr).toBe(`Cannot reach the Kubernetes API server at ${url} to list deployments in namespace "default": ECONNREFUSED (is the cluster running, and is this its address?).\n`);
  });
});
