/**
 * Browsers on other origins: CORS as the reference server answers it (rack-cors: every origin,
 * the seven methods, requested headers echoed, preflights cached two hours, `Vary: Accept,
 * Origin`), and restricted to a list of origins by `corsOrigins`. WebSocket upgrades are not
 * CORS requests and are not affected.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { buildApp } from '../../../src/server/app.js';
import type { ServerContext } from '../../../src/server/context.js';
import { DEFAULT_CONFIG } from '../../../src/server/index.js';
import { useMarketplace, type TestMarketplace } from '../../helpers/marketplace.js';
import { expectSentence, rawRequest, type RawAnswer } from '../../helpers/raw-request.js';

const open = useMarketplace();
const restricted = useMarketplace({ config: { corsOrigins: ['https://app.example.com', 'http://127.0.0.1:5173'] } });

const METHODS = 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD';
const page = 'https://somewhere.example';

/** What a browser sends before a cross-origin DELETE with a token: no Accept, no Authorization. */
function preflight(server: TestMarketplace, path: string, origin: string, requestHeaders = 'authorization, content-type') {
  return rawRequest(server, 'OPTIONS', path, {
    token: null,
    headers: { origin, 'access-control-request-method': 'DELETE', 'access-control-request-headers': requestHeaders, accept: '*/*' },
  });
}

function expectCors(answer: RawAnswer, origin: string): void {
  expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
  expect(answer.headers.get('access-control-allow-methods')).toBe(METHODS);
  expect(answer.headers.get('vary')).toBe('Accept, Origin');
}

describe('by default, every origin (as the reference server)', () => {
  it('a preflight on any path is a 200 with an empty body, before content negotiation and sign-in', async () => {
    for (const path of ['/products', `/products/${randomUUID()}`, `/users/${randomUUID()}/platforms`, '/status', '/no/such/route']) {
      const sent = await preflight(open, path, page, 'Authorization, Content-Type, X-Request-Id');
      expect(sent.status, path).toBe(200);
      expect(sent.text).toBe('');
      expectCors(sent, '*');
      expect(sent.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, X-Request-Id');
      expect(sent.headers.get('access-control-max-age')).toBe('7200');
    }
    // Even asking for HTML, with a token that is no token: a preflight is never judged.
    const html = await rawRequest(open, 'OPTIONS', '/products', { token: 'garbage', headers: { origin: page, 'access-control-request-method': 'POST', accept: 'text/html' } });
    expect(html.status).toBe(200);
  });

  it('only header names are echoed back', async () => {
    const sent = await preflight(open, '/products', page, 'x-ok, (not a name), , authorization');
    expect(sent.headers.get('access-control-allow-headers')).toBe('x-ok, authorization');
  });

  it('every answer carries the headers, errors included, so a page can read why', async () => {
    const headers = { origin: page };
    const answers = {
      list: await rawRequest(open, 'GET', '/products', { headers }),
      created: await rawRequest(open, 'POST', '/products', { headers, json: { product: { name: `Cors ${randomUUID()}` } } }),
      unsigned: await rawRequest(open, 'POST', '/products', { headers, token: null, json: { product: { name: 'x' } } }),
      notAcceptable: await rawRequest(open, 'GET', '/products', { headers: { ...headers, accept: 'text/html' } }),
      missing: await rawRequest(open, 'GET', `/products/${randomUUID()}`, { headers }),
      invalid: await rawRequest(open, 'POST', '/products', { headers, json: { product: { name: '' } } }),
      badJson: await rawRequest(open, 'POST', '/products', { raw: '{', headers: { ...headers, 'content-type': 'application/json' } }),
      // Refused before routing, by Fastify's router.
      badUrl: await rawRequest(open, 'GET', '/products/%FF', { headers }),
    };
    expect(Object.fromEntries(Object.entries(answers).map(([name, answer]) => [name, answer.status]))).toEqual({
      list: 200, created: 201, unsigned: 401, notAcceptable: 406, missing: 404, invalid: 422, badJson: 400, badUrl: 400,
    });
    expectSentence(answers.badUrl, 400, /^The URL is not valid/);
    for (const answer of Object.values(answers)) expectCors(answer, '*');
    // A page reads the new record's address and the list's total.
    const exposed = answers.created.headers.get('access-control-expose-headers')!.split(', ');
    expect(exposed).toEqual(expect.arrayContaining(['Location', 'X-Total-Count', 'ETag', 'Content-Disposition']));
    expect(answers.created.headers.get('location')).toMatch(/\/products\/[0-9a-f-]{36}$/);
  });

  it('a request without Origin gets them too, as on the reference server', async () => {
    expectCors(await rawRequest(open, 'GET', '/status'), '*');
  });
});

describe('restricted to a list of origins (corsOrigins)', () => {
  it('a listed origin is answered with itself', async () => {
    for (const origin of ['https://app.example.com', 'http://127.0.0.1:5173']) {
      const pre = await preflight(restricted, '/products', origin);
      expect(pre.status).toBe(200);
      expectCors(pre, origin);
      expectCors(await rawRequest(restricted, 'GET', '/products', { headers: { origin } }), origin);
      expectCors(await rawRequest(restricted, 'GET', '/nothing/here', { headers: { origin } }), origin);
    }
  });

  it('another origin gets no CORS headers, and its preflight a 403 with a sentence', async () => {
    const pre = await preflight(restricted, '/products', 'https://evil.example');
    expectSentence(pre, 403, /^Pages from "https:\/\/evil\.example" may not call this marketplace/);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    expect(pre.headers.get('access-control-allow-headers')).toBeNull();
    // The request itself is answered (the browser keeps the answer from the page), without the headers.
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'null']) {
      const sent = await rawRequest(restricted, 'GET', '/products', { headers: { origin } });
      expect(sent.status).toBe(200);
      expect(sent.headers.get('access-control-allow-origin'), origin).toBeNull();
      expect(sent.headers.get('vary')).toBe('Accept, Origin');
    }
  });

  it('a request without Origin is no cross-origin request and gets no CORS headers', async () => {
    const sent = await rawRequest(restricted, 'GET', '/status');
    expect(sent.status).toBe(200);
    expect(sent.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an entry that is no origin is refused at start with a sentence', async () => {
    const context = { config: { ...DEFAULT_CONFIG, corsOrigins: ['app.example.com'] } } as unknown as ServerContext;
    await expect(buildApp(context)).rejects.toThrow('The CORS origin "app.example.com" is not an origin such as https://app.example.com.');
  });
});

describe('WebSocket upgrades', () => {
  it('are not CORS requests: welcomed from any origin, on both servers', async () => {
    for (const server of [open, restricted]) {
      for (const origin of ['https://app.example.com', 'https://evil.example']) {
        const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/cable`, ['actioncable-v1-json'], {
          headers: { origin, authorization: `Bearer ${server.server.adminToken}` },
        });
        const first = await new Promise<unknown>((resolve, reject) => {
          ws.once('message', (data) => resolve(JSON.parse(String(data))));
          ws.once('error', reject);
        });
        ws.close();
        expect(first, `${server.url} from ${origin}`).toEqual({ type: 'welcome' });
      }
    }
  });
});
