/**
 * Publishing a manifest into a real marketplace: the first publish creates every record as the
 * manifest says, a second one changes nothing (and writes nothing), an edit changes exactly
 * what was edited, and a published version refuses changes unless forced.
 */
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Marketplace } from '../../../src/index.js';
import { defaultConfiguration } from '../../../src/manifest/conventions.js';
import { remoteDigest } from '../../../src/manifest/file-digest.js';
import type { Manifest } from '../../../src/manifest/model.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { all, changesOf, clientFor, countingClient, growthManifest, outcomesOf, png, productFolder, publishOnce } from './fixtures.js';

const m = useMarketplace();
const admin = () => clientFor(m.url, m.server.adminToken);

/** Everything the marketplace holds for the manifest's product and build. */
async function snapshot(client: Marketplace, productName: string, version = '1.0.0') {
  const product = (await all(client.products.list({ perPage: 100 }))).find((p) => p.name === productName)!;
  const build = (await all(client.builds.list(product.id))).find((b) => b.version === version)!;
  const configurations = await all(client.configurations.list(product.id, build.id));
  const tasks = await Promise.all(configurations.map((c) => all(client.tasks.list(product.id, build.id, c.id))));
  return {
    product,
    build,
    configurations,
    tasks: tasks.flat(),
    tasksOf: (name: string) => tasks[configurations.findIndex((c) => c.name === name)] ?? [],
    exposures: await all(client.exposures.list(product.id, build.id)),
    dependencies: await all(client.dependencies.list(product.id, build.id)),
    screenshots: await all(client.screenshots.list(product.id)),
    productLicenses: await all(client.productLicenses.list(product.id)),
  };
}

const sha256 = (data: Buffer | Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('hsp publish against a marketplace', () => {
  it('creates every record the manifest describes, mapped onto the server’s fields', async () => {
    const dir = await productFolder();
    const manifest = growthManifest(dir, 'Growth Charts');
    const { plan, results } = await publishOnce(admin(), manifest);
    expect(plan.errors).toEqual([]);
    expect(outcomesOf(results)).toEqual([]);

    const s = await snapshot(m.admin, 'Growth Charts');
    expect(s.product).toMatchObject({ id: plan.product.id, description: manifest.product.description, mime_type: 'application/smart.v1', support_url: 'https://example.com/support', published_at: null });
    expect(s.build).toMatchObject({ id: plan.build.id, release_notes: 'First release.', container_repository: 'example/growth', container_tag: '1.0.0', permissions: { patients: { read: true } }, asset_available: true });
    // The default configuration is the first, as agents read it, though the manifest lists it second.
    expect(defaultConfiguration(s.configurations)?.name).toBe('default');
    expect(s.tasksOf('default').find((t) => t.name === 'web')).toMatchObject({
      label: 'Growth charts web app',
      minimum: 1,
      maximum: 3,
      memory: 512,
      options: ['--mode', 'production'],
      ports: [80],
      environment: [{ key: 'FHIR_URL', description: 'The FHIR server.', required: true, pattern: 'https?://.+' }],
    });
    expect(s.tasksOf('default').find((t) => t.name === 'nightly')).toMatchObject({ cron: '0 3 * * *' });
    expect(s.tasksOf('small').map((t) => [t.name, t.memory])).toEqual([['web', 256]]);
    const interfaces = await all(m.admin.interfaces.list());
    const api = interfaces.find((i) => i.uri === 'https://example.com/growth-api')!;
    const fhir = interfaces.find((i) => i.uri === 'http://hl7.org/fhir/R4')!;
    expect(s.exposures.map((e) => e.interface_id)).toEqual([api.id]);
    expect(s.dependencies.map((d) => [d.interface_id, d.required, d.mappings])).toEqual([[fhir.id, true, { FHIR_URL: 'url' }]]);
    expect(s.screenshots.map((x) => x.caption)).toEqual(['Home']);
    // The seeded MIT licence is used, the product's own is created without an expiry.
    const licenses = await all(m.admin.licenses.list({ perPage: 100 }));
    const own = licenses.find((l) => l.url === 'https://example.com/Growth%20Charts/licence')!;
    expect(own).toMatchObject({ name: 'Growth Charts licence', expiry: 'indefinite' });
    expect(s.productLicenses.map((pl) => [pl.license_id, pl.external_id]).sort()).toEqual(
      [[licenses.find((l) => l.name === 'MIT')!.id, null], [own.id, 'SKU-1']].sort(),
    );
    // Files: the logo and the screenshot as they are on disk, the content as its packed archive.
    expect(sha256(await (await m.admin.products.logo(s.product.id)).bytes())).toBe(sha256(await readFile(join(dir, 'logo.png'))));
    expect(sha256(await (await m.admin.screenshots.image(s.product.id, s.screenshots[0]!.id)).bytes())).toBe(sha256(await readFile(join(dir, 'home.png'))));
    const asset = await m.admin.builds.downloadAsset(s.product.id, s.build.id);
    expect(asset.filename).toBe('growth-charts-1.0.0.tgz');
    expect((await asset.bytes()).subarray(0, 2)).toEqual(new Uint8Array([0x1f, 0x8b]));

    // Published again: nothing to do, and nothing but reads.
    const { client, counts, writes } = countingClient(m.url, m.server.adminToken);
    const again = await publishOnce(client, manifest);
    expect(changesOf(again.plan)).toEqual([]);
    expect(again.plan.warnings).toEqual([]);
    expect(writes()).toBe(0);
    expect(counts.GET).toBeGreaterThan(0);
  });

  it('changes exactly what the manifest changed', async () => {
    const dir = await productFolder();
    const manifest = growthManifest(dir, 'Weight Tracker');
    expect(outcomesOf((await publishOnce(admin(), manifest)).results)).toEqual([]);
    const before = await snapshot(m.admin, 'Weight Tracker');

    manifest.product.description = 'Tracks weight.';
    manifest.product.licenses[1]!.externalId = 'SKU-2';
    await writeFile(join(dir, 'home.png'), png(30, 30, 200));
    manifest.build.configurations[1]!.tasks.push({ name: 'worker', options: [], ports: [], environment: [], memoryMaximum: 64 });
    const { plan, results } = await publishOnce(admin(), manifest);
    expect(changesOf(plan)).toEqual([
      'update product Weight Tracker',
      'update product_license Weight Tracker licence',
      'update screenshot Home',
      'create task worker',
    ]);
    expect(outcomesOf(results)).toEqual([]);

    const after = await snapshot(m.admin, 'Weight Tracker');
    expect(after.product.description).toBe('Tracks weight.');
    expect(after.tasksOf('default').map((t) => t.name).sort()).toEqual(['nightly', 'web', 'worker']);
    // Everything else is the very same record, untouched.
    expect(after.build.updated_at).toBe(before.build.updated_at);
    expect(after.configurations).toEqual(before.configurations);
    expect(after.exposures).toEqual(before.exposures);
    expect(after.screenshots.map((s) => s.id)).toEqual(before.screenshots.map((s) => s.id));
    expect(sha256(await (await m.admin.screenshots.image(after.product.id, after.screenshots[0]!.id)).bytes())).toBe(sha256(png(30, 30, 200)));
    expect(changesOf((await publishOnce(admin(), manifest)).plan)).toEqual([]);
  });

  it('refuses to change a published version unless forced, and prunes only when asked', async () => {
    const dir = await productFolder();
    const manifest = growthManifest(dir, 'Height Tracker');
    expect(outcomesOf((await publishOnce(admin(), manifest)).results)).toEqual([]);

    const changed = structuredClone(manifest) as Manifest;
    changed.build.configurations[1]!.tasks[0]!.memoryMaximum = 1024;
    await writeFile(join(dir, 'content', 'README.md'), '# Height tracker\n');
    const refused = await publishOnce(admin(), changed);
    expect(refused.plan.errors).toEqual([
      'Build 1.0.0: the asset height-tracker-1.0.0.tgz differs from the one in the marketplace.',
      `Build 1.0.0: task "web" (configuration "default") has memory 512 in the marketplace but 1024 in ${manifest.file}.`,
      'Build 1.0.0 is already in the marketplace, and a version is an immutable release: publish the changes as a new version, or pass --force to change it anyway.',
    ]);
    expect(refused.results).toEqual([]);

    const forced = await publishOnce(admin(), changed, { force: true });
    expect(changesOf(forced.plan)).toEqual(['update asset height-tracker-1.0.0.tgz', 'update task web']);
    expect(outcomesOf(forced.results)).toEqual([]);
    const s = await snapshot(m.admin, 'Height Tracker');
    expect(s.tasksOf('default').find((t) => t.name === 'web')?.memory).toBe(1024);

    // Without --prune, what the manifest no longer lists stays; with it (and --force) it goes.
    changed.build.configurations = [changed.build.configurations[1]!];
    changed.product.screenshots = [];
    delete changed.product.logo;
    expect(changesOf((await publishOnce(admin(), changed)).plan)).toEqual([]);
    const pruned = await publishOnce(admin(), changed, { prune: true, force: true });
    expect(changesOf(pruned.plan)).toEqual(['delete logo Height Tracker', 'delete screenshot Home', 'delete configuration small']);
    expect(outcomesOf(pruned.results)).toEqual([]);
    const after = await snapshot(m.admin, 'Height Tracker');
    expect(after.configurations.map((c) => c.name)).toEqual(['default']);
    expect(after.screenshots).toEqual([]);
    await expect(m.admin.products.logo(after.product.id)).rejects.toMatchObject({ status: 404 });
    expect(changesOf((await publishOnce(admin(), changed, { prune: true, force: true })).plan)).toEqual([]);

    // A new version is a new release beside the old one.
    changed.build.version = '1.1.0';
    const next = await publishOnce(admin(), changed);
    expect(changesOf(next.plan)).toContain('create build 1.1.0');
    expect(outcomesOf(next.results)).toEqual([]);
    expect((await all(m.admin.builds.list(after.product.id))).map((b) => b.version).sort()).toEqual(['1.0.0', '1.1.0']);
  });

  it("reads a file's digest from the ETag of a HEAD request, and downloads only when there is none", async () => {
    const image = png(1, 2, 3);
    const product = await m.admin.products.create({ name: 'Digest App' });
    await m.admin.products.setLogo(product.id, { data: image, filename: 'logo.png' });
    let downloads = 0;
    const download = () => {
      downloads++;
      return m.admin.products.logo(product.id);
    };
    expect(await remoteDigest(m.admin, { path: `/products/${product.id}/logo/large`, download })).toBe(sha256(image));
    expect(downloads).toBe(0);
    const bare = await m.admin.products.create({ name: 'Digest App without a logo' });
    expect(await remoteDigest(m.admin, { path: `/products/${bare.id}/logo/large`, download })).toBeNull();
    expect(downloads).toBe(0);
    // A path answered without a digest ETag: the file is downloaded and hashed instead.
    expect(await remoteDigest(m.admin, { path: '/status', download })).toBe(sha256(image));
    expect(downloads).toBe(1);
  });
});
