/**
 * The cache of rendered catalogue answers (src/server/cache/catalog-cache.ts): a repeated
 * anonymous GET is answered without the database, and every change to what the catalogue
 * shows (a product created, renamed, published, unpublished, deleted; a licence or a
 * screenshot attached; a licence's own text; a write straight to the database; a scheduled
 * publication coming due) is seen by the very next request. A signed-in caller's answers are
 * kept apart, by who they are and what their roles allow. On PGlite, and on PostgreSQL with
 * HSP_TEST_DATABASE_URL.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { rawRequest, type RawAnswer } from '../../helpers/raw-request.js';

const m = useMarketplace();
const PAST = '2020-01-01T00:00:00.000Z';

/** Counts the queries the server sends to its database while `work` runs. */
async function queriesDuring(work: () => Promise<unknown>): Promise<number> {
  const db = m.server.db as { query: (...args: unknown[]) => Promise<unknown> };
  const original = db.query;
  let count = 0;
  db.query = (...args) => {
    count++;
    return original(...args);
  };
  try {
    await work();
  } finally {
    db.query = original;
  }
  return count;
}

const anonymous = (path: string, headers: Record<string, string> = {}) => rawRequest(m, 'GET', path, { token: null, headers });
const names = (answer: RawAnswer) => ((answer.body as { results: { name: string }[] }).results ?? []).map((p) => p.name);

async function createProduct(name: string, published = true): Promise<string> {
  const answer = await rawRequest(m, 'POST', '/products', { json: { product: { name, ...(published ? { published_at: PAST, visible_at: PAST } : {}) } } });
  expect(answer.status).toBe(201);
  return (answer.body as { id: string }).id;
}

describe('anonymous catalogue answers', () => {
  let owner: TestUser;
  let productId: string;
  beforeAll(async () => {
    owner = await m.user('Cache owner');
    productId = await createProduct('Cached alpha');
  });

  it('are served again without the database, byte for byte, ETag included', async () => {
    const first = await anonymous('/products?per_page=30');
    expect(first.status).toBe(200);
    expect(names(first)).toContain('Cached alpha');
    let again: RawAnswer | undefined;
    expect(await queriesDuring(async () => (again = await anonymous('/products?per_page=30')))).toBe(0);
    expect(again!.text).toBe(first.text);
    expect(again!.headers.get('etag')).toBe(first.headers.get('etag'));
    expect(again!.headers.get('x-total-count')).toBe(first.headers.get('x-total-count'));
    expect(again!.headers.get('content-type')).toMatch(/^application\/json/);
    // The same product's own page too, and the `.json` spelling of it.
    await anonymous(`/products/${productId}`);
    expect(await queriesDuring(() => anonymous(`/products/${productId}.json`))).toBe(0);
  });

  it('are kept per audience: a signed-in caller gets their own view, never an anonymous one or another caller’s', async () => {
    const hidden = await rawRequest(m, 'POST', '/products', { json: { product: { name: 'Cached owner draft', user_id: owner.id } } });
    expect(hidden.status).toBe(201);
    const stranger = await m.user('Cache stranger');
    const list = (token: string | null) => rawRequest(m, 'GET', '/products?per_page=100', { token });
    expect(names(await list(null))).not.toContain('Cached owner draft');
    // The owner sees their draft, kept apart from the anonymous answer...
    expect(names(await list(owner.token))).toContain('Cached owner draft');
    let again: RawAnswer | undefined;
    // Once the NOTIFYs of the writes above have arrived (PostgreSQL), asking again costs nothing.
    await vi.waitFor(async () => expect(await queriesDuring(async () => (again = await list(owner.token)))).toBe(0), { timeout: 5_000, interval: 20 });
    expect(names(again!)).toContain('Cached owner draft');
    // Theirs alone, for shared caches too; and a 304 when they hold the bytes already.
    expect(again!.headers.get('cache-control')).toBe('private, no-cache');
    const unchanged = await rawRequest(m, 'GET', '/products?per_page=100', { token: owner.token, headers: { 'if-none-match': again!.headers.get('etag')! } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('cache-control')).toBe('private, no-cache');
    // ...anonymous callers and other users, after them, still do not...
    expect(names(await list(null))).not.toContain('Cached owner draft');
    expect(names(await list(stranger.token))).not.toContain('Cached owner draft');
    // ...until a role lets them read every product: a new audience, read from the database.
    const { rows } = await m.server.db.query<{ id: string }>("SELECT id FROM roles WHERE name = 'Editor'");
    const appointed = await rawRequest(m, 'POST', `/roles/${rows[0]!.id}/appointments`, { json: { appointment: { entity_type: 'User', entity_id: stranger.id } } });
    expect(appointed.status).toBe(201);
    expect(names(await list(stranger.token))).toContain('Cached owner draft');
  });

  it('hold the origin they were asked at: another Host gets its own links', async () => {
    const here = await anonymous(`/products/${productId}`);
    const there = await anonymous(`/products/${productId}`, { 'x-forwarded-host': 'market.example', 'x-forwarded-proto': 'https' });
    expect((here.body as { url: string }).url).toBe(`${m.url}/products/${productId}`);
    expect((there.body as { url: string }).url).toBe(`https://market.example/products/${productId}`);
  });

  it('change with every write to a product: create, update, unpublish, publish, delete', async () => {
    const list = () => anonymous('/products?per_page=100');
    await list();
    const id = await createProduct('Cached beta');
    expect(names(await list())).toContain('Cached beta');

    expect((await rawRequest(m, 'PATCH', `/products/${id}`, { json: { product: { name: 'Cached beta renamed' } } })).status).toBe(200);
    expect(names(await list())).toEqual(expect.arrayContaining(['Cached beta renamed']));
    expect(names(await list())).not.toContain('Cached beta');
    expect(((await anonymous(`/products/${id}`)).body as { name: string }).name).toBe('Cached beta renamed');

    expect((await rawRequest(m, 'POST', `/products/${id}/unpublish`)).status).toBe(200);
    expect(names(await list())).not.toContain('Cached beta renamed');
    expect((await anonymous(`/products/${id}`)).status).toBe(401);

    expect((await rawRequest(m, 'POST', `/products/${id}/publish`)).status).toBe(200);
    expect(names(await list())).toContain('Cached beta renamed');

    expect((await rawRequest(m, 'DELETE', `/products/${id}`)).status).toBe(200);
    expect(names(await list())).not.toContain('Cached beta renamed');
    expect((await anonymous(`/products/${id}`)).status).toBe(404);
  });

  it('change with what a product embeds and links: its licences, its screenshots, a licence itself', async () => {
    const product = () => anonymous(`/products/${productId}`).then((a) => a.body as { product_licenses: unknown[]; screenshots: { caption: string }[] });
    expect((await product()).product_licenses).toEqual([]);
    const licence = await rawRequest(m, 'POST', '/licenses', { json: { license: { name: 'Cached licence', url: 'https://example.com/licence' } } });
    expect(licence.status).toBe(201);
    const licenceId = (licence.body as { id: string }).id;
    const attached = await rawRequest(m, 'POST', `/products/${productId}/licenses`, { json: { product_license: { license_id: licenceId } } });
    expect(attached.status).toBe(201);
    expect((await product()).product_licenses).toEqual([expect.objectContaining({ license_id: licenceId })]);

    const shot = await rawRequest(m, 'POST', `/products/${productId}/screenshots`, { json: { screenshot: { caption: 'Cached screen' } } });
    expect(shot.status).toBe(201);
    expect((await product()).screenshots.map((s) => s.caption)).toEqual(['Cached screen']);
    const listed = (await anonymous('/products?per_page=100')).body as { results: { id: string; screenshots: unknown[] }[] };
    expect(listed.results.find((p) => p.id === productId)?.screenshots).toHaveLength(1);

    expect(((await anonymous(`/licenses/${licenceId}`)).body as { name: string }).name).toBe('Cached licence');
    expect((await rawRequest(m, 'PATCH', `/licenses/${licenceId}`, { json: { license: { name: 'Cached licence, revised' } } })).status).toBe(200);
    expect(((await anonymous(`/licenses/${licenceId}`)).body as { name: string }).name).toBe('Cached licence, revised');
  });

  it('change with a write that bypasses the routes, straight to the database', async () => {
    await anonymous(`/products/${productId}`);
    await m.server.db.query(`UPDATE products SET description = 'Written by SQL' WHERE id = $1`, [productId]);
    // PGlite hears its own NOTIFY before the write returns; PostgreSQL delivers it a moment after.
    await vi.waitFor(async () => expect(((await anonymous(`/products/${productId}`)).body as { description: string }).description).toBe('Written by SQL'), {
      timeout: 5_000,
    });
  });

  it('end when a scheduled publication comes due, though nothing was written', async () => {
    const due = new Date(Date.now() + 1_500).toISOString();
    const answer = await rawRequest(m, 'POST', '/products', { json: { product: { name: 'Cached scheduled', published_at: PAST, visible_at: due } } });
    expect(answer.status).toBe(201);
    expect(names(await anonymous('/products?per_page=100'))).not.toContain('Cached scheduled');
    expect(names(await anonymous('/products?per_page=100'))).not.toContain('Cached scheduled');
    await sleep(Date.parse(due) - Date.now() + 200);
    expect(names(await anonymous('/products?per_page=100'))).toContain('Cached scheduled');
  });
});

describe('a cache with bounds', () => {
  const small = useMarketplace({ catalogCache: { maxEntries: 3 } });

  it('keeps at most its number of answers, the least recently used dropped first', async () => {
    for (let page = 1; page <= 6; page++) {
      expect((await rawRequest(small, 'GET', `/products?page=${page}`, { token: null })).status).toBe(200);
    }
    expect(small.server.context.catalogCache!.size.entries).toBe(3);
  });
});
