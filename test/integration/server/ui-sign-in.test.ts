/**
 * Signing in through an identity provider back to the Marketplace UI: the browser flow of
 * login.test.ts, with a real OpenID Provider, ending on a UI page (this server's /ui/, or a UI
 * hosted at MARKETPLACE_UI_URL) with the token in the URL's fragment and the page's own query
 * kept. Every other redirect_uri that is not a loopback listener is refused: no open redirect.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useMarketplace } from '../../helpers/marketplace.js';
import { Browser, startTestProvider, type TestProvider } from '../../helpers/test-provider.js';

const folder = mkdtempSync(join(tmpdir(), 'hsp-ui-build-'));
mkdirSync(join(folder, 'assets'));
writeFileSync(join(folder, 'index.html'), '<!doctype html><base href="/"><title>UI</title>\n');
afterAll(() => rmSync(folder, { recursive: true, force: true }));

const m = useMarketplace({ ui: { folder } });
const CLIENT = { client_id: 'marketplace', client_secret: 'marketplace-secret' };
const HOSTED_UI = 'https://ui.example.org/app';
let op: TestProvider;
let providerId = '';

beforeAll(async () => {
  op = await startTestProvider({ clients: [CLIENT], accounts: { alice: { name: 'Alice Liddell', email: 'alice@example.org' } }, redirectUris: [`${m.url}/sessions`] });
  providerId = (await m.admin.identityProviders.create({ name: 'Test OP', issuer: op.issuer, ...CLIENT, scopes: 'openid,profile,email' })).id;
});
afterAll(async () => {
  await op?.close();
});

const startUrl = (redirectUri: string) => `${m.url}/identity_providers/${providerId}/redirect?redirect_uri=${encodeURIComponent(redirectUri)}`;

/** The whole sign-in, as a browser follows it, stopping (unfetched) where `stop` says. */
async function signIn(redirectUri: string, stop: (url: string) => boolean): Promise<URL> {
  op.next = 'alice';
  const { url, response } = await new Browser().follow(startUrl(redirectUri), stop);
  expect(response, `the sign-in stopped at ${url} (${response?.status}) instead`).toBeUndefined();
  return new URL(url);
}

describe('sign-in back to the UI', () => {
  it("ends on this server's UI page with the token in the fragment and the page's query kept; the token works", async () => {
    const landed = await signIn(`${m.url}/ui/auth/callback?ui_state=abc`, (url) => url.startsWith(`${m.url}/ui/`));
    expect(`${landed.origin}${landed.pathname}${landed.search}`).toBe(`${m.url}/ui/auth/callback?ui_state=abc`);
    expect(landed.searchParams.has('jwt')).toBe(false);
    const jwt = new URLSearchParams(landed.hash.slice(1)).get('jwt')!;
    expect(landed.hash).toBe(`#jwt=${jwt}`);
    expect(jwt.split('.')).toHaveLength(3);
    const status = await m.client(jwt).session.status();
    expect(status.identity).toMatchObject({ provider: { id: providerId }, user: { name: 'Alice Liddell' } });
    // The page a browser then loads is the UI's (the fragment never reaches the server).
    const page = await fetch(`${landed.origin}${landed.pathname}${landed.search}`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<base href="/ui/">');
  });

  it('ends on a UI hosted elsewhere (MARKETPLACE_UI_URL) the same way, for pages under its address only', async () => {
    m.server.context.config.uiUrl = HOSTED_UI;
    try {
      const landed = await signIn(`${HOSTED_UI}/auth/callback?ui_state=xyz`, (url) => url.startsWith('https://ui.example.org/'));
      expect(landed.href.split('#')[0]).toBe(`${HOSTED_UI}/auth/callback?ui_state=xyz`);
      const jwt = new URLSearchParams(landed.hash.slice(1)).get('jwt')!;
      await expect(m.client(jwt).session.status()).resolves.toHaveProperty('identity');

      for (const uri of ['https://ui.example.org/application', 'https://ui.example.org/', 'http://ui.example.org/app/x', 'https://ui.example.org.evil.example/app/x', 'https://ui.example.org/app/../admin']) {
        const response = await fetch(startUrl(uri), { redirect: 'manual' });
        expect(response.status, uri).toBe(400);
        expect(((await response.json()) as { message: string }).message, uri).toContain(`a page of the Marketplace UI under ${m.url}/ui/ or ${HOSTED_UI}`);
      }
    } finally {
      delete m.server.context.config.uiUrl;
    }
  });

  it("a loopback listener still gets ?jwt= (hsp login); the server's own UI pages get the fragment", async () => {
    const loopback = await signIn('http://127.0.0.1:9/callback?from=cli', (url) => url.startsWith('http://127.0.0.1:9/'));
    expect(loopback.hash).toBe('');
    expect(loopback.searchParams.get('from')).toBe('cli');
    expect(loopback.searchParams.get('jwt')!.split('.')).toHaveLength(3);
  });

  it('behind a proxy the UI is the one on the origin the browser sees, and only its /ui/ pages', async () => {
    const viaProxy = { 'x-forwarded-host': 'market.example.org', 'x-forwarded-proto': 'https' };
    const accepted = await fetch(startUrl('https://market.example.org/ui/auth/callback?ui_state=1'), { redirect: 'manual', headers: viaProxy });
    expect(accepted.status).toBe(302);
    expect(new URL(accepted.headers.get('location')!).searchParams.get('redirect_uri')).toBe('https://market.example.org/sessions');
    for (const uri of ['https://market.example.org/status', 'https://market.example.org/ui', 'https://market.example.org/uix/', 'https://market.example.org/ui/../status', 'https://market.example.org/ui/%2e%2e/status']) {
      const response = await fetch(startUrl(uri), { redirect: 'manual', headers: viaProxy });
      expect(response.status, uri).toBe(400);
    }
  });

  it('open-redirect attempts are refused with one sentence naming what is allowed', async () => {
    const attempts = [
      'https://evil.example/ui/auth/callback',
      'http://evil.example/ui/',
      `${m.url}/ui/auth/callback#jwt=planted`,
      `${m.url}/ui/auth/callback#`,
      `http://user:pw@${new URL(m.url).host}/ui/auth/callback`,
      `${m.url.replace('http:', 'https:')}/ui/auth/callback`,
      'javascript:alert(1)//127.0.0.1/ui/',
      `//evil.example/ui/`,
      '/ui/auth/callback',
      `data:text/html,<script>alert(1)</script>`,
    ];
    for (const uri of attempts) {
      const response = await fetch(startUrl(uri), { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(response.status, uri).toBe(400);
      expect(response.headers.get('location'), uri).toBeNull();
      const { message } = (await response.json()) as { message: string };
      expect(message, uri).toBe(
        `redirect_uri must be a loopback URL such as http://127.0.0.1:8765/callback (http on 127.0.0.1, [::1] or localhost), or a page of the Marketplace UI under ${m.url}/ui/; it may not hold a fragment or a user name.`,
      );
    }
  });

  it('when the server does not serve the UI, a page under /ui/ of a non-loopback origin is refused', async () => {
    m.server.context.servesUi = false;
    try {
      const response = await fetch(startUrl('https://market.example.org/ui/auth/callback'), {
        redirect: 'manual',
        headers: { 'x-forwarded-host': 'market.example.org', 'x-forwarded-proto': 'https' },
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).not.toContain('Marketplace UI');
    } finally {
      m.server.context.servesUi = true;
    }
  });
});
