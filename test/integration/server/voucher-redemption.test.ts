/**
 * Redeeming a voucher against `hsp serve` (PGlite, or PostgreSQL with HSP_TEST_DATABASE_URL):
 * `POST /vouchers/redeem` turns a code into an entitlement that the licence check then sees,
 * once; concurrent redemptions of one code leave exactly one entitlement; expired and unknown
 * codes are refused with a sentence; redeeming for someone else needs the right to; anonymous
 * callers and agent tokens may not redeem.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentTokenProvider } from '../../../src/agent/agent-token.js';
import { generateAgentKeyPair } from '../../../src/agent/keys.js';
import { ConflictError, Marketplace, NotFoundError, PermissionDeniedError, ValidationError, type VoucherRedemption } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { expectSentence, rawRequest } from '../../helpers/raw-request.js';

const m = useMarketplace();

let publisher: TestUser;
let customer: TestUser;
let colleague: TestUser;
let userAdmin: TestUser;
const clients: Marketplace[] = [];

beforeAll(async () => {
  publisher = await m.user('Pia Publisher');
  customer = await m.user('Cal Customer');
  colleague = await m.user('Cora Colleague');
  const role = await m.admin.roles.create({ name: `User administrator ${randomUUID().slice(0, 8)}`, permissions: { users: { update: true } } });
  userAdmin = await m.user('Ulla Useradmin', [role.name]);
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

/** A product of the publisher's, offered under an indefinite licence; a voucher for it. */
async function voucherFor(options: { expires_at?: string } = {}) {
  const tag = randomUUID().slice(0, 8);
  const product = await m.admin.products.create({ name: `Voucher app ${tag}`, user_id: publisher.id });
  const license = await m.admin.licenses.create({ name: `Voucher licence ${tag}`, url: `https://example.com/licences/${randomUUID()}`, expiry: 'indefinite' });
  const productLicense = await m.admin.productLicenses.create(product.id, { license_id: license.id });
  const code = `GIFT-${randomUUID()}`;
  const voucher = await publisher.client.vouchers.create({ product_license_id: productLicense.id, code, ...options });
  return { productId: product.id, productLicenseId: productLicense.id, code, voucher };
}

describe('POST /vouchers/redeem', () => {
  it('redeems a code for the caller: an entitlement the licence check then sees, and the voucher marked with it', async () => {
    const { productId, productLicenseId, code, voucher } = await voucherFor();
    expect((await customer.client.authorizations.mine(productId)).authorized).toBe(false);
    const before = Date.now();

    const redeemed = await customer.client.vouchers.redeem(code);
    expect(redeemed).toMatchObject({
      id: voucher.id,
      code,
      product_license_id: productLicenseId,
      redeemed_by: customer.id,
      entitlement_id: redeemed.entitlement.id,
      entitlement: { user_id: customer.id, product_license_id: productLicenseId },
    });
    expect(new Date(redeemed.redeemed_at!).getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(new Date(redeemed.entitlement.valid_from!).getTime()).toBeGreaterThanOrEqual(before - 1_000);

    // Stored as answered: the entitlement is the customer's, the voucher readable by its redeemer.
    expect(await customer.client.entitlements.retrieve(redeemed.entitlement.id)).toMatchObject({ user_id: customer.id, product_license_id: productLicenseId });
    expect(await customer.client.vouchers.retrieve(voucher.id)).toMatchObject({ redeemed_by: customer.id, entitlement_id: redeemed.entitlement.id });
    const granted = await customer.client.authorizations.mine(productId);
    expect(granted).toMatchObject({ authorized: true, entitlement_id: redeemed.entitlement.id });
  });

  it('answers 201 with the voucher and its entitlement embedded', async () => {
    const { code, voucher } = await voucherFor();
    const answer = await rawRequest(m, 'POST', '/vouchers/redeem', { token: customer.token, json: { voucher: { code } } });
    expect(answer.status).toBe(201);
    const body = answer.body as VoucherRedemption;
    expect(body).toMatchObject({ id: voucher.id, path: `/vouchers/${voucher.id}`, entitlement: { path: `/entitlements/${body.entitlement_id}` } });
  });

  it('refuses a second redemption with 409, and leaves the first one as it was', async () => {
    const { code, voucher } = await voucherFor();
    const first = await customer.client.vouchers.redeem(code);
    const second = await colleague.client.vouchers.redeem(code).catch((error: unknown) => error);
    expect(second).toBeInstanceOf(ConflictError);
    expect((second as ConflictError).serverMessage).toBe(`This voucher was already redeemed on ${first.redeemed_at}.`);
    expectSentence(await rawRequest(m, 'POST', '/vouchers/redeem', { token: customer.token, json: { voucher: { code } } }), 409);
    expect(await m.admin.vouchers.retrieve(voucher.id)).toMatchObject({ redeemed_by: customer.id, entitlement_id: first.entitlement.id });
    const entitlements = (await m.admin.entitlements.list().toArray()).filter((e) => e.product_license_id === voucher.product_license_id);
    expect(entitlements.map((e) => e.id)).toEqual([first.entitlement.id]);
  });

  it('of concurrent redemptions of one code, exactly one wins and one entitlement is made', async () => {
    const { code, voucher } = await voucherFor();
    const redeemers = await Promise.all(Array.from({ length: 6 }, (_, i) => m.user(`Racer ${i} ${randomUUID().slice(0, 4)}`)));
    const outcomes = await Promise.allSettled(redeemers.map((user) => user.client.vouchers.redeem(code)));
    const won = outcomes.filter((o): o is PromiseFulfilledResult<VoucherRedemption> => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(redeemers.length - 1);
    for (const loss of lost) expect(loss.reason).toBeInstanceOf(ConflictError);
    const winner = won[0]!.value;
    expect(await m.admin.vouchers.retrieve(voucher.id)).toMatchObject({ redeemed_by: winner.redeemed_by, entitlement_id: winner.entitlement.id });
    const entitlements = (await m.admin.entitlements.list().toArray()).filter((e) => e.product_license_id === voucher.product_license_id);
    expect(entitlements).toHaveLength(1);
  });

  it('refuses an expired code with 422, and makes nothing', async () => {
    const { code, voucher } = await voucherFor({ expires_at: '2020-01-01T00:00:00Z' });
    const refused = await customer.client.vouchers.redeem(code).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).serverMessage).toBe('This voucher expired on 2020-01-01T00:00:00.000Z, so it can no longer be redeemed.');
    expect(await m.admin.vouchers.retrieve(voucher.id)).toMatchObject({ redeemed_at: null, redeemed_by: null, entitlement_id: null });
    expect((await m.admin.entitlements.list().toArray()).filter((e) => e.product_license_id === voucher.product_license_id)).toEqual([]);
  });

  it('answers an unknown code, and a code off by a letter or its case, with the same 404', async () => {
    const { code, voucher } = await voucherFor();
    for (const wrong of [`NOPE-${randomUUID()}`, code.toLowerCase(), `${code} `, code.slice(0, -1)]) {
      const answer = await rawRequest(m, 'POST', '/vouchers/redeem', { token: customer.token, json: { voucher: { code: wrong } } });
      expectSentence(answer, 404);
      expect((answer.body as { message: string }).message).toBe('No voucher with that code.');
    }
    await expect(customer.client.vouchers.redeem(`NOPE-${randomUUID()}`)).rejects.toBeInstanceOf(NotFoundError);
    expect((await m.admin.vouchers.retrieve(voucher.id)).redeemed_at).toBeNull();
  });

  it('refuses a body without a usable code or user id, each with a sentence naming the field', async () => {
    const post = (json: unknown) => rawRequest(m, 'POST', '/vouchers/redeem', { token: customer.token, json });
    expect((await post({ voucher: {} })).body).toEqual({ code: ["can't be blank"] });
    expect((await post({ voucher: { code: 42 } })).body).toEqual({ code: ['must be a string'] });
    expect((await post({ voucher: { code: 'x'.repeat(256) } })).body).toEqual({ code: ['is too long (maximum is 255 characters)'] });
    expect((await post({ voucher: { code: 'ANY', user_id: 'someone' } })).body).toEqual({ user_id: ['must be a UUID'] });
    // Unwrapped works too, as for every write.
    expect((await post({ code: `NOPE-${randomUUID()}` })).status).toBe(404);
    expectSentence(await post(['not', 'an', 'object']), 400);
  });

  describe('for another user', () => {
    it('the product’s publisher and a user administrator may; the entitlement is theirs', async () => {
      const byPublisher = await voucherFor();
      const forCustomer = await publisher.client.vouchers.redeem(byPublisher.code, { user_id: customer.id });
      expect(forCustomer).toMatchObject({ redeemed_by: customer.id, entitlement: { user_id: customer.id } });
      expect((await customer.client.authorizations.mine(byPublisher.productId)).authorized).toBe(true);

      const byAdmin = await voucherFor();
      const forColleague = await userAdmin.client.vouchers.redeem(byAdmin.code, { user_id: colleague.id });
      expect(forColleague).toMatchObject({ redeemed_by: colleague.id, entitlement: { user_id: colleague.id } });
      expect((await colleague.client.authorizations.mine(byAdmin.productId)).authorized).toBe(true);
    });

    it('anyone else may not (403), and the code stays unredeemed; naming yourself is redeeming for yourself', async () => {
      const { code, voucher } = await voucherFor();
      const refused = await customer.client.vouchers.redeem(code, { user_id: colleague.id }).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(PermissionDeniedError);
      expect((refused as PermissionDeniedError).serverMessage).toBe(
        "You may redeem a voucher only for yourself: redeeming it for another user needs the users.update permission or ownership of the voucher's product.",
      );
      expect((await m.admin.vouchers.retrieve(voucher.id)).redeemed_at).toBeNull();
      await expect(customer.client.vouchers.redeem(code, { user_id: customer.id })).resolves.toMatchObject({ redeemed_by: customer.id });
    });

    it('an unknown user is a 404 with a sentence', async () => {
      const { code, voucher } = await voucherFor();
      const nobody = randomUUID();
      const answer = await rawRequest(m, 'POST', '/vouchers/redeem', { token: publisher.token, json: { voucher: { code, user_id: nobody } } });
      expectSentence(answer, 404);
      expect((answer.body as { message: string }).message).toBe(`No user with id ${nobody}.`);
      expect((await m.admin.vouchers.retrieve(voucher.id)).redeemed_at).toBeNull();
    });
  });

  it('refuses anonymous callers (401) and agent tokens (403)', async () => {
    const { code, voucher } = await voucherFor();
    expectSentence(await rawRequest(m, 'POST', '/vouchers/redeem', { token: null, json: { voucher: { code } } }), 401, /^You need to sign in to redeem a voucher\.$/);

    const key = generateAgentKeyPair();
    const platform = await customer.client.platforms.create(customer.id, { name: `edge ${randomUUID()}`, public_key: key.publicKeyPem });
    const agent = new Marketplace({
      baseUrl: m.url,
      dialect: 'r2',
      maxRetries: 0,
      tokenProvider: agentTokenProvider({ privateKey: key.privateKey, platformId: platform.id, userId: customer.id, audience: m.url }),
    });
    clients.push(agent);
    const refused = await agent.vouchers.redeem(code).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect((refused as PermissionDeniedError).serverMessage).toMatch(/^You are not allowed to POST \/vouchers\/redeem: an agent token may only /);
    expect((await m.admin.vouchers.retrieve(voucher.id)).redeemed_at).toBeNull();
  });

  it('leaves the voucher routes by id as they were: "redeem" is no voucher id', async () => {
    expectSentence(await rawRequest(m, 'GET', '/vouchers/redeem', { token: customer.token }), 404);
    const { voucher } = await voucherFor();
    expect((await publisher.client.vouchers.retrieve(voucher.id)).id).toBe(voucher.id);
  });
});
