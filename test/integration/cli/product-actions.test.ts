import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Product, ProductLicense, Screenshot } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';

const m = useMarketplace();
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });
const dir = mkdtempSync(join(tmpdir(), 'hsp-cli-products-'));
// The smallest valid PNG: 1×1, one transparent pixel.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
let editor: TestUser;

beforeAll(async () => {
  editor = await m.user('Editor Ed', ['Editor']);
  await m.admin.products.create({ name: 'Growth Chart', description: 'Pediatric growth charts on FHIR' });
  await m.admin.products.create({ name: 'Bilirubin Viewer', description: 'Neonatal bilirubin risk chart' });
  writeFileSync(join(dir, 'logo.png'), PNG);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hsp products: publishing and search', () => {
  it('publishes and unpublishes by name; anonymous search finds only published products', async () => {
    const published = ok(await hsp(['products', 'publish', 'Growth Chart'], { env: env() }));
    expect(published).toMatchObject({ stdout: '', stderr: '✓ Published product "Growth Chart"\n' });
    ok(await hsp(['services', 'publish', 'Bilirubin Viewer'], { env: env() }));

    const found = json<Product[]>(await hsp(['products', 'search', 'growth', 'fhir', '--json'], { env: env() }));
    expect(found.map((p) => p.name)).toEqual(['Growth Chart']);
    const anonymous = ok(await hsp(['products', 'search', 'chart'], { env: { HSP_URL: m.url } }));
    expect(anonymous.stdout.split('\n').filter(Boolean).map((line) => line.split('\t')[1])).toEqual(['Growth Chart', 'Bilirubin Viewer']); // a match in the name first
    expect(anonymous.stderr).toBe('2 products\n');
    const first = json<Product[]>(await hsp(['products', 'search', 'chart', '--limit', '1', '--json'], { env: env() }));
    expect(first).toHaveLength(1);

    const unpublished = json<Product>(await hsp(['products', 'unpublish', 'Bilirubin Viewer', '--json'], { env: env() }));
    expect(unpublished.published_at).toBeNull();
    expect(json<Product[]>(await hsp(['products', 'search', 'bilirubin', '--json'], { env: { HSP_URL: m.url } }))).toEqual([]);
  });

  it('publishing needs the permission: exit 1 with a hint', async () => {
    await editor.client.products.create({ name: 'Editor App' });
    const denied = await hsp(['products', 'publish', 'Editor App'], { env: { HSP_URL: m.url, HSP_TOKEN: editor.token } });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/^POST \/products\/[0-9a-f-]+\/publish failed with HTTP 403 .*\nYour account lacks the role for this; ask an administrator\.\n$/);
  });
});

describe('hsp products logo', () => {
  it('sets a logo from a file and saves it back, refusing to overwrite', async () => {
    ok(await hsp(['products', 'logo', 'set', 'Growth Chart', join(dir, 'logo.png')], { env: env() }));
    const target = join(dir, 'saved.png');
    const saved = ok(await hsp(['products', 'logo', 'get', 'Growth Chart', '--size', 'small', '--output-file', target], { env: env() }));
    expect(saved.stderr).toBe(`✓ Saved ${target} (${PNG.length} bytes)\n`);
    expect(readFileSync(target)).toEqual(PNG);
    const again = await hsp(['products', 'logo', 'get', 'Growth Chart', '--output-file', target], { env: env() });
    expect(again.code).toBe(1);
    const size = await hsp(['products', 'logo', 'get', 'Growth Chart', '--size', 'huge'], { env: env() });
    expect(size.code).toBe(2);
    expect(size.stderr).toMatch(/^Option '--size <size>' argument 'huge' is invalid\. Allowed choices are large, medium, small\./);
    const none = await hsp(['products', 'logo', 'get', 'Bilirubin Viewer', '--output-file', join(dir, 'none.png')], { env: env() });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('has no logo');
  });

  it('removes a logo', async () => {
    ok(await hsp(['products', 'logo', 'set', 'Growth Chart', join(dir, 'logo.png')], { env: env() }));
    const removed = ok(await hsp(['products', 'logo', 'remove', 'Growth Chart'], { env: env() }));
    expect(removed.stderr).toBe('✓ Removed the logo of product "Growth Chart"\n');
    const none = await hsp(['products', 'logo', 'get', 'Growth Chart', '--output-file', join(dir, 'removed.png')], { env: env() });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('has no logo');
  });
});

describe('hsp products licenses', () => {
  it('offers a product under licenses by name, lists and removes them', async () => {
    const offer = json<ProductLicense>(await hsp(['products', 'licenses', 'add', 'Growth Chart', '--license', 'MIT', '--external-id', 'SKU-1', '--json'], { env: env() }));
    expect(offer.external_id).toBe('SKU-1');
    ok(await hsp(['products', 'licenses', 'add', 'Growth Chart', '--license', 'Apache 2.0'], { env: env() }));
    const table = ok(await hsp(['products', 'licenses', 'list', 'Growth Chart', '--no-color'], { env: env(), tty: true }));
    expect(table.stdout).toMatch(/^ID\s+LICENSE ID\s+EXTERNAL ID\s+ADDED\n/);
    expect(table.stdout).toContain(offer.license_id);
    expect(table.stderr).toBe('2 licenses\n');

    const unconfirmed = await hsp(['products', 'licenses', 'remove', 'Growth Chart', '--license', 'MIT'], { env: env() });
    expect(unconfirmed).toMatchObject({ code: 2, stderr: 'Remove license MIT from product Growth Chart: pass --yes to confirm when not at a terminal.\n' });
    ok(await hsp(['products', 'licenses', 'remove', 'Growth Chart', '--license', 'MIT', '--yes'], { env: env() }));
    const left = json<ProductLicense[]>(await hsp(['products', 'licenses', 'list', 'Growth Chart', '--json'], { env: env() }));
    expect(left.map((l) => l.id)).not.toContain(offer.id);
    const notOffered = await hsp(['products', 'licenses', 'remove', 'Growth Chart', '--license', 'MIT', '--yes'], { env: env() });
    expect(notOffered).toMatchObject({ code: 1, stderr: 'Product Growth Chart is not offered under license MIT.\n' });
    const unknown = await hsp(['products', 'licenses', 'add', 'Growth Chart', '--license', 'GPL'], { env: env() });
    expect(unknown).toMatchObject({ code: 1, stderr: 'No license named "GPL".\n' });
  });
});

describe('hsp screenshots', () => {
  it('creates one with an image, finds it by caption, and deletes it', async () => {
    const app = ['--product', 'Growth Chart'];
    const shot = json<Screenshot>(await hsp(['screenshots', 'create', ...app, '--caption', 'Patient view', '--image', join(dir, 'logo.png'), '--json'], { env: env() }));
    expect(shot).toMatchObject({ caption: 'Patient view', image_content_type: 'image/png' });
    const table = ok(await hsp(['screenshots', 'list', ...app, '--no-color'], { env: env(), tty: true }));
    expect(table.stdout).toMatch(/Patient view\s+image\/png\s+just now/);
    const renamed = ok(await hsp(['screenshots', 'update', 'Patient view', ...app, '--caption', 'Chart view'], { env: env() }));
    expect(renamed.stderr).toContain('Updated screenshot "Chart view"');
    const missing = await hsp(['screenshots', 'create', ...app, '--caption', 'x', '--image', join(dir, 'nope.png')], { env: env() });
    expect(missing).toMatchObject({ code: 1, stderr: `--image: Cannot upload ${join(dir, 'nope.png')}: it does not exist.\n` });
    ok(await hsp(['screenshots', 'delete', 'Chart view', ...app, '--yes'], { env: env() }));
  });
});
