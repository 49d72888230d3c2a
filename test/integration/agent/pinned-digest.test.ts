/**
 * The agent and a build whose image is pinned (`container_digest`, recorded by `hsp publish`
 * and served by `hsp serve`): it deploys `name@digest`, and when the image the Engine holds
 * under that reference carries another digest it runs nothing and says why on the instance.
 * In-process against a real `hsp serve`, with the docker orchestrator on a fake Engine (the
 * real Engine's pull by digest is covered by the real-Docker tests).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerOrchestrator } from '../../../src/agent/orchestrators/docker.js';
import type { Platform } from '../../../src/index.js';
import { FakeDocker } from '../../helpers/fake-docker.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, startAgent, type Catalogue } from './harness.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
const A = `sha256:${'a1'.repeat(32)}`;
const B = `sha256:${'b2'.repeat(32)}`;

let owner: TestUser;
let pinned: Catalogue;
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

beforeAll(async () => {
  owner = await m.user('Pia Pinned');
  pinned = await deployableBuild(m, { repository: '127.0.0.1:5000/acme/app', tag: '1.0.0' });
  await m.admin.builds.update(pinned.productId, pinned.buildId, { container_digest: A });
});

async function dockerAgent(): Promise<{ platform: Platform; docker: FakeDocker; agent: Awaited<ReturnType<typeof startAgent>> }> {
  const docker = await FakeDocker.start();
  cleanup.push(() => docker.close());
  const platform = await owner.client.platforms.create(owner.id, { name: `pinned-${Math.random().toString(36).slice(2, 8)}` });
  const orchestrator = await DockerOrchestrator.connect({ dockerHost: docker.host, platformId: platform.id, log: () => {} });
  cleanup.push(() => orchestrator.close());
  const agent = await startAgent(owner, platform, orchestrator);
  cleanup.push(async () => {
    await agent.agent.stop(1_000);
  });
  return { platform, docker, agent };
}

describe('the agent and a pinned build', () => {
  it('pulls and runs name@digest, never the tag', async () => {
    const { platform, docker, agent } = await dockerAgent();
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: pinned.buildId, launch_bindings: {} });
    await agent.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy');

    expect(docker.callsTo('POST', /^\/images\/create$/).map((c) => c.query)).toEqual([{ fromImage: '127.0.0.1:5000/acme/app', tag: A }]);
    expect(docker.running().map((c) => c.Config.Image)).toEqual([`127.0.0.1:5000/acme/app@${A}`]);
    expect((await owner.client.instances.retrieve(owner.id, platform.id, instance.id)).deployed_at).not.toBeNull();
  });

  it('refuses an image whose digest differs from the build\u2019s, and says why on the instance', async () => {
    const { platform, docker, agent } = await dockerAgent();
    docker.repoDigests.set(`127.0.0.1:5000/acme/app@${A}`, [`127.0.0.1:5000/acme/app@${B}`]);
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: pinned.buildId, launch_bindings: { environment: { GREETING: 'hi' } } });

    const reason = `Refused to run 127.0.0.1:5000/acme/app: the build pins ${A}, but the image Docker pulled has ${B}.`;
    const failed = await agent.logs.waitFor((e) => e.event === 'deploy.failed' && e.instance === instance.id, 'the refused deploy');
    expect(failed.reason).toBe(reason);
    expect(docker.containers.size).toBe(0);
    // The reason is on the instance for the operator, beside their own input.
    await expect
      .poll(async () => (await owner.client.instances.retrieve(owner.id, platform.id, instance.id)).launch_bindings, { timeout: 10_000 })
      .toMatchObject({ environment: { GREETING: 'hi' }, deployment: { orchestrator: 'docker', error: reason } });
    expect((await owner.client.instances.retrieve(owner.id, platform.id, instance.id)).deployed_at).toBeNull();
  });
});
