import { delay, http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  AuthenticationError,
  BadRequestError,
  ConnectionError,
  InternalServerError,
  InvalidResponseError,
  Marketplace,
  NotFoundError,
  RateLimitError,
  TimeoutError,
  VERSION,
  type RequestTrace,
  type ResponseTrace,
} from '../../../src/index.js';
import { backoff, retryAfterMs } from '../../../src/sdk/transport.js';
import { BASE_URL, useMockApi } from '../../helpers/mock-api.js';

const api = useMockApi();
const status = { message: 'healthy', product: { datetime: '2026-11-26T06:27:09.789+00:00' }, database: { datetime: '2026-11-26T06:27:09.789+00:00' } };

function client(options: Partial<ConstructorParameters<typeof Marketplace>[0]> = {}) {
  return new Marketplace({ baseUrl: BASE_URL, dialect: 'r2', ...options });
}

describe('request headers', () => {
  it('sends Accept, a versioned User-Agent and the bearer token', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json(status)));
    await client({ token: 'secret-token', userAgent: 'my-script/2' }).request({ method: 'GET', path: '/status' });
    const [req] = api.requests;
    expect(req?.headers.accept).toBe('application/json');
    expect(req?.headers['user-agent']).toBe(`my-script/2 hsp/${VERSION} node/${process.versions.node}`);
    expect(req?.headers.authorization).toBe('Bearer secret-token');
  });

  it('sends no Authorization header when signed out', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json(status)));
    await client().request({ method: 'GET', path: '/status' });
    expect(api.requests[0]?.headers.authorization).toBeUndefined();
  });

  it('asks the token provider before every request, so a refreshed token is used', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json(status)));
    let n = 0;
    const tokenProvider = vi.fn(async () => `token-${++n}`);
    const c = client({ tokenProvider });
    await c.request({ method: 'GET', path: '/status' });
    await c.request({ method: 'GET', path: '/status' });
    expect(tokenProvider).toHaveBeenCalledTimes(2);
    expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer token-1', 'Bearer token-2']);
  });

  it('gives the token provider one chance to refresh after a 401', async () => {
    api.use(
      http.get(`${BASE_URL}/status`, ({ request }) =>
        request.headers.get('authorization') === 'Bearer fresh'
          ? HttpResponse.json(status)
          : HttpResponse.json({ message: 'You are not authorized, sorry!' }, { status: 401 }),
      ),
    );
    const tokenProvider = vi.fn(async ({ forceRefresh }: { forceRefresh: boolean }) => (forceRefresh ? 'fresh' : 'stale'));
    await expect(client({ tokenProvider }).request({ method: 'GET', path: '/status' })).resolves.toEqual(status);
    expect(tokenProvider.mock.calls.map(([ctx]) => ctx.forceRefresh)).toEqual([false, true]);
    expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer stale', 'Bearer fresh']);
  });

  it('reports a failing token provider as an HspError sentence', async () => {
    const c = client({ tokenProvider: () => Promise.reject(new Error('keychain locked')) });
    await expect(c.request({ method: 'GET', path: '/status' })).rejects.toThrow('Could not obtain an access token: keychain locked');
    expect(api.requests).toHaveLength(0);
  });

  it('keeps the base URL path prefix and encodes the query like Rails expects', async () => {
    api.use(http.get(`${BASE_URL}/api/products`, () => HttpResponse.json([])));
    await client({ baseUrl: `${BASE_URL}/api/` }).request({
      method: 'GET',
      path: '/products',
      query: { mime_type: ['application/vnd.docker+smart', 'text/plain'], skip: undefined, none: null, published: true },
    });
    expect(api.requests[0]?.url.search).toBe('?mime_type=application%2Fvnd.docker%2Bsmart%2Ctext%2Fplain&published=true');
  });
});

describe('debug hooks', () => {
  it('trace requests and responses without ever showing the token', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json(status)));
    const traces: (RequestTrace | ResponseTrace)[] = [];
    const c = client({ token: 'super-secret-jwt', onRequest: (t) => traces.push(t), onResponse: (t) => traces.push(t) });
    await c.request({ method: 'GET', path: '/status', query: { jwt: 'super-secret-jwt' } });
    expect(traces).toHaveLength(2);
    expect(JSON.stringify(traces)).not.toContain('super-secret-jwt');
    expect(traces[0]?.headers.authorization).toBe('Bearer [REDACTED]');
    expect((traces[1] as ResponseTrace).status).toBe(200);
  });
});

describe('retries', () => {
  it('retries a 503 after the Retry-After delay, then succeeds', async () => {
    let calls = 0;
    api.use(
      http.get(`${BASE_URL}/status`, () =>
        ++calls < 3 ? new HttpResponse('busy', { status: 503, headers: { 'Retry-After': '0' } }) : HttpResponse.json(status),
      ),
    );
    const retries: number[] = [];
    const c = client({ onResponse: (t) => t.retryInMs !== undefined && retries.push(t.retryInMs) });
    await expect(c.request({ method: 'GET', path: '/status' })).resolves.toEqual(status);
    expect(calls).toBe(3);
    expect(retries).toEqual([0, 0]);
  });

  it('waits as long as Retry-After says', async () => {
    let calls = 0;
    api.use(
      http.get(`${BASE_URL}/status`, () =>
        ++calls === 1 ? new HttpResponse(null, { status: 429, headers: { 'Retry-After': '1' } }) : HttpResponse.json(status),
      ),
    );
    const delays: number[] = [];
    await client({ onResponse: (t) => t.retryInMs !== undefined && delays.push(t.retryInMs) }).request({ method: 'GET', path: '/status' });
    expect(delays).toEqual([1000]);
  });

  it('gives up after maxRetries with the typed error of the last answer', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json({ status: 500, error: 'Internal Server Error' }, { status: 500, headers: { 'Retry-After': '0' } })));
    const error = await client({ maxRetries: 2 }).request({ method: 'GET', path: '/status' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InternalServerError);
    expect(api.requests).toHaveLength(3);
  });

  it('never retries a 400', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json({ status: 400, error: 'Bad Request' }, { status: 400 })));
    await expect(client().request({ method: 'GET', path: '/status' })).rejects.toBeInstanceOf(BadRequestError);
    expect(api.requests).toHaveLength(1);
  });

  it('does not retry a plain POST, but does retry a create carrying its own id', async () => {
    let calls = 0;
    api.use(
      http.post(`${BASE_URL}/things`, () => new HttpResponse(null, { status: 503, headers: { 'Retry-After': '0' } })),
      http.post(`${BASE_URL}/products`, async ({ request }) => {
        const body = (await request.json()) as { product: Record<string, unknown> };
        return ++calls < 2
          ? new HttpResponse(null, { status: 503, headers: { 'Retry-After': '0' } })
          : HttpResponse.json({ ...body.product, created_at: 'x', updated_at: 'x' }, { status: 201 });
      }),
    );
    await expect(client().request({ method: 'POST', path: '/things', body: {} })).rejects.toBeInstanceOf(InternalServerError);
    expect(api.requests).toHaveLength(1);
    api.requests.length = 0;

    const created = await client().products.create({ name: 'Retry-safe' });
    const ids = api.requests.map((r) => (r.body as { product: { id: string } }).product.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).toBe(ids[1]);
    expect(created.id).toBe(ids[0]);
  });

  it('retries connection failures for idempotent requests and then reports them in one sentence', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.error()));
    const error = (await client({ maxRetries: 1 }).request({ method: 'GET', path: '/status' }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(error.message).toMatch(/^Could not reach http:\/\/marketplace\.test: .+\.$/);
    expect(api.requests).toHaveLength(2);
  });

  it('backs off with full jitter under a cap', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const ceiling = Math.min(8000, 500 * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const ms = backoff(attempt);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('reads Retry-After as seconds, as an HTTP date, and as retry-after-ms', () => {
    const now = Date.parse('2026-11-26T00:00:00Z');
    expect(retryAfterMs(new Headers({ 'retry-after': '3' }), now)).toBe(3000);
    expect(retryAfterMs(new Headers({ 'retry-after': 'Thu, 26 Nov 2026 00:00:05 GMT' }), now)).toBe(5000);
    expect(retryAfterMs(new Headers({ 'retry-after-ms': '250' }), now)).toBe(250);
    expect(retryAfterMs(new Headers({ 'retry-after': 'soon' }), now)).toBeUndefined();
  });
});

describe('timeouts and cancellation', () => {
  it('times out a slow request with a TimeoutError', async () => {
    api.use(
      http.get(`${BASE_URL}/status`, async () => {
        await delay(2000);
        return HttpResponse.json(status);
      }),
    );
    const error = (await client({ maxRetries: 0 }).request({ method: 'GET', path: '/status', timeoutMs: 50 }).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toBe('GET /status timed out after 50 ms.');
  });

  it('stops at once when the caller aborts, without retrying', async () => {
    api.use(
      http.get(`${BASE_URL}/status`, async () => {
        await delay(2000);
        return HttpResponse.json(status);
      }),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 30);
    const error = await client({ maxRetries: 3 }).request({ method: 'GET', path: '/status', signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(api.requests).toHaveLength(1);
  });

  it('refuses to start with an already aborted signal', async () => {
    const error = await client().request({ method: 'GET', path: '/status', signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortError);
    expect(api.requests).toHaveLength(0);
  });
});

describe('bad responses become typed errors', () => {
  it('an HTML 500 page', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => new HttpResponse('<!DOCTYPE html><html><head><title>We\'re sorry, but something went wrong</title></head><body>…</body></html>', { status: 500, headers: { 'content-type': 'text/html' } })));
    const error = (await client({ maxRetries: 0 }).request({ method: 'GET', path: '/status' }).catch((e: unknown) => e)) as InternalServerError;
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.message).toBe(
      'GET /status failed with HTTP 500 (internal server error): the server sent an HTML page titled "We\'re sorry, but something went wrong".',
    );
  });

  it('truncated JSON on a success', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => new HttpResponse('{"message":"hea', { status: 200, headers: { 'content-type': 'application/json' } })));
    const error = (await client().request({ method: 'GET', path: '/status' }).catch((e: unknown) => e)) as InvalidResponseError;
    expect(error).toBeInstanceOf(InvalidResponseError);
    expect(error.message).toBe('GET /status returned HTTP 200 with incomplete or malformed JSON.');
  });

  it('a non-JSON error body keeps its text', async () => {
    api.use(http.get(`${BASE_URL}/nowhere`, () => new HttpResponse('Page not found', { status: 404, headers: { 'content-type': 'text/plain' } })));
    const error = (await client().request({ method: 'GET', path: '/nowhere' }).catch((e: unknown) => e)) as NotFoundError;
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error.body).toBe('Page not found');
    expect(error.message).toBe('GET /nowhere failed with HTTP 404 (not found): Page not found.');
  });

  it('the reference server 401 body', async () => {
    api.use(http.post(`${BASE_URL}/things`, () => HttpResponse.json({ message: 'You are not authorized, sorry!' }, { status: 401 })));
    const error = (await client().request({ method: 'POST', path: '/things', body: {} }).catch((e: unknown) => e)) as AuthenticationError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toBe('POST /things failed with HTTP 401 (authentication is required or was refused): You are not authorized, sorry!');
    expect(error.method).toBe('POST');
    expect(error.url).toBe(`${BASE_URL}/things`);
  });

  it('a 429 without Retry-After after the last retry', async () => {
    api.use(http.get(`${BASE_URL}/status`, () => HttpResponse.json({ message: 'slow down' }, { status: 429 })));
    await expect(client({ maxRetries: 0 }).request({ method: 'GET', path: '/status' })).rejects.toBeInstanceOf(RateLimitError);
  });

  it('204 gives null', async () => {
    api.use(http.delete(`${BASE_URL}/things/1`, () => new HttpResponse(null, { status: 204 })));
    await expect(client().request({ method: 'DELETE', path: '/things/1' })).resolves.toBeNull();
  });
});
