/**
 * Bad bytes and sizes are the client's mistake: a NUL byte, an unpaired surrogate, bytes that
 * are not UTF-8, a value longer than its field, a body nested 100,000 deep. Each gets a 4xx
 * with one sentence naming the field and the limit, before any permission check (whoever
 * sends it), and the database never sees it.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { useMarketplace, type TestUser } from '../../helpers/marketplace.js';
import { expectSentence, rawRequest, type RawOptions } from '../../helpers/raw-request.js';

const m = useMarketplace();
const api = (method: string, path: string, options?: RawOptions) => rawRequest(m, method, path, options);

let bystander: TestUser;
let productId: string;
beforeAll(async () => {
  bystander = await m.user('Bystander');
  const created = await api('POST', '/products', { json: { product: { name: `Bad bytes ${randomUUID()}` } } });
  productId = (created.body as { id: string }).id;
});

/** Every way a caller can arrive: anonymous, signed in without rights, administrator. */
const callers = () => [null, bystander.token, m.server.adminToken!];

describe('NUL bytes', () => {
  it('in a query: 400 naming the parameter, for every caller', async () => {
    for (const token of callers()) {
      expectSentence(await api('GET', '/licenses?name=%00', { token }), 400, /^The query parameter "name" contains a NUL character/);
      expectSentence(await api('GET', '/products?mime_type=a%00b', { token }), 400, /"mime_type" contains a NUL/);
    }
  });

  it('in a JSON body: 400 naming the field, before any permission check', async () => {
    for (const token of callers()) {
      expectSentence(await api('POST', '/products', { json: { product: { name: 'a\u0000b' } }, token }), 400, /^The field "product\.name" contains a NUL character/);
      expectSentence(await api('PATCH', `/products/${productId}`, { json: { product: { description: '\u0000' } }, token }), 400, /"product\.description"/);
    }
  });

  it('inside a JSON field, as an object or as a JSON-encoded string', async () => {
    const builds = `/products/${productId}/builds`;
    expectSentence(await api('POST', builds, { json: { build: { version: '1', permissions: { note: 'a\u0000' } } } }), 400, /"build\.permissions\.note" contains a NUL/);
    const encoded = await api('POST', builds, { json: { build: { version: '1', permissions: JSON.stringify({ note: 'a\u0000' }) } } });
    expect(encoded.status).toBe(422);
    expect(encoded.body).toEqual({ permissions: ['note contains a NUL character (\\u0000), which text cannot hold'] });
  });

  it('in a search body and in a multipart field', async () => {
    expectSentence(await api('POST', '/products/search', { json: { text: 'fhir\u0000', name: 'x' }, token: null }), 400, /"text" contains a NUL/);
    const form = new FormData();
    form.append('product[name]', 'a\u0000b');
    expectSentence(await api('POST', '/products', { raw: form }), 400, /"product\.name" contains a NUL/);
    const file = new FormData();
    file.append('product[logo]', new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' }), 'logo\u0000.png');
    expectSentence(await api('PATCH', `/products/${productId}`, { raw: file }), 400, /"product\.logo" has a file name or type that contains a NUL/);
  });
});

describe('text that is not Unicode', () => {
  it('an unpaired surrogate, in a value or a key: 400', async () => {
    const headers = { 'content-type': 'application/json' };
    expectSentence(await api('POST', '/products', { raw: '{"product":{"name":"a\\ud800b"}}', headers, token: null }), 400, /"product\.name" is not valid Unicode \(it holds an unpaired surrogate\)/);
    expectSentence(await api('POST', '/licenses', { raw: '{"license":{"\\udfff":1}}', headers }), 400, /not valid Unicode/);
    // A proper pair is one character, and welcome.
    const emoji = await api('POST', '/products', { json: { product: { name: `Rocket 🚀 ${randomUUID()}` } } });
    expect(emoji.status).toBe(201);
  });

  it('bytes that are not UTF-8: 400', async () => {
    const raw = Buffer.concat([Buffer.from('{"product":{"name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')]);
    expectSentence(await api('POST', '/products', { raw, headers: { 'content-type': 'application/json' }, token: null }), 400, /not valid UTF-8/);
  });
});

describe('sizes', () => {
  it('a 300 KB name is a 422 naming the limit, whoever sends it (it used to break the unique index)', async () => {
    const name = 'x'.repeat(300_000);
    for (const token of callers()) {
      const sent = await api('POST', '/products', { json: { product: { name } }, token });
      expect(sent.status).toBe(422);
      expect(sent.body).toEqual({ name: ['is too long (maximum is 255 characters)'] });
    }
    // Someone else's product: the body is judged before the 403.
    const patched = await api('PATCH', `/products/${productId}`, { json: { name }, token: bystander.token });
    expect(patched.body).toEqual({ name: ['is too long (maximum is 255 characters)'] });
  });

  it('the limit counts characters: 255 four-byte characters fit, and stay indexable', async () => {
    const name = `${'𝔘'.repeat(219)} ${randomUUID()}`; // 219 + 1 + 36 = 256 characters
    expect((await api('POST', '/products', { json: { product: { name } } })).body).toEqual({ name: ['is too long (maximum is 255 characters)'] });
    const fits = await api('POST', '/products', { json: { product: { name: name.slice(0, -1) } } });
    expect(fits.status).toBe(201);
    expect((fits.body as { name: string }).name).toBe(name.slice(0, -1));
  });

  it('long prose has a larger limit of its own', async () => {
    const ok = await api('PATCH', `/products/${productId}`, { json: { description: 'd'.repeat(100_000) } });
    expect(ok.status).toBe(200);
    const tooLong = await api('PATCH', `/products/${productId}`, { json: { description: 'd'.repeat(100_001) } });
    expect(tooLong.body).toEqual({ description: ['is too long (maximum is 100000 characters)'] });
  });

  it('a JSON field is bounded in length and nesting, as an object or as a string', async () => {
    const builds = `/products/${productId}/builds`;
    const big = await api('POST', builds, { json: { build: { version: '1', permissions: { blob: 'b'.repeat(70_000) } } } });
    expect(big.body).toEqual({ permissions: ['is too long (maximum is 65536 characters of JSON)'] });
    const deepString = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const deep = await api('POST', builds, { json: { build: { version: '1', permissions: deepString } } });
    expect(deep.body).toEqual({ permissions: ['is nested deeper than 64 levels'] });
  });

  it('a query filter longer than its field is a 400', async () => {
    expectSentence(await api('GET', `/products?name=${'n'.repeat(256)}`, { token: null }), 400, /The name filter is longer than 255 characters\./);
    expect((await api('GET', `/products?name=${'n'.repeat(255)}`, { token: null })).status).toBe(200);
  });

  it('a date beyond what the database holds is a 422', async () => {
    const sent = await api('POST', '/licenses', { json: { license: { name: `Dated ${randomUUID()}`, url: `https://example.com/${randomUUID()}`, expires_at: '-271821-04-20T00:00:00Z' } } });
    expect(sent.body).toEqual({ expires_at: ['must be between the years 1 and 9999'] });
  });
});

describe('nesting', () => {
  it('a body nested 100,000 deep is a 400 for anyone, and the server carries on', async () => {
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    for (const token of callers()) {
      expectSentence(await api('POST', '/products', { raw: deep, headers: { 'content-type': 'application/json' }, token }), 400, /^The request body is nested deeper than 64 levels\.$/);
    }
    const arrays = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expectSentence(await api('POST', `/products/${productId}/builds`, { raw: `{"build":{"version":"1","permissions":${arrays}}}`, headers: { 'content-type': 'application/json' } }), 400, /nested deeper than 64/);
    expect((await api('GET', '/status')).status).toBe(200);
  });

  it('64 levels are fine', async () => {
    let permissions: unknown = 'leaf';
    for (let i = 0; i < 62; i++) permissions = { level: permissions }; // + build + the body itself = 64
    const sent = await api('POST', `/products/${productId}/builds`, { json: { build: { version: `deep-${randomUUID()}`, permissions } } });
    expect(sent.status).toBe(201);
  });
});

describe('prototype keys', () => {
  it('__proto__ and constructor.prototype in a body are refused, naming where', async () => {
    const headers = { 'content-type': 'application/json' };
    expectSentence(await api('POST', '/products', { raw: '{"product":{"name":"p","__proto__":{"admin":true}}}', headers, token: null }), 400, /"product\.__proto__" is not allowed/);
    expectSentence(await api('POST', '/roles', { raw: '{"role":{"name":"r","permissions":{"constructor":{"prototype":{"x":1}}}}}', headers }), 400, /"role\.permissions\.constructor\.prototype" is not allowed/);
  });

  it('query names of Object.prototype are not filters (?constructor= used to put its value into the SQL)', async () => {
    const hidden = await api('POST', '/products', { json: { product: { name: `Unpublished ${randomUUID()}` } } });
    const hiddenId = (hidden.body as { id: string }).id;
    for (const query of ['constructor=true)%20OR%20(true', '__proto__=x', 'toString=x', 'hasOwnProperty=x', 'valueOf=1']) {
      for (const path of ['/products', '/groups']) {
        const sent = await api('GET', `${path}?${query}`, { token: null });
        expect([200, 401], `${path}?${query}`).toContain(sent.status);
        expect(sent.text).not.toContain(hiddenId);
      }
    }
  });
});
