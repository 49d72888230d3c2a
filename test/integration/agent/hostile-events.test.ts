/**
 * Events the agent must not act on: crafted frames from a fake ActionCable server (the
 * reference server's frames, and worse), while the records stay on a real `hsp serve`. An
 * event is a hint: what is not this platform's, or not well-formed, is refused with a log
 * line, and nothing runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../../../src/agent/agent.js';
import { DryRunOrchestrator } from '../../../src/agent/orchestrators/dry-run.js';
import { Marketplace, type Platform } from '../../../src/index.js';
import { FakeCable } from '../../helpers/fake-cable.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, FAST_EVENTS, startAgent, type Catalogue, type RunningAgent } from './harness.js';

const m = useMarketplace();
let cable: FakeCable;
let owner: TestUser;
let platform: Platform;
let catalogue: Catalogue;
let running: RunningAgent;
const agents: Agent[] = [];

beforeAll(async () => {
  cable = await new FakeCable({ pingIntervalMs: 200 }).start();
  owner = await m.user('Hazel Host');
  platform = await owner.client.platforms.create(owner.id, { name: 'guarded-host' });
  catalogue = await deployableBuild(m);
  // REST from the real server, events from the fake cable.
  const eventsClient = new Marketplace({ baseUrl: cable.url, token: owner.token, dialect: 'r2', maxRetries: 0 });
  // The default ping watchdog (6.5 s): building a 10 MB frame must not pass for a dead connection.
  running = await startAgent(owner, platform, new DryRunOrchestrator(() => {}), { eventsClient, reconcileDebounceMs: 50, events: { ...FAST_EVENTS, pingIntervalMs: 3_000 } });
  agents.push(running.agent);
});
afterAll(async () => {
  for (const agent of agents) await agent.stop(1_000);
  await cable?.stop();
});

/** The reference server's broadcast, with our additions where given. */
function event(fields: { type?: string; instanceId?: string; platformId?: string; buildId?: string; productId?: string; resource?: string; launch_bindings?: unknown }) {
  return {
    resource_type: fields.resource ?? 'instance',
    event_type: fields.type ?? 'created',
    message: 'A build instance has been added to the platform.',
    model: {
      instance: {
        ...(fields.instanceId ? { id: fields.instanceId } : {}),
        build: { id: fields.buildId ?? catalogue.buildId, container_repository: 'example/app', container_tag: '1.0.0', product: { id: fields.productId ?? catalogue.productId } },
        platform: { id: fields.platformId ?? platform.id, user: { id: owner.id } },
        ...(fields.launch_bindings ? { launch_bindings: fields.launch_bindings } : {}),
      },
    },
  };
}

describe('hostile events', () => {
  it("refuses an event for another platform, even naming that platform's real instance", async () => {
    const stranger = await m.user('Sly Stranger');
    const theirs = await stranger.client.platforms.create(stranger.id, { name: 'their-host' });
    const instance = await stranger.client.instances.create(stranger.id, theirs.id, { build_id: catalogue.buildId });
    const from = running.logs.length;
    cable.broadcast(event({ platformId: theirs.id, instanceId: instance.id }));
    const refused = await running.logs.waitFor((e) => e.event === 'event.refused', 'the refusal', from);
    expect(refused.reason).toBe(`The event is for platform "${theirs.id}", not ${platform.id}.`);

    // Claiming to be ours does not help: the agent reads the instance on its own platform, finds none, and touches nothing.
    cable.broadcast(event({ type: 'deleted', instanceId: instance.id }));
    await running.logs.waitFor((e) => e.event === 'event.received' && e.instance === instance.id, 'the disguised event', from);
    await running.agent.settled();
    expect(running.orchestrator.deploys.size + running.orchestrator.removes.size).toBe(0);
  });

  it('refuses instance ids that are not UUIDs, and ignores what is not an instance event', async () => {
    const from = running.logs.length;
    cable.broadcast(event({ instanceId: '../../etc/passwd; rm -rf /' }));
    cable.broadcast(event({ resource: 'user' }));
    cable.sendRaw('not json at all');
    const refused = await running.logs.waitFor((e) => e.event === 'event.refused', 'the refusal', from);
    expect(refused.reason).toBe(`The event's instance id "../../etc/passwd; rm -rf /" is not a UUID.`);
    const ignored = await running.logs.waitFor((e) => e.event === 'event.ignored', 'the unknown event', from);
    expect(ignored.reason).toBe('Events about "user" are not understood.');
    await running.agent.settled();
    expect(running.orchestrator.totalDeploys).toBe(0);
  });

  it('drops a 10 MB frame with a log line, reconnects and reconciles; nothing in it runs', async () => {
    const from = running.logs.length;
    const flood = event({ instanceId: '4a0c1b56-9f3e-4d4e-8c1a-2b3c4d5e6f70', launch_bindings: { environment: { PAYLOAD: 'x'.repeat(10 * 1024 * 1024) } } });
    const identifier = JSON.stringify({ channel: 'PlatformChannel', platform_id: platform.id });
    cable.sendRaw(JSON.stringify({ identifier, message: flood }));
    const error = await running.logs.waitFor((e) => e.event === 'stream.error', 'the refused frame', from);
    expect(error.reason).toMatch(/max payload size exceeded/i);
    await running.logs.waitFor((e) => e.event === 'stream.subscribed', 'the new subscription', from);
    await running.logs.waitFor((e) => e.event === 'reconcile.done', 'the reconcile after it', from);
    await running.agent.settled();
    expect(running.logs.entries.slice(from).some((e) => e.instance === '4a0c1b56-9f3e-4d4e-8c1a-2b3c4d5e6f70')).toBe(false);
    expect(running.orchestrator.totalDeploys).toBe(0);
  });

  it("is not misled by an event naming the wrong product for a build: it finds the build's product itself", async () => {
    const other = await deployableBuild(m);
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: other.buildId });
    const from = running.logs.length;
    cable.broadcast(event({ instanceId: instance.id, buildId: other.buildId, productId: catalogue.productId }));
    const done = await running.logs.waitFor((e) => (e.event === 'deploy.done' || e.event === 'converge.failed') && e.instance === instance.id, 'the deploy', from);
    expect(done.event).toBe('deploy.done');
    expect((await owner.client.instances.retrieve(owner.id, platform.id, instance.id)).launch_bindings.deployment).toMatchObject({ fingerprint: done.fingerprint });
  });

  it("reconciles once for a burst of the reference server's events, which name no instance", async () => {
    // Created over REST: its real event goes to the real server's cable, which this agent does not hear.
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId });
    const from = running.logs.length;
    for (let i = 0; i < 3; i++) cable.broadcast(event({}));
    await running.logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the deploy', from);
    await running.agent.settled();
    expect(running.logs.entries.slice(from).filter((e) => e.event === 'reconcile.started')).toEqual([
      expect.objectContaining({ reason: 'instance.created event without an instance id' }),
    ]);
    expect(running.orchestrator.deploys.get(instance.id)).toBe(1);
  });
});
