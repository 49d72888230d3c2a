import { beforeAll, describe, expect, it } from 'vitest';
import type { Entitlement, License, Voucher } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';

const m = useMarketplace();
const env = () => ({ HSP_URL: m.url, HSP_TOKEN: m.server.adminToken });
let offerId = '';
let patient: TestUser;

beforeAll(async () => {
  patient = await m.user('Pat Patient');
  const product = await m.admin.products.create({ name: 'Licensed App' });
  const mit = (await m.admin.licenses.list({ perPage: 100 }).toArray()).find((l) => l.name === 'MIT')!;
  offerId = (await m.admin.productLicenses.create(product.id, { license_id: mit.id })).id;
});

describe('hsp licenses', () => {
  it('creates, shows by name, updates and deletes a license; bad flag values are one sentence and exit 2', async () => {
    const created = json<License>(
      await hsp(['licenses', 'create', '--name', 'Site license', '--url', 'https://example.com/site', '--expiry', 'relative_date', '--days-valid', '365', '--json'], { env: env() }),
    );
    expect(created).toMatchObject({ name: 'Site license', expiry: 'relative_date', days_valid: 365 });
    const table = ok(await hsp(['licenses', 'list', '--no-color'], { env: env(), tty: true }));
    expect(table.stdout).toMatch(/^ID\s+NAME\s+URL\s+EXPIRY\n/);
    expect(table.stdout).toMatch(/Site license\s+https:\/\/example\.com\/site\s+relative_date\n/);
    const shown = ok(await hsp(['licenses', 'show', 'Site license'], { env: env() }));
    expect(shown.stdout).toContain(`id\t${created.id}\n`);

    const expiry = await hsp(['licenses', 'update', 'Site license', '--expiry', 'someday'], { env: env() });
    expect(expiry.code).toBe(2);
    expect(expiry.stderr.split('\n')[0]).toBe("Option '--expiry <value>' argument 'someday' is invalid. Allowed choices are indefinite, relative_date, absolute_date.");
    const days = await hsp(['licenses', 'update', 'Site license', '--days-valid', '-1'], { env: env() });
    expect(days).toMatchObject({ code: 2, stderr: '--days-valid must be a whole number, got "-1".\n' });
    const uses = json<License>(await hsp(['licenses', 'update', 'Site license', '--uses', '10', '--json'], { env: env() }));
    expect(uses.uses).toBe(10);
    const required = await hsp(['licenses', 'create', '--name', 'No URL'], { env: env() });
    expect(required.code).toBe(2);
    expect(required.stderr).toBe("Required option '--url <value>' not specified.\n");
    ok(await hsp(['licenses', 'delete', 'Site license', '--yes'], { env: env() }));
  });
});

describe('hsp entitlements', () => {
  it("grants a product's license to a user named by name", async () => {
    const granted = json<Entitlement>(await hsp(['entitlements', 'create', '--user', 'Pat Patient', '--product-license', offerId, '--json'], { env: env() }));
    expect(granted).toMatchObject({ user_id: patient.id, product_license_id: offerId });
    const listed = json<Entitlement[]>(await hsp(['entitlements', 'list', '--json'], { env: env() }));
    expect(listed.map((e) => e.id)).toContain(granted.id);
    // The holder sees their own.
    const mine = json<Entitlement[]>(await hsp(['entitlements', 'list', '--json'], { env: { HSP_URL: m.url, HSP_TOKEN: patient.token } }));
    expect(mine.map((e) => e.id)).toEqual([granted.id]);
    const notId = await hsp(['entitlements', 'show', 'mine'], { env: env() });
    expect(notId).toMatchObject({ code: 2, stderr: '"mine" is not an entitlement id (a UUID).\n' });
    const badOffer = await hsp(['entitlements', 'create', '--user', 'Pat Patient', '--product-license', 'cheap'], { env: env() });
    expect(badOffer).toMatchObject({ code: 2, stderr: 'product_license_id must be a UUID, got "cheap".\n' });
    ok(await hsp(['entitlements', 'delete', granted.id, '--yes'], { env: env() }));
  });
});

describe('hsp vouchers', () => {
  it('creates vouchers, finds them by code and redeems one once, for an entitlement', async () => {
    const voucher = json<Voucher>(await hsp(['vouchers', 'create', '--product-license', offerId, '--code', 'WELCOME-1', '--json'], { env: env() }));
    expect(voucher).toMatchObject({ code: 'WELCOME-1', redeemed_at: null });
    ok(await hsp(['vouchers', 'create', '--product-license', offerId, '--code', 'OLD', '--expires-at', '2020-01-01T00:00:00Z'], { env: env() }));
    const table = ok(await hsp(['vouchers', 'list', '--no-color'], { env: env(), tty: true }));
    expect(table.stdout).toMatch(/^ID\s+CODE\s+PRODUCT LICENSE ID\s+EXPIRES\s+REDEEMED\n/);
    expect(table.stderr).toBe('2 vouchers\n');

    const redeemed = ok(await hsp(['vouchers', 'redeem', 'WELCOME-1', '--user', 'Pat Patient'], { env: env() }));
    const shown = json<Voucher>(await hsp(['vouchers', 'show', 'WELCOME-1', '--json'], { env: env() }));
    expect(redeemed.stderr).toBe(`✓ Redeemed voucher WELCOME-1: entitlement ${shown.entitlement_id} for Pat Patient\n`);
    expect(shown.redeemed_by).toBe(patient.id);
    expect(shown.redeemed_at).not.toBeNull();
    expect(await m.admin.entitlements.retrieve(shown.entitlement_id!)).toMatchObject({ user_id: patient.id, product_license_id: offerId });

    const twice = await hsp(['vouchers', 'redeem', 'WELCOME-1'], { env: env() });
    expect(twice).toMatchObject({ code: 1, stderr: `POST /vouchers/redeem failed with HTTP 409 (conflict): This voucher was already redeemed on ${shown.redeemed_at}.\n` });
    const expired = await hsp(['vouchers', 'redeem', 'OLD'], { env: env() });
    expect(expired).toMatchObject({ code: 1, stderr: 'POST /vouchers/redeem failed with HTTP 422 (validation failed): This voucher expired on 2020-01-01T00:00:00.000Z, so it can no longer be redeemed.\n' });
    const unknown = await hsp(['vouchers', 'redeem', 'NOPE'], { env: env() });
    expect(unknown).toMatchObject({ code: 1, stderr: 'POST /vouchers/redeem failed with HTTP 404 (not found): No voucher with that code.\n' });
    const noDelete = await hsp(['vouchers', 'delete', 'OLD'], { env: env() });
    expect(noDelete.code).toBe(2);
  });
});
