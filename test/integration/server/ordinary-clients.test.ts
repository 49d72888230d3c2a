/**
 * Ordinary clients that the reference server serves: one that sets `Content-Type:
 * application/json` on every request (DELETE included), HTML forms and `curl -d` posting
 * `product[name]=x` (form-encoded, with Rails nesting), and role permissions sent as the
 * strings a form produces.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useMarketplace } from '../../helpers/marketplace.js';
import { expectSentence, rawRequest, type RawOptions } from '../../helpers/raw-request.js';

const m = useMarketplace();
const api = (method: string, path: string, options?: RawOptions) => rawRequest(m, method, path, options);
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const JSON_TYPE = { 'content-type': 'application/json' };

async function newProduct(): Promise<{ id: string; name: string }> {
  const sent = await api('POST', '/products', { json: { product: { name: `Ordinary ${randomUUID()}` } } });
  expect(sent.status).toBe(201);
  return sent.body as { id: string; name: string };
}

describe('Content-Type: application/json without a body', () => {
  it('a DELETE succeeds', async () => {
    const product = await newProduct();
    const sent = await api('DELETE', `/products/${product.id}`, { headers: JSON_TYPE });
    expect(sent.status).toBe(200);
    expect(sent.body).toMatchObject({ id: product.id });
    expect((await api('GET', `/products/${product.id}`)).status).toBe(404);
  });

  it('so do a publish and an empty PATCH; an empty create names the missing field', async () => {
    const product = await newProduct();
    expect((await api('POST', `/products/${product.id}/publish`, { headers: JSON_TYPE })).status).toBe(200);
    const patched = await api('PATCH', `/products/${product.id}`, { headers: { ...JSON_TYPE, 'content-length': '0' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ name: product.name });
    const created = await api('POST', '/products', { raw: ' \n', headers: JSON_TYPE });
    expect(created.status).toBe(422);
    expect(created.body).toEqual({ name: ["can't be blank"] });
  });
});

describe('form-encoded bodies', () => {
  it('create as on the reference server (capture 299), and update', async () => {
    const admin = (await api('GET', '/status')).body as { identity: { user_id: string } };
    const name = `Form Encoded Product ${randomUUID()}`;
    const body = `product%5Bname%5D=${encodeURIComponent(name).replace(/%20/g, '+')}&product%5Buser_id%5D=${admin.identity.user_id}`;
    const created = await api('POST', '/products', { raw: body, headers: FORM });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name, user_id: admin.identity.user_id, description: null });
    const id = (created.body as { id: string }).id;
    expect(created.headers.get('location')).toBe(`${m.url}/products/${id}`);

    const updated = await api('PATCH', `/products/${id}`, { raw: 'product[description]=Reads+forms&product[support_url]=https%3A%2F%2Fexample.com%2Fhelp', headers: FORM });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ name, description: 'Reads forms', support_url: 'https://example.com/help' });
    // Unwrapped names work like an unwrapped JSON body.
    const flat = await api('PUT', `/products/${id}`, { raw: 'locale=en-GB', headers: FORM });
    expect(flat.body).toMatchObject({ locale: 'en-GB' });
  });

  it('nest with a[b][c] and collect lists with a[]', async () => {
    const product = await newProduct();
    const form = new URLSearchParams();
    form.append('build[version]', '1.0.0');
    form.append('build[permissions][scopes][]', 'patient/*.read');
    form.append('build[permissions][scopes][]', 'launch');
    form.append('build[permissions][network][egress]', 'true');
    const sent = await api('POST', `/products/${product.id}/builds`, { raw: form.toString(), headers: FORM });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ version: '1.0.0', permissions: { scopes: ['patient/*.read', 'launch'], network: { egress: 'true' } } });
  });

  it('have the multipart form guards and bounds, each a sentence', async () => {
    const cases: [string, number, RegExp][] = [
      ['product[__proto__][admin]=1', 400, /form field name "product\[__proto__\]\[admin\]" is not valid/],
      ['constructor[prototype][x]=1', 400, /form field name .* is not valid/],
      ['product[name=x', 400, /form field name "product\[name" is not valid/],
      ['product[name]=a&product[name][first]=b', 400, /clashes with another field/],
      ['product[name]=%FF', 400, /not percent-encoded UTF-8/],
      ['product[name]=a%00b', 400, /"product\.name" contains a NUL character/],
      [`a${'[b]'.repeat(17)}=1`, 400, /nests deeper than 16 levels/],
      [Array.from({ length: 1001 }, (_, i) => `f${i}=1`).join('&'), 413, /at most 1000 fields/],
    ];
    for (const [raw, status, pattern] of cases) {
      expectSentence(await api('POST', '/products', { raw, headers: FORM }), status, pattern);
    }
  });

  it('are judged like JSON: types and limits with the field hash, sign-in with a 401', async () => {
    const tooLong = await api('POST', '/products', { raw: `product[name]=${'n'.repeat(256)}`, headers: FORM });
    expect(tooLong.body).toEqual({ name: ['is too long (maximum is 255 characters)'] });
    expectSentence(await api('POST', '/products', { raw: 'product[name]=Nobody', headers: FORM, token: null }), 401);
  });
});

describe('role permissions as strings', () => {
  it('"true"/"1" grant and "false"/"0" do not, in JSON and in forms; other words are still refused', async () => {
    const json = await api('POST', '/roles', {
      json: { role: { name: `Strings ${randomUUID()}`, permissions: { products: { read: 'true', create: '1', update: 'false', delete: '0' }, badges: { read: 1 } } } },
    });
    expect(json.status).toBe(201);
    expect((json.body as { permissions: unknown }).permissions).toMatchObject({
      products: { read: true, create: true, update: false, delete: false, publish: false },
      badges: { read: true },
    });

    const name = `Form role ${randomUUID()}`;
    const form = await api('POST', '/roles', { raw: `role[name]=${encodeURIComponent(name)}&role[permissions][products][publish]=1&role[permissions][users][read]=false`, headers: FORM });
    expect(form.status).toBe(201);
    const role = form.body as { id: string; permissions: Record<string, Record<string, boolean>> };
    expect(role.permissions.products).toMatchObject({ publish: true, read: false });
    expect(role.permissions.users).toMatchObject({ read: false });

    // What is stored is what takes effect: a user appointed to the role holds products.publish.
    const user = await m.user('Form role holder');
    expect((await api('POST', `/roles/${role.id}/appointments`, { json: { appointment: { entity_type: 'User', entity_id: user.id } } })).status).toBe(201);
    const status = (await api('GET', '/status', { token: user.token })).body as { permissions: Record<string, Record<string, boolean>> };
    expect(status.permissions.products?.publish).toBe(true);

    const yes = await api('POST', '/roles', { json: { role: { name: `Yes ${randomUUID()}`, permissions: { products: { read: 'yes' } } } } });
    expect(yes.body).toEqual({ permissions: ['products.read must be true or false'] });
  });
});
