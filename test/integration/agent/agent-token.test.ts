/**
 * Agent tokens against the real marketplace: what an agent may do with a token signed by its
 * platform's key (read the catalogue and its platform, report on its instances, listen to its
 * platform), what it may not (403), and which tokens are refused outright (401).
 */
import { randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_TOKEN_ISSUER, AGENT_TOKEN_TYPE, agentTokenProvider, signAgentToken } from '../../../src/agent/agent-token.js';
import { generateAgentKeyPair, type AgentKeyPair } from '../../../src/agent/keys.js';
import {
  AuthenticationError,
  Marketplace,
  PermissionDeniedError,
  SubscriptionRejectedError,
  type APIError,
  type PlatformEvent,
} from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';

// Agents' sockets are checked against their platform's key every 100 ms here (30 s in service).
const m = useMarketplace({ cable: { credentialCheckIntervalMs: 100 } });

interface World {
  owner: TestUser;
  key: AgentKeyPair;
  platformId: string;
  /** The same owner's other platform, with no agent. */
  siblingId: string;
  siblingInstanceId: string;
  /** Someone else's platform. */
  strangerPlatformId: string;
  strangerId: string;
  instanceId: string;
  productId: string;
  buildId: string;
  otherBuildId: string;
  configurationId: string;
  adminId: string;
  adminPlatformId: string;
  adminKey: AgentKeyPair;
}

const w = {} as World;
const clients: Marketplace[] = [];

function agentClient(key: KeyObject, platformId: string, userId: string): Marketplace {
  const client = new Marketplace({
    baseUrl: m.url,
    dialect: 'r2',
    maxRetries: 0,
    tokenProvider: agentTokenProvider({ privateKey: key, platformId, userId, audience: m.url }),
  });
  clients.push(client);
  return client;
}

const agent = () => agentClient(w.key.privateKey, w.platformId, w.owner.id);

async function failure(promise: Promise<unknown>): Promise<APIError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!error) throw new Error('expected the request to fail');
  return error as APIError;
}

beforeAll(async () => {
  w.owner = await m.user('Olive Operator');
  const stranger = await m.user('Sam Stranger');
  w.strangerId = stranger.id;
  w.key = generateAgentKeyPair();

  const product = await m.admin.products.create({ name: 'Agent-deployable' });
  w.productId = product.id;
  const build = await m.admin.builds.create(product.id, { version: '1.0.0' });
  w.buildId = build.id;
  w.otherBuildId = (await m.admin.builds.create(product.id, { version: '2.0.0' })).id;
  const configuration = await m.admin.configurations.create(product.id, build.id, { name: 'default' });
  w.configurationId = configuration.id;
  await m.admin.tasks.create(product.id, build.id, configuration.id, { name: 'web', ports: [8080], memory: 256 });
  await m.admin.products.publish(product.id);

  const platform = await w.owner.client.platforms.create(w.owner.id, { name: 'edge-1', public_key: w.key.publicKeyPem });
  w.platformId = platform.id;
  w.instanceId = (await w.owner.client.instances.create(w.owner.id, platform.id, { build_id: build.id, launch_bindings: { environment: { PORT: '8080' } } })).id;
  const sibling = await w.owner.client.platforms.create(w.owner.id, { name: 'edge-2' });
  w.siblingId = sibling.id;
  w.siblingInstanceId = (await w.owner.client.instances.create(w.owner.id, sibling.id, { build_id: build.id })).id;
  w.strangerPlatformId = (await stranger.client.platforms.create(stranger.id, { name: 'elsewhere' })).id;

  const me = await m.admin.session.whoami();
  w.adminId = me!.user.id;
  w.adminKey = generateAgentKeyPair();
  w.adminPlatformId = (await m.admin.platforms.create(w.adminId, { name: 'admin-host', public_key: w.adminKey.publicKeyPem })).id;
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

describe('an agent token', () => {
  it('reads its platform, lists and reads its instances, and reports a deployment on one', async () => {
    const client = agent();
    const platform = await client.platforms.retrieve(w.owner.id, w.platformId);
    expect(platform).toMatchObject({ id: w.platformId, name: 'edge-1', user_id: w.owner.id });
    const listed = await client.instances.list(w.owner.id, w.platformId).toArray();
    expect(listed.map((i) => i.id)).toEqual([w.instanceId]);
    expect(await client.instances.retrieve(w.owner.id, w.platformId, w.instanceId)).toMatchObject({ build_id: w.buildId });

    const deployedAt = '2025-01-01T12:00:00.000Z';
    const report = { environment: { PORT: '8080' }, deployment: { orchestrator: 'dry-run', fingerprint: 'abc', workloads: [{ container: 'c1', ports: { '8080/tcp': 32768 } }] } };
    const updated = await client.instances.update(w.owner.id, w.platformId, w.instanceId, { deployed_at: deployedAt, launch_bindings: report });
    expect(updated).toMatchObject({ deployed_at: deployedAt, launch_bindings: report });
    // Echoing the instance's own build back is still only a report.
    await client.instances.update(w.owner.id, w.platformId, w.instanceId, { build_id: w.buildId, deployed_at: null });
    const seen = await w.owner.client.instances.retrieve(w.owner.id, w.platformId, w.instanceId);
    expect(seen).toMatchObject({ deployed_at: null, launch_bindings: report, build_id: w.buildId });
  });

  it('reads the catalogue: products, builds, configurations, tasks, interfaces', async () => {
    const client = agent();
    expect((await client.products.retrieve(w.productId)).name).toBe('Agent-deployable');
    expect((await client.builds.list(w.productId).toArray()).map((b) => b.version).sort()).toEqual(['1.0.0', '2.0.0']);
    expect((await client.builds.retrieve(w.productId, w.buildId)).version).toBe('1.0.0');
    expect((await client.configurations.list(w.productId, w.buildId).toArray()).map((c) => c.name)).toEqual(['default']);
    const tasks = await client.tasks.list(w.productId, w.buildId, w.configurationId).toArray();
    expect(tasks).toMatchObject([{ name: 'web', ports: [8080], memory: 256 }]);
    await expect(client.interfaces.list().toArray()).resolves.toBeInstanceOf(Array);
    // A search is a read, though it is a POST.
    expect((await client.products.search({ text: 'agent' }).toArray()).map((p) => p.id)).toEqual([w.productId]);
    const status = await client.session.whoami();
    expect(status?.user.id).toBe(w.owner.id);
  });

  it('may not create, delete, touch other platforms, move an instance to another build, or read users: 403 with one sentence', async () => {
    const client = agent();
    const denied = async (promise: Promise<unknown>) => {
      const error = await failure(promise);
      expect(error).toBeInstanceOf(PermissionDeniedError);
      expect(error.serverMessage).toMatch(/^You are not allowed to [^\n]+\.$/);
      return error;
    };
    const createProduct = await denied(client.products.create({ name: 'Not by an agent' }));
    expect(createProduct.serverMessage).toBe(
      "You are not allowed to POST /products: an agent token may only read the catalogue and its own platform, list, read and report on that platform's instances, and ask whether the platform's owner may use a product.",
    );
    await denied(client.instances.delete(w.owner.id, w.platformId, w.instanceId));
    await denied(client.instances.create(w.owner.id, w.platformId, { build_id: w.buildId }));
    await denied(client.platforms.update(w.owner.id, w.platformId, { public_key: null }));
    await denied(client.platforms.list(w.owner.id).toArray());
    await denied(client.platforms.retrieve(w.owner.id, w.siblingId));
    await denied(client.instances.list(w.owner.id, w.siblingId).toArray());
    await denied(client.instances.update(w.owner.id, w.siblingId, w.siblingInstanceId, { deployed_at: '2025-01-01T00:00:00Z' }));
    await denied(client.instances.list(w.strangerId, w.strangerPlatformId).toArray());
    await denied(client.users.list().toArray());
    await denied(client.users.retrieve(w.owner.id));
    await denied(client.builds.create(w.productId, { version: '9.9.9' }));
    const moved = await denied(client.instances.update(w.owner.id, w.platformId, w.instanceId, { build_id: w.otherBuildId }));
    expect(moved.serverMessage).toBe("You are not allowed to change an instance's build_id: an agent token may only report deployed_at and launch_bindings.");
    expect((await w.owner.client.instances.retrieve(w.owner.id, w.platformId, w.instanceId)).build_id).toBe(w.buildId);
    expect(await w.owner.client.instances.list(w.owner.id, w.platformId).toArray()).toHaveLength(1);
  });

  it("stays restricted when its owner is an administrator", async () => {
    const client = agentClient(w.adminKey.privateKey, w.adminPlatformId, w.adminId);
    expect((await client.platforms.retrieve(w.adminId, w.adminPlatformId)).name).toBe('admin-host');
    expect(await failure(client.users.list().toArray())).toBeInstanceOf(PermissionDeniedError);
    expect(await failure(client.products.create({ name: 'Still not by an agent' }))).toBeInstanceOf(PermissionDeniedError);
    expect(await failure(client.instances.list(w.owner.id, w.platformId).toArray())).toBeInstanceOf(PermissionDeniedError);
  });
});

describe('refused agent tokens (401)', () => {
  /** A token with chosen times, signed by `key`. */
  const signed = (key: KeyObject, times: { iat: number; exp: number }, extra: Record<string, unknown> = {}) =>
    new SignJWT({ platform_id: w.platformId, ...extra })
      .setProtectedHeader({ alg: 'EdDSA', typ: AGENT_TOKEN_TYPE })
      .setIssuer(AGENT_TOKEN_ISSUER)
      .setSubject(w.owner.id)
      .setAudience(m.url)
      .setIssuedAt(times.iat)
      .setExpirationTime(times.exp)
      .setJti(randomUUID())
      .sign(key);
  const now = () => Math.floor(Date.now() / 1000);

  async function refused(token: string, message: string) {
    const client = m.client(token);
    clients.push(client);
    const error = await failure(client.platforms.retrieve(w.owner.id, w.platformId));
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.serverMessage).toBe(message);
  }

  it('an expired token', async () => {
    const issued = now() - 600;
    await refused(await signAgentToken({ privateKey: w.key.privateKey, platformId: w.platformId, userId: w.owner.id, audience: m.url }, issued), 'The agent token has expired.');
  });

  it('a token signed by another key', async () => {
    await refused(await signed(generateAgentKeyPair().privateKey, { iat: now(), exp: now() + 300 }), "The agent token is not signed by the platform's current key.");
  });

  it('a token living a day, or claiming to be issued later to stretch its life', async () => {
    const sentence = 'The agent token lives longer than 10 minutes; agent tokens must be short-lived.';
    await refused(await signed(w.key.privateKey, { iat: now(), exp: now() + 86_400 }), sentence);
    await refused(await signed(w.key.privateKey, { iat: now() + 86_000, exp: now() + 86_300 }), sentence);
  });

  it("a token whose subject is not the platform's owner, or that names no platform", async () => {
    const token = await new SignJWT({ platform_id: w.platformId })
      .setProtectedHeader({ alg: 'EdDSA', typ: AGENT_TOKEN_TYPE })
      .setIssuer(AGENT_TOKEN_ISSUER)
      .setSubject(w.strangerId)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(w.key.privateKey);
    await refused(token, "The agent token's subject is not the platform's owner.");
    await refused(await signed(w.key.privateKey, { iat: now(), exp: now() + 300 }, { platform_id: 'edge-1' }), 'The agent token names no platform (platform_id).');
    await refused(await signed(w.key.privateKey, { iat: now(), exp: now() + 300 }, { platform_id: randomUUID() }), 'The agent token is for a platform that does not exist.');
  });

  it('every token of a platform once its key is replaced, and of a platform without a key', async () => {
    const key = generateAgentKeyPair();
    const platform = await w.owner.client.platforms.create(w.owner.id, { name: 'rotating', public_key: key.publicKeyPem });
    const client = agentClient(key.privateKey, platform.id, w.owner.id);
    expect((await client.platforms.retrieve(w.owner.id, platform.id)).name).toBe('rotating');

    await w.owner.client.platforms.update(w.owner.id, platform.id, { public_key: generateAgentKeyPair().publicKeyPem });
    const replaced = await failure(client.platforms.retrieve(w.owner.id, platform.id));
    expect(replaced).toBeInstanceOf(AuthenticationError);
    expect(replaced.serverMessage).toBe("The agent token is not signed by the platform's current key.");

    await w.owner.client.platforms.update(w.owner.id, platform.id, { public_key: null });
    const cleared = await failure(client.platforms.retrieve(w.owner.id, platform.id));
    expect(cleared.serverMessage).toBe('The platform has no agent key; register its agent again with "hsp agent register".');
  });
});

describe("an agent's event stream", () => {
  it('subscribes to its own platform and receives its instance events', async () => {
    const client = agent();
    const events = await client.events.platform(w.platformId, { backoff: { initialMs: 50, maxMs: 200 } });
    try {
      const subscribed = new Promise<void>((resolve) => events.once('subscribed', () => resolve()));
      await subscribed;
      const iterator = events[Symbol.asyncIterator]();
      const next = iterator.next();
      const created = await w.owner.client.instances.create(w.owner.id, w.platformId, { build_id: w.buildId });
      const result = await next;
      expect(result.done).toBe(false);
      const event = result.value as PlatformEvent;
      expect(event).toMatchObject({ type: 'instance.created', platformId: w.platformId });
      expect(JSON.stringify(event)).toContain(created.id);
      await w.owner.client.instances.delete(w.owner.id, w.platformId, created.id);
    } finally {
      events.close();
    }
  });

  it("ends when the platform's key is replaced: revoking the agent closes its socket too", async () => {
    const key = generateAgentKeyPair();
    const platform = await w.owner.client.platforms.create(w.owner.id, { name: 'revoked', public_key: key.publicKeyPem });
    const events = await agentClient(key.privateKey, platform.id, w.owner.id).events.platform(platform.id, { backoff: { initialMs: 50, maxMs: 200 } });
    try {
      await new Promise<void>((resolve) => events.once('subscribed', () => resolve()));
      const ended = new Promise<Error>((resolve) => events.once('error', resolve));
      const disconnected = new Promise<void>((resolve) => events.once('disconnected', () => resolve()));
      await w.owner.client.platforms.update(w.owner.id, platform.id, { public_key: generateAgentKeyPair().publicKeyPem });
      expect((await ended).message).toBe('The server closed the event stream: unauthorized.');
      await disconnected;
    } finally {
      events.close();
    }
  });

  it("is refused another platform's events, its owner's other platforms included", async () => {
    for (const other of [w.siblingId, w.strangerPlatformId]) {
      const events = await agent().events.platform(other, { backoff: { initialMs: 50, maxMs: 200 } });
      try {
        await expect(events[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(SubscriptionRejectedError);
      } finally {
        events.close();
      }
    }
  });
});
