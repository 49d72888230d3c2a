/**
 * The Marketplace UI served by `hsp serve` under /ui/: its files with the right types and
 * caching, the UI's own routes answered with index.html, nothing outside its folder, and a
 * browser's `GET /` sent to it, while every API client gets exactly the bytes it got before.
 * Served from a small UI build written here (the real one is checked at the end, when built).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { useMarketplace, type TestMarketplace } from '../../helpers/marketplace.js';
import { repoRoot } from '../../helpers/hsp-process.js';
import { onceOnPGlite, onlyIf } from '../../helpers/skips.js';
import { createMarketplaceServer } from '../../../src/server/index.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const INDEX = `<!doctype html><html lang="en"><head><meta charset="utf-8"><base href="/"><title>HSP Marketplace</title>
<link rel="stylesheet" href="assets/main-AB12.css"><script type="module" src="assets/main-CD34.js"></script></head><body></body></html>\n`;
const SCRIPT = `export const catalogue = ${JSON.stringify('x'.repeat(4000))};\n`;
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

const folder = mkdtempSync(join(tmpdir(), 'hsp-ui-build-'));
mkdirSync(join(folder, 'assets'));
writeFileSync(join(folder, 'index.html'), INDEX);
writeFileSync(join(folder, '404.html'), INDEX);
writeFileSync(join(folder, 'config.json'), '{"marketplaceUrl": "https://elsewhere.example.org"}\n');
writeFileSync(join(folder, 'assets', 'main-CD34.js'), SCRIPT);
writeFileSync(join(folder, 'assets', 'main-CD34.js.map'), '{"version":3}');
writeFileSync(join(folder, 'assets', 'main-AB12.css'), 'body{margin:0}');
writeFileSync(join(folder, 'assets', 'logo-EF56.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
writeFileSync(join(folder, 'assets', 'logo-EF56.png'), PNG);
writeFileSync(join(folder, 'favicon.ico'), PNG);
writeFileSync(join(folder, '.env'), 'SECRET=must-not-be-served\n');
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const m = useMarketplace({ ui: { folder } });
const withoutUi = useMarketplace({ ui: false });

function get(path: string, headers: Record<string, string> = {}, server: TestMarketplace = m) {
  return fetch(`${server.url}${path}`, { redirect: 'manual', headers });
}

/** A request exactly as written: fetch would resolve `..` and re-encode the path first. */
function raw(path: string, server: TestMarketplace = m): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path, headers: { accept: BROWSER_ACCEPT } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('error', reject).end();
  });
}

describe('the UI under /ui/', () => {
  it('/ui moves to /ui/, keeping the query', async () => {
    const response = await get('/ui?x=1', { accept: BROWSER_ACCEPT });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toBe('/ui/?x=1');
  });

  it('/ui/ is index.html with its base moved to /ui/, revalidated, with the security headers', async () => {
    const response = await get('/ui/', { accept: 'text/html' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await response.text();
    expect(html).toBe(INDEX.replace('<base href="/">', '<base href="/ui/">'));
  });

  it("the UI's own routes (deep links, reloads) answer index.html; so does 404.html, rebased too", async () => {
    const index = await (await get('/ui/')).text();
    for (const path of ['/ui/products/0bd4e587-e0cf-47ad-9314-ae580873fbae', '/ui/platforms/', '/ui/sign-in?next=platforms', '/ui/auth/callback?ui_state=abc', '/ui/index.html', '/ui/404.html']) {
      const response = await get(path, { accept: BROWSER_ACCEPT });
      expect(response.status, path).toBe(200);
      expect(await response.text(), path).toBe(index);
    }
  });

  it('files have their content types; assets are immutable, the rest revalidated', async () => {
    const expected: [string, string, string][] = [
      ['/ui/assets/main-CD34.js', 'text/javascript; charset=utf-8', 'public, max-age=31536000, immutable'],
      ['/ui/assets/main-AB12.css', 'text/css; charset=utf-8', 'public, max-age=31536000, immutable'],
      ['/ui/assets/main-CD34.js.map', 'application/json; charset=utf-8', 'public, max-age=31536000, immutable'],
      ['/ui/assets/logo-EF56.svg', 'image/svg+xml', 'public, max-age=31536000, immutable'],
      ['/ui/assets/logo-EF56.png', 'image/png', 'public, max-age=31536000, immutable'],
      ['/ui/favicon.ico', 'image/x-icon', 'no-cache'],
    ];
    for (const [path, type, cache] of expected) {
      // A script or stylesheet request says `*/*` or `text/css`: never refused for not asking JSON.
      const response = await get(path, { accept: path.endsWith('.css') ? 'text/css,*/*;q=0.1' : '*/*' });
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe(type);
      expect(response.headers.get('cache-control'), path).toBe(cache);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    expect(Buffer.from(await (await get('/ui/assets/logo-EF56.png')).arrayBuffer())).toEqual(PNG);
  });

  it('config.json points the UI at the marketplace that serves it, whatever the build folder holds', async () => {
    const response = await get('/ui/config.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    expect(await response.json()).toEqual({ marketplaceUrl: '' });
  });

  it('ETag and If-None-Match: a 304 without the body', async () => {
    const first = await get('/ui/assets/main-AB12.css');
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get('/ui/assets/main-AB12.css', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    const index = await get('/ui/products/x', { 'if-none-match': (await get('/ui/')).headers.get('etag')! });
    expect(index.status).toBe(304);
  });

  it('gzip for clients that accept it, with its own ETag and Vary: Accept-Encoding', async () => {
    const { status, body, headers } = await new Promise<{ status: number; body: Buffer; headers: Record<string, unknown> }>((resolve, reject) => {
      const { hostname, port } = new URL(m.url);
      request({ hostname, port, path: '/ui/assets/main-CD34.js', headers: { 'accept-encoding': 'gzip, deflate, br' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk)).on('end', () => resolve({ status: res.statusCode!, body: Buffer.concat(chunks), headers: res.headers }));
      })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
    expect(headers['content-encoding']).toBe('gzip');
    expect(String(headers.vary)).toMatch(/Accept-Encoding/);
    expect(body.length).toBeLessThan(SCRIPT.length / 4);
    expect(gunzipSync(body).toString('utf8')).toBe(SCRIPT);
    const plain = await raw('/ui/assets/main-CD34.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
    expect(plain.headers.etag).not.toBe(headers.etag);
  });

  it('HEAD answers the headers of GET without a body', async () => {
    const response = await fetch(`${m.url}/ui/assets/main-CD34.js`, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(response.headers.get('content-length')).toBe(String(Buffer.byteLength(SCRIPT)));
    expect(await response.text()).toBe('');
    expect((await fetch(`${m.url}/ui/platforms`, { method: 'HEAD' })).status).toBe(200);
  });

  it('a missing file is a 404 sentence, not the page (a browser would run HTML as a script)', async () => {
    for (const path of ['/ui/assets/main-OLD1.js', '/ui/missing.png', '/ui/robots.txt']) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { message: string }).message, path).toMatch(/^The Marketplace UI has no file /);
    }
  });

  it('nothing outside the folder, no dot-files: .., encoded dots and slashes, backslashes, NUL are 404s', async () => {
    const attempts = [
      '/ui/../package.json',
      '/ui/assets/../../package.json',
      '/ui/%2e%2e/package.json',
      '/ui/%2E%2E/%2E%2E/package.json',
      '/ui/assets%2f..%2f..%2fpackage.json',
      '/ui/..%5c..%5cpackage.json',
      '/ui/assets/main-CD34.js%00.png',
      '/ui/%00',
      '/ui/.env',
      '/ui/%2eenv',
      '/ui//etc/passwd',
      '/ui/assets//main-CD34.js',
    ];
    for (const path of attempts) {
      const answer = await raw(path);
      expect(answer.status, path).toBe(404);
      expect(answer.body, path).not.toContain('must-not-be-served');
      expect(answer.body, path).not.toContain('"name": "hsp"');
      expect(answer.headers['content-type'], path).toMatch(/^application\/json/);
    }
  });

  it('needs no sign-in: a token is not needed and a UI page is no API answer', async () => {
    const response = await get('/ui/platforms', { accept: BROWSER_ACCEPT });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-cache');
  });
});

describe('GET / from a browser goes to the UI; every other client gets the API, byte for byte', () => {
  it('a browser navigation (text/html preferred) is sent to /ui/, and the answer varies by Accept', async () => {
    for (const accept of [BROWSER_ACCEPT, 'text/html', 'application/xhtml+xml,text/html;q=0.9', 'text/html;q=0.9, application/json;q=0.5']) {
      const response = await get('/', { accept });
      expect(response.status, accept).toBe(302);
      expect(response.headers.get('location'), accept).toBe('/ui/');
      expect(response.headers.get('vary'), accept).toMatch(/\bAccept\b/);
    }
    expect((await get('/?page=2', { accept: BROWSER_ACCEPT })).headers.get('location')).toBe('/ui/');
  });

  it('curl, the SDK, no Accept, JSON first: the same bytes and headers as a server without the UI', async () => {
    const cases: Record<string, string>[] = [{}, { accept: '*/*' }, { accept: 'application/json' }, { accept: 'application/json, text/html' }, { accept: 'text/html;q=0.5, */*' }];
    for (const headers of cases) {
      for (const path of ['/', '/status', '/products', '/products.json', '/nowhere']) {
        const [withUi, without] = await Promise.all([get(path, headers), get(path, headers, withoutUi)]);
        const what = `${path} ${JSON.stringify(headers)}`;
        expect(withUi.status, what).toBe(without.status);
        // The clocks in /status differ between two answers, by design; everything else is the same.
        const clocks = (text: string) => text.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T');
        expect(clocks(await withUi.text()), what).toBe(clocks(await without.text()));
        const comparable = (response: Response) =>
          [...response.headers].filter(([name]) => !['date', 'etag', 'keep-alive', 'connection'].includes(name)).sort();
        expect(comparable(withUi), what).toEqual(comparable(without));
      }
    }
    // The SDK itself still reads the status at `/`.
    await expect(m.anonymous.session.status()).resolves.toHaveProperty('message');
  });

  it('an Accept that excludes JSON and HTML is still the 406 it was', async () => {
    const [withUi, without] = await Promise.all([get('/', { accept: 'image/png' }), get('/', { accept: 'image/png' }, withoutUi)]);
    expect(withUi.status).toBe(406);
    expect(await withUi.text()).toBe(await without.text());
  });
});

describe('without the UI', () => {
  it('ui: false: /ui/ is an API 404, and / is JSON even for a browser', async () => {
    expect(withoutUi.server.ui).toEqual({ off: undefined });
    const page = await get('/ui/', { accept: BROWSER_ACCEPT }, withoutUi);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-type')).toMatch(/^application\/json/);
    const root = await get('/', { accept: BROWSER_ACCEPT }, withoutUi);
    expect(root.status).toBe(200);
    expect(await root.json()).toHaveProperty('message');
  });

  // Starts a server of its own on the embedded database: once, whichever database the file runs on.
  onceOnPGlite.it('a folder without a UI build: the server starts without the UI and says why', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hsp-ui-none-'));
    const server = await createMarketplaceServer({ port: 0, memory: true, ui: { folder: empty } });
    try {
      expect(server.ui).toEqual({ off: `${join(empty, 'index.html')} is missing; "npm run build" makes it` });
      expect((await fetch(`${server.url}/ui/`, { headers: { accept: BROWSER_ACCEPT } })).status).toBe(404);
    } finally {
      await server.close();
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});

const built = join(repoRoot, 'dist', 'ui', 'index.html');
onlyIf(existsSync(built) && onceOnPGlite.met, existsSync(built) ? onceOnPGlite.reason : 'needs the UI build: run "npm run build" (or node scripts/build-ui.mjs) first').describe('the real UI build in dist/ui', () => {
  it('is served by default: its page, and every script and stylesheet it names', async () => {
    const server = await createMarketplaceServer({ port: 0, memory: true });
    try {
      expect(server.ui).toEqual({ url: `${server.url}/ui/` });
      const html = await (await fetch(`${server.url}/ui/`, { headers: { accept: BROWSER_ACCEPT } })).text();
      expect(html).toContain('<base href="/ui/">');
      expect(readFileSync(built, 'utf8')).toMatch(/<base href="\/"\s*\/?>/);
      const assets = [...html.matchAll(/(?:src|href)="(assets\/[^"]+)"/g)].map((match) => match[1]!);
      expect(assets.length).toBeGreaterThan(0);
      for (const asset of assets) {
        const response = await fetch(`${server.url}/ui/${asset}`);
        expect(response.status, asset).toBe(200);
        expect(response.headers.get('cache-control'), asset).toContain('immutable');
      }
      expect(await (await fetch(`${server.url}/ui/config.json`)).json()).toEqual({ marketplaceUrl: '' });
    } finally {
      await server.close();
    }
  }, 60_000);
});
