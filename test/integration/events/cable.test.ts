/** The event stream against a fake ActionCable server speaking the reference server's exact frames. */
import { afterEach, describe, expect, it } from 'vitest';
import { Marketplace, SubscriptionRejectedError, SubscriptionTimeoutError, type PlatformEvent, type PlatformEventStream } from '../../../src/index.js';
import { FakeCable } from '../../helpers/fake-cable.js';

const PLATFORM = '3d9d0872-a1f5-4e4b-9324-af608b423aae';
const reference = {
  resource_type: 'instance',
  event_type: 'created',
  message: 'A build instance has been added to the platform.',
  model: {
    instance: {
      build: { id: '931cc915-a828-4d9c-86dc-4a11a0b4be4e', container_repository: 'p3000/cql-translation-product/', container_tag: 'v1.0.2', product: { id: '2e25631c-eb8f-4594-8593-2894e3d24f62' } },
      platform: { id: PLATFORM, user: { id: '53ae2c3f-a31f-4a95-a8c9-536f9c6cfde2' } },
    },
  },
};

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

async function fake(options: ConstructorParameters<typeof FakeCable>[0] = {}) {
  const server = await new FakeCable({ pingIntervalMs: 100, ...options }).start();
  cleanup.push(() => server.stop());
  return server;
}

async function stream(server: FakeCable, options: Parameters<Marketplace['events']['platform']>[1] = {}, token?: string) {
  const client = new Marketplace({ baseUrl: server.url, dialect: 'r2', token });
  const events = await client.events.platform(PLATFORM, { pingIntervalMs: 100, backoff: { initialMs: 50, maxMs: 200 }, ...options });
  cleanup.push(() => events.close());
  return events;
}

function once(events: PlatformEventStream, name: 'subscribed' | 'disconnected' | 'connected'): Promise<void> {
  return new Promise((resolve) => events.once(name, () => resolve()));
}

async function nextEvent(iterator: AsyncIterator<PlatformEvent>): Promise<PlatformEvent> {
  const result = await iterator.next();
  if (result.done) throw new Error('stream ended');
  return result.value;
}

describe('platform event stream', () => {
  it('subscribes with the reference identifier, sends the token twice, and yields broadcasts', async () => {
    const server = await fake();
    const events = await stream(server, {}, 'the-token');
    await once(events, 'subscribed');
    expect(server.received).toEqual([{ command: 'subscribe', identifier: `{"channel":"PlatformChannel","platform_id":"${PLATFORM}"}` }]);
    const req = server.requests[0]!;
    expect(req.headers.authorization).toBe('Bearer the-token');
    expect(new URL(req.url!, 'http://x').searchParams.get('jwt')).toBe('the-token');
    expect(req.headers['sec-websocket-protocol']).toBe('actioncable-v1-json');
    expect(req.headers.origin).toBe(server.url);

    const iterator = events[Symbol.asyncIterator]();
    server.broadcast(reference);
    await expect(nextEvent(iterator)).resolves.toMatchObject({ type: 'instance.created', platformId: PLATFORM });
  });

  it('matches identifiers by value, not by string', async () => {
    const server = await fake({ reorderIdentifiers: true });
    const events = await stream(server);
    await once(events, 'subscribed');
    const iterator = events[Symbol.asyncIterator]();
    server.broadcast(reference);
    await expect(nextEvent(iterator)).resolves.toMatchObject({ type: 'instance.created' });
  });

  it('surfaces malformed broadcasts as unknown events and ignores garbage frames', async () => {
    const server = await fake();
    const events = await stream(server);
    await once(events, 'subscribed');
    const iterator = events[Symbol.asyncIterator]();
    server.sendRaw('this is not json');
    server.broadcast({ resource_type: 'chat', text: 'hi' });
    await expect(nextEvent(iterator)).resolves.toMatchObject({ type: 'unknown', reason: 'Events about "chat" are not understood.' });
  });

  it('ends with a clear error when the subscription is rejected', async () => {
    const server = await fake({ answer: 'reject' });
    const events = await stream(server);
    const error = await events[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionRejectedError);
    expect((error as Error).message).toBe(`The server refused the subscription to PlatformChannel (platform_id=${PLATFORM}).`);
  });

  it('times out a subscription the server never answers', async () => {
    const server = await fake({ answer: 'silent' });
    const events = await stream(server, { subscribeTimeoutMs: 300 });
    const error = await events[Symbol.asyncIterator]().next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SubscriptionTimeoutError);
    expect((error as Error).message).toMatch(/did not answer the subscription to PlatformChannel .* within 0.3 s/);
  });

  it('resumes after the server restarts, subscribing again', async () => {
    const first = await fake();
    const events = await stream(first);
    await once(events, 'subscribed');
    const port = first.port;
    const disconnected = once(events, 'disconnected');
    await first.stop();
    cleanup.pop();
    await disconnected;
    const second = await fake({ port });
    await once(events, 'subscribed');
    const iterator = events[Symbol.asyncIterator]();
    second.broadcast(reference);
    await expect(nextEvent(iterator)).resolves.toMatchObject({ type: 'instance.created' });
  });

  it('detects a half-open connection with its ping watchdog and reconnects', async () => {
    const server = await fake();
    const events = await stream(server);
    await once(events, 'subscribed');
    server.pinging = false; // the socket stays open, but nothing arrives
    const disconnected = once(events, 'disconnected');
    await disconnected;
    server.pinging = true;
    await once(events, 'subscribed');
    expect(server.received.filter((f) => (f as { command: string }).command === 'subscribe')).toHaveLength(2);
  });

  it('reconnects after a disconnect frame', async () => {
    const server = await fake();
    const events = await stream(server);
    await once(events, 'subscribed');
    server.sendRaw('{"type":"disconnect","reason":"server_restart","reconnect":true}');
    await once(events, 'subscribed');
    expect(server.requests.length).toBe(2);
  });

  it('stops cleanly on abort', async () => {
    const server = await fake();
    const controller = new AbortController();
    const events = await stream(server, { signal: controller.signal });
    await once(events, 'subscribed');
    const pending = events[Symbol.asyncIterator]().next();
    controller.abort();
    await expect(pending).resolves.toEqual({ value: undefined, done: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(server.sockets.size).toBe(0);
  });

  it('refuses a bad platform id before connecting', async () => {
    const client = new Marketplace({ baseUrl: 'http://127.0.0.1:9', dialect: 'r2' });
    await expect(client.events.platform('not-a-uuid')).rejects.toThrow('platformId must be a UUID, got "not-a-uuid".');
  });
});
