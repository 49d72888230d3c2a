/**
 * `hsp login`, `logout`, `whoami`, `auth status|token` and `config` end to end: against the
 * real marketplace (`hsp serve` in-process), with a real OpenID Provider (`oidc-provider`) for
 * the browser sign-in, the test playing the browser by following redirects with fetch; and
 * against a tiny fake marketplace whose sign-in ignores `redirect_uri`, as the reference
 * server's does, for the paste fallback. Config directories are temporary and the keychain is
 * a fake: nothing touches the real home directory.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KeychainModule } from '../../../src/auth/keychain.js';
import type { Prompts } from '../../../src/cli/commands/auth/deps.js';
import { fakeKeychain, hspAuth, tempConfigDir, type AuthRunOptions } from '../../helpers/auth-cli.js';
import type { CliRun } from '../../helpers/cli.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { Browser, startTestProvider, type TestProvider } from '../../helpers/test-provider.js';

const m = useMarketplace();

let dir: string;
let cleanup: () => Promise<void>;
let keychain: ReturnType<typeof fakeKeychain>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempConfigDir());
  keychain = fakeKeychain();
});
afterEach(async () => {
  await cleanup();
});

type RunOptions = Omit<AuthRunOptions, 'dir' | 'keychain'> & { keychain?: KeychainModule | null };
const hsp = (args: string[], options: RunOptions = {}) => hspAuth(args, { dir, keychain, ...options });

function ok(run: CliRun): CliRun {
  expect({ code: run.code, stderr: run.stderr }).toMatchObject({ code: 0 });
  return run;
}

/** Prompts that fail the test if asked, unless given. */
function prompts(answers: Partial<Prompts> = {}): Prompts {
  const unexpected = (name: string) => async () => {
    throw new Error(`unexpected ${name} prompt`);
  };
  return { confirm: unexpected('confirm'), select: unexpected('select'), secret: unexpected('secret'), input: unexpected('input'), ...answers };
}

// ---------------------------------------------------------------------------------------

describe('hsp login --with-token', () => {
  it('signs in with a token from stdin; whoami, auth status and auth token then work', async () => {
    const token = m.server.adminToken!;
    const login = ok(await hsp(['login', '--url', m.url, '--with-token'], { stdin: `${token}\n` }));
    expect(login.stdout).toBe('');
    expect(login.stderr).toContain(`✓ Signed in to ${m.url} as Administrator (profile "default").`);
    expect(login.stderr).toContain('The token is stored in the OS keychain.');
    expect(JSON.parse(keychain.entries.get('hsp/default')!)).toMatchObject({ kind: 'marketplace', token, expires_at: expect.any(String) });
    const config = await readFile(join(dir, 'config.yaml'), 'utf8');
    expect(config).toContain(`url: ${m.url}`);
    expect(config).toContain('current_profile: default');
    expect(config).not.toContain(token);
    expect(await readdir(dir)).toEqual(['config.yaml']);

    const whoami = ok(await hsp(['whoami']));
    expect(whoami.stdout).toMatch(/^user\tAdministrator \([0-9a-f-]{36}\)\nsigned in with\ta marketplace token\nmarketplace\thttp:\/\/127\.0\.0\.1:\d+\npermissions\t.*everything\.manage/);
    const identity = JSON.parse(ok(await hsp(['whoami', '--json'])).stdout) as { user_id: string; user: { name: string } };
    expect(identity).toMatchObject({ user_id: expect.any(String), user: { name: 'Administrator' } });

    const status = ok(await hsp(['auth', 'status']));
    expect(status.stdout).toMatch(new RegExp(`^\\* default\\t${m.url}\\tAdministrator\\tOS keychain\\t\\d{4}-\\d\\d-\\d\\dT`));
    const table = ok(await hsp(['auth', 'status', '--no-color'], { tty: true }));
    // The administrator's token lasts a year: past a month, the date instead of "in N days".
    expect(table.stdout).toMatch(/PROFILE\s+URL\s+USER\s+TOKEN\s+EXPIRES\n\* default\s+http\S+\s+Administrator\s+OS keychain\s+(in \d+ \w+|\d{4}-\d\d-\d\d)\n/);
    const rows = JSON.parse(ok(await hsp(['auth', 'status', '--json'])).stdout) as Record<string, unknown>[];
    expect(rows).toEqual([expect.objectContaining({ profile: 'default', current: true, url: m.url, user_name: 'Administrator', storage: 'keychain', kind: 'marketplace', expired: false })]);
    for (const run of [status, table]) expect(run.stdout + run.stderr).not.toContain(token);
    expect(JSON.stringify(rows)).not.toContain(token);

    expect(ok(await hsp(['auth', 'token'])).stdout).toBe(`${token}\n`);
    expect(ok(await hsp(['config', 'get', 'url'])).stdout).toBe(`${m.url}\n`);
  });

  it('hsp logout revokes the token on the marketplace and forgets it here', async () => {
    const user = await m.user('Leaving Soon');
    ok(await hsp(['login', '--url', m.url, '--profile', 'leaving', '--with-token'], { stdin: user.token }));
    expect(ok(await hsp(['whoami'])).stdout).toContain('Leaving Soon');

    const logout = ok(await hsp(['logout']));
    expect(logout.stderr).toBe(`✓ Signed out of ${m.url} (profile "leaving").\n`);
    expect(keychain.entries.size).toBe(0);
    // The profile stays for the next login, without its user.
    expect((await readFile(join(dir, 'config.yaml'), 'utf8')).trim()).toMatch(new RegExp(`profiles:\\n  leaving:\\n    url: ${m.url}\\ncurrent_profile: leaving$`));

    expect(await hsp(['whoami'])).toMatchObject({ code: 4, stderr: 'You are not signed in: run "hsp login", or set HSP_TOKEN.\n' });
    // Revoked on the server: the token itself no longer works.
    const revoked = await hsp(['whoami'], { env: { HSP_URL: m.url, HSP_TOKEN: user.token } });
    expect(revoked.code).toBe(4);
    expect(revoked.stderr).toMatch(/revoked/);
    expect(await hsp(['auth', 'token'])).toMatchObject({ code: 4 });
    expect(await hsp(['auth', 'status'])).toMatchObject({ code: 0, stdout: `* leaving\t${m.url}\t\tnone (signed out)\t\n` });
  });

  it('logout without a reachable marketplace still deletes the token, with a warning', async () => {
    const user = await m.user('Offline');
    ok(await hsp(['login', '--url', m.url, '--with-token'], { stdin: user.token }));
    ok(await hsp(['config', 'set', 'url', 'http://127.0.0.1:9']));
    const logout = ok(await hsp(['logout']));
    expect(logout.stderr).toMatch(/^! Could not end the session on http:\/\/127\.0\.0\.1:9 \(.+\); the token is deleted here but stays valid until it expires\.\n✓ Signed out/);
    expect(keychain.entries.size).toBe(0);
  });

  it('refuses a token the marketplace does not accept, an empty one and several lines, writing nothing', async () => {
    expect(await hsp(['login', '--url', m.url, '--with-token'], { stdin: 'not-a-real-token\n' })).toMatchObject({ code: 4, stderr: 'The marketplace did not accept this token.\n' });
    expect(await hsp(['login', '--url', m.url, '--with-token'], { stdin: '  \n' })).toMatchObject({ code: 2, stderr: 'No token on stdin: pipe one in, e.g. hsp login --with-token < token.txt.\n' });
    expect(await hsp(['login', '--url', m.url, '--with-token'], { stdin: 'one\ntwo\n' })).toMatchObject({ code: 2, stderr: 'Expected one token on stdin, but got several lines.\n' });
    expect(await hsp(['login', '--with-token'], { stdin: 'x' })).toMatchObject({ code: 2, stderr: 'Which marketplace? Pass --url (or set HSP_URL), e.g. hsp login --url https://marketplace.example.org.\n' });
    expect(await hsp(['login', '--url', m.url, '--with-token', '--web'], { stdin: 'x' })).toMatchObject({ code: 2, stderr: 'Choose one way to sign in: --with-token or --web, not both.\n' });
    expect(await hsp(['login', '--url', m.url, '--profile', '../etc', '--with-token'], { stdin: 'x' })).toMatchObject({ code: 2 });
    expect(await readdir(dir)).toEqual([]);
    expect(keychain.entries.size).toBe(0);
  });

  it('without a keychain: fails naming --insecure-storage and writes nothing; with it, a 0600 file', async () => {
    const token = m.server.adminToken!;
    const refused = await hsp(['login', '--url', m.url, '--with-token'], { stdin: token, keychain: null });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `The token cannot be stored securely because there is no keychain in this test; pass --insecure-storage to keep it in plain text in ${join(dir, 'credentials.yaml')} (readable only by you), or use HSP_TOKEN instead.\n`,
    );
    expect(await readdir(dir)).toEqual([]);

    const stored = ok(await hsp(['login', '--url', m.url, '--with-token', '--insecure-storage'], { stdin: token, keychain: null }));
    expect(stored.stderr).toContain(`! The token is stored in plain text in ${join(dir, 'credentials.yaml')}.`);
    expect((await stat(join(dir, 'credentials.yaml'))).mode & 0o777).toBe(0o600);
    const status = ok(await hsp(['auth', 'status'], { keychain: null }));
    expect(status.stdout).toContain('plain-text file');
    expect(status.stderr).toContain('Some tokens are in plain text');
    expect(ok(await hsp(['whoami'], { keychain: null })).stdout).toContain('Administrator');
  });

  it('HSP_TOKEN wins over the stored token, and login says so', async () => {
    const user = await m.user('Env User');
    const login = ok(await hsp(['login', '--url', m.url, '--with-token'], { stdin: m.server.adminToken!, env: { HSP_TOKEN: user.token } }));
    expect(login.stderr).toContain('! HSP_TOKEN is set: commands keep using it instead of this sign-in until you unset it.');
    expect(ok(await hsp(['whoami'], { env: { HSP_TOKEN: user.token } })).stdout).toContain('Env User');
    expect(ok(await hsp(['whoami'])).stdout).toContain('Administrator');
    const status = ok(await hsp(['auth', 'status'], { env: { HSP_TOKEN: user.token } }));
    expect(status.stdout.split('\n')[0]).toMatch(/^\(HSP_TOKEN\)\t\t[0-9a-f-]{36}\tHSP_TOKEN\t/);
    expect(status.stderr).toContain('HSP_TOKEN is set: it is used instead of every stored token.');
  });
});

describe('hsp config', () => {
  it('gets, sets and lists profile settings and current_profile', async () => {
    ok(await hsp(['login', '--url', m.url, '--with-token'], { stdin: m.server.adminToken! }));
    ok(await hsp(['config', 'set', 'dialect', 'r2']));
    ok(await hsp(['config', 'set', 'url', 'https://staging.example.org', '--profile', 'staging']));
    expect(ok(await hsp(['config', 'list'])).stdout).toBe(`current_profile=default\nprofile=default\nurl=${m.url}\ndialect=r2\nplatform=\n`);
    expect(ok(await hsp(['config', 'get', 'url', '--profile', 'staging'])).stdout).toBe('https://staging.example.org\n');
    ok(await hsp(['config', 'set', 'current_profile', 'staging']));
    expect(JSON.parse(ok(await hsp(['config', 'list', '--json'])).stdout)).toEqual({ current_profile: 'staging', profile: 'staging', url: 'https://staging.example.org', dialect: null, platform: null });
    expect(ok(await hsp(['config', 'get', 'dialect', '--json'])).stdout).toBe('null\n');

    expect(await hsp(['config', 'set', 'dialect', 'r3'])).toMatchObject({ code: 2, stderr: 'dialect must be r1, r2, auto, got "r3".\n' });
    expect(await hsp(['config', 'set', 'url', 'marketplace.example.org'])).toMatchObject({ code: 2 });
    expect(await hsp(['config', 'set', 'current_profile', 'nope'])).toMatchObject({ code: 1, stderr: 'There is no profile named "nope"; profiles: default, staging.\n' });
    expect(await hsp(['config', 'set', 'platform', 'x', '--profile', 'nope'])).toMatchObject({ code: 1 });
    expect(await hsp(['config', 'get', 'password'])).toMatchObject({ code: 2 });
    // The switch of profile is what commands use.
    expect(await hsp(['whoami'])).toMatchObject({ code: 4 });
  });

  it('a malformed config.yaml is one sentence naming the file and line', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'config.yaml'), 'profiles:\n  prod:\n    url: [oops\n');
    const run = await hsp(['config', 'list']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^${join(dir, 'config.yaml')} line \\d+, column \\d+ is not valid YAML: [^\\n]+\\.\\n$`));
  });
});

// ---------------------------------------------------------------------------------------
// The browser sign-in with a real OpenID Provider

const ACCOUNTS: Record<string, Record<string, unknown>> = { alice: { name: 'Alice Liddell', email: 'alice@example.org' } };
const CLIENT = { client_id: 'marketplace', client_secret: 'marketplace-secret' };
/** The CLI's own public client (PKCE), for `hsp login --client-id`. */
const CLI_CLIENT = 'hsp-cli';

/** Opens `url` in a new test browser; resolves to every URL it went to and the page it ended at. */
async function browse(url: string): Promise<{ visited: string[]; page: string }> {
  const { response, hops } = await new Browser().follow(url);
  return { visited: [url, ...hops], page: await response!.text() };
}

describe('hsp login --web with hsp serve and a real OpenID Provider', () => {
  let op: TestProvider;
  let providerId = '';
  beforeAll(async () => {
    op = await startTestProvider({ clients: [CLIENT], accounts: ACCOUNTS, redirectUris: [`${m.url}/sessions`], nativeClientId: CLI_CLIENT });
    providerId = (await m.admin.identityProviders.create({ name: 'Test OP', issuer: op.issuer, ...CLIENT, scopes: 'openid,profile,email' })).id;
  });
  afterAll(async () => {
    await op.close();
  });

  it('opens the browser at the provider, receives ?jwt= on the loopback listener, and saves it', async () => {
    let browser = { visited: [] as string[], page: '' };
    const run = ok(
      await hsp(['login', '--url', m.url, '--web', '--provider', 'test op'], {
        overrides: {
          openBrowser: async (url) => {
            browser = await browse(url);
            return true;
          },
        },
      }),
    );
    // The browser went marketplace → provider → marketplace → our loopback listener.
    expect(browser.visited[0]).toMatch(new RegExp(`^${m.url}/identity_providers/[0-9a-f-]{36}/redirect\\?redirect_uri=http%3A%2F%2F127\\.0\\.0\\.1%3A\\d+%2Fcallback%2F`));
    expect(browser.visited.some((u) => u.startsWith(op.issuer))).toBe(true);
    expect(browser.visited.at(-1)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\/[\w-]+\?jwt=/);
    expect(browser.page).toContain('You can close this tab');
    expect(run.stderr).toContain('Opening Test OP in your browser.');
    expect(run.stderr).toContain(`✓ Signed in to ${m.url} as Alice Liddell (profile "default").`);

    const whoami = ok(await hsp(['whoami']));
    expect(whoami.stdout).toContain('Alice Liddell');
    expect(whoami.stdout).toContain('signed in with\tTest OP');
  });

  it('--client-id signs in with the provider directly (PKCE on loopback) and keeps the refresh token', async () => {
    // The marketplace accepts tokens issued to the CLI's client as its alternate client.
    await m.admin.identityProviders.update(providerId, { alternate_client_id: CLI_CLIENT });
    let browser = { visited: [] as string[], page: '' };
    const run = ok(
      await hsp(['login', '--url', m.url, '--client-id', CLI_CLIENT], {
        env: { DISPLAY: ':0' },
        overrides: {
          openBrowser: async (url) => {
            browser = await browse(url);
            return true;
          },
        },
      }),
    );
    expect(browser.visited[0]).toMatch(new RegExp(`^${op.issuer}/auth\\?`));
    expect(new URL(browser.visited[0]!).searchParams.get('code_challenge_method')).toBe('S256');
    expect(browser.visited.at(-1)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/);
    expect(run.stderr).toContain(`✓ Signed in to ${m.url} as Alice Liddell (profile "default").`);
    expect(JSON.parse(keychain.entries.get('hsp/default')!)).toMatchObject({ kind: 'oidc', issuer: op.issuer, client_id: CLI_CLIENT, refresh_token: expect.any(String) });
    expect(ok(await hsp(['whoami'])).stdout).toContain('signed in with\tTest OP');
    expect(ok(await hsp(['auth', 'status'])).stdout).toContain('OS keychain (renewable)');

    // Without --client-id, and with none the marketplace shows anonymous callers: one sentence.
    expect(await hsp(['login', '--url', m.url, '--device'])).toMatchObject({
      code: 2,
      stderr: `${m.url} does not say which client id the CLI signs in to "Test OP" with: pass --client-id (ask the marketplace's administrator).\n`,
    });
  });

  it('--callback-port pins the listener; a taken port is one sentence', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const taken = await hsp(['login', '--url', m.url, '--web', '--callback-port', String(port)], { overrides: { openBrowser: async () => true } });
      expect(taken).toMatchObject({ code: 1, stderr: `Cannot receive the sign-in on 127.0.0.1:${port}: the port is in use; choose another --callback-port.\n` });
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
    expect(await hsp(['login', '--url', m.url, '--web', '--callback-port', 'http'])).toMatchObject({ code: 2, stderr: '--callback-port must be a port number from 1 to 65535, got "http".\n' });
    const unknown = await hsp(['login', '--url', m.url, '--web', '--provider', 'Nope']);
    expect(unknown).toMatchObject({ code: 1, stderr: `${m.url} has no identity provider "Nope"; choose one of "Test OP".\n` });
  });
});

// ---------------------------------------------------------------------------------------
// A marketplace whose sign-in ignores redirect_uri (as the reference server's)

const GOOD = 'fake.marketplace.token';
const FAKE_PROVIDERS = [{ id: '0b6f5a52-5a8e-4b43-9a47-3a0f1d2c0001', name: 'Fake IdP', issuer: 'https://idp.example' }];
const fake = {
  server: undefined as Server | undefined,
  url: '',
  /** `ignore`: to its own UI with ?jwt=; `fragment`: to the redirect_uri with #jwt=. */
  mode: 'ignore' as 'ignore' | 'fragment',
  providers: FAKE_PROVIDERS,
};

async function startFake(): Promise<void> {
  fake.server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', fake.url);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    const now = { datetime: new Date().toISOString() };
    if (url.pathname === '/status') {
      const signedIn = req.headers.authorization === `Bearer ${GOOD}`;
      return json(200, {
        message: 'healthy',
        product: now,
        database: now,
        ...(signedIn ? { identity: { id: 'i-1', user_id: 'u-1', user: { id: 'u-1', name: 'Fake User' }, provider: { id: FAKE_PROVIDERS[0]!.id, name: 'Fake IdP' } }, permissions: { products: { read: true } } } : {}),
      });
    }
    if (url.pathname === '/identity_providers') return json(200, fake.providers);
    const redirect = /^\/identity_providers\/([^/]+)\/redirect$/.exec(url.pathname);
    if (redirect) {
      const target = fake.mode === 'ignore' ? `${fake.url}/ui/#/signed-in?jwt=${GOOD}` : `${url.searchParams.get('redirect_uri')}#jwt=${GOOD}`;
      res.writeHead(302, { location: target });
      return res.end();
    }
    if (url.pathname === '/ui/') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<p>Your token is shown here.</p>');
    }
    if (url.pathname === '/sessions' && req.method === 'DELETE') return json(200, { message: 'Logged out.' });
    json(404, { message: 'Not found.' });
  });
  await new Promise<void>((resolve) => fake.server!.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
}

describe('hsp login --web against a marketplace that ignores redirect_uri', () => {
  beforeAll(startFake);
  afterAll(async () => {
    fake.server?.closeAllConnections();
    await new Promise((resolve) => fake.server?.close(resolve));
  });
  beforeEach(() => {
    fake.mode = 'ignore';
    fake.providers = FAKE_PROVIDERS;
  });

  it('at a terminal, takes the pasted address of the page showing the token', async () => {
    const stdin = new PassThrough();
    const run = ok(
      await hsp(['login', '--url', fake.url, '--no-color'], {
        tty: true,
        stdin,
        overrides: {
          prompts: prompts(),
          pasteAfterMs: 60_000,
          openBrowser: async (url) => {
            // The browser ends on the marketplace's own UI, never on our listener…
            const { url: landed } = await new Browser().follow(url);
            expect(landed).toBe(`${fake.url}/ui/#/signed-in?jwt=${GOOD}`);
            // …so the user copies its address into the terminal.
            setTimeout(() => stdin.write(`${landed}\n`), 20);
            return true;
          },
        },
      }),
    );
    expect(run.stderr).toContain('press Enter to paste it');
    expect(run.stderr).toContain(`✓ Signed in to ${fake.url} as Fake User (profile "default").`);
    expect(JSON.parse(keychain.entries.get('hsp/default')!)).toMatchObject({ token: GOOD });
  });

  it('Enter, or a timeout, asks for the token with a masked prompt', async () => {
    const asked: string[] = [];
    const secret = async (message: string) => {
      asked.push(message);
      return `  ${GOOD}  `;
    };
    const enter = new PassThrough();
    setTimeout(() => enter.write('\n'), 50);
    ok(await hsp(['login', '--url', fake.url, '--web'], { tty: true, stdin: enter, overrides: { prompts: prompts({ secret }), pasteAfterMs: 60_000, openBrowser: async () => true } }));
    ok(await hsp(['login', '--url', fake.url, '--web'], { tty: true, stdin: new PassThrough(), overrides: { prompts: prompts({ secret }), pasteAfterMs: 30, openBrowser: async () => true } }));
    expect(asked).toEqual(['Paste the token, or the address of the page that shows it:', 'Paste the token, or the address of the page that shows it:']);
  });

  it('a pasted address without a token is one sentence', async () => {
    const run = await hsp(['login', '--url', fake.url, '--web'], {
      tty: true,
      stdin: 'https://ui.example/#/home\n',
      overrides: { prompts: prompts(), pasteAfterMs: 60_000, openBrowser: async () => true },
    });
    expect(run).toMatchObject({ code: 2 });
    expect(run.stderr).toMatch(/The pasted address has no jwt= in it; paste the token itself, or the address of the page that shows it\.\n$/);
  });

  it('without a terminal, prints the address, gives up after a while and names --with-token', async () => {
    const run = await hsp(['login', '--url', fake.url, '--web'], { overrides: { webTimeoutMs: 300, openBrowser: async () => false } });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Open this address in a browser to sign in with Fake IdP:\n  ${fake.url}/identity_providers/${fake.providers[0]!.id}/redirect?redirect_uri=http%3A%2F%2F127.0.0.1%3A`);
    expect(run.stderr).toMatch(/The browser did not come back to hsp within 1 second; if the marketplace showed you a token, pass it to hsp login --with-token instead\.\n$/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('accepts #jwt= through the page that posts the fragment back', async () => {
    fake.mode = 'fragment';
    const run = ok(
      await hsp(['login', '--url', fake.url, '--web'], {
        overrides: {
          webTimeoutMs: 10_000,
          openBrowser: async (url) => {
            const { url: landed, response } = await new Browser().follow(url);
            // fetch, like a browser, never sends the fragment: the page gets it and posts it.
            const html = await response!.text();
            expect(html).toContain("new URLSearchParams(location.hash.slice(1))");
            expect(response!.headers.get('content-security-policy')).toMatch(/script-src 'nonce-/);
            const fragment = new URL(landed).hash.slice(1);
            const posted = await fetch(landed.split('#')[0]!, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: fragment });
            expect(posted.status).toBe(200);
            return true;
          },
        },
      }),
    );
    expect(run.stderr).toContain('Signed in to');
  });

  it('the listener answers only on its secret path', async () => {
    fake.mode = 'fragment';
    await hsp(['login', '--url', fake.url, '--web'], {
      overrides: {
        webTimeoutMs: 10_000,
        openBrowser: async (url) => {
          const redirectUri = new URL(url).searchParams.get('redirect_uri')!;
          const origin = new URL(redirectUri).origin;
          // Another page guessing the port cannot slip in a token of its choosing.
          expect((await fetch(`${origin}/callback?jwt=attacker.token.x`)).status).toBe(404);
          expect((await fetch(`${origin}/callback/wrong?jwt=attacker.token.x`)).status).toBe(404);
          expect((await fetch(`${redirectUri}?jwt=${GOOD}`)).status).toBe(200);
          expect(await (await fetch(`${redirectUri}?jwt=attacker.token.x`)).text()).toContain('already finished');
          return true;
        },
      },
    });
    expect(JSON.parse(keychain.entries.get('hsp/default')!)).toMatchObject({ token: GOOD });
  });

  it('several providers: --provider or a choice at the terminal; without one, one sentence', async () => {
    fake.providers = [...fake.providers, { id: '0b6f5a52-5a8e-4b43-9a47-3a0f1d2c0002', name: 'Other IdP', issuer: 'https://other.example' }];
    expect(await hsp(['login', '--url', fake.url, '--web'])).toMatchObject({
      code: 2,
      stderr: `${fake.url} has several identity providers ("Fake IdP", "Other IdP"): pass --provider NAME to choose one.\n`,
    });
    let offered: string[] = [];
    const select = async <T>(_message: string, choices: { name: string; value: T }[]) => {
      offered = choices.map((c) => c.name);
      return choices[1]!.value;
    };
    let opened = '';
    await hsp(['login', '--url', fake.url, '--web'], {
      tty: true,
      stdin: `${GOOD}\n`,
      overrides: { prompts: prompts({ select: select as Prompts['select'] }), pasteAfterMs: 60_000, openBrowser: async (url) => ((opened = url), true) },
    });
    expect(offered).toEqual(['Fake IdP', 'Other IdP']);
    expect(opened).toContain('/identity_providers/0b6f5a52-5a8e-4b43-9a47-3a0f1d2c0002/redirect');

    fake.providers = [];
    expect(await hsp(['login', '--url', fake.url, '--web'])).toMatchObject({
      code: 1,
      stderr: `${fake.url} has no identity provider to sign in with; ask an administrator for a token and use hsp login --with-token.\n`,
    });
  });

  it('with no flag: --with-token from a pipe, --web at a terminal', async () => {
    ok(await hsp(['login', '--url', fake.url], { stdin: GOOD }));
    let opened = false;
    ok(await hsp(['login', '--url', fake.url], { tty: true, stdin: `${GOOD}\n`, overrides: { prompts: prompts(), pasteAfterMs: 60_000, openBrowser: async () => (opened = true) } }));
    expect(opened).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------

describe('secrets stay secret', () => {
  it('no output of a --debug run shows the token (except hsp auth token, on stdout)', async () => {
    const user = await m.user('Debug Person');
    const { token } = user;
    const parts = token.split('.');
    const runs: [string, CliRun][] = [];
    const record = async (label: string, args: string[], options: RunOptions = {}) => {
      const run = await hsp([...args, '--debug'], options);
      runs.push([label, run]);
      return run;
    };
    ok(await record('login', ['login', '--url', m.url, '--with-token'], { stdin: token }));
    ok(await record('whoami', ['whoami']));
    ok(await record('whoami --json', ['whoami', '--json']));
    ok(await record('auth status', ['auth', 'status']));
    ok(await record('auth status --json', ['auth', 'status', '--json']));
    ok(await record('config list', ['config', 'list']));
    // The one exception: the token on stdout, for scripts; nothing on stderr.
    const printed = ok(await hsp(['auth', 'token', '--debug']));
    expect(printed).toEqual({ code: 0, stdout: `${token}\n`, stderr: '' });
    ok(await record('logout', ['logout']));
    await record('whoami with the revoked token', ['whoami'], { env: { HSP_URL: m.url, HSP_TOKEN: token } });
    await record('login with the revoked token', ['login', '--url', m.url, '--with-token'], { stdin: token });
    await record('login storing nowhere', ['login', '--url', m.url, '--with-token'], { stdin: m.server.adminToken!, keychain: null });

    // The trace is there (so the check means something), redacted.
    expect(runs[1]![1].stderr).toMatch(/> GET http:\/\/127\.0\.0\.1:\d+\/status \(attempt 1\) authorization: Bearer \[REDACTED\]/);
    for (const [label, run] of runs) {
      for (const secret of [token, parts[1]!, parts[2]!, m.server.adminToken!]) {
        expect(run.stdout, `${label} stdout`).not.toContain(secret);
        expect(run.stderr, `${label} stderr`).not.toContain(secret);
      }
    }
  });
});
