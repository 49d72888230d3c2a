/**
 * `hsp vouchers redeem CODE [--user USER]` against `hsp serve` (the built bin/hsp, and the
 * command tree in-process): a customer, who may
 * not list vouchers, redeems the code they were given and may then use the product; redeeming
 * for someone else needs the right to. Against a marketplace without the redemption operation
 * (the reference server), the CLI says so and redeems in two steps where the caller may write
 * vouchers and entitlements.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VoucherRedemption } from '../../../src/index.js';
import { hsp } from '../../helpers/cli.js';
import { json, ok } from '../../helpers/cli-expect.js';
import { spawnHsp } from '../../helpers/hsp-process.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { withoutRoute } from '../../helpers/missing-route-proxy.js';

const m = useMarketplace();
let customer: TestUser;
let colleague: TestUser;
let productId = '';
let offerId = '';

beforeAll(async () => {
  customer = await m.user('Cleo Customer');
  colleague = await m.user('Cole Colleague');
  const tag = randomUUID().slice(0, 8);
  productId = (await m.admin.products.create({ name: `Redeemable App ${tag}` })).id;
  const license = await m.admin.licenses.create({ name: `Redeemable licence ${tag}`, url: `https://example.com/licences/${randomUUID()}`, expiry: 'indefinite' });
  offerId = (await m.admin.productLicenses.create(productId, { license_id: license.id })).id;
});

const as = (user: TestUser, url = m.url) => ({ HSP_URL: url, HSP_TOKEN: user.token });
const asAdmin = (url = m.url) => ({ HSP_URL: url, HSP_TOKEN: m.server.adminToken });

async function newCode(): Promise<string> {
  const code = `GIFT-${randomUUID().slice(0, 8).toUpperCase()}`;
  await m.admin.vouchers.create({ product_license_id: offerId, code });
  return code;
}

describe('hsp vouchers redeem', () => {
  it('lets a customer redeem the code they hold, and then use the product', async () => {
    const code = await newCode();
    // The customer may not list vouchers: the code is sent as typed, not looked up.
    expect(ok(await hsp(['vouchers', 'list', '--json'], { env: as(customer) })).stdout).toBe('[]\n');
    const refused = await hsp(['licenses', 'check', productId], { env: as(customer) });
    expect(refused.code).toBe(1);

    // As users run it: the built bin/hsp in a process of its own.
    const redeemed = await spawnHsp(['vouchers', 'redeem', code], { env: as(customer) }).exited;
    const voucher = (await m.admin.vouchers.list().toArray()).find((v) => v.code === code)!;
    expect(voucher).toMatchObject({ redeemed_by: customer.id, entitlement_id: expect.any(String) as unknown });
    expect(redeemed).toEqual({ code: 0, signal: null, stdout: '', stderr: `✓ Redeemed voucher ${code}: entitlement ${voucher.entitlement_id}\n` });
    const again = await spawnHsp(['vouchers', 'redeem', code], { env: as(customer) }).exited;
    expect(again).toMatchObject({ code: 1, stdout: '', stderr: `POST /vouchers/redeem failed with HTTP 409 (conflict): This voucher was already redeemed on ${voucher.redeemed_at}.\n` });

    const granted = ok(await hsp(['licenses', 'check', productId], { env: as(customer) }));
    expect(granted.stdout).toMatch(new RegExp(`^Authorized by entitlement ${voucher.entitlement_id} under licence "Redeemable licence \\w+"`));
  });

  it('prints the voucher and its entitlement with --json', async () => {
    const code = await newCode();
    const redemption = json<VoucherRedemption>(await hsp(['vouchers', 'redeem', code, '--json'], { env: as(customer) }));
    expect(redemption).toMatchObject({ code, redeemed_by: customer.id, entitlement: { user_id: customer.id, product_license_id: offerId } });
    expect(redemption.entitlement_id).toBe(redemption.entitlement.id);
  });

  it('redeems for another user only with the right to: a customer may not, an administrator may (by name)', async () => {
    const code = await newCode();
    const refused = await hsp(['vouchers', 'redeem', code, '--user', colleague.id], { env: as(customer) });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      "POST /vouchers/redeem failed with HTTP 403 (permission denied): You may redeem a voucher only for yourself: redeeming it for another user needs the users.update permission or ownership of the voucher's product.\nYour account lacks the role for this; ask an administrator.\n",
    );
    const redeemed = ok(await hsp(['vouchers', 'redeem', code, '--user', 'Cole Colleague'], { env: asAdmin() }));
    expect(redeemed.stderr).toMatch(/^✓ Redeemed voucher GIFT-\w+: entitlement [0-9a-f-]{36} for Cole Colleague\n$/);
    expect((await m.admin.vouchers.list().toArray()).find((v) => v.code === code)).toMatchObject({ redeemed_by: colleague.id });
  });

  it('needs a sign-in, and a code', async () => {
    const anonymous = await hsp(['vouchers', 'redeem', 'ANY'], { env: { HSP_URL: m.url } });
    expect(anonymous.code).toBe(4);
    const missing = await hsp(['vouchers', 'redeem'], { env: as(customer) });
    expect(missing).toMatchObject({ code: 2, stderr: "Missing required argument 'code'.\n" });
  });

  describe('a marketplace without the redemption operation', () => {
    let proxy: Server;
    let proxyUrl = '';
    beforeAll(async () => {
      proxy = await withoutRoute(m.url, '/vouchers/redeem');
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())));

    const NOTE = '! The marketplace has no redemption operation (POST /vouchers/redeem): redeeming in two steps instead (an entitlement, then the voucher marked with it).\n';

    it('says so, and redeems in two steps where the caller may write vouchers and entitlements', async () => {
      const code = await newCode();
      const redeemed = ok(await hsp(['vouchers', 'redeem', code, '--user', customer.id], { env: asAdmin(proxyUrl) }));
      const voucher = (await m.admin.vouchers.list().toArray()).find((v) => v.code === code)!;
      expect(redeemed.stderr).toBe(`${NOTE}✓ Redeemed voucher ${code}: entitlement ${voucher.entitlement_id} for ${customer.id}\n`);
      expect(voucher).toMatchObject({ redeemed_by: customer.id });
      expect(await m.admin.entitlements.retrieve(voucher.entitlement_id!)).toMatchObject({ user_id: customer.id, product_license_id: offerId });

      // Checked before anything is written: such a server would let a second redemption win.
      const twice = await hsp(['vouchers', 'redeem', code], { env: asAdmin(proxyUrl) });
      expect(twice).toMatchObject({ code: 1, stderr: `${NOTE}This voucher was already redeemed on ${voucher.redeemed_at}.\n` });
    });

    it('finds no voucher for a customer who may not list them, and writes nothing', async () => {
      const code = await newCode();
      const entitlementsBefore = (await m.admin.entitlements.list().toArray()).length;
      const refused = await hsp(['vouchers', 'redeem', code], { env: as(customer, proxyUrl) });
      expect(refused).toMatchObject({ code: 1, stderr: `${NOTE}No voucher with that code.\n` });
      expect((await m.admin.vouchers.list().toArray()).find((v) => v.code === code)?.redeemed_at).toBeNull();
      expect(await m.admin.entitlements.list().toArray()).toHaveLength(entitlementsBefore);
    });
  });
});
