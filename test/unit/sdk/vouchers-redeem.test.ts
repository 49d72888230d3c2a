/**
 * `client.vouchers.redeem`: the wire (one POST to /vouchers/redeem with the code in a wrapped
 * body, never in the URL; never retried: a retry after a lost answer would only meet a 409) and
 * the checks made before anything is sent.
 */
import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidArgumentError, Marketplace, type VoucherRedemption } from '../../../src/index.js';
import { BASE_URL, useMockApi } from '../../helpers/mock-api.js';

const api = useMockApi();

const USER = '3f1c2d4e-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const OFFER = 'c0ffee00-1234-4abc-9def-0123456789ab';
const ENTITLEMENT = '7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d';
const NOW = '2026-01-01T00:00:00.000Z';

const redemption: VoucherRedemption = {
  id: '11111111-2222-4333-8444-555555555555',
  product_license_id: OFFER,
  entitlement_id: ENTITLEMENT,
  code: 'WELCOME-2026',
  issued_at: null,
  expires_at: null,
  redeemed_at: NOW,
  redeemed_by: USER,
  created_at: NOW,
  updated_at: NOW,
  entitlement: { id: ENTITLEMENT, user_id: USER, product_license_id: OFFER, valid_from: NOW, created_at: NOW, updated_at: NOW },
};

const client = () => new Marketplace({ baseUrl: BASE_URL, dialect: 'r2', maxRetries: 3 });

describe('client.vouchers.redeem', () => {
  it('POSTs the code (and the user, when given) and resolves to the voucher with its entitlement', async () => {
    api.use(http.post(`${BASE_URL}/vouchers/redeem`, () => HttpResponse.json(redemption, { status: 201 })));
    const marketplace = client();
    expect(await marketplace.vouchers.redeem('WELCOME-2026')).toEqual(redemption);
    await marketplace.vouchers.redeem('WELCOME-2026', { user_id: USER.toUpperCase(), timeoutMs: 5_000 });
    expect(api.requests.map((r) => [`${r.method} ${r.path}`, r.query, r.body])).toEqual([
      ['POST /vouchers/redeem', {}, { voucher: { code: 'WELCOME-2026' } }],
      ['POST /vouchers/redeem', {}, { voucher: { code: 'WELCOME-2026', user_id: USER } }],
    ]);
  });

  it('never retries, and throws the server’s refusal as its class', async () => {
    api.use(http.post(`${BASE_URL}/vouchers/redeem`, () => HttpResponse.json({ message: 'Busy.' }, { status: 503, headers: { 'retry-after': '0' } })));
    await expect(client().vouchers.redeem('WELCOME-2026')).rejects.toThrow(/HTTP 503/);
    expect(api.requests).toHaveLength(1);

    api.use(http.post(`${BASE_URL}/vouchers/redeem`, () => HttpResponse.json({ message: `This voucher was already redeemed on ${NOW}.` }, { status: 409 })));
    const conflict = await client().vouchers.redeem('WELCOME-2026').catch((error: unknown) => error);
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).serverMessage).toBe(`This voucher was already redeemed on ${NOW}.`);
  });

  it('checks the code and the user id before sending anything', async () => {
    await expect(client().vouchers.redeem('  ')).rejects.toThrow(new InvalidArgumentError('code', 'vouchers.redeem needs a non-empty code.'));
    await expect(client().vouchers.redeem('WELCOME-2026', { user_id: 'kim' })).rejects.toThrow('user_id must be a UUID, got "kim".');
    expect(api.requests).toHaveLength(0);
  });
});
