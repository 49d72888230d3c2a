/**
 * Marketplace Service throughput and latency under 8 concurrent keep-alive clients, on PGlite
 * and on PostgreSQL, each judged against a bare Fastify route that returns a constant (the
 * framework ceiling): `GET /products?per_page=30` anonymous (60 published products) and signed
 * in (the administrator), `GET /status` (anonymous) and `POST /products` (administrator, a new
 * name each time). Ratios are server req/s ÷ ceiling req/s, measured in interleaved rounds
 * (ceiling, server, server, ceiling, ...) so that load from elsewhere hits both alike; the ratio
 * is the median of the rounds'.
 *
 * Every server runs in a worker thread, so the load generator (this thread) does not share its
 * event loop. The PostgreSQL rows need HSP_BENCH_DATABASE_URL or HSP_TEST_DATABASE_URL (a
 * server where a scratch database may be created); without either they say "skipped".
 * HSP_BENCH_SECONDS sets each figure's measured time (default 6 s, in 3 rounds), e.g. 3 for a
 * quick check.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';
import { median, round, scratchDatabase, target } from './lib.mjs';

const CONCURRENCY = 8;
const SECONDS = Number(process.env.HSP_BENCH_SECONDS) > 0 ? Number(process.env.HSP_BENCH_SECONDS) : 6;
/** Rounds of (ceiling, server) per figure; each measures SECONDS / ROUNDS on both. */
const ROUNDS = 3;
/** Requests before each figure that are not counted (JIT, pools, plan caches). */
const WARMUP_SECONDS = Math.min(1, SECONDS / 5);
const PUBLISHED_PRODUCTS = 60;
const LIST_PATH = '/products?per_page=30';

/** The targets, as ratios to the ceiling, by figure and engine (absent: no target). */
const TARGETS = {
  'GET /products?per_page=30 anonymous': { PGlite: 0.25, PostgreSQL: 0.25 },
  'GET /products?per_page=30 signed in': { PGlite: 0.1, PostgreSQL: 0.1 },
  'GET /status': { PGlite: 0.4, PostgreSQL: 0.4 },
  'POST /products': { PGlite: 0.05 },
};

/** @param {{ log: (message: string) => void }} ctx */
export default async function run(ctx) {
  const rows = [];
  return withServer({ kind: 'ceiling' }, async (ceiling) => {
    ctx.log(`ceiling: bare Fastify route, ${CONCURRENCY} clients`);
    const alone = await load(ceiling.url, { method: 'GET', path: '/constant' }, SECONDS / ROUNDS);
    rows.push(...describe('ceiling: bare Fastify GET returning a constant', alone));

    ctx.log('PGlite (in memory)');
    rows.push(...(await measureMarketplace('PGlite', { kind: 'marketplace', options: { memory: true } }, ceiling, ctx)));

    const postgresUrl = process.env.HSP_BENCH_DATABASE_URL || process.env.HSP_TEST_DATABASE_URL;
    if (!postgresUrl) {
      rows.push({ figure: 'PostgreSQL: skipped (set HSP_BENCH_DATABASE_URL or HSP_TEST_DATABASE_URL)' });
    } else {
      ctx.log('PostgreSQL (scratch database)');
      const { databaseUrl, drop } = await scratchDatabase(postgresUrl);
      try {
        rows.push(...(await measureMarketplace('PostgreSQL', { kind: 'marketplace', options: { databaseUrl } }, ceiling, ctx)));
      } finally {
        await drop();
      }
    }
    return rows;
  });
}

/** Every figure on one engine: seed, then the reads, then the create. */
async function measureMarketplace(engine, spec, ceiling, ctx) {
  return withServer(spec, async (server) => {
    const admin = { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' };
    const agent = new Agent({ connections: CONCURRENCY });
    try {
      for (let i = 0; i < PUBLISHED_PRODUCTS; i++) {
        const when = '2020-01-01T00:00:00Z';
        const body = JSON.stringify({ name: `Listed app ${i}`, description: `Product ${i} for the benchmark.`, published_at: when, visible_at: when });
        const response = await request(`${server.url}/products`, { method: 'POST', headers: admin, body, dispatcher: agent });
        if (response.statusCode !== 201) throw new Error(`seeding: POST /products answered ${response.statusCode}: ${await response.body.text()}`);
        await response.body.dump();
      }
    } finally {
      await agent.close();
    }
    // The page measured below really is 30 published products, not an error or an empty list.
    for (const headers of [{}, { authorization: admin.authorization }]) {
      const page = await request(`${server.url}${LIST_PATH}`, { headers }).then((r) => r.body.json());
      if (page?.results?.length !== 30 || page.total_entries !== PUBLISHED_PRODUCTS) {
        throw new Error(`${LIST_PATH} is not a page of 30 of ${PUBLISHED_PRODUCTS}: ${JSON.stringify(page).slice(0, 200)}`);
      }
    }

    const batch = randomBytes(4).toString('hex');
    let created = 0;
    let asked = 0;
    const figures = [
      ['GET /products?per_page=30 anonymous', { method: 'GET', path: LIST_PATH }],
      ['GET /products?per_page=30 signed in', { method: 'GET', path: LIST_PATH, headers: { authorization: admin.authorization } }],
      // The same page under a URL never asked before (an ignored parameter): no answer is kept for it.
      ['GET /products?per_page=30 signed in, a URL never asked before', { method: 'GET', path: () => `${LIST_PATH}&unseen=${asked++}`, headers: { authorization: admin.authorization } }],
      ['GET /status', { method: 'GET', path: '/status' }],
      ['POST /products', { method: 'POST', path: '/products', headers: admin, expect: 201, body: () => JSON.stringify({ name: `Bench ${batch} ${created++}`, description: 'Created under load.' }) }],
    ];
    const rows = [];
    for (const [name, spec] of figures) {
      ctx.log(`${engine}: ${name}`);
      const { result, ratio } = await againstCeiling(server.url, spec, ceiling.url);
      rows.push(...describe(`${engine}: ${name}`, result, ratio, TARGETS[name]?.[engine]));
    }
    return rows;
  });
}

/**
 * One figure in ROUNDS rounds, each measuring the ceiling and the server for SECONDS / ROUNDS
 * (the order alternating), after a warm-up of both. The result sums the server's rounds; the
 * ratio is the median of the rounds' ratios.
 */
async function againstCeiling(url, spec, ceilingUrl) {
  const constant = { method: 'GET', path: '/constant' };
  const slice = SECONDS / ROUNDS;
  await load(ceilingUrl, constant, WARMUP_SECONDS, false);
  await load(url, spec, WARMUP_SECONDS, false);
  const ratios = [];
  const results = [];
  for (let i = 0; i < ROUNDS; i++) {
    const pair = i % 2 ? [() => load(url, spec, slice), () => load(ceilingUrl, constant, slice)] : [() => load(ceilingUrl, constant, slice), () => load(url, spec, slice)];
    const first = await pair[0]();
    const second = await pair[1]();
    const [server, ceiling] = i % 2 ? [first, second] : [second, first];
    ratios.push(server.rps / ceiling.rps);
    results.push(server);
  }
  const latencies = results.flatMap((r) => r.latencies).sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  const result = {
    rps: median(results.map((r) => r.rps)),
    p50: at(0.5),
    p99: at(0.99),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
  };
  return { result, ratio: median(ratios) };
}

/** Two rows per measurement: throughput (with its ratio to the ceiling, judged when it has a target) and latency. */
function describe(label, result, ratio, limit) {
  const errors = result.errors ? `, ${result.errors} errors` : '';
  const judged = ratio !== undefined && limit !== undefined ? target(round(ratio, 3), '>=', limit) : {};
  return [
    {
      figure: `${label}: req/s (${CONCURRENCY} clients${errors}), ratio to the ceiling`,
      value: Math.round(result.rps),
      unit: 'req/s',
      ...(ratio !== undefined ? { ratio: round(ratio, 3) } : {}),
      ...judged,
    },
    { figure: `${label}: p50 / p99 latency`, value: `${round(result.p50, 2)} / ${round(result.p99, 2)}`, unit: 'ms' },
  ];
}

/**
 * `CONCURRENCY` clients, each sending its next request as soon as the previous answer is read,
 * on keep-alive connections, for `seconds`. Responses other than `expect` count as errors (and
 * are not timed). `record: false` is a warm-up: nothing is counted.
 */
async function load(baseUrl, { method, path, headers = {}, body, expect = 200 }, seconds, record = true) {
  const agent = new Agent({ connections: CONCURRENCY, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies = [];
  let errors = 0;
  let firstError;
  const client = async (until) => {
    while (performance.now() < until) {
      const started = performance.now();
      const response = await request(`${baseUrl}${typeof path === 'function' ? path() : path}`, { method, headers, body: body ? body() : undefined, dispatcher: agent });
      await response.body.dump({ limit: Infinity });
      if (!record) continue;
      if (response.statusCode === expect) latencies.push(performance.now() - started);
      else {
        errors++;
        firstError ??= response.statusCode;
      }
    }
  };
  try {
    const started = performance.now();
    const until = started + seconds * 1000;
    await Promise.all(Array.from({ length: CONCURRENCY }, () => client(until)));
    const elapsed = (performance.now() - started) / 1000;
    if (!record) return undefined;
    if (latencies.length === 0) throw new Error(`${method} ${typeof path === 'function' ? path() : path}: no request succeeded (first status ${firstError})`);
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99), errors, latencies };
  } finally {
    await agent.close();
  }
}

/** Starts a server in a worker thread, runs `work(server)`, and stops it whatever happens. */
async function withServer(spec, work) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { hspServerBench: spec } });
  const failed = once(worker, 'error').then(([error]) => Promise.reject(error));
  failed.catch(() => {});
  const [server] = await Promise.race([once(worker, 'message'), failed]);
  try {
    return await work(server);
  } finally {
    worker.postMessage('close');
    await Promise.race([once(worker, 'message'), failed, new Promise((resolve) => setTimeout(resolve, 10_000))]).catch(() => {});
    await worker.terminate();
  }
}

/** Worker side: the server, its URL (and admin token) to the parent, closed on request. */
async function serveInWorker(spec) {
  let server;
  if (spec.kind === 'ceiling') {
    const { default: Fastify } = await import('fastify');
    const app = Fastify({ logger: false });
    const constant = { message: 'This application server appears to be healthy.' };
    app.get('/constant', async () => constant);
    await app.listen({ port: 0, host: '127.0.0.1' });
    server = { url: `http://127.0.0.1:${app.server.address().port}`, close: () => app.close() };
  } else {
    const { createMarketplaceServer } = await import('../dist/server/index.js');
    server = await createMarketplaceServer({ port: 0, ...spec.options });
  }
  parentPort.once('message', async () => {
    await server.close();
    parentPort.postMessage('closed');
  });
  parentPort.postMessage({ url: server.url, adminToken: server.adminToken });
}

// Not awaited, as in lib.mjs: a failure is an unhandled rejection, which ends the worker and
// rejects `withServer` through the 'error' event.
if (!isMainThread && workerData?.hspServerBench) {
  void serveInWorker(workerData.hspServerBench);
}
