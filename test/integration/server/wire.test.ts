/**
 * The wire contract at its edges, with raw `fetch` where the SDK would refuse to send the bad
 * input: pagination, filters, sorting, injection attempts, cascades, uniqueness under
 * concurrency, bad bodies and paths, content negotiation and size limits. Whatever the input,
 * the server answers a 4xx with a sentence, never a 500.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../../src/index.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { expectSentence, rawRequest, type RawOptions } from '../../helpers/raw-request.js';

const m = useMarketplace();

/** A raw request to this file's marketplace as the administrator (or `token: null` for anonymous); never a 500. */
const api = (method: string, path: string, options?: RawOptions) => rawRequest(m, method, path, options);

interface Envelope<T = Record<string, unknown>> {
  total_pages: number;
  total_entries: number;
  previous_page: number | null;
  next_page: number | null;
  current_page: number;
  results: T[];
}

let made = 0;
async function product(extra: Record<string, unknown> = {}): Promise<Product> {
  const sent = await api('POST', '/products', { json: { product: { name: `Wire product ${++made} ${randomUUID()}`, ...extra } } });
  expect(sent.status).toBe(201);
  return sent.body as Product;
}

describe('pagination', () => {
  beforeAll(async () => {
    await m.server.db.query(
      `INSERT INTO interfaces (name, uri, version, ordinal) SELECT 'Bulk ' || g, 'urn:bulk:' || g, '1', g % 7 FROM generate_series(1, 105) g`,
    );
  });

  it('defaults to 30 per page, in the reference envelope', async () => {
    const { body } = await api('GET', '/interfaces');
    const page = body as Envelope;
    expect(Object.keys(page)).toEqual(['total_pages', 'total_entries', 'previous_page', 'next_page', 'current_page', 'results']);
    expect(page).toMatchObject({ total_entries: 105, total_pages: 4, previous_page: null, next_page: 2, current_page: 1 });
    expect(page.results).toHaveLength(30);
  });

  it('caps per_page at 100', async () => {
    const page = (await api('GET', '/interfaces?per_page=1000')).body as Envelope;
    expect(page.results).toHaveLength(100);
    expect(page).toMatchObject({ total_pages: 2, next_page: 2 });
  });

  it('a page past the end is empty, with the previous page still named', async () => {
    const sent = await api('GET', '/interfaces?page=9&per_page=50');
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ total_pages: 3, total_entries: 105, previous_page: 8, next_page: null, current_page: 9, results: [] });
    const last = (await api('GET', '/interfaces?page=3&per_page=50')).body as Envelope;
    expect(last).toMatchObject({ previous_page: 2, next_page: null });
    expect(last.results).toHaveLength(5);
  });

  it.each(['page=0', 'page=-1', 'page=1.5', 'page=abc', 'per_page=0', 'per_page=x'])('%s is a 400', async (query) => {
    expectSentence(await api('GET', `/interfaces?${query}`), 400, /must be a positive integer/);
  });

  it('bare arrays hold everything unless a page is asked for', async () => {
    await m.server.db.query(`INSERT INTO badges (name) SELECT 'Bulk badge ' || g FROM generate_series(1, 40) g`);
    expect(((await api('GET', '/badges')).body as unknown[]).length).toBe(40);
    expect(((await api('GET', '/badges?per_page=15&page=3')).body as unknown[]).length).toBe(10);
  });
});

describe('filters and sorting', () => {
  it('strings contain, case-insensitively; other types match exactly', async () => {
    const names = async (query: string) => ((await api('GET', `/interfaces?per_page=100&${query}`)).body as Envelope<{ name: string }>).results.map((i) => i.name);
    expect(await names('name=bulk 10')).toEqual(['Bulk 10', 'Bulk 100', 'Bulk 101', 'Bulk 102', 'Bulk 103', 'Bulk 104', 'Bulk 105']);
    expect(await names('name=ULK 99')).toEqual(['Bulk 99']);
    expect(await names('name=100%')).toEqual([]);
    expect(await names('ordinal=0&sort=name')).toEqual(['Bulk 105', 'Bulk 14', 'Bulk 21', 'Bulk 28', 'Bulk 35', 'Bulk 42', 'Bulk 49', 'Bulk 56', 'Bulk 63', 'Bulk 7', 'Bulk 70', 'Bulk 77', 'Bulk 84', 'Bulk 91', 'Bulk 98']);
    expectSentence(await api('GET', '/interfaces?ordinal=abc'), 400, /ordinal filter must be an integer/);
    expectSentence(await api('GET', '/products?user_id=nope'), 400, /user_id filter must be a UUID/);
    expectSentence(await api('GET', '/products?published=maybe'), 400, /published filter must be true or false/);
  });

  it('sort and order: whitelisted fields, spec and Rails words', async () => {
    const first = async (query: string) => ((await api('GET', `/interfaces?name=bulk&${query}`)).body as Envelope<{ name: string }>).results[0]?.name;
    expect(await first('sort=name')).toBe('Bulk 1');
    expect(await first('sort=name&order=descending')).toBe('Bulk 99');
    expect(await first('sort=name&order=desc')).toBe('Bulk 99');
    expect(await first('sort=name&order=ascending')).toBe('Bulk 1');
    expect(await first('sort=ordinal&order=desc')).toMatch(/^Bulk/);
    // Not sortable: the default order (name) instead.
    expect(await first('sort=uri_secret&order=desc')).toBe('Bulk 99');
  });

  it('SQL in sort, order or a filter is harmless', async () => {
    const before = (await api('GET', '/products?per_page=1')).body as Envelope;
    for (const query of [
      'sort=name;DROP TABLE products',
      'sort=(select 1)',
      'sort=name%20DESC;--',
      'order=desc;DROP TABLE products',
      `name=${encodeURIComponent("' OR 1=1 --")}`,
      `description=${encodeURIComponent("%' OR '1'='1")}`,
      `mime_type=${encodeURIComponent("x') OR ('1'='1")}`,
    ]) {
      const sent = await api('GET', `/products?${query}`);
      expect(sent.status, query).toBe(200);
    }
    expect(((await api('GET', `/products?name=${encodeURIComponent("' OR 1=1 --")}`)).body as Envelope).results).toEqual([]);
    expect(((await api('GET', '/products?per_page=1')).body as Envelope).total_entries).toBe(before.total_entries);
    expect((await api('POST', '/products/search', { json: { text: "'); DROP TABLE products; --" } })).status).toBe(200);
  });
});

describe('cascades', () => {
  it('deleting a product deletes everything below it, files included', async () => {
    const p = await product();
    const base = `/products/${p.id}`;
    const created = async (path: string, body: unknown) => {
      const sent = await api('POST', path, { json: body });
      expect(sent.status, `POST ${path}`).toBe(201);
      return (sent.body as { id: string }).id;
    };
    const iface = await created('/interfaces', { name: `Cascade ${randomUUID()}`, uri: `urn:uuid:${randomUUID()}`, version: '1' });
    const license = (await m.admin.licenses.list({ name: 'MIT' } as never)).items[0]!.id;
    const offer = await created(`${base}/licenses`, { license_id: license });
    const build = await created(`${base}/builds`, { version: '1.0.0' });
    const dependency = await created(`${base}/builds/${build}/dependencies`, { interface_id: iface });
    const exposure = await created(`${base}/builds/${build}/exposures`, { interface_id: iface });
    const parameter = await created(`${base}/builds/${build}/exposures/${exposure}/parameters`, { name: 'X' });
    const configuration = await created(`${base}/builds/${build}/configurations`, { name: 'default' });
    const task = await created(`${base}/builds/${build}/configurations/${configuration}/tasks`, { name: 'web' });
    const shot = (await m.admin.screenshots.create(p.id, { caption: 'c', image: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) })).id;
    await m.admin.builds.uploadAsset(p.id, build, new Uint8Array([1, 2, 3]));
    await m.admin.products.setLogo(p.id, new Uint8Array([0xff, 0xd8, 0xff, 0xe0]));
    const entitlement = await created('/entitlements', { user_id: (await m.user('Cas Cade')).id, product_license_id: offer });

    const counts = async () => {
      const { rows } = await m.server.db.query<Record<string, number>>(
        `SELECT (SELECT count(*)::int FROM builds WHERE id = $1) AS builds,
                (SELECT count(*)::int FROM configurations WHERE id = $2) AS configurations,
                (SELECT count(*)::int FROM tasks WHERE id = $3) AS tasks,
                (SELECT count(*)::int FROM exposures WHERE id = $4) AS exposures,
                (SELECT count(*)::int FROM parameters WHERE id = $5) AS parameters,
                (SELECT count(*)::int FROM dependencies WHERE id = $6) AS dependencies,
                (SELECT count(*)::int FROM screenshots WHERE id = $7) AS screenshots,
                (SELECT count(*)::int FROM screenshot_images WHERE screenshot_id = $7) AS screenshot_images,
                (SELECT count(*)::int FROM product_licenses WHERE id = $8) AS product_licenses,
                (SELECT count(*)::int FROM entitlements WHERE id = $9) AS entitlements,
                (SELECT count(*)::int FROM build_assets WHERE build_id = $1) AS build_assets,
                (SELECT count(*)::int FROM product_logos WHERE product_id = $10) AS product_logos,
                (SELECT count(*)::int FROM interfaces WHERE id = $11) AS interfaces`,
        [build, configuration, task, exposure, parameter, dependency, shot, offer, entitlement, p.id, iface],
      );
      return rows[0];
    };
    expect(Object.values((await counts())!).every((n) => n === 1)).toBe(true);

    const deleted = await api('DELETE', base);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: p.id });
    // The interface is not below the product: it stays.
    expect(await counts()).toEqual({
      builds: 0,
      configurations: 0,
      tasks: 0,
      exposures: 0,
      parameters: 0,
      dependencies: 0,
      screenshots: 0,
      screenshot_images: 0,
      product_licenses: 0,
      entitlements: 0,
      build_assets: 0,
      product_logos: 0,
      interfaces: 1,
    });
    expect((await api('GET', `${base}/builds/${build}`)).status).toBe(404);
    expect((await api('DELETE', base)).status).toBe(404);
  });
});

describe('uniqueness under concurrency', () => {
  it('8 concurrent creates of one product name: exactly one wins, the others get 422', async () => {
    const name = `Race ${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 8 }, () => api('POST', '/products', { json: { product: { name } } })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 422, 422, 422, 422, 422, 422, 422]);
    for (const loser of results.filter((r) => r.status === 422)) expect(loser.body).toEqual({ name: ['has already been taken'] });
    expect(((await api('GET', `/products?name=${encodeURIComponent(name)}`)).body as Envelope).total_entries).toBe(1);
  });

  it('8 concurrent creates of one build version: exactly one wins, the others get 422', async () => {
    const p = await product();
    const results = await Promise.all(Array.from({ length: 8 }, () => api('POST', `/products/${p.id}/builds`, { json: { build: { version: '1.0.0' } } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 422, 422, 422, 422, 422, 422, 422]);
    for (const loser of results.filter((r) => r.status === 422)) expect(loser.body).toEqual({ version: ['has already been taken'] });
  });
});

describe('bad input', () => {
  it('malformed JSON is a 400 with a sentence', async () => {
    expectSentence(await api('POST', '/products', { raw: '{"product": {"name": ', headers: { 'content-type': 'application/json' } }), 400, /not valid JSON/);
    expectSentence(await api('POST', '/products', { raw: '[1, 2]', headers: { 'content-type': 'application/json' } }), 400, /must be a JSON object/);
    expectSentence(await api('POST', '/products', { json: { product: 'name' } }), 400, /"product" must be a JSON object/);
  });

  it('unknown fields are ignored; read-only ones too', async () => {
    const name = `Unknown fields ${randomUUID()}`;
    const sent = await api('POST', '/products', { json: { product: { name, colour: 'blue', created_at: '2001-01-01T00:00:00Z', path: '/x', url: 'http://x' } } });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ name });
    expect(sent.body).not.toHaveProperty('colour');
    expect((sent.body as Product).created_at).not.toMatch(/^2001/);
  });

  it('flat bodies work like wrapped ones', async () => {
    const name = `Flat ${randomUUID()}`;
    expect((await api('POST', '/products', { json: { name } })).body).toMatchObject({ name });
  });

  it.each([
    ['/products', { product: { name: { first: 'x' } } }, { name: ['must be a string'] }],
    ['/products', { product: { name: 'Typed', published_at: 'soon' } }, { published_at: ['must be an ISO 8601 date and time'] }],
    ['/products', { product: { name: 'Typed', user_id: 'me' } }, { user_id: ['must be a UUID'] }],
    ['/products', { product: { name: '   ' } }, { name: ["can't be blank"] }],
    ['/products', { product: {} }, { name: ["can't be blank"] }],
    ['/products', { product: { id: 'mine', name: 'Typed' } }, { id: ['must be a UUID'] }],
    ['/interfaces', { interface: { name: 'T', uri: 'urn:t', version: '1', ordinal: 'first' } }, { ordinal: ['must be an integer'] }],
    ['/interfaces', { interface: { name: 'T', uri: 'urn:t', version: '1', ordinal: 1.5 } }, { ordinal: ['must be an integer'] }],
    ['/interfaces', { interface: { name: 'T', uri: 'urn:t', version: '1', ordinal: 99999999999 } }, { ordinal: ['must be an integer'] }],
    ['/licenses', { license: { name: 'T', url: 'urn:t', uses: -1 } }, { uses: ['must be greater than or equal to 0'] }],
  ])('wrong types are 422s naming the field: POST %s %j', async (path, body, errors) => {
    const sent = await api('POST', path, { json: body });
    expect(sent.status).toBe(422);
    expect(sent.body).toEqual(errors);
  });

  it('JSON fields: objects or JSON-encoded objects, nothing else', async () => {
    const p = await product();
    const build = async (permissions: unknown) => api('POST', `/products/${p.id}/builds`, { json: { build: { version: randomUUID(), permissions } } });
    expect((await build('{"network":true}')).body).toMatchObject({ permissions: { network: true } });
    expect((await build({ network: false })).body).toMatchObject({ permissions: { network: false } });
    expect((await build('{not json')).body).toEqual({ permissions: ['must be valid JSON'] });
    expect((await build('42')).body).toEqual({ permissions: ['must be a JSON object or array'] });
    expect((await build(true)).body).toEqual({ permissions: ['must be a JSON object or array'] });
  });

  it('a malformed UUID in a path is a 404', async () => {
    const p = await product();
    for (const path of [
      '/products/not-a-uuid',
      '/products/12345/builds',
      `/products/${p.id}/builds/xyz`,
      `/products/${p.id}/builds/xyz/asset`,
      '/products/xyz/logo/small',
      `/products/${p.id}/screenshots/1/large`,
      '/products/xyz/children',
      '/interfaces/%27%20OR%201=1/surrogates',
    ]) {
      expectSentence(await api('GET', path), 404);
    }
    expectSentence(await api('POST', '/products/xyz/publish'), 404);
    expectSentence(await api('DELETE', '/badges/xyz'), 404);
    expectSentence(await api('PATCH', `/products/${p.id}/builds/xyz`, { json: {} }), 404);
  });

  it('an unknown id is a 404, and so is a child under the wrong parent', async () => {
    const [a, b] = [await product(), await product()];
    const build = (await api('POST', `/products/${a.id}/builds`, { json: { version: '1' } })).body as { id: string };
    expectSentence(await api('GET', `/products/${randomUUID()}`), 404, /No product with id/);
    expectSentence(await api('GET', `/products/${b.id}/builds/${build.id}`), 404, /No build with id/);
    expectSentence(await api('GET', `/products/${randomUUID()}/builds/${build.id}/configurations`), 404);
  });

  it('anything but JSON in Accept is a 406, downloads included', async () => {
    const p = await product();
    for (const path of ['/products', `/products/${p.id}`, `/products/${p.id}/logo/small`, '/status']) {
      expectSentence(await api('GET', path, { headers: { accept: 'text/html' } }), 406, /Accept/);
    }
    expectSentence(await api('POST', '/products', { json: { name: 'x' }, headers: { accept: 'text/html' } }), 406);
  });

  it('a JSON body over the limit is a 413', async () => {
    const sent = await api('POST', '/products', { json: { product: { name: 'Big', description: 'x'.repeat(1024 * 1024 + 1) } } });
    expectSentence(sent, 413, /too large/);
  });

  it('a body that is neither JSON nor multipart is refused with a sentence', async () => {
    expectSentence(await api('POST', '/products', { raw: '<product/>', headers: { 'content-type': 'application/xml' } }), 415, /Send JSON/);
    expectSentence(await api('POST', '/products', { raw: 'name=x', headers: { 'content-type': 'text/plain' } }), 400, /must be a JSON object/);
  });

  it('malformed multipart field names are 400s', async () => {
    const form = new FormData();
    form.append('product[name', 'x');
    expectSentence(await api('POST', '/products', { raw: form }), 400, /form field name/);
    const proto = new FormData();
    proto.append('product[__proto__][name]', 'x');
    expectSentence(await api('POST', '/products', { raw: proto }), 400, /form field name/);
  });
});

describe('records', () => {
  it('client-supplied UUIDs are honoured, once', async () => {
    const id = randomUUID();
    const sent = await api('POST', '/products', { json: { product: { id, name: `Chosen ${id}` } } });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ id });
    expect(sent.headers.get('location')).toBe(`${m.url}/products/${id}`);
    const again = await api('POST', '/products', { json: { product: { id: id.toUpperCase(), name: `Chosen again ${id}` } } });
    expect(again.status).toBe(422);
    expect(again.body).toEqual({ id: ['has already been taken'] });
  });

  it('every created record answers 201 with a Location and carries path and url that lead back to it', async () => {
    const p = await product();
    const newInterface = async () =>
      ((await api('POST', '/interfaces', { json: { name: `Links ${randomUUID()}`, uri: `urn:uuid:${randomUUID()}`, version: '1' } })).body as { id: string }).id;
    const [ifaceId, substituteId] = [await newInterface(), await newInterface()];
    const license = (await m.admin.licenses.list({ name: 'MIT' } as never)).items[0]!.id;
    const user = await m.user('Link Holder');
    const paths: Record<string, string> = {};
    const create = async (name: string, path: string, body: Record<string, unknown>) => {
      const sent = await api('POST', path.replace(/\{(\w+)\}/g, (_, key: string) => paths[key]!.split('/').pop()!), { json: body });
      expect(sent.status, `${name}: ${JSON.stringify(sent.body)}`).toBe(201);
      const record = sent.body as { id: string; path: string; url: string };
      expect(record.path, name).toMatch(new RegExp(`/${record.id}$`));
      if (name !== 'license') expect(record.url, name).toBe(`${m.url}${record.path}`);
      expect(sent.headers.get('location'), name).toBe(`${m.url}${record.path}`);
      const shown = await api('GET', record.path);
      expect(shown.status, name).toBe(200);
      expect(shown.body, name).toEqual(record);
      paths[name] = record.path;
    };
    paths.product = `/products/${p.id}`;
    paths.interface = `/interfaces/${ifaceId}`;
    await create('license', '/licenses', { name: `Links ${randomUUID()}`, url: `https://example.com/${randomUUID()}` });
    await create('product_license', '/products/{product}/licenses', { license_id: license });
    await create('build', '/products/{product}/builds', { version: '1.0.0' });
    await create('dependency', '/products/{product}/builds/{build}/dependencies', { interface_id: ifaceId });
    await create('exposure', '/products/{product}/builds/{build}/exposures', { interface_id: ifaceId });
    await create('parameter', `/products/{product}/builds/{build}/exposures/{exposure}/parameters`, { name: 'P' });
    await create('configuration', '/products/{product}/builds/{build}/configurations', { name: 'default' });
    await create('task', '/products/{product}/builds/{build}/configurations/{configuration}/tasks', { name: 'web' });
    await create('screenshot', '/products/{product}/screenshots', { caption: 'c' });
    await create('sub_product', '/sub_products', { parent_id: p.id, child_id: (await product()).id });
    await create('badge', '/badges', { name: `Links ${randomUUID()}` });
    await create('surrogate', '/interfaces/{interface}/surrogates', { substitute_id: substituteId });
    await create('entitlement', '/entitlements', { user_id: user.id, product_license_id: paths.product_license!.split('/').pop() });
    await create('claim', '/entitlements/{entitlement}/claims', { claimant_id: user.id, claimant_type: 'User' });
    await create('voucher', '/vouchers', { product_license_id: paths.product_license!.split('/').pop(), code: randomUUID() });
    await create('attempt', '/attempts', { product_id: p.id });
    expect(Object.keys(paths)).toHaveLength(18);
  });
});

describe('uploads over the limit', () => {
  const small = useMarketplace({ config: { uploadLimit: 1024 } });

  it('answer 413 with a sentence, and store nothing', async () => {
    const sent = await rawRequest(small, 'POST', '/products', { json: { product: { name: 'Small server product' } } });
    const p = sent.body as Product;
    const form = new FormData();
    form.append('product[logo]', new Blob([new Uint8Array(4096)], { type: 'image/png' }), 'big.png');
    expectSentence(await rawRequest(small, 'PATCH', `/products/${p.id}`, { raw: form }), 413, /"big\.png" is larger than this marketplace accepts \(1 KiB\)/);
    expect((await rawRequest(small, 'GET', `/products/${p.id}/logo/large`)).status).toBe(404);

    const build = (await rawRequest(small, 'POST', `/products/${p.id}/builds`, { json: { version: '1' } })).body as { id: string };
    const asset = new FormData();
    asset.append('build[asset]', new Blob([new Uint8Array(2048)]), 'app.tgz');
    expectSentence(await rawRequest(small, 'PATCH', `/products/${p.id}/builds/${build.id}`, { raw: asset }), 413);

    // At the limit is fine.
    const fits = new FormData();
    fits.append('build[asset]', new Blob([new Uint8Array(1024)]), 'app.tgz');
    expect((await rawRequest(small, 'PATCH', `/products/${p.id}/builds/${build.id}`, { raw: fits })).body).toMatchObject({ asset_available: true });
  });

  it('refuse an anonymous upload before reading it: 401, not 413', async () => {
    const form = new FormData();
    form.append('product[logo]', new Blob([new Uint8Array(64 * 1024)], { type: 'image/png' }), 'big.png');
    expectSentence(await rawRequest(small, 'POST', '/products', { raw: form, token: null }), 401, /sign in to upload files/);
  });
});
