/**
 * A real OpenID Provider for tests (`oidc-provider` on loopback, answering its login and
 * consent pages at once; a marketplace's confidential clients, and on request the CLI's public
 * one with the device flow), a browser that follows redirects one hop at a time with cookies
 * and submits forms, and tokens straight from the provider (authorization code + PKCE, the
 * test as the client).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import Provider from 'oidc-provider';
import { INTERACTION_URL, serveProvider } from './oidc-interactions.js';

export interface TestClient {
  client_id: string;
  client_secret: string;
}

export interface TestProviderOptions {
  /** Confidential clients (a marketplace's): they may redirect to `redirectUris` and TEST_CALLBACK. */
  clients: TestClient[];
  /** Profile claims by account id; the first account signs in unless `next` says otherwise. */
  accounts: Record<string, Record<string, unknown>>;
  /** Where the confidential clients' sign-ins end: a marketplace's `/sessions`. */
  redirectUris?: string[];
  /** A public native client, as the CLI's: no secret (PKCE), any port on loopback (RFC 8252 §7.3), refresh tokens. */
  nativeClientId?: string;
  /** The device authorization grant for the native client, with bare pages and a 1 s poll interval. */
  deviceFlow?: boolean;
}

export interface TestProvider {
  issuer: string;
  /** The account of the next interactive sign-in (a key of `accounts`), or `deny`. */
  next: string;
  /** Device codes' lifetime in seconds, read whenever one is issued (a test may shorten it). */
  deviceCodeTtl: number;
  /** The provider's own signing key and its `kid`, for tokens a real provider would not issue. */
  privateKey: CryptoKey;
  kid: string;
  /** Tokens for `account`, issued to `client` (the first client by default). */
  tokens(account: string, client?: TestClient): Promise<{ id_token: string; access_token: string }>;
  close(): Promise<void>;
}

/** Where the test itself, acting as a client, receives codes (never contacted: the flow stops there). */
export const TEST_CALLBACK = 'http://127.0.0.1:9/test-callback';

/** What the device-flow middleware reads and rewrites of a Koa context. */
interface KoaContext {
  path: string;
  status: number;
  body: unknown;
}

/**
 * Starts a provider whose confidential clients may redirect to `redirectUris` (a marketplace's
 * `/sessions`) and to TEST_CALLBACK; profile claims go into ID tokens so a bearer ID token
 * names its user.
 */
export async function startTestProvider(options: TestProviderOptions): Promise<TestProvider> {
  const kid = 'test-key-1';
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
  // Listen first: the issuer URL names the port.
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { accounts, nativeClientId, deviceFlow = false } = options;
  const clients: object[] = options.clients.map((client) => ({
    ...client,
    redirect_uris: [...(options.redirectUris ?? []), TEST_CALLBACK],
    response_types: ['code'],
    grant_types: ['authorization_code'],
  }));
  if (nativeClientId) {
    clients.push({
      client_id: nativeClientId,
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      // Native clients: any port on the loopback address (RFC 8252 §7.3).
      redirect_uris: ['http://127.0.0.1/callback'],
      response_types: ['code'],
      grant_types: ['authorization_code', 'refresh_token', ...(deviceFlow ? ['urn:ietf:params:oauth:grant-type:device_code'] : [])],
    });
  }
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys: [jwk] },
    findAccount: (_ctx: unknown, id: string) => (accounts[id] ? { accountId: id, claims: () => ({ sub: id, ...accounts[id] }) } : undefined),
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name', 'locale'] },
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      // Bare pages: the test reads their forms, and the defaults log a notice each time.
      deviceFlow: {
        enabled: deviceFlow,
        userCodeInputSource: (ctx: { body: unknown }, form: string) => void (ctx.body = form),
        userCodeConfirmSource: (ctx: { body: unknown }, form: string) => void (ctx.body = form),
        successSource: (ctx: { body: unknown }) => void (ctx.body = 'Sign-in Success'),
      },
    },
    interactions: { url: INTERACTION_URL },
    cookies: { keys: ['test-cookie-signing-key'] },
    // Every refresh replaces the refresh token, so spending one twice is seen.
    rotateRefreshToken: true,
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      DeviceCode: () => handle.deviceCodeTtl,
      Grant: 3600,
      IdToken: 600,
      Interaction: 600,
      RefreshToken: 3600,
      Session: 3600,
    },
  });
  if (deviceFlow) {
    // The device flow's poll interval defaults to 5 s; 1 s keeps the tests quick. (`use` is Koa's,
    // left out of the shared oidc-provider typings.)
    const koa = provider as unknown as { use(middleware: (ctx: KoaContext, next: () => Promise<void>) => Promise<void>): void };
    koa.use(async (ctx, next) => {
      await next();
      if (ctx.path === '/device/auth' && ctx.status === 200 && ctx.body && typeof ctx.body === 'object') ctx.body = { ...ctx.body, interval: 1 };
    });
  }
  const handle: TestProvider = {
    issuer,
    next: Object.keys(accounts)[0]!,
    deviceCodeTtl: 600,
    privateKey,
    kid,
    tokens: (account, client = options.clients[0]!) => {
      handle.next = account;
      return providerTokens(issuer, client);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  serveProvider(server, provider, () => handle.next);
  return handle;
}

/** A browser: cookies per host, redirects followed one hop at a time. */
export class Browser {
  private readonly cookies = new Map<string, Map<string, string>>();

  /**
   * Follows redirects from `url` until `stop(url)` says so (that URL is not fetched) or a page
   * answers. With `form`, the first request POSTs it (a submitted form); redirects are GETs.
   */
  async follow(url: string, stop: (url: string) => boolean = () => false, form?: Record<string, string>): Promise<{ url: string; response?: Response; hops: string[] }> {
    const hops: string[] = [];
    for (let i = 0; i < 20; i++) {
      if (i > 0 && stop(url)) return { url, hops };
      const post = i === 0 && form ? { method: 'POST', body: new URLSearchParams(form) } : {};
      const response = await fetch(url, { ...post, redirect: 'manual', headers: { accept: 'text/html', cookie: this.header(url) } });
      this.store(url, response);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url, response, hops };
      // A redirect's body is never read: release its connection now rather than at garbage collection.
      await response.body?.cancel();
      url = new URL(location, url).href;
      hops.push(url);
    }
    throw new Error('too many redirects');
  }

  /** GETs `url` (or POSTs `form` to it), follows redirects, and reads the page that answers. */
  async visit(url: string, form?: Record<string, string>): Promise<{ url: string; status: number; body: string }> {
    const { url: last, response } = await this.follow(url, undefined, form);
    return { url: last, status: response!.status, body: await response!.text() };
  }

  private store(url: string, response: Response): void {
    const host = new URL(url).host;
    const jar = this.cookies.get(host) ?? new Map<string, string>();
    this.cookies.set(host, jar);
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const name = pair.slice(0, pair.indexOf('=')).trim();
      const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
      if (expired) jar.delete(name);
      else jar.set(name, pair.slice(pair.indexOf('=') + 1).trim());
    }
  }

  private header(url: string): string {
    return [...(this.cookies.get(new URL(url).host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

async function providerTokens(issuer: string, client: TestClient): Promise<{ id_token: string; access_token: string }> {
  const auth = new URL(`${issuer}/auth`);
  const verifier = 'a-test-verifier-that-is-long-enough-for-pkce-rules';
  const challenge = Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))).toString('base64url');
  auth.search = new URLSearchParams({
    client_id: client.client_id,
    response_type: 'code',
    scope: 'openid profile email',
    redirect_uri: TEST_CALLBACK,
    state: 'test',
    nonce: 'test-nonce',
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  const { url } = await new Browser().follow(auth.href, (u) => u.startsWith(TEST_CALLBACK));
  const code = new URL(url).searchParams.get('code');
  if (!code) throw new Error(`no code in ${url}`);
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: TEST_CALLBACK, code_verifier: verifier }),
  });
  if (!response.ok) throw new Error(`token endpoint: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id_token: string; access_token: string };
}
