/**
 * The docker orchestrator's platform network on a real Docker Engine (test/helpers/real-docker.ts):
 * two instances of one platform, deployed side by side, reach each other at the endpoint URLs
 * their reports give (a `wget` inside one container to the other's alias, resolved by the
 * Engine's DNS on the network); the alias survives a redeploy and comes back on a container
 * taken off the network; and containers stop with the specification's 15 s before a kill.
 * The orchestrator is driven directly: the agent around it is agent-docker.test.ts's subject.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { toDeployment } from '../../../src/agent/deployment.js';
import type { Deployment, DeploymentReport } from '../../../src/agent/orchestrator.js';
import { DockerOrchestrator, LABELS, networkNameOf, STOP_TIMEOUT_SECONDS } from '../../../src/agent/orchestrators/docker.js';
import { realDockerSkipReason, useRealDocker } from '../../helpers/real-docker.js';
import { onlyIf } from '../../helpers/skips.js';
import { records } from '../../unit/agent/orchestrator-fixtures.js';

const docker = useRealDocker();
const platformId = randomUUID();
const network = networkNameOf(platformId);
let orchestrator: DockerOrchestrator;

/** The parts of `GET /containers/{id}/json` checked here. */
interface Inspected {
  Id: string;
  Config: { StopTimeout?: number; Labels: Record<string, string> };
  HostConfig: { NetworkMode: string };
  NetworkSettings: { Networks: Record<string, { NetworkID: string; Aliases: string[] | null }> };
}

onlyIf(!realDockerSkipReason, realDockerSkipReason ?? '').describe('docker orchestrator: the platform network on a real Docker Engine', () => {
  beforeAll(async () => {
    orchestrator = await DockerOrchestrator.connect({ dockerHost: docker.host, platformId, log: () => undefined });
  });
  afterAll(async () => {
    await orchestrator?.close();
    if (realDockerSkipReason) return;
    const filters = encodeURIComponent(JSON.stringify({ label: [`${LABELS.platform}=${platformId}`] }));
    const { body: containers } = await docker.api('GET', `/containers/json?all=true&filters=${filters}`);
    for (const container of containers as { Id: string }[]) await docker.api('DELETE', `/containers/${container.Id}?force=true`);
    const { body: networks } = await docker.api('GET', `/networks?filters=${filters}`);
    for (const found of networks as { Id: string }[]) await docker.api('DELETE', `/networks/${found.Id}`);
  });

  it('two instances of a platform reach each other at their reported endpoints; stop allows 15 s', { timeout: 120_000 }, async () => {
    const a = httpdInstance('from-a');
    const b = httpdInstance('from-b');
    // Side by side, as the agent deploys different instances: one network made for both.
    const [reportA, reportB] = await Promise.all([orchestrator.deploy(a), orchestrator.deploy(b)]);

    const { body: networks } = await docker.api('GET', `/networks?filters=${encodeURIComponent(JSON.stringify({ name: [network] }))}`);
    const ours = (networks as { Id: string; Name: string; Driver: string; Labels: Record<string, string> }[]).filter((n) => n.Name === network);
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatchObject({ Driver: 'bridge', Labels: { [LABELS.platform]: platformId } });

    const [endpointA] = reportA.endpoints ?? [];
    const [endpointB] = reportB.endpoints ?? [];
    expect(endpointA).toEqual({ task: 'web', port: 8080, host: expect.stringMatching(/^web-[0-9a-f]{8}-[0-9a-f]{12}$/), url: `http://${endpointA?.host}:8080` });
    expect(endpointB?.host).not.toBe(endpointA?.host);

    const containerA = await inspect(firstContainer(reportA));
    const containerB = await inspect(firstContainer(reportB));
    expect(containerA.HostConfig.NetworkMode).toBe(network);
    expect(containerA.NetworkSettings.Networks[network]?.Aliases).toContain(endpointA!.host);
    expect(containerA.NetworkSettings.Networks[network]?.NetworkID).toBe(ours[0]!.Id);

    // Each reaches the other by the URL its report gives, through the Engine's DNS on the network.
    expect(await fetchInside(containerB.Id, `${endpointA!.url}/cgi-bin/env`)).toMatch(/^GREETING=from-a\r?$/m);
    expect(await fetchInside(containerA.Id, `${endpointB!.url}/cgi-bin/env`)).toMatch(/^GREETING=from-b\r?$/m);

    // Stop: SIGTERM, then a kill after 15 s, set on the container itself (what `docker stop`
    // without -t and a restarting daemon use), not only on the agent's own stop calls.
    expect(STOP_TIMEOUT_SECONDS).toBe(15);
    expect(containerA.Config.StopTimeout).toBe(15);
    expect(containerB.Config.StopTimeout).toBe(15);
  });

  it('keeps the alias across a redeploy, and puts a container taken off the network back on it', { timeout: 120_000 }, async () => {
    const provider = httpdInstance('v1');
    const client = httpdInstance('client');
    const first = await orchestrator.deploy(provider);
    const clientId = firstContainer(await orchestrator.deploy(client));

    // A changed provider: new containers, the same alias, and the client reaches the new one.
    const changed = withGreeting(provider, 'v2');
    const second = await orchestrator.deploy(changed);
    expect(firstContainer(second)).not.toBe(firstContainer(first));
    expect(second.endpoints).toEqual(first.endpoints);
    expect(await fetchInside(clientId, `${second.endpoints![0]!.url}/cgi-bin/env`)).toMatch(/^GREETING=v2\r?$/m);

    // Taken off the network by hand (as containers of an agent without networks never were on it):
    // degraded, and the next deploy attaches the running container again, with its alias.
    const providerId = firstContainer(second);
    const { body: found } = await docker.api('GET', `/networks/${network}`);
    const networkId = (found as { Id: string }).Id;
    expect((await docker.api('POST', `/networks/${networkId}/disconnect`, { Container: providerId })).status).toBe(200);
    expect((await orchestrator.list()).find((w) => w.instanceId === provider.instance.id)).toEqual({ instanceId: provider.instance.id, degraded: true });
    const third = await orchestrator.deploy(changed);
    expect(firstContainer(third)).toBe(providerId);
    expect((await inspect(providerId)).NetworkSettings.Networks[network]?.Aliases).toContain(third.endpoints![0]!.host);
    expect(await fetchInside(clientId, `${third.endpoints![0]!.url}/cgi-bin/env`)).toMatch(/^GREETING=v2\r?$/m);
    expect((await orchestrator.list()).find((w) => w.instanceId === provider.instance.id)).toEqual({ instanceId: provider.instance.id, fingerprint: changed.fingerprint });
  });
});

/** An instance of the platform running the test httpd image as task `web` on 8080, with GREETING set. */
function httpdInstance(greeting: string): Deployment {
  const input = records({
    image: { repository: docker.httpd.repository, tag: docker.httpd.tag },
    tasks: [{ name: 'web', ports: [8080], memory: 64, environment: [{ key: 'GREETING', description: 'what /cgi-bin/env shows', default: greeting }] }],
  });
  return toDeployment({ ...input, platformId, instance: { ...input.instance, platform_id: platformId } });
}

function withGreeting(deployment: Deployment, greeting: string): Deployment {
  return toDeployment({
    platformId,
    instance: { ...deployment.instance, launch_bindings: { environment: { GREETING: greeting } } },
    build: deployment.build,
    configurations: [deployment.configuration],
    tasks: deployment.tasks,
  });
}

function firstContainer(report: DeploymentReport): string {
  const workload = report.workloads.find((w) => w.replica === 0);
  expect(workload?.container_id).toEqual(expect.any(String));
  return workload!.container_id as string;
}

async function inspect(id: string): Promise<Inspected> {
  const { status, body } = await docker.api('GET', `/containers/${id}/json`);
  expect(status).toBe(200);
  return body as Inspected;
}

/** `wget -qO- url` inside a container, retried while the server in a just-started one is not listening yet. */
async function fetchInside(containerId: string, url: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    // No `-T`: the test image's static busybox wget crashes with a timeout set.
    const { exitCode, output } = await docker.exec(containerId, ['wget', '-q', '-O', '-', url]);
    if (exitCode === 0) return output;
    if (Date.now() > deadline) throw new Error(`wget ${url} in ${containerId.slice(0, 12)} exited with ${exitCode}: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
