/**
 * `hsp serve` and its Marketplace UI, as users run it (the built bin/hsp): the UI's address
 * among the start-up lines, `--no-ui` and HSP_UI=false to turn it off, and `--ui-url` /
 * MARKETPLACE_UI_URL checked before anything starts (sign-ins send tokens there).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot, spawnHsp } from '../../helpers/hsp-process.js';
import { onceOnPGlite } from '../../helpers/skips.js';
import { startTestProvider } from '../../helpers/test-provider.js';
import { Marketplace } from '../../../src/index.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
/** Neither setting from the machine running the tests. */
const CLEAN_ENV = { HSP_UI: '', MARKETPLACE_UI_URL: '' };
const CLIENT = { client_id: 'marketplace', client_secret: 'marketplace-secret' };
const uiBuilt = existsSync(join(repoRoot, 'dist', 'ui', 'index.html'));

/** Starts `hsp serve --memory --port 0 …`, hands its start-up lines and URL to `check`, then stops it with SIGTERM. */
async function serving(args: string[], env: Record<string, string>, check: (stdout: string, url: string) => Promise<void>): Promise<void> {
  const server = spawnHsp(['serve', '--memory', '--port', '0', ...args], { env: { ...CLEAN_ENV, ...env } });
  try {
    const [, url] = await server.waitFor(/^Marketplace listening at (http:\/\/127\.0\.0\.1:\d+)\b/m);
    await server.waitFor(/^Sign in with: /m);
    await check(server.output().stdout, url!);
    server.child.kill('SIGTERM');
    const run = await server.exited;
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  } finally {
    server.child.kill('SIGKILL');
  }
}

onceOnPGlite.describe('hsp serve and the Marketplace UI', () => {
  it('prints the UI address after its own, and a browser opening the marketplace lands there', { timeout: 60_000 }, async () => {
    await serving([], {}, async (stdout, url) => {
      const lines = stdout.split('\n');
      expect(lines[1]).toBe(uiBuilt ? `Marketplace UI: ${url}/ui/` : expect.stringMatching(/^Marketplace UI: not served, .*index\.html is missing; "npm run build" makes it\.$/));
      const root = await fetch(`${url}/`, { redirect: 'manual', headers: { accept: BROWSER_ACCEPT } });
      expect(root.status).toBe(uiBuilt ? 302 : 200);
      if (uiBuilt) {
        expect(root.headers.get('location')).toBe('/ui/');
        const page = await fetch(`${url}/ui/`, { headers: { accept: BROWSER_ACCEPT } });
        expect(page.status).toBe(200);
        expect(await page.text()).toContain('<base href="/ui/">');
      }
    });
  });

  it.each([
    { how: '--no-ui', args: ['--no-ui'], env: {} as Record<string, string> },
    { how: 'HSP_UI=false', args: [], env: { HSP_UI: 'false' } as Record<string, string> },
  ])('$how: no UI line, /ui/ is a 404 and / answers JSON to a browser', { timeout: 60_000 }, async ({ args, env }) => {
    await serving(args, env, async (stdout, url) => {
      expect(stdout).not.toMatch(/Marketplace UI/);
      expect((await fetch(`${url}/ui/`, { headers: { accept: BROWSER_ACCEPT } })).status).toBe(404);
      const root = await fetch(`${url}/`, { redirect: 'manual', headers: { accept: BROWSER_ACCEPT } });
      expect(root.status).toBe(200);
      expect(await root.json()).toHaveProperty('message');
    });
  });

  it.each([
    { args: ['--ui-url', 'ftp://ui.example.org/'], env: {}, says: '--ui-url must be an http or https address without a user name or a #fragment, not "ftp://ui.example.org/".' },
    { args: ['--ui-url', 'https://ui.example.org/#/app'], env: {}, says: '--ui-url must be an http or https address without a user name or a #fragment, not "https://ui.example.org/#/app".' },
    { args: ['--ui-url', 'ui.example.org'], env: {}, says: '--ui-url must be the address of a Marketplace UI such as https://ui.example.org/, not "ui.example.org".' },
    { args: [], env: { MARKETPLACE_UI_URL: 'https://admin:pw@ui.example.org/' }, says: 'MARKETPLACE_UI_URL must be an http or https address without a user name or a #fragment, not "https://admin:pw@ui.example.org/".' },
    { args: [], env: { HSP_UI: 'maybe' }, says: 'HSP_UI must be true or false, not "maybe".' },
  ])('$args $env → exit 2 with one sentence, nothing started', async ({ args, env, says }) => {
    const run = await spawnHsp(['serve', '--memory', '--port', '0', ...args], { env: { ...CLEAN_ENV, ...env } }).exited;
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`${says}\n`);
    expect(run.stdout).toBe('');
  });

  it('--ui-url reaches the server: a sign-in may return to pages under it, and nowhere else', { timeout: 60_000 }, async () => {
    const op = await startTestProvider({ clients: [CLIENT], accounts: { alice: {} } });
    try {
      await serving(['--ui-url', 'https://ui.example.org/app'], {}, async (stdout, url) => {
        const token = (await readFile(stdout.match(/^Administrator token written to (.+)$/m)![1]!, 'utf8')).trim();
        const admin = new Marketplace({ baseUrl: url, token, dialect: 'r2' });
        const provider = await admin.identityProviders.create({ name: 'Test OP', issuer: op.issuer, ...CLIENT, scopes: 'openid' });
        const start = (redirectUri: string) => fetch(admin.identityProviders.redirectUrl(provider.id, { redirectUri }), { redirect: 'manual' });
        const accepted = await start('https://ui.example.org/app/auth/callback?ui_state=1');
        expect(accepted.status).toBe(302);
        expect(accepted.headers.get('location')!.startsWith(`${op.issuer}/auth?`)).toBe(true);
        const refused = await start('https://ui.example.org/elsewhere');
        expect(refused.status).toBe(400);
        expect(((await refused.json()) as { message: string }).message).toContain('https://ui.example.org/app');
      });
    } finally {
      await op.close();
    }
  });
});
