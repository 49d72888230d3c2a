import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError, Marketplace, NotFoundError, ValidationError } from '../../../src/index.js';
import { BASE_URL, useMockApi } from '../../helpers/mock-api.js';

const api = useMockApi();
const client = () => new Marketplace({ baseUrl: BASE_URL, dialect: 'r2', maxRetries: 0 });

const ID = '2e25631c-eb8f-4594-8593-2894e3d24f62';
const OWNER = '8cddb934-0558-43e0-a7df-8712c36d84e5';
/** As the reference server renders a product (capture 027). */
const product = {
  id: ID,
  name: 'CQL Translation Product',
  description: 'A microservice wrapper for the CQL to ELM conversion library.',
  external_id: null,
  locale: null,
  mime_type: 'application/vnd.docker',
  user_id: OWNER,
  uri: 'https://marketplace.hspconsortium.org/products/cql-translation-product',
  support_url: 'https://github.com/mitre/cql-translation-product',
  published_at: '2026-11-26T06:27:09.789Z',
  visible_at: '2026-11-26T06:27:09.789Z',
  created_at: '2026-11-26T06:27:10.100Z',
  updated_at: '2026-11-26T06:27:10.100Z',
  url: `${BASE_URL}/products/${ID}`,
  path: `/products/${ID}`,
  product_licenses: [],
  screenshots: [],
  some_future_field: { kept: true },
};
const envelope = { total_pages: 1, total_entries: 1, previous_page: null, next_page: null, current_page: 1, results: [product] };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('products', () => {
  it('list sends filters and parses the envelope, keeping unknown fields', async () => {
    api.use(http.get(`${BASE_URL}/products`, () => HttpResponse.json(envelope)));
    const page = await client().products.list({ user_id: OWNER, mime_type: ['application/vnd.docker+smart', 'application/vnd.docker'], sort: 'name', order: 'desc', perPage: 5 });
    expect(api.requests[0]?.query).toEqual({ user_id: OWNER, mime_type: 'application/vnd.docker+smart,application/vnd.docker', sort: 'name', order: 'desc', per_page: '5' });
    expect(page.items[0]).toEqual(product);
  });

  it('retrieve', async () => {
    api.use(http.get(`${BASE_URL}/products/${ID}`, () => HttpResponse.json(product)));
    await expect(client().products.retrieve(ID)).resolves.toEqual(product);
  });

  it('create wraps the body and sends its own UUIDv4 id', async () => {
    api.use(http.post(`${BASE_URL}/products`, async ({ request }) => HttpResponse.json({ ...product, ...((await request.json()) as { product: object }).product }, { status: 201 })));
    const created = await client().products.create({ name: 'New', user_id: OWNER, mime_type: 'application/vnd.docker+smart' });
    const body = api.requests[0]?.body as { product: Record<string, unknown> };
    expect(Object.keys(body)).toEqual(['product']);
    expect(body.product).toMatchObject({ name: 'New', user_id: OWNER, mime_type: 'application/vnd.docker+smart' });
    expect(body.product.id).toMatch(UUID_V4);
    expect(created.id).toBe(body.product.id);
  });

  it('create keeps a caller-chosen id', async () => {
    api.use(http.post(`${BASE_URL}/products`, () => HttpResponse.json(product, { status: 201 })));
    await client().products.create({ id: ID, name: 'Mine' });
    expect((api.requests[0]?.body as { product: { id: string } }).product.id).toBe(ID);
  });

  it('create reads the record back when a server answers with just the id (the OpenAPI text/plain create)', async () => {
    api.use(
      http.post(`${BASE_URL}/products`, async ({ request }) => new HttpResponse(((await request.json()) as { product: { id: string } }).product.id, { status: 200, headers: { 'content-type': 'text/plain' } })),
      http.get(`${BASE_URL}/products/:id`, ({ params }) => HttpResponse.json({ ...product, id: params.id })),
    );
    // A bare id string is not JSON: the SDK reports it rather than guessing.
    await expect(client().products.create({ name: 'Plain' })).rejects.toThrow('returned HTTP 200 with text/plain instead of JSON');
    api.use(http.post(`${BASE_URL}/products`, () => new HttpResponse(null, { status: 201 })));
    const created = await client().products.create({ name: 'Empty' });
    const sentId = (api.requests.at(-2)?.body as { product: { id: string } }).product.id;
    expect(created.id).toBe(sentId);
    expect(api.requests.at(-1)?.path).toBe(`/products/${sentId}`);
  });

  it('create succeeds when the server saved the record but answered with an error', async () => {
    // The reference server does this for members and appointments: 500 after the insert.
    api.use(
      http.post(`${BASE_URL}/products`, () => HttpResponse.json({ status: 500, error: 'Internal Server Error' }, { status: 500 })),
      http.get(`${BASE_URL}/products/:id`, ({ params }) => HttpResponse.json({ ...product, id: params.id })),
    );
    const created = await client().products.create({ name: 'Saved anyway' });
    const sentId = (api.requests[0]?.body as { product: { id: string } }).product.id;
    expect(created.id).toBe(sentId);
    expect(api.requests.map((r) => r.method)).toEqual(['POST', 'GET']);
  });

  it('create reports the original error when the record really is not there', async () => {
    api.use(
      http.post(`${BASE_URL}/products`, () => HttpResponse.json({ name: ['has already been taken'] }, { status: 422 })),
      http.get(`${BASE_URL}/products/:id`, () => HttpResponse.json({ status: 404, error: 'Not Found' }, { status: 404 })),
    );
    const error = await client().products.create({ name: 'Taken' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).fieldErrors).toEqual({ name: ['has already been taken'] });
  });

  it('create refuses a blank name before any request', async () => {
    await expect(client().products.create({ name: '  ' })).rejects.toThrow(new InvalidArgumentError('name', 'products.create needs a non-empty name.'));
    expect(api.requests).toHaveLength(0);
  });

  it('update sends a PATCH with only the given fields', async () => {
    api.use(http.patch(`${BASE_URL}/products/${ID}`, () => HttpResponse.json({ ...product, description: 'Better' })));
    const updated = await client().products.update(ID, { description: 'Better', uri: undefined });
    expect(api.requests[0]?.body).toEqual({ product: { description: 'Better' } });
    expect(updated.description).toBe('Better');
  });

  it('update surfaces a 422 as a ValidationError', async () => {
    api.use(http.patch(`${BASE_URL}/products/${ID}`, () => HttpResponse.json({ name: ['has already been taken'] }, { status: 422 })));
    const error = (await client().products.update(ID, { name: 'Taken' }).catch((e: unknown) => e)) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.fieldErrors).toEqual({ name: ['has already been taken'] });
  });

  it('delete returns the record on 200 and null on 204', async () => {
    api.use(http.delete(`${BASE_URL}/products/${ID}`, () => HttpResponse.json(product), { once: true }));
    await expect(client().products.delete(ID)).resolves.toEqual(product);
    api.use(http.delete(`${BASE_URL}/products/${ID}`, () => new HttpResponse(null, { status: 204 })));
    await expect(client().products.delete(ID)).resolves.toBeNull();
  });

  it('delete of a missing product is a NotFoundError', async () => {
    api.use(http.delete(`${BASE_URL}/products/${ID}`, () => HttpResponse.json({ status: 404, error: 'Not Found' }, { status: 404 })));
    await expect(client().products.delete(ID)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('publish and unpublish', async () => {
    api.use(
      http.post(`${BASE_URL}/products/${ID}/publish`, () => HttpResponse.json(product)),
      http.post(`${BASE_URL}/products/${ID}/unpublish`, () => HttpResponse.json({ ...product, published_at: null })),
    );
    await expect(client().products.publish(ID)).resolves.toMatchObject({ published_at: product.published_at });
    await expect(client().products.unpublish(ID)).resolves.toMatchObject({ published_at: null });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /products/${ID}/publish`, `POST /products/${ID}/unpublish`]);
  });

  it('search POSTs its parameters and pages through results', async () => {
    api.use(
      http.post(`${BASE_URL}/products/search`, async ({ request }) => {
        const { page = 1 } = (await request.json()) as { page?: number };
        return HttpResponse.json({ ...envelope, total_pages: 2, total_entries: 2, current_page: page, next_page: page === 1 ? 2 : null });
      }),
    );
    const found = await client().products.search({ text: 'transl', mime_type: ['a/b', 'c/d'], perPage: 1 }).toArray();
    expect(found).toHaveLength(2);
    expect(api.requests.map((r) => r.body)).toEqual([
      { text: 'transl', mime_type: 'a/b,c/d', per_page: 1 },
      { text: 'transl', mime_type: 'a/b,c/d', per_page: 1, page: 2 },
    ]);
  });

  it('children and parents', async () => {
    api.use(
      http.get(`${BASE_URL}/products/${ID}/children`, () => HttpResponse.json(envelope)),
      http.get(`${BASE_URL}/products/${ID}/parents`, () => HttpResponse.json({ ...envelope, results: [], total_entries: 0 })),
    );
    expect((await client().products.children(ID)).items).toHaveLength(1);
    expect((await client().products.parents(ID)).items).toHaveLength(0);
  });

  it('logo downloads the image with its type and name', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47]);
    api.use(
      http.get(`${BASE_URL}/products/${ID}/logo/small`, () =>
        new HttpResponse(png, { headers: { 'content-type': 'image/png', 'content-disposition': 'inline; placeholder_logo.png', 'content-length': '4' } }),
      ),
    );
    const logo = await client().products.logo(ID, 'small');
    expect(logo.contentType).toBe('image/png');
    expect(logo.filename).toBe('placeholder_logo.png');
    expect(logo.size).toBe(4);
    expect(await logo.bytes()).toEqual(png);
    expect(api.requests[0]?.headers.accept).toBe('application/json');
    await expect(client().products.logo(ID, 'huge' as never)).rejects.toThrow('Logo size must be one of large, medium, small, got "huge".');
  });

  it('setLogo uploads product[logo] as multipart', async () => {
    api.use(http.patch(`${BASE_URL}/products/${ID}`, () => HttpResponse.json(product)));
    await client().products.setLogo(ID, { data: new Uint8Array([1, 2, 3]), filename: 'logo.png' });
    const form = api.requests[0]?.body as FormData;
    const file = form.get('product[logo]') as File;
    expect(file.name).toBe('logo.png');
    expect(file.type).toBe('image/png');
    expect(new Uint8Array(await file.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it.each(['', 'not-a-uuid', '../users', '12345'])('refuses the id %j before any request', async (bad) => {
    await expect(client().products.retrieve(bad)).rejects.toThrow(InvalidArgumentError);
    await expect(client().products.retrieve(bad)).rejects.toThrow(/^productId must be a UUID, got/);
    expect(api.requests).toHaveLength(0);
  });
});
