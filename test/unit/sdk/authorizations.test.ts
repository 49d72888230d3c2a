/**
 * `client.authorizations`: the wire (PUT to the three paths, never retried: each call may spend
 * a use) and the mapping of answers: 200 and a 422 "no" are both values, every other error
 * (a 422 that is not an Authorization included) throws its usual class.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Marketplace, NotFoundError, PermissionDeniedError, ValidationError, type Authorization } from '../../../src/index.js';
import { BASE_URL, useMockApi } from '../../helpers/mock-api.js';

const api = useMockApi();

const USER = '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const GROUP = '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d';
const PRODUCT = 'c0ffee00-1234-4abc-9def-0123456789ab';

const yes: Authorization = {
  authorized: true,
  reason: 'Authorized by entitlement e1 under licence "Site licence" until 2027-01-01 (9 uses left).',
  product_id: PRODUCT,
  claimant_id: USER,
  claimant_type: 'User',
  entitlement_id: 'e1',
  claim_id: 'c1',
  attempt_id: 'a1',
  license_id: 'l1',
  expires_at: '2027-01-01T00:00:00.000Z',
  uses_left: 9,
};

const no: Authorization = {
  ...yes,
  authorized: false,
  reason: 'No entitlement of user "Kim" covers product "X": all 10 uses of licence "Pack of 10" are used.',
  entitlement_id: null,
  claim_id: null,
  license_id: null,
  expires_at: null,
  uses_left: null,
};

const client = () => new Marketplace({ baseUrl: BASE_URL, dialect: 'r2', maxRetries: 3 });

describe('client.authorizations', () => {
  it('PUTs to the user, group and caller paths and resolves a 200 to the Authorization', async () => {
    api.use(http.put(`${BASE_URL}/authorizations/*`, () => HttpResponse.json(yes)));
    const marketplace = client();
    expect(await marketplace.authorizations.user(USER.toUpperCase(), PRODUCT)).toEqual(yes);
    await marketplace.authorizations.group(GROUP, PRODUCT);
    await marketplace.authorizations.mine(PRODUCT);
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT /authorizations/users/${USER}/products/${PRODUCT}`,
      `PUT /authorizations/groups/${GROUP}/products/${PRODUCT}`,
      `PUT /authorizations/products/${PRODUCT}`,
    ]);
  });

  it('resolves a 422 "no" to the Authorization, without the message', async () => {
    api.use(http.put(`${BASE_URL}/authorizations/*`, () => HttpResponse.json({ message: no.reason, ...no }, { status: 422 })));
    const answer = await client().authorizations.user(USER, PRODUCT);
    expect(answer).toEqual(no);
    expect(answer).not.toHaveProperty('message');
  });

  it('throws other errors as usual: 404, 403, and a 422 that is not an answer', async () => {
    api.use(http.put(`${BASE_URL}/authorizations/products/*`, () => HttpResponse.json({ message: `No product with id ${PRODUCT}.` }, { status: 404 })));
    const missing = await client().authorizations.mine(PRODUCT).catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect((missing as NotFoundError).serverMessage).toBe(`No product with id ${PRODUCT}.`);

    api.use(http.put(`${BASE_URL}/authorizations/groups/*`, () => HttpResponse.json({ message: 'You may ask only about groups you are a member of.' }, { status: 403 })));
    await expect(client().authorizations.group(GROUP, PRODUCT)).rejects.toBeInstanceOf(PermissionDeniedError);

    api.use(http.put(`${BASE_URL}/authorizations/users/*`, () => HttpResponse.json({ product_id: ["can't be blank"] }, { status: 422 })));
    await expect(client().authorizations.user(USER, PRODUCT)).rejects.toBeInstanceOf(ValidationError);
  });

  it('never retries: a second try could spend a second use', async () => {
    api.use(http.put(`${BASE_URL}/authorizations/*`, () => HttpResponse.json({ message: 'Busy.' }, { status: 503, headers: { 'retry-after': '0' } })));
    await expect(client().authorizations.mine(PRODUCT)).rejects.toThrow(/HTTP 503/);
    expect(api.requests).toHaveLength(1);
  });

  it('checks ids before sending anything', async () => {
    await expect(client().authorizations.user('kim', PRODUCT)).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(client().authorizations.group(GROUP, '../status')).rejects.toThrow('productId must be a UUID, got "../status".');
    expect(api.requests).toHaveLength(0);
  });
});
