/**
 * `hsp demo`: the whole system on this machine in under a minute, with nothing else installed.
 * A marketplace in memory; the example products published from their manifests (assets and
 * licences included); a platform registered with an agent key; the platform agent running the
 * build through the `exec` orchestrator and a bundled stand-in for a container (Docker is not
 * assumed); then an instance deployed, changed and undeployed, each time waiting for the
 * agent's report to land on the instance.
 *
 * Every step checks its effect through the API (and the stand-in's HTTP answer); the first
 * failure stops the demo with a non-zero exit code.
 *
 * Whatever ends it early (a failure, Ctrl+C, SIGTERM, or `hsp demo --json | head -3` closing
 * stdout) removes everything it started: the marketplace and its administrator token, the
 * agent, the stand-in's workloads and folder. A reader that went away is no error: the demo
 * then ends quietly, as `git log | head` does.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Instance, Marketplace } from '../../index.js';
import { InterruptedError } from '../errors.js';

export interface DemoIO {
  stdout: Writable;
  stderr: Writable;
}

export interface DemoOptions {
  json?: boolean;
  /** Keep the marketplace (and the agent) running after the demo (prints how to reach them). */
  keep?: boolean;
}

interface Step {
  step: string;
  ok: boolean;
  ms: number;
  detail: string;
}

/** How long one step may wait for the agent's report before the demo calls it failed. */
const REPORT_TIMEOUT_MS = 20_000;

/** Why the demo stopped before its end: a signal, or the reader of its output went away. */
class Stopped extends Error {
  override name = 'Stopped';
}

export async function demo(options: DemoOptions, io: DemoIO): Promise<{ steps: Step[]; close(): Promise<void> }> {
  const steps: Step[] = [];
  const started = performance.now();
  // Listened for from the first moment: until a listener exists, a signal's default action
  // ends the process on the spot and leaves the marketplace's token folder behind.
  const stop = new AbortController();
  let readerGone = false;
  const onSignal = () => stop.abort(new Stopped('Interrupted: the demo stopped and removed everything it had started.'));
  const onOutputError = (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') return;
    readerGone = true;
    stop.abort(new Stopped('The reader of the output went away.'));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  io.stdout.on('error', onOutputError);
  const stopListening = () => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    io.stdout.off('error', onOutputError);
  };
  const checkStop = () => {
    if (stop.signal.aborted) throw stop.signal.reason as Stopped;
  };
  const until = (condition: () => boolean | Promise<boolean>, failure: string) => waitUntil(condition, failure, stop.signal);

  const report = (step: Step) => {
    steps.push(step);
    if (options.json) io.stdout.write(`${JSON.stringify(step)}\n`);
    else io.stdout.write(`${step.ok ? '✓' : '✗'} ${step.step.padEnd(38)} ${step.detail} (${Math.round(step.ms)} ms)\n`);
  };
  const run = async <T>(step: string, work: () => Promise<{ value: T; detail: string }>): Promise<T> => {
    checkStop();
    const t = performance.now();
    try {
      const { value, detail } = await work();
      checkStop();
      report({ step, ok: true, ms: performance.now() - t, detail });
      return value;
    } catch (error) {
      // A stop is no failure of the step: it is said once, at the end.
      if (!(error instanceof Stopped)) report({ step, ok: false, ms: performance.now() - t, detail: (error as Error)?.message ?? String(error) });
      throw error;
    }
  };

  const root = packageRoot();
  const cleanups: (() => Promise<unknown>)[] = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
  };

  try {
    const { createMarketplaceServer } = await import('../../server/index.js');
    const { Marketplace } = await import('../../index.js');
    const server = await run('Start a marketplace', async () => {
      const value = await createMarketplaceServer({ port: 0, memory: true });
      return { value, detail: `${value.url}, embedded database in memory${'url' in value.ui ? `, Marketplace UI at ${value.ui.url}` : ''}` };
    });
    cleanups.push(() => server.close());
    const admin = new Marketplace({ baseUrl: server.url, token: server.adminToken, dialect: 'r2' });
    const anonymous = new Marketplace({ baseUrl: server.url, dialect: 'r2' });

    const me = await run('Sign in as the administrator', async () => {
      const who = await admin.session.whoami();
      if (!who?.user) throw new Error('The administrator token was not accepted.');
      return { value: who.user, detail: `${who.user.name} (${who.user.id})` };
    });

    const published = await run('Publish the example products', async () => {
      const files = await exampleManifests(join(root, 'examples'));
      const { loadManifest } = await import('../../manifest/load.js');
      const { applyPublish, preparePublish } = await import('../../manifest/publish.js');
      const products: { id: string; name: string; buildId: string; records: number }[] = [];
      for (const file of files) {
        checkStop();
        const { manifest } = await loadManifest(file, { strict: true });
        const prepared = await preparePublish(admin, manifest, { publish: true });
        if (prepared.plan.errors.length) throw new Error(`${relative(root, file)}: ${prepared.plan.errors[0]}`);
        const results = await applyPublish(admin, prepared);
        const failed = results.find((r) => r.outcome === 'failed' || r.outcome === 'skipped');
        if (failed) throw new Error(`${relative(root, file)}: ${failed.error ?? `a step was ${failed.outcome}`}`);
        const product = (await anonymous.products.list({ perPage: 100 }).toArray()).find((p) => p.name === manifest.product.name);
        if (!product?.published_at) throw new Error(`"${manifest.product.name}" is not public after publishing.`);
        const [build] = (await anonymous.builds.list(product.id)).items.filter((b) => b.version === manifest.build.version);
        if (!build) throw new Error(`"${manifest.product.name}" has no build ${manifest.build.version}.`);
        if (manifest.build.content && !build.asset_available) throw new Error(`Build ${build.version} of "${product.name}" has no asset.`);
        if ((await admin.productLicenses.list(product.id).toArray()).length !== manifest.product.licenses.length) {
          throw new Error(`"${product.name}" is not offered under its ${manifest.product.licenses.length} licence(s).`);
        }
        products.push({ id: product.id, name: product.name, buildId: build.id, records: results.length });
      }
      const records = products.reduce((sum, p) => sum + p.records, 0);
      const formats = files.map((f) => f.slice(f.lastIndexOf('/') + 1));
      const count = (name: string) => `${formats.filter((f) => f === name).length} ${name}`;
      return { value: products, detail: `${products.length} products from examples/ (${count('hsp.yaml')}, ${count('marketplace.json')}): ${records} records, all public` };
    });
    const app = published.find((p) => p.name === 'Pediatric Growth Chart') ?? published[0]!;

    const agentKey = await run('Register a platform with an agent key', async () => {
      const { generateAgentKeyPair, isSamePublicKey } = await import('../../agent/keys.js');
      const pair = generateAgentKeyPair();
      const platform = await admin.platforms.create(me.id, { name: 'demo-host', public_key: pair.publicKeyPem });
      const stored = await admin.platforms.retrieve(me.id, platform.id);
      if (!isSamePublicKey(stored.public_key, pair.publicKeyPem)) throw new Error('The platform did not keep the public key.');
      return { value: { platform, pair }, detail: `"${platform.name}" (${platform.id}), Ed25519 public key stored` };
    });
    const { platform } = agentKey;

    const standIn = await mkdtemp(join(tmpdir(), 'hsp-demo-standin-'));
    cleanups.push(() => rm(standIn, { recursive: true, force: true }));
    const agent = await run('Start the platform agent', async () => {
      const { agentTokenProvider } = await import('../../agent/agent-token.js');
      const { ExecOrchestrator } = await import('../../agent/orchestrators/exec.js');
      const { Agent } = await import('../../agent/agent.js');
      const asAgent = new Marketplace({
        baseUrl: server.url,
        dialect: 'r2',
        tokenProvider: agentTokenProvider({ privateKey: agentKey.pair.privateKey, platformId: platform.id, userId: me.id, audience: server.url }),
      });
      const hook = join(root, 'examples/agent/stand-in-container.mjs');
      const log = () => {};
      const orchestrator = new ExecOrchestrator({ argv: [process.execPath, hook], platformId: platform.id, log, env: { ...process.env, HSP_STANDIN_DIR: standIn } });
      const value = new Agent({ client: asAgent, platform, orchestrator, log });
      await value.start();
      cleanups.push(async () => {
        await value.stop(10_000);
        // Whatever the stand-in still runs (a demo stopped halfway) goes with the demo.
        for (const workload of (await orchestrator.list()) ?? []) await orchestrator.remove(workload.instanceId);
      });
      await until(() => value.readiness().ready, 'The agent did not become ready.');
      return { value, detail: `exec orchestrator with ${relative(root, hook)}, signed in with the agent key` };
    });

    const environment = { OPENTELEMETRY_COLLECTOR_URL: 'http://127.0.0.1:4318', CLIENT_ID: 'demo-client' };
    const deployed = await run('Deploy an instance', async () => {
      const t = performance.now();
      const created = await admin.instances.create(me.id, platform.id, { build_id: app.buildId, launch_bindings: { environment } });
      const landed = await reportOn(admin, me.id, platform.id, created.id, () => true, stop.signal);
      const url = standInUrl(landed);
      const answer = await (await fetch(url)).text();
      if (!answer.includes(created.id)) throw new Error(`${url} does not answer for the instance.`);
      return { value: landed, detail: `"${app.name}": report landed in ${Math.round(performance.now() - t)} ms, ${url} answers` };
    });

    await run('Change its settings', async () => {
      const t = performance.now();
      const before = fingerprintOf(deployed);
      await admin.instances.update(me.id, platform.id, deployed.id, { launch_bindings: { ...deployed.launch_bindings, environment: { ...environment, CLIENT_ID: 'demo-client-2' } } });
      const landed = await reportOn(admin, me.id, platform.id, deployed.id, (i) => fingerprintOf(i) !== before, stop.signal);
      const url = standInUrl(landed);
      if (!(await fetch(url)).ok) throw new Error(`${url} does not answer after the redeploy.`);
      return { value: landed, detail: `redeployed with the new CLIENT_ID in ${Math.round(performance.now() - t)} ms` };
    });

    await run('Undeploy it', async () => {
      const t = performance.now();
      const url = standInUrl(await admin.instances.retrieve(me.id, platform.id, deployed.id));
      await admin.instances.delete(me.id, platform.id, deployed.id);
      await until(async () => !(await answers(url)), `${url} still answers after the instance was deleted.`);
      if ((await admin.instances.list(me.id, platform.id)).items.length) throw new Error('The instance is still listed.');
      return { value: undefined, detail: `removed from the host in ${Math.round(performance.now() - t)} ms` };
    });

    const total = performance.now() - started;
    if (options.json) io.stdout.write(`${JSON.stringify({ step: 'summary', ok: true, ms: total, detail: `${steps.length} steps` })}\n`);
    else io.stdout.write(`\nAll ${steps.length} steps verified through the API in ${(total / 1000).toFixed(1)} s.\n`);
    stopListening();
    if (options.keep) {
      io.stderr.write(
        `The marketplace keeps running at ${server.url} with the agent serving platform "${platform.name}"; ` +
          `administrator token in ${server.adminTokenFile}. Ctrl+C stops both.\n`,
      );
      io.stderr.write(uiDirections(server.ui, platform.id, server.adminTokenFile));
      void agent;
      return { steps, close };
    }
    await close();
    if (!options.json) io.stderr.write('Next: "hsp demo --keep" leaves this marketplace, its agent and the Marketplace UI running to explore; "hsp serve" starts one of your own.\n');
    return { steps, close: async () => {} };
  } catch (error) {
    await close();
    stopListening();
    if (!(error instanceof Stopped)) throw error;
    // `hsp demo --json | head -3`: the reader has what it wanted, which is no error.
    if (readerGone) return { steps, close: async () => {} };
    throw new InterruptedError(error.message);
  }
}

/**
 * Where to click next: the platform's page in the UI (its instances, live), and how to sign in
 * there. The token stays in its file: a URL would carry it into the browser's history.
 */
export function uiDirections(ui: { url: string } | { off: string | undefined }, platformId: string, tokenFile: string | undefined): string {
  if (!('url' in ui)) return `The Marketplace UI is not served${ui.off ? `: ${ui.off}` : ''}.\n`;
  return (
    `\nMarketplace UI: ${ui.url}platforms/${platformId}  (the demo's platform; deploy a product from ${ui.url})\n` +
    `Sign in at ${ui.url}sign-in with the administrator token: paste the contents of ${tokenFile ?? 'the token file'}.\n`
  );
}

/** The folder holding package.json and examples/, from wherever this module was bundled. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'examples'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('The examples folder of hsp is missing from this installation.');
    dir = parent;
  }
  return dir;
}

/** Every example product's manifest: `examples/<product>/hsp.yaml` or `marketplace.json`. */
async function exampleManifests(examples: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of (await readdir(examples, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    for (const name of ['hsp.yaml', 'marketplace.json']) if (existsSync(join(examples, entry.name, name))) files.push(join(examples, entry.name, name));
  }
  if (files.length === 0) throw new Error(`No example manifests in ${examples}.`);
  return files;
}

/** Waits for the agent's report on the instance, read through the API, that `wanted` accepts. */
async function reportOn(client: Marketplace, userId: string, platformId: string, instanceId: string, wanted: (i: Instance) => boolean, signal: AbortSignal): Promise<Instance> {
  let last: Instance | undefined;
  await waitUntil(async () => {
    last = await client.instances.retrieve(userId, platformId, instanceId);
    return !!last.deployed_at && !!fingerprintOf(last) && wanted(last);
  }, `The agent's report did not land on instance ${instanceId} within ${REPORT_TIMEOUT_MS / 1000} s.`, signal);
  return last!;
}

function fingerprintOf(instance: Instance): string | undefined {
  const report = instance.launch_bindings.deployment as { fingerprint?: unknown } | undefined;
  return typeof report?.fingerprint === 'string' ? report.fingerprint : undefined;
}

/** Where the stand-in serves the instance, from the agent's report. */
function standInUrl(instance: Instance): string {
  const report = instance.launch_bindings.deployment as { workloads?: { url?: unknown }[] } | undefined;
  const url = report?.workloads?.[0]?.url;
  if (typeof url !== 'string' || !/^http:\/\/127\.0\.0\.1:\d+/.test(url)) throw new Error('The report names no address the stand-in serves.');
  return url;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(1_000) })).ok;
  } catch {
    return false;
  }
}

/** Polls `condition` until it holds; fails after REPORT_TIMEOUT_MS, or at once when the demo is stopped. */
async function waitUntil(condition: () => boolean | Promise<boolean>, failure: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + REPORT_TIMEOUT_MS;
  while (!(await condition())) {
    if (signal.aborted) throw signal.reason as Error;
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
