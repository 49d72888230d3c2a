/**
 * Dynamic authorisation against `hsp serve` (PGlite, or PostgreSQL with HSP_TEST_DATABASE_URL):
 * the licence semantics as a table (each licence type × valid / expired / used up × through a
 * user's own entitlement, a group's claim, a parent product), then the rest: products without
 * a licence, entitlements not valid yet, the Attempt of each call, the choice among several
 * entitlements, concurrent calls racing for the last uses, who may ask, and the 404s.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentTokenProvider } from '../../../src/agent/agent-token.js';
import { generateAgentKeyPair } from '../../../src/agent/keys.js';
import { AuthenticationError, Marketplace, NotFoundError, PermissionDeniedError, type Authorization, type LicenseExpiry } from '../../../src/index.js';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { expectSentence, rawRequest, type RawAnswer } from '../../helpers/raw-request.js';

const m = useMarketplace();

const DAY_MS = 24 * 60 * 60 * 1000;
const daysFromNow = (days: number) => new Date(Date.now() + days * DAY_MS);
const iso = (date: Date) => date.toISOString();

let kim: TestUser;
let buyer: TestUser;
let groupId: string;
const clients: Marketplace[] = [];

beforeAll(async () => {
  kim = await m.user('Kim');
  buyer = await m.user('Bea Buyer');
  groupId = (await m.admin.groups.create({ name: `Clinic ${randomUUID()}` })).id;
  await m.admin.members.create(groupId, { user_id: kim.id });
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
});

/** A product offered under a new licence; returns the ids. */
async function offer(name: string, licence: { expiry: LicenseExpiry; days_valid?: number; expires_at?: string; uses?: number }) {
  const tag = randomUUID().slice(0, 8);
  const product = await m.admin.products.create({ name: `${name} ${tag}` });
  const license = await m.admin.licenses.create({ name: `${name} licence ${tag}`, url: `https://example.com/licences/${randomUUID()}`, ...licence });
  const productLicense = await m.admin.productLicenses.create(product.id, { license_id: license.id });
  return { productId: product.id, productName: product.name, licenseId: license.id, licenseName: license.name, productLicenseId: productLicense.id };
}

async function ask(path: string, token: string | null | undefined = undefined, method = 'PUT'): Promise<RawAnswer> {
  return rawRequest(m, method, path, { token });
}

async function claimsOf(entitlementId: string) {
  return m.admin.claims.list(entitlementId).toArray();
}

// ---------------------------------------------------------------------------------------
// The table

type Path = 'user' | 'group' | 'child product';
type State = 'valid' | 'expired' | 'used up';

interface Case {
  expiry: LicenseExpiry;
  state: State;
  path: Path;
}

const TABLE: Case[] = (['indefinite', 'relative_date', 'absolute_date'] as const).flatMap((expiry) =>
  (['valid', 'expired', 'used up'] as const).flatMap((state) => (['user', 'group', 'child product'] as const).map((path) => ({ expiry, state, path }))),
);

/** The licence and entitlement dates for a case: "expired" is as expired as its type can be. */
function datesOf(expiry: LicenseExpiry, state: State): { licence: { days_valid?: number; expires_at?: string }; validFrom: Date; endsAt: Date | null } {
  const expired = state === 'expired';
  switch (expiry) {
    case 'indefinite': {
      // An indefinite licence cannot expire: twenty years on, it still holds.
      return { licence: {}, validFrom: daysFromNow(expired ? -20 * 365 : -1), endsAt: null };
    }
    case 'relative_date': {
      const validFrom = daysFromNow(expired ? -31 : -1);
      return { licence: { days_valid: 30 }, validFrom, endsAt: new Date(validFrom.getTime() + 30 * DAY_MS) };
    }
    case 'absolute_date': {
      const endsAt = new Date(Date.UTC(new Date().getUTCFullYear() + (expired ? -1 : 1), 0, 1));
      return { licence: { expires_at: iso(endsAt) }, validFrom: daysFromNow(expired ? -400 : -1), endsAt };
    }
  }
}

describe('the licence table', () => {
  it.each(TABLE)('$expiry × $state × $path', async ({ expiry, state, path }) => {
    const { licence, validFrom, endsAt } = datesOf(expiry, state);
    // Two uses: "used up" has had both, "valid" one (so this call takes the last).
    const offered = await offer(`${expiry} ${state} ${path}`, { expiry, ...licence, uses: 2 });
    // The user's own entitlement; for a group, bought by someone else and claimed for the group.
    const entitlement = await m.admin.entitlements.create({
      user_id: path === 'group' ? buyer.id : kim.id,
      product_license_id: offered.productLicenseId,
      valid_from: iso(validFrom),
    });
    const claimant = path === 'group' ? { claimant_type: 'Group' as const, claimant_id: groupId } : { claimant_type: 'User' as const, claimant_id: kim.id };
    // Uses so far, on the claimant's claim (a group's: created here, as claiming is the buyer's act).
    const usedBefore = state === 'used up' ? 2 : 1;
    if (path === 'group') await m.admin.claims.create(entitlement.id, { ...claimant, authorization_count: usedBefore });
    else await m.admin.claims.create(entitlement.id, { claimant_type: 'User', claimant_id: buyer.id, authorization_count: usedBefore });

    let productId = offered.productId;
    let productName = offered.productName;
    if (path === 'child product') {
      // A part of the licensed product, sold under a licence of its own that Kim does not hold.
      const child = await offer('Module', { expiry: 'indefinite' });
      await m.admin.subProducts.create({ parent_id: offered.productId, child_id: child.productId });
      productId = child.productId;
      productName = child.productName;
    }

    const url = path === 'group' ? `/authorizations/groups/${groupId}/products/${productId}` : `/authorizations/users/${kim.id}/products/${productId}`;
    const answer = await ask(url);
    const body = answer.body as Authorization & { message?: string };
    expect(body).toMatchObject({ product_id: productId, claimant_id: claimant.claimant_id, claimant_type: claimant.claimant_type });
    const attempt = await m.admin.attempts.retrieve(body.attempt_id!);
    expect(attempt).toMatchObject({ product_id: productId, claimant_id: claimant.claimant_id, claimant_type: claimant.claimant_type });

    const granted = state === 'valid' || (state === 'expired' && expiry === 'indefinite');
    if (!granted) {
      expectSentence(answer, 422);
      expect(body).toMatchObject({ authorized: false, entitlement_id: null, claim_id: null, license_id: null, expires_at: null, uses_left: null });
      expect(body.message).toBe(body.reason);
      const who = path === 'group' ? 'claimed for group "Clinic ' : 'of user "Kim"';
      expect(body.reason).toMatch(new RegExp(`^No entitlement ${who}.*covers product ${JSON.stringify(productName)}: `));
      if (state === 'expired') {
        expect(body.reason).toContain(`the entitlement under licence ${JSON.stringify(offered.licenseName)} expired on `);
        expect(body.reason).toContain(endsAt!.toISOString().slice(0, 10));
      } else {
        expect(body.reason).toContain(`all 2 uses of licence ${JSON.stringify(offered.licenseName)} are used.`);
      }
      expect(attempt.claim_id).toBeNull();
      // Nothing was counted.
      const claims = await claimsOf(entitlement.id);
      expect(claims.reduce((sum, claim) => sum + (claim.authorization_count ?? 0), 0)).toBe(usedBefore);
      return;
    }

    expect(answer.status, answer.text).toBe(200);
    expect(body).toMatchObject({
      authorized: true,
      entitlement_id: entitlement.id,
      license_id: offered.licenseId,
      expires_at: endsAt ? iso(endsAt) : null,
      uses_left: 0,
    });
    expect(body.reason).toMatch(new RegExp(`^Authorized by entitlement ${entitlement.id} under licence `));
    expect(body.reason).toContain(endsAt ? ` until ${iso(endsAt).slice(0, 10)}` : ', with no end date');
    expect(body.reason).toMatch(/\(0 uses left\)\.$/);
    if (path === 'child product') expect(body.reason).toContain(`for product family ${JSON.stringify(offered.productName)}`);
    // The use was counted on the claimant's claim (made for Kim when she had none).
    const claim = (await claimsOf(entitlement.id)).find((c) => c.id === body.claim_id);
    expect(claim).toMatchObject({ ...claimant, authorization_count: path === 'group' ? 2 : 1 });
    expect(Date.now() - Date.parse(claim!.authorized_at!)).toBeLessThan(60_000);
    expect(attempt.claim_id).toBe(body.claim_id);

    // That was the last use: the next call is refused.
    const again = await ask(url);
    expectSentence(again, 422, /all 2 uses of licence .* are used\.$/);
  });
});

// ---------------------------------------------------------------------------------------

describe('dynamic authorisation', () => {
  it('needs no entitlement for a product without a licence, and still records the attempt', async () => {
    const product = await m.admin.products.create({ name: `Free ${randomUUID()}` });
    const answer = await kim.client.authorizations.mine(product.id);
    expect(answer).toMatchObject({ authorized: true, entitlement_id: null, claim_id: null, license_id: null, expires_at: null, uses_left: null });
    expect(answer.reason).toBe(`Product ${JSON.stringify(product.name)} has no licence, so it needs no entitlement.`);
    expect(await m.admin.attempts.retrieve(answer.attempt_id!)).toMatchObject({ product_id: product.id, claimant_id: kim.id, claimant_type: 'User', claim_id: null });
  });

  it('refuses an entitlement that is not valid yet, and a product nobody is entitled to', async () => {
    const offered = await offer('Preorder', { expiry: 'indefinite' });
    const start = new Date(Date.UTC(new Date().getUTCFullYear() + 1, 5, 1));
    await m.admin.entitlements.create({ user_id: kim.id, product_license_id: offered.productLicenseId, valid_from: iso(start) });
    const answer = await kim.client.authorizations.mine(offered.productId);
    expect(answer.authorized).toBe(false);
    expect(answer.reason).toBe(
      `No entitlement of user "Kim" covers product ${JSON.stringify(offered.productName)}: the entitlement under licence ${JSON.stringify(offered.licenseName)} is valid only from ${iso(start).slice(0, 10)}.`,
    );

    const unowned = await offer('Unowned', { expiry: 'indefinite' });
    const none = await kim.client.authorizations.user(kim.id, unowned.productId);
    expect(none.reason).toBe(`No entitlement of user "Kim" covers product ${JSON.stringify(unowned.productName)}: there is none for it or for a product family containing it.`);
    expect(await m.admin.attempts.retrieve(none.attempt_id!)).toMatchObject({ product_id: unowned.productId, claimant_id: kim.id, claim_id: null });
  });

  it("authorises a group's member through the group's claim, on a claim of the member's own", async () => {
    const offered = await offer('Site', { expiry: 'indefinite', uses: 5 });
    const entitlement = await m.admin.entitlements.create({ user_id: buyer.id, product_license_id: offered.productLicenseId });
    await m.admin.claims.create(entitlement.id, { claimant_type: 'Group', claimant_id: groupId, authorization_count: 1 });
    const answer = await kim.client.authorizations.user(kim.id, offered.productId);
    expect(answer).toMatchObject({ authorized: true, entitlement_id: entitlement.id, uses_left: 3 });
    expect(answer.reason).toContain(' through group "Clinic ');
    const claims = await claimsOf(entitlement.id);
    expect(claims.find((c) => c.id === answer.claim_id)).toMatchObject({ claimant_type: 'User', claimant_id: kim.id, authorization_count: 1 });
    // Someone outside the group gets nothing from its claim.
    const outsider = await m.user('Otto Outsider');
    expect((await outsider.client.authorizations.mine(offered.productId)).authorized).toBe(false);
  });

  it('grants through a claim naming the user on someone else\'s entitlement', async () => {
    const offered = await offer('Seat', { expiry: 'indefinite', uses: 3 });
    const entitlement = await m.admin.entitlements.create({ user_id: buyer.id, product_license_id: offered.productLicenseId });
    const claim = await m.admin.claims.create(entitlement.id, { claimant_type: 'User', claimant_id: kim.id });
    const answer = await kim.client.authorizations.mine(offered.productId);
    expect(answer).toMatchObject({ authorized: true, entitlement_id: entitlement.id, claim_id: claim.id, uses_left: 2 });
  });

  it('licenses the parts of a licensed family: a module without a licence of its own needs the suite', async () => {
    const suite = await offer('Suite', { expiry: 'indefinite' });
    const module = await m.admin.products.create({ name: `Module ${randomUUID().slice(0, 8)}` });
    await m.admin.subProducts.create({ parent_id: suite.productId, child_id: module.id });
    const refused = await kim.client.authorizations.mine(module.id);
    expect(refused.reason).toBe(`No entitlement of user "Kim" covers product ${JSON.stringify(module.name)}: there is none for it or for a product family containing it.`);
    const entitlement = await m.admin.entitlements.create({ user_id: kim.id, product_license_id: suite.productLicenseId });
    const granted = await kim.client.authorizations.mine(module.id);
    expect(granted).toMatchObject({ authorized: true, entitlement_id: entitlement.id, license_id: suite.licenseId });
    expect(granted.reason).toBe(`Authorized by entitlement ${entitlement.id} under licence ${JSON.stringify(suite.licenseName)} for product family ${JSON.stringify(suite.productName)}, with no end date.`);
  });

  it('grants grandchildren, and a cycle of sub-products ends', async () => {
    const top = await offer('Suite', { expiry: 'indefinite' });
    const middle = await offer('Bundle', { expiry: 'indefinite' });
    const leaf = await offer('Widget', { expiry: 'indefinite' });
    await m.admin.subProducts.create({ parent_id: top.productId, child_id: middle.productId });
    await m.admin.subProducts.create({ parent_id: middle.productId, child_id: leaf.productId });
    // A loop back to the top: the walk up the family must still end.
    await m.admin.subProducts.create({ parent_id: leaf.productId, child_id: top.productId });
    expect((await kim.client.authorizations.mine(leaf.productId)).authorized).toBe(false);
    const entitlement = await m.admin.entitlements.create({ user_id: kim.id, product_license_id: top.productLicenseId });
    const answer = await kim.client.authorizations.mine(leaf.productId);
    expect(answer).toMatchObject({ authorized: true, entitlement_id: entitlement.id, license_id: top.licenseId });
  });

  it('chooses unlimited uses first, then the entitlement that ends last, then the oldest', async () => {
    const product = await m.admin.products.create({ name: `Choice ${randomUUID()}` });
    const licence = async (expiry: LicenseExpiry, extra: object) => {
      const license = await m.admin.licenses.create({ name: `Choice ${randomUUID()}`, url: `https://example.com/${randomUUID()}`, expiry, ...extra });
      return (await m.admin.productLicenses.create(product.id, { license_id: license.id })).id;
    };
    const soon = await licence('absolute_date', { expires_at: iso(daysFromNow(10)), uses: 5 });
    const later = await licence('absolute_date', { expires_at: iso(daysFromNow(100)), uses: 5 });
    const unlimited = await licence('absolute_date', { expires_at: iso(daysFromNow(5)) });
    const entitle = async (productLicenseId: string) => (await m.admin.entitlements.create({ user_id: kim.id, product_license_id: productLicenseId })).id;
    await entitle(soon);
    const laterFirst = await entitle(later);
    const laterSecond = await entitle(later);
    expect((await kim.client.authorizations.mine(product.id)).entitlement_id).toBe(laterFirst);
    const unlimitedId = await entitle(unlimited);
    const answer = await kim.client.authorizations.mine(product.id);
    expect(answer).toMatchObject({ entitlement_id: unlimitedId, uses_left: null });
    expect(laterSecond).not.toBe(laterFirst);
  });

  it('lets no two concurrent calls take the same last use: 10 calls against 3 uses, exactly 3 yes', async () => {
    const offered = await offer('Pack of 3', { expiry: 'indefinite', uses: 3 });
    const entitlement = await m.admin.entitlements.create({ user_id: kim.id, product_license_id: offered.productLicenseId });
    const answers = await Promise.all(Array.from({ length: 10 }, () => ask(`/authorizations/users/${kim.id}/products/${offered.productId}`, kim.token)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 422, 422, 422, 422, 422, 422, 422]);
    const left = answers.filter((a) => a.status === 200).map((a) => (a.body as Authorization).uses_left).sort();
    expect(left).toEqual([0, 1, 2]);
    const claims = await claimsOf(entitlement.id);
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatchObject({ claimant_type: 'User', claimant_id: kim.id, authorization_count: 3 });
    const attempts = await m.admin.attempts.list({ product_id: offered.productId }).toArray();
    expect(attempts).toHaveLength(10);
    expect(attempts.filter((a) => a.claim_id === claims[0]!.id)).toHaveLength(3);
  });

  it('answers POST as PUT', async () => {
    const product = await m.admin.products.create({ name: `Posted ${randomUUID()}` });
    const answer = await ask(`/authorizations/products/${product.id}`, kim.token, 'POST');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ authorized: true, claimant_id: kim.id });
  });
});

// ---------------------------------------------------------------------------------------

describe('who may ask', () => {
  let productId: string;
  let publisher: TestUser;
  let stranger: TestUser;

  beforeAll(async () => {
    publisher = await m.user('Pat Publisher');
    stranger = await m.user('Sam Stranger');
    const product = await m.admin.products.create({ name: `Guarded ${randomUUID()}`, user_id: publisher.id });
    productId = product.id;
    const license = await m.admin.licenses.create({ name: `Guarded ${randomUUID()}`, url: `https://example.com/${randomUUID()}`, expiry: 'indefinite' });
    const productLicense = await m.admin.productLicenses.create(productId, { license_id: license.id });
    await m.admin.entitlements.create({ user_id: kim.id, product_license_id: productLicense.id });
  });

  const agentFor = (user: TestUser, platformId: string, key: ReturnType<typeof generateAgentKeyPair>) => {
    const client = new Marketplace({
      baseUrl: m.url,
      dialect: 'r2',
      maxRetries: 0,
      tokenProvider: agentTokenProvider({ privateKey: key.privateKey, platformId, userId: user.id, audience: m.url }),
    });
    clients.push(client);
    return client;
  };

  it('the publisher uses their own licensed product without an entitlement; nobody else does', async () => {
    const own = await publisher.client.authorizations.mine(productId);
    expect(own).toMatchObject({ authorized: true, entitlement_id: null, claim_id: null, uses_left: null });
    expect(own.reason).toBe(`User "Pat Publisher" publishes product "${(await m.admin.products.retrieve(productId)).name}", so needs no entitlement for it.`);
    expect(own.attempt_id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await stranger.client.authorizations.mine(productId)).authorized).toBe(false);
  });

  it('a user about themselves, a member about the group, the product owner and an administrator about anyone', async () => {
    expect((await kim.client.authorizations.user(kim.id, productId)).authorized).toBe(true);
    expect((await kim.client.authorizations.group(groupId, productId)).authorized).toBe(false);
    expect((await publisher.client.authorizations.user(kim.id, productId)).authorized).toBe(true);
    expect((await publisher.client.authorizations.group(groupId, productId)).claimant_type).toBe('Group');
    expect((await m.admin.authorizations.user(stranger.id, productId)).authorized).toBe(false);
    expect((await m.admin.authorizations.group(groupId, productId)).authorized).toBe(false);
  });

  it('refuses other users (403), non-members (403) and anonymous callers (401), with a sentence', async () => {
    const attemptsBefore = (await m.admin.attempts.list({ product_id: productId }).toArray()).length;
    const other = await ask(`/authorizations/users/${kim.id}/products/${productId}`, stranger.token);
    expectSentence(other, 403, /^You may ask only about yourself and your groups: .*authorizations\.create permission\.$/);
    const group = await ask(`/authorizations/groups/${groupId}/products/${productId}`, stranger.token);
    expectSentence(group, 403, /^You may ask only about groups you are a member of/);
    // A group that does not exist is no different to someone who may not ask.
    expectSentence(await ask(`/authorizations/groups/${randomUUID()}/products/${productId}`, stranger.token), 403);
    for (const path of [`/authorizations/users/${kim.id}/products/${productId}`, `/authorizations/groups/${groupId}/products/${productId}`, `/authorizations/products/${productId}`]) {
      expectSentence(await ask(path, null), 401, /^You need to sign in to ask whether a product may be used\.$/);
    }
    await expect(stranger.client.authorizations.user(kim.id, productId)).rejects.toBeInstanceOf(PermissionDeniedError);
    await expect(m.anonymous.authorizations.mine(productId)).rejects.toBeInstanceOf(AuthenticationError);
    // A caller who may not ask learns nothing and leaves no attempt.
    expect(await m.admin.attempts.list({ product_id: productId }).toArray()).toHaveLength(attemptsBefore);
  });

  it("an agent token asks about its platform's owner, and about no one else", async () => {
    const key = generateAgentKeyPair();
    const platform = await kim.client.platforms.create(kim.id, { name: `edge ${randomUUID()}`, public_key: key.publicKeyPem });
    const agent = agentFor(kim, platform.id, key);
    const answer = await agent.authorizations.user(kim.id, productId);
    expect(answer).toMatchObject({ authorized: true, claimant_id: kim.id });
    const refused = await agent.authorizations.user(stranger.id, productId).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(PermissionDeniedError);
    expect((refused as PermissionDeniedError).serverMessage).toMatch(/^You are not allowed to PUT \/authorizations\/users\/:user_id\/products\/:product_id: an agent token may only .* ask whether the platform's owner may use a product\.$/);
    // Not the group route, nor the caller's own route: the agent asks about its owner by name.
    await expect(agent.authorizations.group(groupId, productId)).rejects.toBeInstanceOf(PermissionDeniedError);

    // The publisher's agent may not ask about Kim, although the publisher may.
    const publisherKey = generateAgentKeyPair();
    const publisherPlatform = await publisher.client.platforms.create(publisher.id, { name: `edge ${randomUUID()}`, public_key: publisherKey.publicKeyPem });
    await expect(agentFor(publisher, publisherPlatform.id, publisherKey).authorizations.user(kim.id, productId)).rejects.toBeInstanceOf(PermissionDeniedError);
  });

  it('answers unknown products, users and groups, and malformed ids, with a 404 sentence', async () => {
    const missing = randomUUID();
    expectSentence(await ask(`/authorizations/products/${missing}`, kim.token), 404, new RegExp(`^No product with id ${missing}\\.$`));
    expectSentence(await ask(`/authorizations/users/${missing}/products/${productId}`), 404, new RegExp(`^No user with id ${missing}\\.$`));
    expectSentence(await ask(`/authorizations/groups/${missing}/products/${productId}`), 404, new RegExp(`^No group with id ${missing}\\.$`));
    expectSentence(await ask(`/authorizations/users/not-a-uuid/products/${productId}`), 404, /^No record with id "not-a-uuid"\.$/);
    await expect(kim.client.authorizations.mine(missing)).rejects.toBeInstanceOf(NotFoundError);
  });
});
