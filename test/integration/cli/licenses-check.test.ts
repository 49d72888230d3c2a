/**
 * `hsp licenses check PRODUCT [--user USER | --group GROUP]`, as a script runs it: the built
 * bin/hsp in a child process against `hsp serve`. Yes prints the sentence on stdout and exits
 * 0; no prints it on stderr and exits 1 (a request the server refused); `--json` prints the
 * Authorization on stdout either way.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Authorization } from '../../../src/index.js';
import { spawnHsp } from '../../helpers/hsp-process.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';

const m = useMarketplace();
const config = mkdtempSync(join(tmpdir(), 'hsp-licenses-check-'));
afterAll(() => rmSync(config, { recursive: true, force: true }));

let kim: TestUser;
let entitlementId: string;
let licensedId: string;
let groupId: string;

/** bin/hsp as `token`'s holder, with none of this machine's hsp settings. */
async function check(args: string[], token: string) {
  const run = spawnHsp(['licenses', 'check', ...args], { env: { HSP_URL: m.url, HSP_TOKEN: token, HSP_CONFIG_DIR: config, HSP_NO_KEYRING: '1', NO_COLOR: '1' } });
  return run.exited;
}

beforeAll(async () => {
  kim = await m.user('Kim Check');
  await m.user('Lee Nolicence');
  groupId = (await m.admin.groups.create({ name: 'Check Clinic' })).id;
  await m.admin.members.create(groupId, { user_id: kim.id });
  const product = await m.admin.products.create({ name: 'Checked App' });
  licensedId = product.id;
  // Published, so that its users find it by name.
  await m.admin.products.publish(product.id);
  const license = await m.admin.licenses.create({ name: 'Pack of 2', url: 'https://example.com/pack-of-2', expiry: 'indefinite', uses: 2 });
  const offer = await m.admin.productLicenses.create(product.id, { license_id: license.id });
  entitlementId = (await m.admin.entitlements.create({ user_id: kim.id, product_license_id: offer.id })).id;
  await m.admin.products.create({ name: 'Free App' });
});

describe('hsp licenses check', () => {
  it('prints the sentence and exits 0 when authorised, 1 when not', async () => {
    const yes = await check(['Checked App'], kim.token);
    expect(yes).toMatchObject({ code: 0, stderr: '' });
    expect(yes.stdout).toBe(`Authorized by entitlement ${entitlementId} under licence "Pack of 2", with no end date (1 use left).\n`);

    const free = await check(['Free App', '--user', 'Lee Nolicence'], m.server.adminToken!);
    expect(free).toMatchObject({ code: 0, stdout: 'Product "Free App" has no licence, so it needs no entitlement.\n' });

    const group = await check(['Checked App', '--group', groupId], kim.token);
    expect(group).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'No entitlement claimed for group "Check Clinic" covers product "Checked App": there is none for it or for a product family containing it.\n',
    });
  });

  it('--json prints the Authorization, yes or no, with the same exit codes', async () => {
    const last = await check(['Checked App', '--user', 'Kim Check', '--json'], kim.token);
    expect(last.code).toBe(0);
    const granted = JSON.parse(last.stdout) as Authorization;
    expect(granted).toMatchObject({ authorized: true, claimant_id: kim.id, claimant_type: 'User', product_id: licensedId, entitlement_id: entitlementId, uses_left: 0 });

    const spent = await check([licensedId, '--json'], kim.token);
    expect(spent.code).toBe(1);
    const refused = JSON.parse(spent.stdout) as Authorization;
    expect(refused).toMatchObject({ authorized: false, entitlement_id: null, uses_left: null });
    expect(refused.reason).toBe('No entitlement of user "Kim Check" covers product "Checked App": all 2 uses of licence "Pack of 2" are used.');
    expect(spent.stderr).toBe(`${refused.reason}\n`);
  });

  it('refuses what cannot be asked: both flags (2), a group by name without the right to list groups, an unknown product, another user (1), no token (4)', async () => {
    const both = await check(['Checked App', '--user', 'Kim Check', '--group', 'Check Clinic'], kim.token);
    expect(both).toMatchObject({ code: 2, stderr: 'Give --user or --group, not both: a check is for one claimant.\n' });
    // A member asks about a group by its id: only those who may list groups find one by name.
    const byName = await check(['Checked App', '--group', 'Check Clinic'], kim.token);
    expect(byName).toMatchObject({ code: 1, stderr: 'You may not list groups to find "Check Clinic" by name; give the group\'s id instead.\n' });
    const adminByName = await check(['Checked App', '--group', 'Check Clinic'], m.server.adminToken!);
    expect(adminByName.code).toBe(1);
    expect(adminByName.stderr).toMatch(/^No entitlement claimed for group "Check Clinic" covers product "Checked App"/);
    const unknown = await check(['No Such App'], kim.token);
    expect(unknown).toMatchObject({ code: 1, stderr: 'No product named "No Such App".\n' });
    const other = await check(['Checked App', '--user', (await m.user('Someone Else')).id], kim.token);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/HTTP 403 \(permission denied\): You may ask only about yourself and your groups/);
    const anonymous = spawnHsp(['licenses', 'check', 'Checked App'], { env: { HSP_URL: m.url, HSP_CONFIG_DIR: config, HSP_NO_KEYRING: '1', NO_COLOR: '1' } });
    expect((await anonymous.exited).code).toBe(4);
  });
});
