/**
 * `ETag` and `If-None-Match` on GETs: a strong tag from the body's bytes, a 304 without a body
 * when the client already holds them, a 200 with a new tag once they change. Signed-in answers
 * carry tags too, marked private to the caller. On PGlite, and on PostgreSQL with
 * HSP_TEST_DATABASE_URL.
 */
import { describe, expect, it } from 'vitest';
import { useMarketplace } from '../../helpers/marketplace.js';
import { rawRequest } from '../../helpers/raw-request.js';

const m = useMarketplace();

describe('ETag and If-None-Match', () => {
  it('answers a repeated anonymous GET of the catalogue with a 304 and no body, until it changes', async () => {
    const created = await rawRequest(m, 'POST', '/products', {
      json: { product: { name: 'Tagged product', published_at: '2020-01-01T00:00:00Z', visible_at: '2020-01-01T00:00:00Z' } },
    });
    const id = (created.body as { id: string }).id;
    for (const path of ['/products', `/products/${id}`, '/licenses']) {
      const first = await rawRequest(m, 'GET', path, { token: null });
      const etag = first.headers.get('etag');
      expect(etag, path).toMatch(/^"[A-Za-z0-9_-]{20,}"$/);
      const again = await rawRequest(m, 'GET', path, { token: null, headers: { 'if-none-match': etag! } });
      expect(again.status, path).toBe(304);
      expect(again.text, path).toBe('');
      expect(again.headers.get('etag'), path).toBe(etag);
      // A weak form of the same tag and a list holding it match too (RFC 9110 compares weakly here).
      expect((await rawRequest(m, 'GET', path, { token: null, headers: { 'if-none-match': `"other", W/${etag}` } })).status, path).toBe(304);
      expect((await rawRequest(m, 'GET', path, { token: null, headers: { 'if-none-match': '"other"' } })).status, path).toBe(200);
    }

    const before = (await rawRequest(m, 'GET', `/products/${id}`, { token: null })).headers.get('etag')!;
    expect((await rawRequest(m, 'PATCH', `/products/${id}`, { json: { product: { description: 'Changed.' } } })).status).toBe(200);
    const after = await rawRequest(m, 'GET', `/products/${id}`, { token: null, headers: { 'if-none-match': before } });
    expect(after.status).toBe(200);
    expect((after.body as { description: string }).description).toBe('Changed.');
    expect(after.headers.get('etag')).not.toBe(before);
  });

  it('tags signed-in answers too, private to the caller, and answers 304 only for the same bytes', async () => {
    const alice = await m.user('Tag Alice');
    const bob = await m.user('Tag Bob');
    const mine = await rawRequest(m, 'GET', '/status', { token: alice.token });
    // /status says the time: every answer differs, so a tag never matches a later one.
    expect((await rawRequest(m, 'GET', '/status', { token: alice.token, headers: { 'if-none-match': mine.headers.get('etag')! } })).status).toBe(200);

    const path = `/users/${alice.id}`;
    const hers = await rawRequest(m, 'GET', path, { token: alice.token });
    expect(hers.status).toBe(200);
    expect(hers.headers.get('cache-control')).toBe('private, no-cache');
    const etag = hers.headers.get('etag')!;
    expect((await rawRequest(m, 'GET', path, { token: alice.token, headers: { 'if-none-match': etag } })).status).toBe(304);
    // Bob is not shown her record as she is: her tag does not get him a 304.
    const his = await rawRequest(m, 'GET', path, { token: bob.token, headers: { 'if-none-match': etag } });
    expect(his.status).not.toBe(304);
  });

  it('gives no tag to errors nor to writes', async () => {
    const missing = await rawRequest(m, 'GET', '/products/00000000-0000-4000-8000-000000000000', { token: null });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('etag')).toBeNull();
    const created = await rawRequest(m, 'POST', '/products', { json: { product: { name: 'Untagged write' } } });
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBeNull();
  });
});
