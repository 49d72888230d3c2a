/**
 * A publish that stops half-way, whatever stops it (the network going, an answer lost after
 * the server acted, Ctrl+C), is completed by the next run, and the run after that finds
 * nothing to do; no record is ever made twice. Two publishes racing each other make each
 * record once too.
 */
import { describe, expect, it } from 'vitest';
import type { Marketplace } from '../../../src/index.js';
import type { StepResult } from '../../../src/manifest/apply.js';
import type { PlannedAction } from '../../../src/manifest/plan.js';
import { applyPublish, preparePublish } from '../../../src/manifest/publish.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { all, changesOf, clientFor, failingClient, growthManifest, outcomesOf, productFolder, publishOnce } from './fixtures.js';

const m = useMarketplace();
const admin = () => clientFor(m.url, m.server.adminToken);

/** How many of each record the product has: each must be exactly what the manifest lists. */
async function census(client: Marketplace, name: string) {
  const products = (await all(client.products.list({ perPage: 100 }))).filter((p) => p.name === name);
  const product = products[0]!;
  const builds = await all(client.builds.list(product.id));
  const build = builds[0]!;
  const configurations = await all(client.configurations.list(product.id, build.id));
  const tasks = (await Promise.all(configurations.map((c) => all(client.tasks.list(product.id, build.id, c.id))))).flat();
  const interfaces = await all(client.interfaces.list({ perPage: 100 }));
  return {
    products: products.length,
    builds: builds.length,
    configurations: configurations.length,
    tasks: tasks.length,
    exposures: (await all(client.exposures.list(product.id, build.id))).length,
    dependencies: (await all(client.dependencies.list(product.id, build.id))).length,
    screenshots: (await all(client.screenshots.list(product.id))).length,
    productLicenses: (await all(client.productLicenses.list(product.id))).length,
    licenses: (await all(client.licenses.list({ perPage: 100 }))).filter((l) => l.name === `${name} licence`).length,
    interfaces: interfaces.filter((i) => i.uri === 'https://example.com/growth-api' || i.uri === 'http://hl7.org/fhir/R4').length,
    asset: build.asset_available,
  };
}

const complete = { products: 1, builds: 1, configurations: 2, tasks: 3, exposures: 1, dependencies: 1, screenshots: 1, productLicenses: 2, licenses: 1, interfaces: 2, asset: true };

/** After an interruption: the next run completes it, the one after has nothing to do. */
async function expectConverges(name: string, manifest: ReturnType<typeof growthManifest>): Promise<void> {
  const rerun = await publishOnce(admin(), manifest);
  expect(rerun.plan.errors).toEqual([]);
  expect(outcomesOf(rerun.results)).toEqual([]);
  expect(changesOf((await publishOnce(admin(), manifest)).plan)).toEqual([]);
  expect(await census(m.admin, name)).toEqual(complete);
}

describe('an interrupted publish', () => {
  it.each([1, 6, 15])('completes on the next run when the network goes at write %i', async (n) => {
    const name = `Network loss at ${n}`;
    const manifest = growthManifest(await productFolder(), name);
    const { results } = await publishOnce(failingClient(m.url, m.server.adminToken, n), manifest);
    const failed = results.filter((r) => r.outcome === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const r of failed) expect(r.error).toBe('The network is down.');
    // What came after a failed step was not tried.
    for (const r of results.filter((x) => x.outcome === 'skipped')) expect(r.blockedBy).toBeDefined();
    await expectConverges(name, manifest);
  });

  it.each([2, 9])('completes without duplicates when the answer to write %i is lost after the server acted', async (n) => {
    const name = `Lost answer at ${n}`;
    const manifest = growthManifest(await productFolder(), name);
    const { results } = await publishOnce(failingClient(m.url, m.server.adminToken, n, true), manifest);
    expect(results.filter((r) => r.outcome === 'failed').map((r) => r.error)).toEqual(['The connection was lost before the answer arrived.']);
    await expectConverges(name, manifest);
  });

  it('stops starting steps on Ctrl+C, lets the running ones finish, and completes on the next run', async () => {
    const name = 'Interrupted by hand';
    const manifest = growthManifest(await productFolder(), name);
    const client = admin();
    const prepared = await preparePublish(client, manifest);
    const interruption = new AbortController();
    let finished = 0;
    const results = await applyPublish(client, prepared, {
      concurrency: 2,
      signal: interruption.signal,
      onStep: () => {
        if (++finished === 3) interruption.abort();
      },
    });
    const interrupted = results.filter((r) => r.interrupted);
    expect(interrupted.length).toBeGreaterThan(0);
    expect(results.filter((r) => r.outcome === 'failed')).toEqual([]);
    // Nothing was cut off half-way: every step that started ended as done.
    expect(results.every((r: StepResult<PlannedAction>) => ['done', 'unchanged', 'skipped'].includes(r.outcome))).toBe(true);
    await expectConverges(name, manifest);
  });
});

describe('two publishes racing', () => {
  it('make each record once', async () => {
    const name = 'Raced';
    const manifest = growthManifest(await productFolder(), name);
    const [one, two] = [admin(), admin()];
    // Both plan before either writes, so both plan to create everything.
    const [first, second] = await Promise.all([preparePublish(one, manifest), preparePublish(two, manifest)]);
    expect(changesOf(second.plan)).toEqual(changesOf(first.plan));
    expect(changesOf(first.plan).every((change) => change.startsWith('create'))).toBe(true);
    const [a, b] = await Promise.all([applyPublish(one, first), applyPublish(two, second)]);
    expect(outcomesOf(a)).toEqual([]);
    expect(outcomesOf(b)).toEqual([]);
    expect(await census(m.admin, name)).toEqual(complete);
    expect(changesOf((await publishOnce(admin(), manifest)).plan)).toEqual([]);
  });
});
