/**
 * Shared measuring helpers for the benchmark files. Nothing here knows about a particular
 * benchmark: timing, interleaved rounds, medians, targets, heap sampling, a worker-thread
 * HTTP server, the Marketplace Service in a worker thread, a scratch PostgreSQL database.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

/** Median of a non-empty list of numbers (mean of the middle two for even lengths). */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Median of the per-round ratios `b[i] / a[i]` of two interleaved sample lists. Each pair was
 * measured back to back, so load that comes and goes during the run cancels out within a pair.
 * @param {number[]} b
 * @param {number[]} a
 */
export function medianRatio(b, a) {
  return median(b.map((value, i) => value / a[i]));
}

/** Wall time of one call of an async function, in milliseconds. */
export async function timeMs(fn) {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

/**
 * Runs every variant once per round (A, B, A, B, ...) so that drift in machine load, CPU clock
 * or JIT state hits all of them alike; only comparisons made this way are trusted.
 * Each round starts one variant further along (A B, then B A, ...) because on a busy machine
 * the position inside a round was seen to bias a sample by several percent.
 * A full GC before each sample (when `gc` is given) keeps one variant's garbage from being
 * billed to the next.
 *
 * @param {Record<string, () => Promise<unknown>>} variants
 * @param {{ warmup?: number, rounds?: number, gc?: () => void }} [options]
 * @returns {Promise<Record<string, number[]>>} the measured samples (ms) per variant, warm-up
 *   excluded; index i of every list belongs to the same round
 */
export async function interleave(variants, { warmup = 3, rounds = 9, gc } = {}) {
  const entries = Object.entries(variants);
  const samples = Object.fromEntries(entries.map(([name]) => [name, []]));
  for (let round = 0; round < warmup + rounds; round++) {
    for (let k = 0; k < entries.length; k++) {
      const [name, fn] = entries[(round + k) % entries.length];
      gc?.();
      const ms = await timeMs(fn);
      if (round >= warmup) samples[name].push(ms);
    }
  }
  return samples;
}

/**
 * A target and whether `value` meets it, as row fields.
 * @param {number} value
 * @param {'<' | '<=' | '>' | '>='} op
 * @param {number} limit
 * @param {string} [unit] shown after the limit, e.g. ' MB'
 */
export function target(value, op, limit, unit = '') {
  const pass = { '<': value < limit, '<=': value <= limit, '>': value > limit, '>=': value >= limit }[op];
  return { target: `${op} ${limit}${unit}`, pass };
}

/** `heapUsed` in MB right after a full collection, so only live objects count. */
export function liveHeapMB(gc) {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Rounds to `digits` decimals for display. */
export function round(value, digits = 2) {
  return Number(value.toFixed(digits));
}

/**
 * Starts an HTTP server on 127.0.0.1 in a worker thread and resolves to its base URL.
 *
 * Why a worker: the server then has its own event loop and heap, so it neither competes with
 * the client under test for the main thread nor shows up in the main isolate's `heapUsed`.
 *
 * @param {URL | string} moduleUrl a module exporting `factoryName`
 * @param {string} factoryName `(options) => (req, res) => void`, called inside the worker
 * @param {unknown} [options] passed to the factory (must be structured-cloneable)
 * @returns {Promise<{ baseUrl: string, close: () => Promise<void> }>}
 */
export async function startServerWorker(moduleUrl, factoryName, options) {
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { benchServer: { module: String(moduleUrl), factoryName, options } },
  });
  const [message] = await Promise.race([
    once(worker, 'message'),
    once(worker, 'error').then(([error]) => Promise.reject(error)),
  ]);
  return {
    baseUrl: `http://127.0.0.1:${message.port}`,
    close: async () => {
      await worker.terminate();
    },
  };
}

/** Worker side of `startServerWorker`: build the handler, listen, report the port. */
async function serveFromWorker({ module, factoryName, options }) {
  const factory = (await import(module))[factoryName];
  const server = createServer(await factory(options));
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  parentPort.postMessage({ port: server.address().port });
}

/**
 * `hsp serve --memory` (the built one, from dist/) in a worker thread, for benchmarks of its
 * clients: its database work then never delays the client's timers or event handling.
 * `databaseUrl` puts it on PostgreSQL instead; `setup` names a function (`name` exported by
 * the module at `module`) the worker calls with the started server before it reports, for
 * work that needs the server's own database (seeding it faster than its API can).
 *
 * @param {{ databaseUrl?: string, setup?: { module: string, name: string } }} [options]
 * @returns {Promise<{ url: string, adminToken: string, ui: { url: string } | { off: string | undefined }, close: () => Promise<void> }>}
 */
export async function startMarketplaceWorker(options = {}) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { marketplaceServer: options } });
  const failed = once(worker, 'error').then(([error]) => Promise.reject(error));
  failed.catch(() => {});
  const [{ url, adminToken, ui }] = await Promise.race([once(worker, 'message'), failed]);
  return {
    url,
    adminToken,
    ui,
    async close() {
      worker.postMessage('close');
      await Promise.race([once(worker, 'message'), failed, new Promise((resolve) => setTimeout(resolve, 10_000))]).catch(() => {});
      await worker.terminate();
    },
  };
}

/** Worker side of `startMarketplaceWorker`: start, report the URL and token, close on request. */
async function serveMarketplaceFromWorker(options) {
  const { createMarketplaceServer } = await import('../dist/server/index.js');
  const server = await createMarketplaceServer({ port: 0, ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : { memory: true }) });
  if (options.setup) await (await import(options.setup.module))[options.setup.name](server);
  parentPort.once('message', async () => {
    await server.close();
    parentPort.postMessage('closed');
  });
  parentPort.postMessage({ url: server.url, adminToken: server.adminToken, ui: server.ui });
}

/**
 * A database of its own on a PostgreSQL server (`baseUrl` names one where databases may be
 * created), dropped by `drop()`.
 * @param {string} baseUrl
 * @returns {Promise<{ databaseUrl: string, drop: () => Promise<void> }>}
 */
export async function scratchDatabase(baseUrl) {
  const { default: pg } = await import('pg');
  const name = `hsp_bench_${randomBytes(6).toString('hex')}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: baseUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return { databaseUrl: url.href, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

// Not awaited on purpose: the factory's module imports this one, and a top-level await here
// would make that import wait for this module to finish evaluating, which waits for it.
// A failure is an unhandled rejection, which ends the worker and rejects `startServerWorker`.
if (!isMainThread && workerData?.benchServer) {
  void serveFromWorker(workerData.benchServer);
}
if (!isMainThread && workerData?.marketplaceServer) {
  void serveMarketplaceFromWorker(workerData.marketplaceServer);
}
