/**
 * The platform agent on a real Docker Engine: `hsp agent listen --orchestrator docker` (the
 * built bin/hsp in a child process) deploying a busybox httpd image from a registry on
 * loopback, for instances of `hsp serve --memory` (in a worker thread).
 *
 * - Latency: from the REST call that creates an instance to the agent's report landing on it
 *   (the instance's `updated` event with `deployed_at` set), the report being written once the
 *   container runs; one instance at a time.
 * - Burst: 50 creates at once, until all 50 are reported; then the Engine is asked whether all
 *   50 containers run.
 *
 * The engine, registry and image come from `scripts/docker-sandbox.sh` (its HSP_TEST_*
 * variables when set; otherwise this file starts a sandbox of its own when it can, as root
 * with Debian's docker.io, docker-registry and busybox-static, and stops it afterwards).
 * Without one, the table has a row saying why the figures were skipped.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from 'undici';
import { Marketplace } from '../dist/index.js';
import { round, startMarketplaceWorker } from './lib.mjs';

const LATENCY_INSTANCES = Number(process.env.HSP_BENCH_DOCKER_LATENCY ?? 20);
const BURST = Number(process.env.HSP_BENCH_DOCKER_BURST ?? 50);
const CONCURRENCY = 8;
const BIN = fileURLToPath(new URL('../bin/hsp', import.meta.url));
const SANDBOX_SCRIPT = fileURLToPath(new URL('../scripts/docker-sandbox.sh', import.meta.url));
const VARIABLES = ['HSP_TEST_DOCKER_HOST', 'HSP_TEST_REGISTRY', 'HSP_TEST_IMAGE_HTTPD'];
/** Long enough for 50 deploys on a busy machine; only a hang ever waits this long. */
const PHASE_TIMEOUT_MS = 240_000;

/** @param {{ log: (message: string) => void }} ctx */
export default async function run(ctx) {
  const unavailable = skipReason();
  if (unavailable) return [{ figure: `docker: skipped (${unavailable})` }];

  let sandbox;
  let env = process.env;
  if (!VARIABLES.every((name) => process.env[name])) {
    ctx.log('docker: starting a Docker Engine and registry (scripts/docker-sandbox.sh)');
    const { stdout } = await promisify(execFile)('bash', [SANDBOX_SCRIPT, 'start'], { timeout: 180_000 });
    // `export NAME=value` lines, the value escaped by the shell's `printf %q` (backslashes).
    env = Object.fromEntries([...stdout.matchAll(/^export (\w+)=(.*)$/gm)].map(([, name, value]) => [name, value.replace(/\\(.)/g, '$1')]));
    sandbox = env.HSP_DOCKER_SANDBOX;
  }
  const dockerHost = env.HSP_TEST_DOCKER_HOST;
  const image = env.HSP_TEST_IMAGE_HTTPD;
  const engine = engineClient(dockerHost);
  const server = await startMarketplaceWorker();
  const admin = new Marketplace({ baseUrl: server.url, token: server.adminToken, dialect: 'r2', maxRetries: 0 });
  const configDir = await mkdtemp(join(tmpdir(), 'hsp-bench-docker-'));
  const streams = [];
  let agent;
  let platform;
  try {
    const me = (await admin.session.whoami()).user;
    const product = await admin.products.create({ name: 'Bench docker' });
    await admin.products.publish(product.id);
    const colon = image.lastIndexOf(':');
    const build = await admin.builds.create(product.id, { version: '1.0.0', container_repository: image.slice(0, colon), container_tag: image.slice(colon + 1) });
    const configuration = await admin.configurations.create(product.id, build.id, { name: 'default' });
    await admin.tasks.create(product.id, build.id, configuration.id, { name: 'web', ports: [8080], memory: 64, environment: [{ key: 'GREETING', description: 'what to say', default: 'hello' }] });
    const create = (id) => admin.instances.create(me.id, platform.id, { id, build_id: build.id });

    platform = await admin.platforms.create(me.id, { name: 'bench-docker-host' });
    const reports = await watchReports(admin, platform.id, streams);
    agent = agentProcess(
      {
        ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('HSP_') && name !== 'DOCKER_HOST')),
        HSP_URL: server.url,
        HSP_TOKEN: server.adminToken,
        HSP_CONFIG_DIR: configDir,
      },
      ['--platform', platform.id, '--orchestrator', 'docker', '--docker-host', dockerHost, '--concurrency', String(CONCURRENCY)],
    );
    const connected = await agent.waitFor((line) => line.event === 'docker.connected', 'the connection to the Docker Engine');
    await agent.waitFor((line) => line.event === 'reconcile.done', 'the first reconcile');

    // One first deploy, not measured: the Engine pulls the image from the registry once.
    ctx.log('docker: first deploy (pulls the image)');
    const warm = randomUUID();
    const warmLanded = reports.next(warm);
    await create(warm);
    await withTimeout(warmLanded, 'the first report');

    ctx.log(`docker: create → running container → report, ${LATENCY_INSTANCES} instances one at a time`);
    const latencies = [];
    for (let i = 0; i < LATENCY_INSTANCES; i++) {
      const id = randomUUID();
      const landed = reports.next(id);
      const started = performance.now();
      await create(id);
      await withTimeout(landed, `the report of ${id}`);
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];

    ctx.log(`docker: burst of ${BURST} creates`);
    const burstIds = Array.from({ length: BURST }, () => randomUUID());
    const burstLanded = Promise.all(burstIds.map((id) => reports.next(id)));
    const burstStarted = performance.now();
    await Promise.all(burstIds.map((id) => create(id)));
    await withTimeout(burstLanded, 'the burst reports');
    const burstMs = performance.now() - burstStarted;
    const running = await runningInstances(engine, platform.id);
    const burstRunning = burstIds.filter((id) => running.has(id)).length;

    return [
      { figure: `docker: Engine API version spoken (${connected.docker_host.startsWith('unix:') ? 'unix socket' : 'TCP'})`, value: connected.api_version },
      { figure: `docker: REST create → running container → report on the instance, p50 (${LATENCY_INSTANCES} instances)`, value: round(pct(50), 1), unit: 'ms' },
      { figure: `docker: REST create → running container → report on the instance, p99 (${LATENCY_INSTANCES} instances)`, value: round(pct(99), 1), unit: 'ms' },
      { figure: `docker: burst of ${BURST} creates: all running and reported`, value: round(burstMs / 1000, 1), unit: 's' },
      { figure: `docker: burst of ${BURST} creates: containers the Engine says run`, value: burstRunning, target: `= ${BURST}`, pass: burstRunning === BURST },
    ];
  } finally {
    await agent?.stop();
    for (const stream of streams) stream.close();
    if (platform && !sandbox) await removeContainers(engine, platform.id).catch((error) => ctx.log(`docker: cleanup failed: ${error.message}`));
    await engine.close();
    await admin.close();
    await server.close();
    await rm(configDir, { recursive: true, force: true });
    if (sandbox) await promisify(execFile)('bash', [SANDBOX_SCRIPT, 'stop', sandbox], { timeout: 60_000 });
  }
}

/** Why no engine can be had here, or undefined. */
function skipReason() {
  if (VARIABLES.every((name) => process.env[name])) return undefined;
  const onPath = (tool) => (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, tool)));
  const missing = ['dockerd', 'docker', 'docker-registry', 'busybox', 'ip', 'curl'].filter((tool) => !onPath(tool));
  if (missing.length > 0) return `no Docker Engine: run \`eval "$(scripts/docker-sandbox.sh start)"\` first, or install ${missing.join(', ')}`;
  if (process.getuid?.() !== 0) return 'no Docker Engine: run `eval "$(scripts/docker-sandbox.sh start)"` first (the engine needs root)';
  return undefined;
}

function engineClient(host) {
  const socketPath = host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
  const client = new Client(socketPath ? 'http://localhost' : host.replace(/^tcp:/, 'http:'), socketPath ? { socketPath } : {});
  return {
    async json(method, path) {
      const response = await client.request({ method, path, headers: { accept: 'application/json' } });
      const text = await response.body.text();
      return text ? JSON.parse(text) : undefined;
    },
    close: () => client.close(),
  };
}

/** The platform's containers, each under `org.hl7.hsp.*` labels the agent sets. */
function containersOf(engine, platformId, status) {
  const filters = { label: [`org.hl7.hsp.platform=${platformId}`], ...(status ? { status: [status] } : {}) };
  return engine.json('GET', `/containers/json?all=true&filters=${encodeURIComponent(JSON.stringify(filters))}`);
}

/** Ids of the instances whose containers the Engine says run. */
async function runningInstances(engine, platformId) {
  const containers = await containersOf(engine, platformId, 'running');
  return new Set(containers.map((c) => c.Labels['org.hl7.hsp.instance']));
}

/** Removes the platform's containers, eight at a time. */
async function removeContainers(engine, platformId) {
  const queue = await containersOf(engine, platformId);
  const worker = async () => {
    for (let container = queue.pop(); container; container = queue.pop()) await engine.json('DELETE', `/containers/${container.Id}?force=true`);
  };
  await Promise.all(Array.from({ length: 8 }, worker));
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
function agentProcess(env, args) {
  const child = spawn(process.execPath, [BIN, 'agent', 'listen', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = [];
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
