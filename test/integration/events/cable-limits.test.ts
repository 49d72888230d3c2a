/**
 * The event stream's limits, with real sockets against `hsp serve`: subscriptions per
 * connection, connections per address, anonymous connections, frames per second, and a reader
 * that stops reading. Each test connects from an address of its own (Linux routes all of
 * 127.0.0.0/8 to loopback), so that one test's connections never count against another's.
 */
import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { PlatformEventStream } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';

const limits = {
  maxSubscriptionsPerConnection: 3,
  maxConnectionsPerAddress: 4,
  maxAnonymousConnections: 3,
  maxBufferedBytes: 64 * 1024,
  maxFrameBurst: 20,
  maxFramesPerSecond: 5,
};
const m = useMarketplace({ cable: { pingIntervalMs: 200, ...limits } });

const opened: { close(): void }[] = [];
afterEach(() => {
  for (const socket of opened.splice(0)) socket.close();
});

interface Frame {
  type?: string;
  identifier?: string;
  message?: { event_type?: string; model?: { instance?: { id?: string; launch_bindings?: { I?: string } } } };
  reason?: string;
}

/** A raw ActionCable client: every frame it receives, in order, and a way to wait for the next one that matters. */
class CableClient {
  readonly frames: Frame[] = [];
  private waiters: { match: (frame: Frame) => boolean; resolve: (frame: Frame) => void; reject: (error: Error) => void }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const frame = JSON.parse(String(data)) as Frame;
      if (frame.type === 'ping') return;
      this.frames.push(frame);
      for (const waiter of this.waiters.filter((w) => w.match(frame))) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      }
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        resolve({ code, reason: String(reason) });
        for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`closed (${code}) before a matching frame came`));
      }),
    );
  }

  /** The first frame (already received or still to come) that matches. */
  next(match: (frame: Frame) => boolean, timeoutMs = 5_000): Promise<Frame> {
    const found = this.frames.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (frame: Frame) => (clearTimeout(timer), resolve(frame)),
        reject: (error: Error) => (clearTimeout(timer), reject(error)),
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`no matching frame within ${timeoutMs} ms; got ${this.frames.length} frames, the last ${String(JSON.stringify(this.frames.at(-1))).slice(0, 300)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  send(frame: object): void {
    this.ws.send(JSON.stringify(frame));
  }

  /** Subscribes and resolves with the server's answer: confirm or reject. */
  async subscribe(identifier: string): Promise<Frame> {
    const answered = this.frames.length;
    this.send({ command: 'subscribe', identifier });
    return this.next((f) => this.frames.indexOf(f) >= answered && f.identifier === identifier && /_subscription$/.test(f.type ?? ''));
  }

  broadcasts(): Frame[] {
    return this.frames.filter((f) => f.message !== undefined);
  }

  close(): void {
    this.ws.terminate();
  }
}

type Opened = { client: CableClient } | { status: number; body: { message?: string }; retryAfter?: string };

/** Opens a socket from `from` (a loopback address); resolves once welcomed, or with the HTTP refusal. */
function connect(from: string, options: { token?: string; headers?: Record<string, string> } = {}): Promise<Opened> {
  const ws = new WebSocket(`${m.url.replace(/^http/, 'ws')}/websocket`, ['actioncable-v1-json'], {
    localAddress: from,
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...options.headers },
  });
  opened.push({ close: () => ws.terminate() });
  return new Promise((resolve, reject) => {
    const client = new CableClient(ws);
    client.next((f) => f.type === 'welcome').then(() => resolve({ client }), reject);
    ws.on('unexpected-response', (_req, res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as { message?: string }, retryAfter: res.headers['retry-after'] }));
    });
    ws.on('error', () => {});
  });
}

async function welcomed(from: string, token?: string): Promise<CableClient> {
  const result = await connect(from, { token });
  if (!('client' in result)) throw new Error(`refused with ${result.status}: ${result.body.message}`);
  return result.client;
}

function identifier(platformId: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ channel: 'PlatformChannel', platform_id: platformId, ...extra });
}

async function until(check: () => Promise<boolean> | boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function deployable(owner: TestUser): Promise<{ platformId: string; buildId: string }> {
  const platform = await owner.client.platforms.create(owner.id, { name: `limits-${Math.random()}` });
  const product = await m.admin.products.create({ name: `Limits ${Math.random()}` });
  await m.admin.products.publish(product.id);
  const build = await m.admin.builds.create(product.id, { version: '1.0.0', container_repository: 'example/app', container_tag: '1.0.0' });
  return { platformId: platform.id, buildId: build.id };
}

describe('event stream limits', () => {
  it(`refuses the subscription past ${limits.maxSubscriptionsPerConnection}, and counts one identifier subscribed twice once`, async () => {
    const owner = await m.user('Sue Scriber');
    const platforms = await Promise.all([1, 2, 3, 4].map(() => owner.client.platforms.create(owner.id, { name: `sub-${Math.random()}` })));
    const [p1, p2, p3, p4] = platforms.map((p) => p.id) as [string, string, string, string];
    const { buildId } = await deployable(owner);
    const client = await welcomed('127.0.0.2', owner.token);

    expect(await client.subscribe(identifier(p1))).toMatchObject({ type: 'confirm_subscription' });
    // The same subscription again, as sent and spelt another way: confirmed, not added.
    expect(await client.subscribe(identifier(p1))).toMatchObject({ type: 'confirm_subscription' });
    const reordered = JSON.stringify({ platform_id: p1, channel: 'PlatformChannel' });
    expect(await client.subscribe(reordered)).toMatchObject({ type: 'confirm_subscription' });
    expect(await client.subscribe(identifier(p2))).toMatchObject({ type: 'confirm_subscription' });
    expect(await client.subscribe(identifier(p3))).toMatchObject({ type: 'confirm_subscription' });
    expect(await client.subscribe(identifier(p4))).toEqual({
      identifier: identifier(p4),
      type: 'reject_subscription',
      reason: 'This connection already holds 3 subscriptions, the most allowed.',
    });

    // One event on p1 arrives once. NOTIFYs keep their order, so once p2's later event is
    // here, any duplicate of p1's would be here too.
    const first = await owner.client.instances.create(owner.id, p1, { build_id: buildId });
    const second = await owner.client.instances.create(owner.id, p2, { build_id: buildId });
    await client.next((f) => f.message?.model?.instance?.id === second.id);
    expect(client.broadcasts().filter((f) => f.message?.model?.instance?.id === first.id)).toEqual([
      expect.objectContaining({ identifier: identifier(p1), message: expect.objectContaining({ event_type: 'created' }) }),
    ]);

    // Unsubscribing frees a place.
    client.send({ command: 'unsubscribe', identifier: identifier(p3) });
    expect(await client.subscribe(identifier(p4))).toMatchObject({ type: 'confirm_subscription' });
  });

  it(`answers 429 past ${limits.maxConnectionsPerAddress} connections from one address, whatever X-Forwarded-For claims`, async () => {
    const owner = await m.user('Connie Nections');
    const held = await Promise.all([1, 2, 3, 4].map(() => welcomed('127.0.0.3', owner.token)));
    const refused = await connect('127.0.0.3', { token: owner.token });
    expect(refused).toEqual({
      status: 429,
      body: { status: 429, error: 'Too Many Requests', message: 'Too many event-stream connections from this address (at most 4); close some or try again later.' },
      retryAfter: '10',
    });
    // Anyone can send the header; it does not make one client many.
    await expect(connect('127.0.0.3', { token: owner.token, headers: { 'x-forwarded-for': '203.0.113.9' } })).resolves.toMatchObject({ status: 429 });
    // Other addresses are not affected.
    await welcomed('127.0.0.4', owner.token);
    // A closed connection frees its place.
    held[0]!.close();
    await until(async () => 'client' in (await connect('127.0.0.3', { token: owner.token })), 'a place is free again');
  });

  it(`answers 503 past ${limits.maxAnonymousConnections} anonymous connections, from any address, and still lets signed-in callers in`, async () => {
    const owner = await m.user('Anna Nymous');
    for (const from of ['127.0.0.5', '127.0.0.5', '127.0.0.6']) await welcomed(from);
    const refused = await connect('127.0.0.7');
    expect(refused).toEqual({
      status: 503,
      body: { status: 503, error: 'Service Unavailable', message: 'Too many anonymous event-stream connections (at most 3); sign in, or try again later.' },
      retryAfter: '10',
    });
    await welcomed('127.0.0.7', owner.token);
  });

  it('closes a client that sends more frames than allowed', async () => {
    const owner = await m.user('Flo Ood');
    const { platformId } = await deployable(owner);
    const client = await welcomed('127.0.0.8', owner.token);
    // A burst up to the limit is fine (a client subscribing to all it needs after a reconnect).
    for (let i = 0; i < limits.maxFrameBurst - 1; i++) client.send({ command: 'subscribe', identifier: identifier(platformId) });
    await client.next((f) => f.type === 'confirm_subscription');
    for (let i = 0; i < 50; i++) client.send({ command: 'subscribe', identifier: identifier(platformId) });
    await expect(client.closed).resolves.toEqual({ code: 1008, reason: 'More than 20 frames at once or 5 a second.' });
  });

  it('disconnects a reader that stopped reading, while a normal reader keeps receiving', async () => {
    const owner = await m.user('Slow Poke');
    const { platformId, buildId } = await deployable(owner);
    const instance = await owner.client.instances.create(owner.id, platformId, { build_id: buildId });
    const slow = await welcomed('127.0.0.9', owner.token);
    const normal = await welcomed('127.0.0.10', owner.token);
    // Three spellings with different params are three subscriptions: three copies of each event.
    for (const client of [slow, normal]) {
      for (const n of [1, 2, 3]) expect(await client.subscribe(identifier(platformId, { n }))).toMatchObject({ type: 'confirm_subscription' });
    }
    (slow.ws as unknown as { _socket: Socket })._socket.pause();

    // Enough to fill what the kernels hold for a stalled peer (the send buffer can grow to
    // tcp_wmem's maximum) twice over, and the server's own limit with it.
    const bindings = { PADDING: 'x'.repeat(6_000) };
    const kernelBytes = await readFile('/proc/sys/net/ipv4/tcp_wmem', 'utf8').then((text) => Number(text.trim().split(/\s+/)[2]), () => 4 * 1024 * 1024);
    const updates = Math.ceil((2 * (kernelBytes + limits.maxBufferedBytes)) / (3 * 6_000));
    for (let i = 0; i < updates; i++) {
      await m.server.db.query(`UPDATE instances SET launch_bindings = $1::jsonb WHERE id = $2`, [JSON.stringify({ ...bindings, I: String(i) }), instance.id]);
    }
    const last = await owner.client.instances.update(owner.id, platformId, instance.id, { launch_bindings: { I: 'last' } });
    // The normal reader got every event, three times over, and is still connected.
    await normal.next((f) => f.message?.model?.instance?.launch_bindings?.I === 'last', 30_000);
    const sent = (updates + 1) * 3;
    expect(normal.broadcasts().filter((f) => f.message?.event_type === 'updated')).toHaveLength(sent);
    expect(normal.ws.readyState).toBe(WebSocket.OPEN);
    expect(last.id).toBe(instance.id);

    // The slow one was closed part way: once the server has given up on its goodbye (a reader
    // that does not read never sees the close frame), reading again finds the data the
    // kernels held, then the end.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    (slow.ws as unknown as { _socket: Socket })._socket.resume();
    expect(await slow.closed).toMatchObject({ code: 1006 });
    const got = slow.broadcasts().length;
    expect(got).toBeLessThan(sent);
  }, 60_000);

  it('makes the SDK back off, not hammer, while it is refused, and recovers once there is room', async () => {
    const owner = await m.user('Patience');
    const { platformId } = await deployable(owner);
    const held = await Promise.all([1, 2, 3, 4].map(() => welcomed('127.0.0.11', owner.token)));
    const stream = await owner.client.events.platform(platformId, {
      agent: new Agent({ localAddress: '127.0.0.11' }),
      pingIntervalMs: 200,
      backoff: { initialMs: 50, maxMs: 400 },
    });
    opened.push(stream as PlatformEventStream);
    const errors: string[] = [];
    stream.on('error', (error) => errors.push(error.message));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    // With backoff: about ten attempts in 2 s (50, 100, 200, then 400 ms ceilings, full jitter); a tight loop would make hundreds.
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.length).toBeLessThan(40);
    // The refusal's sentence reaches the user; its Retry-After (10 s) is capped by the client's own 400 ms backoff ceiling.
    for (const error of errors) expect(error).toMatch(/^Could not open the event stream: the server answered HTTP 429 instead of opening a WebSocket \(.+\)\.$/);

    for (const client of held) client.close();
    await new Promise<void>((resolve) => stream.once('subscribed', resolve));
  });
});
