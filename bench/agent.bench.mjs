/**
 * The platform agent end to end: `hsp agent listen --orchestrator dry-run` (the built bin/hsp in
 * a child process, as an operator runs it) against `hsp serve` in memory, then (with
 * HSP_BENCH_DATABASE_URL or HSP_TEST_DATABASE_URL) on a scratch PostgreSQL database.
 *
 * - Latency: from the REST call that creates an instance to the agent's report landing on it
 *   (the instance's `updated` event with `deployed_at` set), one instance at a time.
 * - Burst: many creates at once, timed until every report has landed (the creates' own time is
 *   shown beside it: the agent cannot finish before the marketplace has created them); every
 *   instance deployed exactly once (the dry-run orchestrator logs each deploy call it gets), and
 *   each one's own report converging to nothing.
 * - Reconcile at start: an agent started on a platform of new instances (it deploys them all),
 *   then restarted on the same, now reported, instances (it must deploy none).
 *
 * The marketplace runs in a worker thread, so this thread's creates and event watching do not
 * slow it down; the agent has its own process.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Marketplace } from '../dist/index.js';
import { round, scratchDatabase, startMarketplaceWorker, target } from './lib.mjs';

const LATENCY_INSTANCES = Number(process.env.HSP_BENCH_AGENT_LATENCY ?? 500);
const BURST = Number(process.env.HSP_BENCH_AGENT_BURST ?? 1000);
const RECONCILE = Number(process.env.HSP_BENCH_AGENT_RECONCILE ?? 1000);
const CONCURRENCY = 8;
const BIN = fileURLToPath(new URL('../bin/hsp', import.meta.url));
/** Long enough for a thousand deploys on a busy machine; only a hang ever waits this long. */
const PHASE_TIMEOUT_MS = 120_000;

/** @param {{ log: (message: string) => void }} ctx */
export default async function run(ctx) {
  const rows = await measureAgent('PGlite', {}, ctx);
  const postgresUrl = process.env.HSP_BENCH_DATABASE_URL || process.env.HSP_TEST_DATABASE_URL;
  if (!postgresUrl) return [...rows, { figure: 'PostgreSQL: skipped (set HSP_BENCH_DATABASE_URL or HSP_TEST_DATABASE_URL)' }];
  const { databaseUrl, drop } = await scratchDatabase(postgresUrl);
  try {
    return [...rows, ...(await measureAgent('PostgreSQL', { databaseUrl }, ctx))];
  } finally {
    await drop();
  }
}

/** Every figure against one marketplace: on PGlite in memory, or on a PostgreSQL database. */
async function measureAgent(engine, serverOptions, ctx) {
  const server = await startMarketplaceWorker(serverOptions);
  const admin = new Marketplace({ baseUrl: server.url, token: server.adminToken, dialect: 'r2', maxRetries: 0 });
  const configDir = await mkdtemp(join(tmpdir(), 'hsp-bench-agent-'));
  const agents = [];
  const streams = [];
  const env = {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HSP_'))),
    HSP_URL: server.url,
    HSP_TOKEN: server.adminToken,
    HSP_CONFIG_DIR: configDir,
    HSP_LOG_LEVEL: 'debug',
  };
  const startAgent = (platformId) => {
    const agent = agentProcess(env, platformId);
    agents.push(agent);
    return agent;
  };
  try {
    const me = (await admin.session.whoami()).user;
    const product = await admin.products.create({ name: 'Bench agent' });
    await admin.products.publish(product.id);
    const build = await admin.builds.create(product.id, { version: '1.0.0', container_repository: 'bench/app', container_tag: '1' });
    const configuration = await admin.configurations.create(product.id, build.id, { name: 'default' });
    await admin.tasks.create(product.id, build.id, configuration.id, { name: 'web', ports: [8080], memory: 256 });
    const create = (platformId, id = randomUUID()) => admin.instances.create(me.id, platformId, { id, build_id: build.id, launch_bindings: { environment: { GREETING: 'hello' } } });

    // Reports as the marketplace sees them land: `updated` events carrying deployed_at.
    const platform = await admin.platforms.create(me.id, { name: 'bench-agent-host' });
    const reports = await watchReports(admin, platform.id, streams);
    const agent = startAgent(platform.id);
    await agent.waitFor((line) => line.event === 'reconcile.done', 'the first reconcile');

    ctx.log(`agent (${engine}): create → report landed, ${LATENCY_INSTANCES} instances one at a time`);
    const latencies = [];
    for (let i = 0; i < LATENCY_INSTANCES; i++) {
      const id = randomUUID();
      const landed = reports.next(id);
      const started = performance.now();
      await create(platform.id, id);
      await landed;
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];

    ctx.log(`agent (${engine}): burst of ${BURST} creates`);
    const burstIds = Array.from({ length: BURST }, () => randomUUID());
    const burstLanded = Promise.all(burstIds.map((id) => reports.next(id)));
    const burstStarted = performance.now();
    for (let i = 0; i < BURST; i += 20) await Promise.all(burstIds.slice(i, i + 20).map((id) => create(platform.id, id)));
    const createdMs = performance.now() - burstStarted;
    await withTimeout(burstLanded, 'the burst reports');
    const burstMs = performance.now() - burstStarted;
    // Each report comes back as an update event; wait until the agent has found each unchanged.
    await withTimeout(Promise.all(burstIds.map((id) => agent.waitFor((line) => line.event === 'instance.unchanged' && line.instance === id, `the echo of ${id}`))), 'the echoes');
    const once = burstIds.every((id) => agent.deploys(id) === 1);

    ctx.log(`agent (${engine}): reconcile at start, ${RECONCILE} instances`);
    await agent.stop();
    const away = await admin.platforms.create(me.id, { name: 'bench-agent-away' });
    for (let i = 0; i < RECONCILE; i += 20) await Promise.all(Array.from({ length: Math.min(20, RECONCILE - i) }, () => create(away.id)));
    const first = startAgent(away.id);
    const deployAll = await first.waitFor((line) => line.event === 'reconcile.done', 'the reconcile of new instances', PHASE_TIMEOUT_MS);
    const deployedAll = first.deployed() === RECONCILE && first.totalDeploys() === RECONCILE;
    await first.stop();
    const second = startAgent(away.id);
    const unchanged = await second.waitFor((line) => line.event === 'reconcile.done', 'the reconcile of reported instances', PHASE_TIMEOUT_MS);
    const redeployed = second.totalDeploys();
    await second.stop();

    return [
      { figure: `${engine}: REST create → agent's report on the instance, p50 (${LATENCY_INSTANCES} instances)`, value: round(pct(50), 1), unit: 'ms' },
      { figure: `${engine}: REST create → agent's report on the instance, p99 (${LATENCY_INSTANCES} instances)`, value: round(pct(99), 1), unit: 'ms', ...target(round(pct(99), 1), '<', 50, ' ms') },
      { figure: `${engine}: burst of ${BURST} creates: the creates alone answered (20 at a time)`, value: round(createdMs / 1000, 1), unit: 's' },
      { figure: `${engine}: burst of ${BURST} creates: all reported`, value: round(burstMs / 1000, 1), unit: 's', ...target(round(burstMs / 1000, 1), '<=', 3, ' s') },
      { figure: `${engine}: burst of ${BURST} creates: each deployed exactly once, its report a no-op`, value: once ? 'yes' : 'no', target: 'yes', pass: once },
      { figure: `${engine}: start on ${RECONCILE} new instances: reconciled (all deployed and reported)`, value: round(deployAll.ms / 1000, 2), unit: 's' },
      { figure: `${engine}: start on ${RECONCILE} new instances: each deployed exactly once`, value: deployedAll ? 'yes' : 'no', target: 'yes', pass: deployedAll },
      { figure: `${engine}: start on ${RECONCILE} reported instances: reconciled`, value: round(unchanged.ms / 1000, 2), unit: 's' },
      { figure: `${engine}: start on ${RECONCILE} reported instances: redeployed`, value: redeployed, ...target(redeployed, '<=', 0) },
    ];
  } finally {
    for (const agent of agents) await agent.stop();
    for (const stream of streams) stream.close();
    await admin.close();
    await server.close();
    await rm(configDir, { recursive: true, force: true });
  }
}

/**
 * Per instance id, a promise of the first `updated` event showing it deployed. Waiters are
 * registered before the create, so an early event is never missed.
 */
async function watchReports(client, platformId, streams) {
  const stream = await client.events.platform(platformId, { maxBuffered: 100_000 });
  streams.push(stream);
  await new Promise((resolve, reject) => {
    stream.once('subscribed', resolve);
    stream.once('error', reject);
  });
  const waiting = new Map();
  void (async () => {
    for await (const event of stream) {
      if (event.type !== 'instance.updated' || !event.instance.deployed_at) continue;
      const resolve = waiting.get(event.instanceId);
      waiting.delete(event.instanceId);
      resolve?.();
    }
  })();
  return { next: (id) => new Promise((resolve) => waiting.set(id, resolve)) };
}

/** `hsp agent listen` in a child process, its JSON log lines parsed as they come. */
function agentProcess(env, platformId) {
  const child = spawn(process.execPath, [BIN, 'agent', 'listen', '--platform', platformId, '--orchestrator', 'dry-run', '--concurrency', String(CONCURRENCY)], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  const deploys = new Map();
  let waiters = [];
  let pending = '';
  let stderr = '';
  const exited = new Promise((resolve) => child.on('close', resolve));
  child.stderr.setEncoding('utf8').on('data', (chunk) => (stderr += chunk));
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    pending += chunk;
    const parts = pending.split('\n');
    pending = parts.pop();
    for (const text of parts) {
      const line = JSON.parse(text);
      lines.push(line);
      // The dry-run orchestrator logs every deploy call it gets.
      if (line.event === 'dry_run.deploy') deploys.set(line.instance_id, (deploys.get(line.instance_id) ?? 0) + 1);
      waiters = waiters.filter((waiter) => !(waiter.match(line) && (waiter.resolve(line), true)));
    }
  });
  return {
    waitFor(match, what, timeoutMs = PHASE_TIMEOUT_MS) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return withTimeout(
        new Promise((resolve, reject) => {
          waiters.push({ match, resolve });
          void exited.then(() => reject(new Error(`hsp agent listen exited while the bench waited for ${what}: ${stderr.trim()}`)));
        }),
        what,
        timeoutMs,
      );
    },
    deploys: (id) => deploys.get(id) ?? 0,
    deployed: () => deploys.size,
    totalDeploys: () => [...deploys.values()].reduce((a, b) => a + b, 0),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

function withTimeout(promise, what, ms = PHASE_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`Timed out after ${ms / 1000} s waiting for ${what}.`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
