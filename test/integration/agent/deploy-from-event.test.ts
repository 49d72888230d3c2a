/**
 * Deploying from the event: `hsp serve`'s created event carries the whole instance record, so
 * the agent deploys from it and writes its report, without reading the instance first. REST
 * goes through a loopback proxy that records every request (and can hold the reconcile's
 * listing); the event stream goes through a TCP relay that can cut the WebSocket and refuse
 * new connections, so the socket can drop between a deploy and its report.
 */
import { createServer, request, type Server } from 'node:http';
import { createServer as createTcpServer, connect, type Server as TcpServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Agent } from '../../../src/agent/agent.js';
import type { Deployment, DeploymentReport, Orchestrator, Workload } from '../../../src/agent/orchestrator.js';
import { DryRunOrchestrator } from '../../../src/agent/orchestrators/dry-run.js';
import { Marketplace, type Instance, type Platform } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { deployableBuild, FAST_EVENTS, LogRecorder, startAgent, type Catalogue } from './harness.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200 } });
const running: Agent[] = [];
let owner: TestUser;
let catalogue: Catalogue;

/** REST: every request answered, as "METHOD /path"; a listing of instances waits while `listingHeld` is set. */
let proxy: Server;
let proxyUrl: string;
const seen: string[] = [];
let listingHeld: Promise<void> | undefined;

/**
 * Events: a TCP relay to the server. It drops new connections while `refusing`; while `holding`,
 * what the server sends waits in `held`, and `releaseOne()` passes it on one chunk at a time.
 */
let relay: TcpServer;
let relayUrl: string;
const relayed = new Set<Socket>();
let refusing = false;
let holding = false;
const held: { to: Socket; chunk: Buffer }[] = [];
function releaseOne(): boolean {
  const next = held.shift();
  if (next && !next.to.destroyed) next.to.write(next.chunk);
  return next !== undefined;
}
function releaseAll(): void {
  holding = false;
  while (releaseOne());
}

beforeAll(async () => {
  owner = await m.user('Eve Events');
  catalogue = await deployableBuild(m);
  const target = new URL(m.url);
  proxy = createServer((req, res) => {
    const forward = () => {
      const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', () => seen.push(`${req.method} ${req.url?.replace(/\?.*$/, '')}`));
      });
      req.pipe(upstream);
    };
    const listing = req.method === 'GET' && /\/instances(\?|$)/.test(req.url ?? '');
    if (listing && listingHeld) void listingHeld.then(forward);
    else forward();
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  relay = createTcpServer((client) => {
    if (refusing) return void client.destroy();
    const upstream = connect(Number(target.port), target.hostname);
    relayed.add(client);
    const end = () => {
      relayed.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (holding || held.length > 0) held.push({ to: client, chunk });
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
  relayUrl = `http://127.0.0.1:${(relay.address() as AddressInfo).port}`;
});
afterEach(async () => {
  refusing = false;
  releaseAll();
  listingHeld = undefined;
  for (const agent of running.splice(0)) await agent.stop(1_000);
});
afterAll(async () => {
  await new Promise<void>((resolve) => proxy.close(() => resolve()));
  for (const socket of relayed) socket.destroy();
  await new Promise<void>((resolve) => relay.close(() => resolve()));
});

/** The dry-run orchestrator, keeping the record each deploy was given; `changed()` asks the agent to reconcile. */
class InstanceRecorder implements Orchestrator {
  private readonly inner = new DryRunOrchestrator(() => {});
  readonly given = new Map<string, Instance[]>();
  readonly name = 'dry-run';
  changed: (reason: string) => void = () => {};
  watch(onChange: (reason: string) => void): void {
    this.changed = onChange;
  }
  list(): Promise<Workload[] | undefined> {
    return this.inner.list();
  }
  deploy(deployment: Deployment): Promise<DeploymentReport> {
    this.given.set(deployment.instance.id, [...(this.given.get(deployment.instance.id) ?? []), structuredClone(deployment.instance)]);
    return this.inner.deploy(deployment);
  }
  remove(instanceId: string): Promise<void> {
    return this.inner.remove(instanceId);
  }
}

function clients(): { rest: Marketplace; events: Marketplace } {
  const rest = new Marketplace({ baseUrl: proxyUrl, token: owner.token, dialect: 'r2', maxRetries: 0 });
  const events = new Marketplace({ baseUrl: relayUrl, token: owner.token, dialect: 'r2', maxRetries: 0 });
  return { rest, events };
}

async function newPlatform(name: string): Promise<Platform> {
  return owner.client.platforms.create(owner.id, { name: `${name}-${Math.random().toString(36).slice(2, 8)}` });
}

function pathOf(platform: Platform, instanceId: string): string {
  return `/users/${owner.id}/platforms/${platform.id}/instances/${instanceId}`;
}

/** The requests made for one instance's record, in order. */
function requestsFor(platform: Platform, instanceId: string): string[] {
  const path = pathOf(platform, instanceId);
  return seen.filter((line) => line.endsWith(path));
}

describe('deploying from the event', { timeout: 60_000 }, () => {
  it('deploys a created instance from its event with no read of it: one PATCH, the record as a read gives it', async () => {
    const platform = await newPlatform('from-event');
    const orchestrator = new InstanceRecorder();
    const { rest, events } = clients();
    const { agent, logs } = await startAgent({ client: rest }, platform, orchestrator, { eventsClient: events });
    running.push(agent);
    // The first deploy of a build also reads its parts and asks about its licence; those are
    // shared by the next ones, whose own requests are counted.
    const warmUp = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId });
    await logs.waitFor((e) => e.event === 'instance.unchanged' && e.instance === warmUp.id, 'the first deploy');

    for (let i = 0; i < 3; i++) {
      const created = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId, launch_bindings: { environment: { GREETING: `hello ${i}` } } });
      const done = await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === created.id, `the deploy of ${created.id}`);
      expect(done.report).toBe('written');
      await logs.waitFor((e) => e.event === 'instance.unchanged' && e.instance === created.id, `the echo of ${created.id}`);

      expect(requestsFor(platform, created.id)).toEqual([`PATCH ${pathOf(platform, created.id)}`]);
      // What the orchestrator (or an exec hook) was given is the record a read would have answered.
      const [given] = orchestrator.given.get(created.id)!;
      expect(given).toEqual({ ...created, url: created.url!.replace(m.url, proxyUrl) });
      const record = await owner.client.instances.retrieve(owner.id, platform.id, created.id);
      expect(record.launch_bindings).toMatchObject({ environment: { GREETING: `hello ${i}` }, deployment: { fingerprint: done.fingerprint } });
      expect(record.deployed_at).not.toBeNull();
    }
    expect([...orchestrator.given.values()].every((deploys) => deploys.length === 1)).toBe(true);
    await rest.close();
    await events.close();
  });

  it('reads the instance first when its event leaves the launch bindings out (too large for a notification)', async () => {
    const platform = await newPlatform('too-large');
    const orchestrator = new InstanceRecorder();
    const { rest, events } = clients();
    const { agent, logs } = await startAgent({ client: rest }, platform, orchestrator, { eventsClient: events });
    running.push(agent);

    const note = 'x'.repeat(9_000);
    const created = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId, launch_bindings: { note } });
    await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === created.id, 'the deploy');
    await logs.waitFor((e) => e.event === 'instance.unchanged' && e.instance === created.id, 'the echo');

    const path = pathOf(platform, created.id);
    const mine = requestsFor(platform, created.id);
    expect(mine[0]).toBe(`GET ${path}`);
    expect(mine.filter((line) => line === `PATCH ${path}`)).toHaveLength(1);
    expect(orchestrator.given.get(created.id)).toHaveLength(1);
    expect(orchestrator.given.get(created.id)![0]!.launch_bindings).toEqual({ note });
    await rest.close();
    await events.close();
  });

  /**
   * An agent on a new platform whose first deploy is held, then its event socket cut (and kept
   * refused) while the deploy waits: `release()` lets the deploy go on; `from` is the log's
   * length at the cut.
   */
  async function deployHeldThenDisconnected(name: string, launchBindings?: Record<string, unknown>) {
    const platform = await newPlatform(name);
    const { rest, events } = clients();
    const { agent, logs, orchestrator } = await startAgent({ client: rest }, platform, new DryRunOrchestrator(() => {}), { eventsClient: events });
    running.push(agent);

    let release!: () => void;
    orchestrator.gate = new Promise<void>((resolve) => (release = resolve));
    const started = orchestrator.nextDeploy();
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId, ...(launchBindings ? { launch_bindings: launchBindings } : {}) });
    expect(await started).toBe(instance.id);

    const from = logs.length;
    refusing = true;
    for (const socket of relayed) socket.destroy();
    await logs.waitFor((e) => e.event === 'stream.disconnected', 'the disconnection', from);
    return { platform, rest, events, agent, logs, orchestrator, instance, release, from };
  }

  it('the socket drops between a deploy and its report: deployed once, reported, and an instance created meanwhile deployed once', async () => {
    const { platform, rest, events, agent, logs, orchestrator, instance: first, release, from } = await deployHeldThenDisconnected('drop');
    const missed = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId });
    orchestrator.gate = undefined;
    release();
    const done = await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === first.id, 'the held deploy', from);
    expect(done.report).toBe('written');

    refusing = false;
    await logs.waitFor((e) => e.event === 'stream.subscribed', 'the new subscription', from);
    await logs.waitFor((e) => e.event === 'reconcile.done', 'the reconcile after it', from);
    await agent.settled();

    expect(orchestrator.deploys.get(first.id)).toBe(1);
    expect(orchestrator.deploys.get(missed.id)).toBe(1);
    for (const instance of [first, missed]) {
      const record = await owner.client.instances.retrieve(owner.id, platform.id, instance.id);
      expect(record.deployed_at).not.toBeNull();
    }
    await rest.close();
    await events.close();
  });

  it('resubscribed before the report, reads the record again: an edit made while the socket was down is kept and deployed', async () => {
    const { platform, rest, events, agent, logs, orchestrator, instance, release, from } = await deployHeldThenDisconnected('edit-while-down', {
      environment: { GREETING: 'before' },
    });
    await owner.client.instances.update(owner.id, platform.id, instance.id, { launch_bindings: { environment: { GREETING: 'edited' } } });

    // Subscribed again, its reconcile's listing held: nothing has told the agent of the edit yet.
    let releaseListing!: () => void;
    listingHeld = new Promise<void>((resolve) => (releaseListing = resolve));
    refusing = false;
    await logs.waitFor((e) => e.event === 'reconcile.started', 'the reconcile after the new subscription', from);
    orchestrator.gate = undefined;
    release();
    const done = await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id, 'the held deploy', from);
    // The record the deploy began from may predate the edit: read again, it does, so no report.
    expect(done.report).toBe('changed');

    listingHeld = undefined;
    releaseListing();
    const redeployed = await logs.waitFor((e) => e.event === 'deploy.done' && e.instance === instance.id && e.report === 'written', 'the deploy of the edit', logs.entries.indexOf(done) + 1);
    await agent.settled();

    expect(orchestrator.deploys.get(instance.id)).toBe(2);
    const record = await owner.client.instances.retrieve(owner.id, platform.id, instance.id);
    expect(record.launch_bindings).toMatchObject({ environment: { GREETING: 'edited' }, deployment: { fingerprint: redeployed.fingerprint } });
    expect(record.deployed_at).not.toBeNull();
    await rest.close();
    await events.close();
  });

  it('an event older than a record the agent has already seen is read again, not deployed from', async () => {
    const platform = await newPlatform('stale');
    const orchestrator = new InstanceRecorder();
    const { rest, events } = clients();
    // Unwrapped (the harness's counting wrapper does not pass `watch` on), with a ping watchdog
    // patient enough for events held for a few seconds.
    const logs = new LogRecorder();
    const agent = new Agent({ client: rest, eventsClient: events, platform, orchestrator, log: logs.log, events: { ...FAST_EVENTS, pingIntervalMs: 10_000 }, reconcileDebounceMs: 1 });
    running.push(agent);
    await agent.start();
    await logs.waitFor((e) => e.event === 'reconcile.done', 'the first reconcile');
    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: catalogue.buildId, launch_bindings: { environment: { GREETING: 'one' } } });
    await logs.waitFor((e) => e.event === 'instance.unchanged' && e.instance === instance.id, 'the first deploy');

    // Two edits whose events are held on their way; a reconcile's listing sees the second.
    holding = true;
    await owner.client.instances.update(owner.id, platform.id, instance.id, { launch_bindings: { environment: { GREETING: 'two' } } });
    await owner.client.instances.update(owner.id, platform.id, instance.id, { launch_bindings: { environment: { GREETING: 'three' } } });
    const from = logs.length;
    orchestrator.changed('test');
    await logs.waitFor((e) => e.event === 'reconcile.done', 'the reconcile', from);
    await agent.settled();
    expect(orchestrator.given.get(instance.id)!.map((record) => record.launch_bindings.environment)).toEqual([{ GREETING: 'one' }, { GREETING: 'three' }]);

    // The first held event ("two") arrives alone: older than the listing, it is read again.
    const arrived = logs.length;
    while (!logs.entries.slice(arrived).some((e) => e.event === 'event.received' && e.instance === instance.id) && releaseOne()) await new Promise((resolve) => setTimeout(resolve, 20));
    await agent.settled();
    releaseAll();
    await agent.settled();
    expect(orchestrator.given.get(instance.id)!.map((record) => record.launch_bindings.environment)).toEqual([{ GREETING: 'one' }, { GREETING: 'three' }]);
    expect(requestsFor(platform, instance.id)).toContain(`GET ${pathOf(platform, instance.id)}`);
    const record = await owner.client.instances.retrieve(owner.id, platform.id, instance.id);
    expect(record.launch_bindings.environment).toEqual({ GREETING: 'three' });
    await rest.close();
    await events.close();
  });
});
