import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { ConnectionError, Marketplace } from '../../../src/index.js';
import { detectDialect, fromWire, mapPath, toWire } from '../../../src/sdk/dialect.js';
import { BASE_URL, useMockApi } from '../../helpers/mock-api.js';

const api = useMockApi();
const r1Status = { message: 'healthy', service: { datetime: '2019-01-29T00:00:00Z' }, database: { datetime: '2019-01-29T00:00:00Z' } };
const r2Status = { message: 'healthy', product: { datetime: '2026-11-26T00:00:00Z' }, database: { datetime: '2026-11-26T00:00:00Z' } };
const PRODUCT = '2e25631c-eb8f-4594-8593-2894e3d24f62';

describe('dialect mapping', () => {
  it('detects the generation from /status', () => {
    expect(detectDialect(r1Status)).toBe('r1');
    expect(detectDialect(r2Status)).toBe('r2');
    expect(detectDialect({ message: 'x' })).toBe('r2');
  });

  it('maps product paths and keys to R1 and back', () => {
    expect(mapPath('/products/x/builds', 'r1')).toBe('/services/x/builds');
    expect(mapPath('/productsx', 'r1')).toBe('/productsx');
    expect(mapPath('/products/x', 'r2')).toBe('/products/x');
    expect(toWire({ build: { product_id: 'p', version: '1' } }, 'r1')).toEqual({ build: { service_id: 'p', version: '1' } });
    expect(fromWire({ build: { service: { id: 'p' } }, service_id: 'p' }, 'r1')).toEqual({ build: { product: { id: 'p' } }, product_id: 'p' });
  });

  it('renames multipart field roots', () => {
    const form = new FormData();
    form.append('product[logo]', new Blob(['x']), 'logo.png');
    form.append('product[name]', 'n');
    const mapped = toWire(form, 'r1');
    expect([...mapped.keys()]).toEqual(['service[logo]', 'service[name]']);
  });
});

describe('an R1 server', () => {
  it('is spoken to in its own words after auto-detection', async () => {
    api.use(
      http.get(`${BASE_URL}/status`, () => HttpResponse.json(r1Status)),
      http.post(`${BASE_URL}/services`, async ({ request }) => {
        const body = (await request.json()) as { service: Record<string, unknown> };
        return HttpResponse.json({ ...body.service, license_id: null, created_at: 'x', updated_at: 'x' }, { status: 201 });
      }),
      http.get(`${BASE_URL}/services/${PRODUCT}/builds`, () => HttpResponse.json([{ id: 'b', service_id: PRODUCT, version: '1.0.0' }])),
    );
    const client = new Marketplace({ baseUrl: BASE_URL });
    const product = await client.products.create({ name: 'Old school', user_id: PRODUCT });
    expect(product.name).toBe('Old school');
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /status', 'POST /services']);
    expect(api.requests[1]?.body).toMatchObject({ service: { name: 'Old school', user_id: PRODUCT } });

    const page = await client.builds.list(PRODUCT);
    expect(page.items[0]).toMatchObject({ product_id: PRODUCT });
    // Detection happened once.
    expect(api.requests.filter((r) => r.path === '/status')).toHaveLength(1);
  });

  it('is not auto-detected when the dialect is fixed', async () => {
    api.use(http.get(`${BASE_URL}/services`, () => HttpResponse.json([])));
    await new Marketplace({ baseUrl: BASE_URL, dialect: 'r1' }).products.list();
    expect(api.requests.map((r) => r.path)).toEqual(['/services']);
  });

  it('retries detection after a failed /status', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.error(), { once: true }));
    const client = new Marketplace({ baseUrl: BASE_URL, maxRetries: 0 });
    await expect(client.dialect()).rejects.toBeInstanceOf(ConnectionError);
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json(r2Status)));
    await expect(client.dialect()).resolves.toBe('r2');
  });
});
