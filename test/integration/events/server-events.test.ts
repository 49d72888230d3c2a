/** `hsp serve`'s event stream through the SDK: real events, authorised subscriptions. */
import { afterEach, describe, expect, it } from 'vitest';
import { Marketplace, SubscriptionRejectedError, type InstanceEvent, type PlatformEvent, type PlatformEventStream } from '../../../src/index.js';
import { createMarketplaceServer } from '../../../src/server/index.js';
import { marketplaceHandle, scratchDatabase, useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { onPostgres } from '../../helpers/skips.js';

const m = useMarketplace({ cable: { pingIntervalMs: 200, credentialCheckIntervalMs: 100 } });
const open: PlatformEventStream[] = [];
afterEach(() => {
  for (const stream of open.splice(0)) stream.close();
});

const fast = { pingIntervalMs: 200, backoff: { initialMs: 50, maxMs: 300 }, subscribeTimeoutMs: 3000 };

async function listen(client: Marketplace, platformId: string): Promise<{ stream: PlatformEventStream; next: () => Promise<PlatformEvent> }> {
  const stream = await client.events.platform(platformId, fast);
  open.push(stream);
  const iterator = stream[Symbol.asyncIterator]();
  await new Promise<void>((resolve, reject) => {
    stream.once('subscribed', resolve);
    stream.once('error', reject);
  });
  return { stream, next: async () => (await iterator.next()).value as PlatformEvent };
}

async function publishedBuild(): Promise<{ productId: string; buildId: string }> {
  const product = await m.admin.products.create({ name: `Events ${Math.random()}` });
  await m.admin.products.publish(product.id);
  const build = await m.admin.builds.create(product.id, { version: '1.0.0', container_repository: 'example/app', container_tag: '1.0.0' });
  return { productId: product.id, buildId: build.id };
}

describe('platform events from hsp serve', () => {
  let owner: TestUser;

  it('delivers created, updated and deleted events with the instance id', async () => {
    owner = await m.user('Olive Owner');
    const platform = await owner.client.platforms.create(owner.id, { name: 'host-1' });
    const { buildId } = await publishedBuild();
    const { next } = await listen(owner.client, platform.id);

    const instance = await owner.client.instances.create(owner.id, platform.id, { build_id: buildId, launch_bindings: { PORT: '8080' } });
    const created = (await next()) as InstanceEvent;
    expect(created).toMatchObject({ type: 'instance.created', instanceId: instance.id, platformId: platform.id, buildId });
    expect(created.instance).toMatchObject({ launch_bindings: { PORT: '8080' }, build: { container_repository: 'example/app', container_tag: '1.0.0' }, platform: { user: { id: owner.id } } });

    await owner.client.instances.update(owner.id, platform.id, instance.id, { deployed_at: '2026-11-26T08:00:00Z' });
    await expect(next()).resolves.toMatchObject({ type: 'instance.updated', instanceId: instance.id, instance: { deployed_at: '2026-11-26T08:00:00.000Z' } });

    await owner.client.instances.delete(owner.id, platform.id, instance.id);
    await expect(next()).resolves.toMatchObject({ type: 'instance.deleted', instanceId: instance.id });
  });

  it('carries the whole record in created and updated events: what a read answers, but the url', async () => {
    const user = await m.user('Rhea Record');
    const platform = await user.client.platforms.create(user.id, { name: 'host-record' });
    const { buildId } = await publishedBuild();
    const { next } = await listen(user.client, platform.id);

    const instance = await user.client.instances.create(user.id, platform.id, { build_id: buildId, launch_bindings: { environment: { PORT: '8080' } } });
    const created = (await next()) as InstanceEvent;
    const { url: _createdUrl, ...read } = await user.client.instances.retrieve(user.id, platform.id, instance.id);
    expect(created.record).toEqual(read);
    expect(created.instance).toMatchObject({ build: { container_repository: 'example/app', container_tag: '1.0.0' }, platform: { user: { id: user.id } } });

    await user.client.instances.update(user.id, platform.id, instance.id, { deployed_at: '2026-11-26T08:00:00Z', launch_bindings: { environment: { PORT: '9090' } } });
    const updated = (await next()) as InstanceEvent;
    const { url: _updatedUrl, ...reread } = await user.client.instances.retrieve(user.id, platform.id, instance.id);
    expect(updated.record).toEqual(reread);
    expect(reread).toMatchObject({ deployed_at: '2026-11-26T08:00:00.000Z', launch_bindings: { environment: { PORT: '9090' } } });

    await user.client.instances.delete(user.id, platform.id, instance.id);
    const deleted = (await next()) as InstanceEvent;
    expect(deleted).toMatchObject({ type: 'instance.deleted', instanceId: instance.id });
    expect(deleted).not.toHaveProperty('record');
  });

  it('delivers a burst of creates on two builds, each event once, each with its own build and owner', async () => {
    const user = await m.user('Bea Burst');
    const platform = await user.client.platforms.create(user.id, { name: 'host-burst' });
    const builds = [await publishedBuild(), await publishedBuild()];
    const { next } = await listen(user.client, platform.id);

    // Sent together, so notifications arrive while the lookup of earlier ones runs: looked up in batches.
    const instances = await Promise.all(Array.from({ length: 40 }, (_, i) => user.client.instances.create(user.id, platform.id, { build_id: builds[i % 2]!.buildId })));
    const events: InstanceEvent[] = [];
    while (events.length < instances.length) events.push((await next()) as InstanceEvent);

    expect(events.map((event) => event.type)).toEqual(instances.map(() => 'instance.created'));
    expect(new Set(events.map((event) => event.instanceId))).toEqual(new Set(instances.map((instance) => instance.id)));
    const buildOf = new Map(instances.map((instance) => [instance.id, instance.build_id]));
    for (const event of events) {
      const build = builds.find((b) => b.buildId === buildOf.get(event.instanceId!))!;
      expect(event).toMatchObject({ buildId: build.buildId, instance: { build: { product: { id: build.productId } }, platform: { user: { id: user.id } } }, record: { product_id: build.productId } });
    }
  });

  it('reports instances removed by a cascade (the build deleted)', async () => {
    const user = await m.user('Cass Cade');
    const platform = await user.client.platforms.create(user.id, { name: 'host-2' });
    const { productId, buildId } = await publishedBuild();
    const instance = await user.client.instances.create(user.id, platform.id, { build_id: buildId });
    const { next } = await listen(user.client, platform.id);
    await m.admin.builds.delete(productId, buildId);
    // The create's own event may still be on its way (NOTIFY is asynchronous): skip past it.
    let event = await next();
    while (event.type === 'instance.created') event = await next();
    expect(event).toMatchObject({ type: 'instance.deleted', instanceId: instance.id, buildId });
  });

  it('lets an administrator listen, and refuses strangers, anonymous callers and unknown platforms', async () => {
    const user = await m.user('Pat Private');
    const platform = await user.client.platforms.create(user.id, { name: 'private-host' });
    await listen(m.admin, platform.id);

    const stranger = await m.user('Stan Stranger');
    for (const client of [stranger.client, m.anonymous]) {
      const stream = await client.events.platform(platform.id, fast);
      open.push(stream);
      await expect(stream[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(SubscriptionRejectedError);
    }
    const unknown = await m.admin.events.platform('00000000-0000-4000-8000-000000000000', fast);
    open.push(unknown);
    await expect(unknown[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(SubscriptionRejectedError);
  });

  it('refuses a bad token at the handshake with a clear error', async () => {
    const client = new Marketplace({ baseUrl: m.url, token: 'not.a.token', dialect: 'r2' });
    const stream = await client.events.platform('00000000-0000-4000-8000-000000000000', fast);
    open.push(stream);
    const error = await new Promise<Error>((resolve) => stream.once('error', resolve));
    expect(error.message).toBe('Could not open the event stream: the server answered HTTP 401 instead of opening a WebSocket: the token was refused (The bearer token is not a JWT).');
  });

  it('ends a stream when its token is signed out, and only that stream', async () => {
    const user = await m.user('Sig Nout');
    const platform = await user.client.platforms.create(user.id, { name: 'signed-out-host' });
    const { stream: signedOut } = await listen(user.client, platform.id);
    const { stream: stillIn, next } = await listen(m.admin, platform.id);
    let adminEnded = false;
    stillIn.once('error', () => (adminEnded = true));

    const ended = new Promise<Error>((resolve) => signedOut.once('error', resolve));
    await user.client.session.logout();
    expect((await ended).message).toBe('The server closed the event stream: unauthorized.');
    // Several checks later the administrator's stream still delivers.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(adminEnded).toBe(false);
    const { buildId } = await publishedBuild();
    const instance = await m.admin.instances.create(user.id, platform.id, { build_id: buildId });
    expect(await next()).toMatchObject({ type: 'instance.created', instanceId: instance.id });
  });

  it('also answers on /cable, and a plain GET of /websocket is a 404', async () => {
    const user = await m.user('Cab Le');
    const platform = await user.client.platforms.create(user.id, { name: 'cable-host' });
    const stream = await user.client.events.platform(platform.id, { ...fast, path: '/cable' });
    open.push(stream);
    await new Promise<void>((resolve) => stream.once('subscribed', resolve));
    const res = await fetch(`${m.url}/websocket`, { headers: { accept: 'application/json' } });
    expect(res.status).toBe(404);
  });
});

onPostgres.describe('two replicas on one PostgreSQL', () => {
  it('deliver an event written through one to a subscriber of the other', async () => {
    const { databaseUrl, dropDatabase } = await scratchDatabase(process.env.HSP_TEST_DATABASE_URL!);
    const a = await createMarketplaceServer({ port: 0, databaseUrl });
    const b = await createMarketplaceServer({ port: 0, databaseUrl });
    try {
      const replicaA = marketplaceHandle(a);
      const user = await replicaA.user('Rep Lica');
      const platform = await user.client.platforms.create(user.id, { name: 'replicated' });
      const product = await replicaA.admin.products.create({ name: 'Replicated app' });
      const build = await replicaA.admin.builds.create(product.id, { version: '1.0.0' });
      await replicaA.admin.products.publish(product.id);
      const { next } = await listen(new Marketplace({ baseUrl: b.url, token: user.token, dialect: 'r2' }), platform.id);
      const instance = await replicaA.admin.instances.create(user.id, platform.id, { build_id: build.id });
      await expect(next()).resolves.toMatchObject({ type: 'instance.created', instanceId: instance.id });
    } finally {
      await b.close();
      await a.close();
      await dropDatabase();
    }
  });
});
