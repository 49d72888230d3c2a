/**
 * Signing in with a real OpenID Provider (`oidc-provider` on loopback) through src/auth/oidc.ts,
 * the test playing the user: the device flow approved over HTTP, the PKCE flow followed hop by
 * hop to the loopback listener, refresh with rotation, and the tokens accepted by `hsp serve`.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Configuration } from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  chooseBearer,
  chooseFlow,
  deviceLogin,
  discover,
  hasDisplay,
  OidcError,
  pkceLogin,
  refreshCredential,
} from '../../../src/auth/oidc.js';
import { createTokenProvider } from '../../../src/auth/token-provider.js';
import type { Credential, CredentialLocation, CredentialStore } from '../../../src/auth/types.js';
import { Marketplace } from '../../../src/index.js';
import { tunnel } from '../../helpers/connect-tunnel.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { Browser, startTestProvider, type TestProvider } from '../../helpers/test-provider.js';

const m = useMarketplace();

// ---------------------------------------------------------------------------------------
// The OpenID Provider

const ACCOUNTS: Record<string, Record<string, unknown>> = {
  alice: { name: 'Alice Liddell', email: 'alice@example.org' },
  bob: { name: 'Bob Builder', email: 'bob@example.org' },
};
/** The CLI's public client: the marketplace's `alternate_client_id`. */
const CLI_CLIENT = 'hsp-cli';

let op: TestProvider;

// ---------------------------------------------------------------------------------------
// The user's browser: the provider's forms

/** The hidden inputs of the first form on a page. */
function hiddenInputs(html: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"\s*\/?>/g)) fields[match[1]!] = match[2]!;
  return fields;
}

/** The user at another device: opens the verification page, types the code, confirms (or aborts). */
async function approveDevice(verificationUri: string, userCode: string, answer: 'confirm' | 'abort' = 'confirm'): Promise<string> {
  const browser = new Browser();
  const entry = await browser.visit(verificationUri);
  const { xsrf } = hiddenInputs(entry.body);
  const confirmPage = await browser.visit(verificationUri, { xsrf: xsrf!, user_code: userCode });
  const fields = hiddenInputs(confirmPage.body);
  expect(fields).toMatchObject({ confirm: 'yes' });
  if (answer === 'abort') {
    delete fields.confirm;
    fields.abort = 'yes';
  }
  const done = await browser.visit(verificationUri, fields);
  return done.body;
}

// ---------------------------------------------------------------------------------------
// A credential store for the refresh tests: shared data and lock, one object per "process"

function sharedStore(): { data: Map<string, { credential: Credential; location: CredentialLocation }>; open(): CredentialStore } {
  const data = new Map<string, { credential: Credential; location: CredentialLocation }>();
  let lock = Promise.resolve();
  return {
    data,
    open: () => ({
      async get(profile) {
        const entry = data.get(profile);
        return entry && { credential: { ...entry.credential }, location: entry.location };
      },
      async set(profile, credential, { allowFile }) {
        const location: CredentialLocation = allowFile ? 'file' : 'keychain';
        data.set(profile, { credential: { ...credential }, location });
        return location;
      },
      async delete(profile) {
        data.delete(profile);
      },
      async withLock(_profile, work) {
        const previous = lock;
        let release!: () => void;
        lock = new Promise<void>((resolve) => (release = resolve));
        await previous;
        try {
          return await work();
        } finally {
          release();
        }
      },
    }),
  };
}

// ---------------------------------------------------------------------------------------

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function failure(promise: Promise<unknown>): Promise<OidcError> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as OidcError,
  );
}

async function deviceSignIn(account = 'alice'): Promise<Credential> {
  op.next = account;
  let approval: Promise<string> | undefined;
  const credential = await deviceLogin({
    issuer: op.issuer,
    clientId: CLI_CLIENT,
    onPrompt: (uri, code) => {
      // Approved from "another device" while the CLI polls.
      approval = approveDevice(uri, code);
    },
  });
  expect(await approval).toMatch(/Sign-in Success/);
  return credential;
}

beforeAll(async () => {
  op = await startTestProvider({ clients: [], accounts: ACCOUNTS, nativeClientId: CLI_CLIENT, deviceFlow: true });
  await m.admin.identityProviders.create({
    name: 'CLI Test OP',
    issuer: op.issuer,
    client_id: 'marketplace',
    client_secret: 'marketplace-secret',
    alternate_client_id: CLI_CLIENT,
    scopes: 'openid,profile,email',
  });
});

afterAll(async () => {
  await op.close();
});

describe('discovery', () => {
  it('reads the provider and chooses the flow: the device flow without a display', async () => {
    const config = await discover(op.issuer, { clientId: CLI_CLIENT });
    expect(config.serverMetadata().issuer).toBe(op.issuer);
    expect(chooseFlow(config, { display: false })).toBe('device');
    expect(chooseFlow(config, { display: true })).toBe('pkce');
    expect(chooseFlow(config, { display: true, device: true })).toBe('device');
    expect(hasDisplay({ DISPLAY: ':0', SSH_CONNECTION: '1 2 3 4' }, 'linux')).toBe(false);
    expect(hasDisplay({ WAYLAND_DISPLAY: 'wayland-0' }, 'linux')).toBe(true);
    expect(hasDisplay({}, 'linux')).toBe(false);
    expect(hasDisplay({}, 'darwin')).toBe(true);
  });

  it('an unreachable issuer is one sentence', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(discover(`http://127.0.0.1:${port}`, { clientId: CLI_CLIENT }));
    expect(error).toBeInstanceOf(OidcError);
    expect(error.code).toBe('unreachable');
    expect(error.message).toBe(`The identity provider http://127.0.0.1:${port} could not be reached (ECONNREFUSED).`);
  });

  it('goes through HTTP(S)_PROXY when one is set, as the SDK does', async () => {
    const tunnels: string[] = [];
    const sockets: (Duplex | Socket)[] = [];
    const proxy = createServer();
    proxy.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      tunnels.push(req.url ?? '');
      sockets.push(socket);
      tunnel(req, socket, head);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const saved = { ...process.env };
    try {
      for (const key of ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy']) delete process.env[key];
      process.env.HTTP_PROXY = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      await discover(op.issuer, { clientId: CLI_CLIENT });
      expect(tunnels).toContain(new URL(op.issuer).host);
    } finally {
      process.env = saved;
      // Tunnels are not the server's connections any more: end them, or close() waits for keep-alive.
      for (const socket of sockets) socket.destroy();
      proxy.closeAllConnections();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('plain HTTP only on loopback', async () => {
    const error = await failure(discover('http://idp.example.org', { clientId: CLI_CLIENT }));
    expect(error.message).toBe('The identity provider http://idp.example.org must be an https:// URL.');
  });
});

describe('device flow', () => {
  it('prompts, polls while the user approves elsewhere, and returns a refreshable credential', async () => {
    const prompts: string[][] = [];
    op.next = 'alice';
    let approval: Promise<string> | undefined;
    const credential = await deviceLogin({
      issuer: op.issuer,
      clientId: CLI_CLIENT,
      onPrompt: (uri, code, complete) => {
        prompts.push([uri, code, complete ?? '']);
        approval = approveDevice(uri, code);
      },
    });
    await approval;
    expect(prompts).toEqual([[`${op.issuer}/device`, expect.stringMatching(/^[A-Z]{4}-[A-Z]{4}$/), expect.stringContaining(`${op.issuer}/device?user_code=`)]]);
    expect(credential).toMatchObject({ kind: 'oidc', issuer: op.issuer, client_id: CLI_CLIENT, refresh_token: expect.any(String), expires_at: expect.any(String) });
    // oidc-provider's access tokens are opaque: the ID token is the bearer.
    expect(claimsOf(credential.token)).toMatchObject({ iss: op.issuer, aud: CLI_CLIENT, sub: 'alice', name: 'Alice Liddell' });
    expect(Date.parse(credential.expires_at!)).toBe((claimsOf(credential.token).exp as number) * 1000);
  });

  it('the user declining is access_denied, in one sentence', async () => {
    let approval: Promise<string> | undefined;
    const error = await failure(
      deviceLogin({ issuer: op.issuer, clientId: CLI_CLIENT, onPrompt: (uri, code) => void (approval = approveDevice(uri, code, 'abort')) }),
    );
    await approval;
    expect(error.code).toBe('access_denied');
    expect(error.message).toBe(`The sign-in was declined at ${op.issuer}: End-User aborted interaction.`);
  });

  it('a code nobody approves expires', async () => {
    op.deviceCodeTtl = 1;
    try {
      const error = await failure(deviceLogin({ issuer: op.issuer, clientId: CLI_CLIENT, onPrompt: () => {} }));
      expect(error.code).toBe('expired_token');
      expect(error.message).toBe('The sign-in code expired before it was approved; run hsp login again.');
    } finally {
      op.deviceCodeTtl = 600;
    }
  });

  it('a provider without a device endpoint is one sentence', async () => {
    const config = new Configuration({ issuer: 'https://idp.example', token_endpoint: 'https://idp.example/token' }, CLI_CLIENT);
    const error = await failure(deviceLogin({ issuer: 'https://idp.example', clientId: CLI_CLIENT, config, onPrompt: () => {} }));
    expect(error.code).toBe('not_supported');
    expect(error.message).toBe('https://idp.example does not offer sign-in with a device code; sign in with a browser instead.');
    expect(chooseFlow(config, { display: false })).toBe('pkce');
  });

  it('the caller can cancel the wait', async () => {
    const controller = new AbortController();
    const error = await failure(deviceLogin({ issuer: op.issuer, clientId: CLI_CLIENT, signal: controller.signal, onPrompt: () => void setTimeout(() => controller.abort(), 50) }));
    expect(error.code).toBe('aborted');
    expect(error.message).toBe('Sign-in was cancelled.');
  });
});

describe('authorization code + PKCE on a loopback redirect', () => {
  it('opens the browser, receives the code on 127.0.0.1, and ignores answers with another state', async () => {
    op.next = 'bob';
    let landing: { url: string; status: number; body: string } | undefined;
    let forged: Response | undefined;
    const credential = await pkceLogin({
      issuer: op.issuer,
      clientId: CLI_CLIENT,
      openBrowser: async (url) => {
        const request = new URL(url);
        expect(Object.fromEntries(request.searchParams)).toMatchObject({
          client_id: CLI_CLIENT,
          response_type: 'code',
          code_challenge_method: 'S256',
          scope: 'openid profile email offline_access',
          prompt: 'consent',
          redirect_uri: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback$/),
        });
        // Something else on this machine guessing at the listener is turned away; the sign-in goes on.
        forged = await fetch(`${request.searchParams.get('redirect_uri')}?code=stolen&state=forged`);
        landing = await new Browser().visit(url);
      },
    });
    expect(forged?.status).toBe(400);
    expect(landing).toMatchObject({ status: 200, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/callback\?code=/) });
    expect(landing!.body).toContain('Signed in to hsp');
    expect(credential).toMatchObject({ kind: 'oidc', issuer: op.issuer, client_id: CLI_CLIENT, refresh_token: expect.any(String) });
    expect(claimsOf(credential.token)).toMatchObject({ iss: op.issuer, aud: CLI_CLIENT, sub: 'bob', nonce: expect.any(String) });
  });

  it('a refusal at the provider ends the sign-in with one sentence, shown in the browser too', async () => {
    op.next = 'deny';
    let landing: { status: number; body: string } | undefined;
    const error = await failure(
      pkceLogin({ issuer: op.issuer, clientId: CLI_CLIENT, openBrowser: async (url) => void (landing = await new Browser().visit(url)) }),
    );
    op.next = 'alice';
    expect(error.code).toBe('access_denied');
    expect(error.message).toBe(`The sign-in was declined at ${op.issuer}: The user said no.`);
    expect(landing?.status).toBe(400);
    expect(landing?.body).toContain('The sign-in was declined');
  });

  it('a pinned callback port that is taken is one sentence naming the flag', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const error = await failure(pkceLogin({ issuer: op.issuer, clientId: CLI_CLIENT, callbackPort: port, openBrowser: () => {} }));
      expect(error.code).toBe('callback_port');
      expect(error.message).toBe(`Cannot listen on 127.0.0.1:${port} for the sign-in redirect; choose another --callback-port.`);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('a browser that cannot be opened ends the sign-in at once, listener closed', async () => {
    let redirect = '';
    const error = await failure(
      pkceLogin({
        issuer: op.issuer,
        clientId: CLI_CLIENT,
        openBrowser: (url) => {
          redirect = new URL(url).searchParams.get('redirect_uri')!;
          throw new Error('no browser here');
        },
      }),
    );
    expect(error.message).toBe('no browser here');
    await expect(fetch(redirect)).rejects.toThrow();
  });

  it('gives up after its timeout', async () => {
    const error = await failure(pkceLogin({ issuer: op.issuer, clientId: CLI_CLIENT, timeoutMs: 50, openBrowser: () => {} }));
    expect(error.code).toBe('timeout');
  });
});

describe('refresh', () => {
  it('rotates the refresh token; the spent one is invalid_grant, said in one sentence', async () => {
    const first = await deviceSignIn('alice');
    const second = await refreshCredential(first);
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    // (The ID token may be byte-identical to the first when both are signed within one second.)
    expect(claimsOf(second.token)).toMatchObject({ iss: op.issuer, aud: CLI_CLIENT, sub: 'alice' });

    const third = await refreshCredential(second);
    expect(third.refresh_token).not.toBe(second.refresh_token);

    const error = await failure(refreshCredential(first));
    expect(error.code).toBe('invalid_grant');
    expect(error.message).toBe(`Your session on ${op.issuer} has ended; run hsp login again.`);
    for (const secret of [first.refresh_token!, first.token, third.refresh_token!]) expect(error.message).not.toContain(secret);
  });
});

describe('with hsp serve', () => {
  it('the signed-in credential is a bearer the marketplace accepts', async () => {
    const credential = await deviceSignIn('alice');
    const store = sharedStore();
    store.data.set('default', { credential, location: 'keychain' });
    const client = new Marketplace({ baseUrl: m.url, tokenProvider: createTokenProvider({ store: store.open(), profile: 'default' }), dialect: 'r2', maxRetries: 0 });
    const me = await client.session.whoami();
    expect(me?.user).toMatchObject({ name: 'Alice Liddell' });
    expect(me?.identity).toMatchObject({ provider: { name: 'CLI Test OP' } });
  });

  it('two processes renewing an expiring credential at once: one rotation, both signed in', async () => {
    const credential = await deviceSignIn('bob');
    const store = sharedStore();
    // Stored as if about to expire, so both processes renew before their first request.
    store.data.set('default', { credential: { ...credential, expires_at: new Date(Date.now() + 10_000).toISOString() }, location: 'file' });
    let refreshes = 0;
    const refresh = async (c: Credential) => {
      refreshes++;
      return refreshCredential(c);
    };
    const processes = [0, 1].map(
      () => new Marketplace({ baseUrl: m.url, tokenProvider: createTokenProvider({ store: store.open(), profile: 'default', refresh }), dialect: 'r2', maxRetries: 0 }),
    );
    const [a, b] = await Promise.all(processes.map((client) => client.session.whoami()));
    expect(refreshes).toBe(1);
    expect(a?.user.name).toBe('Bob Builder');
    expect(b?.user.id).toBe(a?.user.id);
    const stored = store.data.get('default')!;
    expect(stored.location).toBe('file');
    expect(stored.credential.refresh_token).not.toBe(credential.refresh_token);
    // The rotated refresh token still works: nobody spent it twice.
    await expect(refreshCredential(stored.credential)).resolves.toMatchObject({ issuer: op.issuer });
  });
});

describe('chooseBearer', () => {
  const jwt = (claims: Record<string, unknown>) => `e30.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;
  const expected = { issuer: 'https://idp.example', clientId: CLI_CLIENT };

  it('prefers an access token the marketplace would accept (aud or azp is our client)', () => {
    const byAud = jwt({ iss: 'https://idp.example/', aud: [CLI_CLIENT, 'api'] });
    expect(chooseBearer({ access_token: byAud, id_token: 'id' }, expected)).toEqual({ token: byAud, kind: 'access_token' });
    const byAzp = jwt({ iss: 'https://idp.example', aud: 'account', azp: CLI_CLIENT });
    expect(chooseBearer({ access_token: byAzp, id_token: 'id' }, expected).kind).toBe('access_token');
  });

  it('falls back to the ID token for opaque or foreign access tokens, and to the access token without one', () => {
    expect(chooseBearer({ access_token: 'opaque', id_token: 'id' }, expected)).toEqual({ token: 'id', kind: 'id_token' });
    expect(chooseBearer({ access_token: jwt({ iss: 'https://idp.example', aud: 'api' }), id_token: 'id' }, expected).kind).toBe('id_token');
    expect(chooseBearer({ access_token: jwt({ iss: 'https://other.example', aud: CLI_CLIENT }), id_token: 'id' }, expected).kind).toBe('id_token');
    expect(chooseBearer({ access_token: 'opaque' }, expected)).toEqual({ token: 'opaque', kind: 'access_token' });
  });
});
