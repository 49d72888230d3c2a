/**
 * The event stream end to end on `hsp serve` (PGlite in memory): how long from the REST call
 * that creates an instance until its event comes out of the SDK's iterator, and whether a
 * burst of creates reaches every subscriber exactly once.
 */
import { Marketplace } from '../dist/index.js';
import { createMarketplaceServer } from '../dist/server/index.js';
import { round } from './lib.mjs';

const LATENCY_INSTANCES = Number(process.env.HSP_BENCH_EVENTS ?? 1000);
const BURST = Number(process.env.HSP_BENCH_BURST ?? 1000);
const SUBSCRIBERS = 10;

/** @param {{ log: (message: string) => void }} ctx */
export default async function run(ctx) {
  const server = await createMarketplaceServer({ port: 0, memory: true });
  const admin = new Marketplace({ baseUrl: server.url, token: server.adminToken, dialect: 'r2', maxRetries: 0 });
  const streams = [];
  try {
    const me = (await admin.session.whoami()).user;
    const product = await admin.products.create({ name: 'Bench events' });
    const build = await admin.builds.create(product.id, { version: '1.0.0', container_repository: 'bench/app', container_tag: '1' });
    const platform = await admin.platforms.create(me.id, { name: 'bench-host' });
    const subscribe = async () => {
      const stream = await admin.events.platform(platform.id);
      streams.push(stream);
      await new Promise((resolve, reject) => {
        stream.once('subscribed', resolve);
        stream.once('error', reject);
      });
      return stream;
    };

    ctx.log(`events: latency over ${LATENCY_INSTANCES} creates, one at a time`);
    const stream = await subscribe();
    const iterator = stream[Symbol.asyncIterator]();
    const latencies = [];
    for (let i = 0; i < LATENCY_INSTANCES; i++) {
      const started = performance.now();
      const instance = await admin.instances.create(me.id, platform.id, { build_id: build.id });
      for (;;) {
        const { value } = await iterator.next();
        if (value.type === 'instance.created' && value.instanceId === instance.id) break;
      }
      latencies.push(performance.now() - started);
    }
    stream.close();
    const sorted = latencies.sort((a, b) => a - b);
    const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

    ctx.log(`events: burst of ${BURST} creates to ${SUBSCRIBERS} subscribers`);
    const listeners = await Promise.all(Array.from({ length: SUBSCRIBERS }, subscribe));
    const counts = listeners.map(() => new Map());
    const done = listeners.map(
      (listener, i) =>
        (async () => {
          let seen = 0;
          for await (const event of listener) {
            if (event.type !== 'instance.created') continue;
            counts[i].set(event.instanceId, (counts[i].get(event.instanceId) ?? 0) + 1);
            if (++seen === BURST) return;
          }
        })(),
    );
    const created = [];
    const burstStarted = performance.now();
    for (let i = 0; i < BURST; i += 20) {
      const batch = await Promise.all(Array.from({ length: Math.min(20, BURST - i) }, () => admin.instances.create(me.id, platform.id, { build_id: build.id })));
      created.push(...batch.map((b) => b.id));
    }
    const timeout = setTimeout(() => listeners.forEach((l) => l.close()), 60_000);
    await Promise.all(done);
    clearTimeout(timeout);
    const burstMs = performance.now() - burstStarted;
    const exactlyOnce = counts.every((map) => created.every((id) => map.get(id) === 1) && map.size === created.length);

    return [
      { figure: `REST create → event in iterator, p50 (${LATENCY_INSTANCES} instances)`, value: round(pct(50), 1), unit: 'ms' },
      { figure: `REST create → event in iterator, p99 (${LATENCY_INSTANCES} instances)`, value: round(pct(99), 1), unit: 'ms' },
      { figure: `burst of ${BURST} creates, ${SUBSCRIBERS} subscribers: all delivered`, value: round(burstMs / 1000, 1), unit: 's' },
      { figure: `every event delivered exactly once to each of ${SUBSCRIBERS} subscribers`, value: exactlyOnce ? 'yes' : 'no', target: 'yes', pass: exactlyOnce },
    ];
  } finally {
    for (const s of streams) s.close();
    await admin.close();
    await server.close();
  }
}
