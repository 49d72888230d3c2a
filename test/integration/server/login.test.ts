/**
 * Signing in with a real OpenID Provider (`oidc-provider` on loopback): its tokens as bearer
 * tokens, and the whole browser flow ending at a loopback redirect_uri (RFC 8252), followed
 * hop by hop with `fetch` the way a browser would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthenticationError, type APIError } from '../../../src/index.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { Browser, startTestProvider, type TestProvider } from '../../helpers/test-provider.js';

const m = useMarketplace();

// ---------------------------------------------------------------------------------------
// The OpenID Provider

const ACCOUNTS: Record<string, Record<string, unknown>> = {
  alice: { name: 'Alice Liddell', given_name: 'Alice', family_name: 'Liddell', email: 'alice@example.org', email_verified: true, locale: 'en-GB' },
  bob: { given_name: 'Bob', family_name: 'Builder', email: 'bob@example.org' },
  carol: { email: 'carol@example.org' },
  dave: { name: 'Dave Concurrent' },
};
const CLIENT = { client_id: 'marketplace', client_secret: 'marketplace-secret' };
const OTHER_CLIENT = { client_id: 'other-app', client_secret: 'other-secret' };

let op: TestProvider;

/** A token signed with the provider's own key, with claims a real provider would not issue. */
async function forge(claims: Record<string, unknown>, lifetime: { iat: number; exp: number }): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: op.kid }).setIssuedAt(lifetime.iat).setExpirationTime(lifetime.exp).sign(op.privateKey);
}

// ---------------------------------------------------------------------------------------
// The loopback redirect target (what `hsp login` listens on)

const loopback = { server: undefined as Server | undefined, base: '', received: [] as string[] };

async function startLoopback(): Promise<void> {
  loopback.server = createServer((req, res) => {
    loopback.received.push(req.url ?? '');
    res.setHeader('content-type', 'text/plain');
    res.end('Signed in; you may close this window.');
  });
  await new Promise<void>((resolve) => loopback.server!.listen(0, '127.0.0.1', resolve));
  loopback.base = `http://127.0.0.1:${(loopback.server.address() as AddressInfo).port}`;
}

let providerId = '';

beforeAll(async () => {
  op = await startTestProvider({ clients: [CLIENT, OTHER_CLIENT], accounts: ACCOUNTS, redirectUris: [`${m.url}/sessions`] });
  await startLoopback();
  const registered = await m.admin.identityProviders.create({ name: 'Test OP', issuer: op.issuer, ...CLIENT, scopes: 'openid,profile,email' });
  providerId = registered.id;
});

afterAll(async () => {
  await op.close();
  await new Promise((resolve) => loopback.server?.close(resolve));
});

async function failure(promise: Promise<unknown>): Promise<APIError> {
  return promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error as APIError,
  );
}

// ---------------------------------------------------------------------------------------

describe('bearer tokens from a registered identity provider', () => {
  it('an ID token signs its user in, creating the user and identity on first sight only', async () => {
    const { id_token } = await op.tokens('alice');
    const status = await m.client(id_token).session.status();
    expect(status.identity).toMatchObject({ provider: { id: providerId, name: 'Test OP' }, user: { name: 'Alice Liddell', first_name: 'Alice', last_name: 'Liddell' } });
    expect(status).not.toHaveProperty('jwt');
    // New users hold the default roles.
    expect(status.permissions).toMatchObject({ users: { read_self: true } });

    const again = await m.client(id_token).session.status();
    expect(again.identity!.user_id).toBe(status.identity!.user_id);
    expect(again.identity!.id).toBe(status.identity!.id);
    const identities = await m.admin.identities.list(status.identity!.user_id).toArray();
    expect(identities).toHaveLength(1);
    expect(identities[0]).toMatchObject({ identity_provider_id: providerId, sub: 'alice', email: 'alice@example.org', locale: 'en-GB', jwt: { sub: 'alice', aud: 'marketplace' } });

    // The provider's discovery document and keys are kept for administrators to see.
    const provider = await m.admin.identityProviders.retrieve(providerId);
    expect(provider.configuration).toMatchObject({ issuer: op.issuer, jwks_uri: expect.stringContaining(op.issuer) });
    expect(provider.public_keys).toMatchObject({ keys: [expect.objectContaining({ kid: op.kid })] });
  });

  it('eight first requests at once make one user', async () => {
    const { id_token } = await op.tokens('dave');
    const statuses = await Promise.all(Array.from({ length: 8 }, () => m.client(id_token).session.status()));
    expect(new Set(statuses.map((s) => s.identity!.user_id)).size).toBe(1);
    const users = await m.admin.users.list({ name: 'Dave Concurrent' } as never).toArray();
    expect(users).toHaveLength(1);
  });

  it('a name falls back to given and family name, then to the email', async () => {
    const bob = await m.client((await op.tokens('bob')).id_token).session.status();
    expect(bob.identity!.user.name).toBe('Bob Builder');
    const carol = await m.client((await op.tokens('carol')).id_token).session.status();
    expect(carol.identity!.user.name).toBe('carol@example.org');
  });

  it('a token issued for another application is refused, unless it is the alternate client', async () => {
    const { id_token } = await op.tokens('alice', OTHER_CLIENT);
    const error = await failure(m.client(id_token).session.status());
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toMatch(/another application/);

    await m.admin.identityProviders.update(providerId, { alternate_client_id: OTHER_CLIENT.client_id });
    try {
      await expect(m.client(id_token).session.status()).resolves.toMatchObject({ identity: { user: { name: 'Alice Liddell' } } });
    } finally {
      await m.admin.identityProviders.update(providerId, { alternate_client_id: null });
    }
  });

  it('expired, forged, tampered and unknown-issuer tokens get 401', async () => {
    const now = Math.floor(Date.now() / 1000);
    const valid = { iss: op.issuer, aud: CLIENT.client_id, sub: 'alice' };
    const expired = await forge(valid, { iat: now - 7200, exp: now - 3600 });
    expect((await failure(m.client(expired).session.status())).message).toMatch(/expired/);

    expect((await failure(m.client(await forge({ ...valid, aud: 'someone-else' }, { iat: now, exp: now + 600 })).session.status())).status).toBe(401);
    // azp names the client that asked for a token meant for another audience: accepted.
    await expect(m.client(await forge({ ...valid, aud: 'api', azp: CLIENT.client_id }, { iat: now, exp: now + 600 })).session.status()).resolves.toHaveProperty('identity');

    const { id_token } = await op.tokens('alice');
    const [header, payload] = id_token.split('.');
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload!, 'base64url').toString()), sub: 'mallory' })).toString('base64url')}.${id_token.split('.')[2]}`;
    expect((await failure(m.client(tampered).session.status())).message).toMatch(/signature/);

    const { privateKey: otherKey } = await generateKeyPair('RS256');
    const wrongKey = await new SignJWT(valid).setProtectedHeader({ alg: 'RS256', kid: op.kid }).setIssuedAt(now).setExpirationTime(now + 600).sign(otherKey);
    expect((await failure(m.client(wrongKey).session.status())).status).toBe(401);

    const unknown = await forge({ ...valid, iss: 'https://unknown-issuer.example' }, { iat: now, exp: now + 600 });
    expect((await failure(m.client(unknown).session.status())).status).toBe(401);
  });
});

describe('browser sign-in to a loopback redirect_uri', () => {
  const redirectUrl = (redirectUri?: string) => m.admin.identityProviders.redirectUrl(providerId, { redirectUri });

  it('redirects to the provider with code flow, PKCE and our callback', async () => {
    const response = await fetch(redirectUrl(`${loopback.base}/callback`), { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(response.status).toBe(302);
    const target = new URL(response.headers.get('location')!);
    expect(`${target.origin}${target.pathname}`).toBe(`${op.issuer}/auth`);
    expect(Object.fromEntries(target.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: CLIENT.client_id,
      scope: 'openid profile email',
      redirect_uri: `${m.url}/sessions`,
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      state: expect.any(String),
      nonce: expect.any(String),
    });
  });

  it('ends at the loopback with ?jwt=, a marketplace token that works, and DELETE /sessions revokes it', async () => {
    op.next = 'bob';
    loopback.received.length = 0;
    const { url, response } = await new Browser().follow(redirectUrl(`${loopback.base}/callback?from=cli`));
    expect(response?.status).toBe(200);
    expect(url.startsWith(`${loopback.base}/callback`)).toBe(true);
    expect(loopback.received).toHaveLength(1);
    const query = new URL(loopback.received[0]!, loopback.base).searchParams;
    expect(query.get('from')).toBe('cli');
    const jwt = query.get('jwt')!;
    expect(jwt.split('.')).toHaveLength(3);

    const signedIn = m.client(jwt);
    const status = await signedIn.session.status();
    expect(status.jwt).toEqual({ id: expect.any(String) });
    expect(status.identity).toMatchObject({ provider: { id: providerId, name: 'Test OP' }, user: { name: 'Bob Builder' } });
    // The same person signing in again is the same user.
    const second = await new Browser().follow(redirectUrl(`${loopback.base}/callback`), (u) => u.startsWith(loopback.base));
    const secondJwt = new URL(second.url).searchParams.get('jwt')!;
    expect((await m.client(secondJwt).session.status()).identity!.user_id).toBe(status.identity!.user_id);

    await expect(signedIn.session.logout()).resolves.toEqual({ message: 'Logged out.' });
    await expect(signedIn.session.status()).rejects.toBeInstanceOf(AuthenticationError);
    // Only that token: the other sign-in still works.
    await expect(m.client(secondJwt).session.status()).resolves.toHaveProperty('identity');
  });

  it('without a redirect_uri: to the UI when configured, else the token as JSON', async () => {
    op.next = 'alice';
    const plain = await new Browser().follow(redirectUrl());
    expect(plain.response?.status).toBe(200);
    const body = (await plain.response!.json()) as { jwt: string; authorization: string };
    expect(body.authorization).toBe(`Bearer ${body.jwt}`);
    await expect(m.client(body.jwt).session.status()).resolves.toMatchObject({ identity: { user: { name: 'Alice Liddell' } } });

    m.server.context.config.uiUrl = 'https://ui.example.org/app';
    try {
      const ui = await new Browser().follow(redirectUrl(), (u) => u.startsWith('https://ui.example.org/'));
      const jwt = new URL(ui.url).searchParams.get('jwt')!;
      expect(ui.url).toBe(`https://ui.example.org/app?jwt=${jwt}`);
      await expect(m.client(jwt).session.status()).resolves.toHaveProperty('identity');
    } finally {
      delete m.server.context.config.uiUrl;
    }
  });

  it('refuses redirect_uris that are not loopback http', async () => {
    for (const uri of ['https://127.0.0.1:8000/cb', 'http://example.com/cb', 'http://127.0.0.1.example.com/cb', 'http://user@127.0.0.1:8000/cb', 'javascript:alert(1)', 'not a url']) {
      const response = await fetch(redirectUrl(uri), { redirect: 'manual' });
      expect(response.status, uri).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/loopback/);
    }
    for (const uri of ['http://localhost:8000/cb', 'http://[::1]:8000/cb']) {
      expect((await fetch(redirectUrl(uri), { redirect: 'manual' })).status, uri).toBe(302);
    }
  });

  it('a refusal at the provider, a forged state or a bare callback is a 400 with one sentence', async () => {
    op.next = 'deny';
    const denied = await new Browser().follow(redirectUrl(`${loopback.base}/callback`));
    expect(denied.response?.status).toBe(400);
    expect(((await denied.response!.json()) as { message: string }).message).toBe('The identity provider did not sign you in: The user said no.');

    const forgedState = await fetch(`${m.url}/sessions?code=abc&state=${'e30.e30.c2ln'}`, { headers: { accept: 'text/html' } });
    expect(forgedState.status).toBe(400);
    expect(((await forgedState.json()) as { message: string }).message).toMatch(/start signing in again/);
    expect((await fetch(`${m.url}/sessions`)).status).toBe(400);
  });

  it('an unknown provider is a 404', async () => {
    const response = await fetch(`${m.url}/identity_providers/00000000-0000-4000-8000-000000000000/redirect`, { redirect: 'manual' });
    expect(response.status).toBe(404);
  });
});
