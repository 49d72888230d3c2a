/**
 * The SDK scripts of examples/sdk, run as a user runs them (`node examples/sdk/….mjs`) against
 * a real marketplace. They import 'hsp', the built package (npm test builds dist/ first).
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { useMarketplace } from '../../helpers/marketplace.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const m = useMarketplace();

async function node(script: string, args: string[], token?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, HSP_URL: m.url, ...(token ? { HSP_TOKEN: token } : {}) };
  delete env.HSP_TEST_DATABASE_URL;
  return promisify(execFile)(process.execPath, [script, ...args], { cwd: root, env });
}

// Each test starts two or three Node processes: on a busy machine that takes a while.
describe('examples/sdk', { timeout: 60_000 }, () => {
  it('publish-product.mjs publishes a product with a build, and finds it all again on a second run', async () => {
    const first = await node('examples/sdk/publish-product.mjs', ['Scripted App', '1.0.0'], m.server.adminToken);
    expect(first.stdout).toMatch(/^Scripted App 1\.0\.0 is published: http:\/\/127\.0\.0\.1:\d+\/products\/[0-9a-f-]{36}\n$/);
    await node('examples/sdk/publish-product.mjs', ['Scripted App', '1.0.0'], m.server.adminToken);

    const products = (await m.admin.products.list({ perPage: 100 }).toArray()).filter((p) => p.name === 'Scripted App');
    expect(products).toHaveLength(1);
    expect(products[0]!.published_at).not.toBeNull();
    const builds = await m.admin.builds.list(products[0]!.id).toArray();
    expect(builds.map((b) => b.version)).toEqual(['1.0.0']);
    const [configuration] = await m.admin.configurations.list(products[0]!.id, builds[0]!.id).toArray();
    expect((await m.admin.tasks.list(products[0]!.id, builds[0]!.id, configuration!.id).toArray()).map((t) => t.name)).toEqual(['web']);
    expect(await m.admin.productLicenses.list(products[0]!.id).toArray()).toHaveLength(1);
  });

  it('list-products.mjs lists the published products with their newest build, and searches', async () => {
    await node('examples/sdk/publish-product.mjs', ['Listed App', '2.1.0'], m.server.adminToken);
    const all = await node('examples/sdk/list-products.mjs', []);
    expect(all.stdout).toMatch(/^Listed App\t2\.1\.0 example\/my-smart-app:2\.1\.0\t[0-9a-f-]{36}$/m);
    expect(all.stderr).toMatch(/^\d+ products?\n$/);
    const found = await node('examples/sdk/list-products.mjs', ['Listed']);
    expect(found.stdout.trim().split('\n')).toHaveLength(1);
    expect(found.stderr).toBe('1 product\n');
  });
});
