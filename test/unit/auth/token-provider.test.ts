/**
 * The token provider against a fake credential store and a fake identity provider. The store's
 * backing data and lock are shared, and each "process" gets its own store object over them,
 * as two `hsp` processes each open the same credential file.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { http, HttpResponse } from 'msw';
import { describe, expect, it, vi } from 'vitest';
import { Marketplace } from '../../../src/index.js';
import { OidcError } from '../../../src/auth/oidc.js';
import { createTokenProvider, LoginRequiredError } from '../../../src/auth/token-provider.js';
import type { Credential, CredentialLocation, CredentialStore } from '../../../src/auth/types.js';
import { BASE_URL, useMockApi } from '../../helpers/mock-api.js';

const ISSUER = 'https://idp.example';
const HOUR = 3600_000;

/** What a credential file holds, and its lock: shared by every process's store. */
class Backend {
  readonly data = new Map<string, { credential: Credential; location: CredentialLocation }>();
  readonly writes: { profile: string; credential: Credential; allowFile: boolean }[] = [];
  readonly locks = new Map<string, Promise<void>>();
  holding = 0;

  /** A process's view of the credentials, serialised by a real (in-memory) lock. */
  store(): CredentialStore & { gets: number } {
    return openStore(this, this.locks);
  }
}

function openStore(backend: Backend, locks: Map<string, Promise<void>>): CredentialStore & { gets: number } {
  const store = {
    gets: 0,
    async get(profile: string) {
      store.gets++;
      await sleep(1);
      const entry = backend.data.get(profile);
      return entry && { credential: { ...entry.credential }, location: entry.location };
    },
    async set(profile: string, credential: Credential, { allowFile }: { allowFile: boolean }) {
      await sleep(1);
      const location: CredentialLocation = allowFile ? 'file' : 'keychain';
      backend.data.set(profile, { credential: { ...credential }, location });
      backend.writes.push({ profile, credential, allowFile });
      return location;
    },
    async delete(profile: string) {
      backend.data.delete(profile);
    },
    async withLock<T>(profile: string, work: () => Promise<T>): Promise<T> {
      const previous = locks.get(profile) ?? Promise.resolve();
      let release!: () => void;
      const mine = new Promise<void>((resolve) => (release = resolve));
      const chained = previous.then(() => mine);
      locks.set(profile, chained);
      await previous;
      backend.holding++;
      // Never two holders at once: the lock really serialises.
      expect(backend.holding).toBe(1);
      try {
        return await work();
      } finally {
        backend.holding--;
        release();
        if (locks.get(profile) === chained) locks.delete(profile);
      }
    },
  };
  return store;
}

/**
 * An identity provider with refresh-token rotation: each refresh token works once, and
 * spending a used one is `invalid_grant`.
 */
class FakeProvider {
  calls = 0;
  private serial = 0;
  private readonly live = new Set<string>();
  clock: () => number = Date.now;
  lifetimeMs = HOUR;

  issue(): Credential {
    const n = ++this.serial;
    const refreshToken = `refresh-${n}`;
    this.live.add(refreshToken);
    return { kind: 'oidc', token: `access-${n}`, refresh_token: refreshToken, expires_at: new Date(this.clock() + this.lifetimeMs).toISOString(), issuer: ISSUER, client_id: 'hsp-cli' };
  }

  refresh = vi.fn(async (credential: Credential): Promise<Credential> => {
    this.calls++;
    await sleep(10);
    if (!credential.refresh_token || !this.live.delete(credential.refresh_token)) {
      throw new OidcError('invalid_grant', `Your session on ${ISSUER} has ended; run hsp login again.`);
    }
    return this.issue();
  });
}

function setup(options: { expiresInMs?: number; location?: CredentialLocation } = {}) {
  const backend = new Backend();
  const provider = new FakeProvider();
  const initial = provider.issue();
  initial.expires_at = new Date(Date.now() + (options.expiresInMs ?? HOUR)).toISOString();
  backend.data.set('default', { credential: initial, location: options.location ?? 'keychain' });
  const tokenProvider = (store = backend.store(), extra: { now?: () => number } = {}) =>
    createTokenProvider({ store, profile: 'default', refresh: provider.refresh, ...extra });
  return { backend, provider, initial, tokenProvider };
}

async function rejection(pending: unknown): Promise<Error> {
  return Promise.resolve(pending).then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error,
  );
}

describe('createTokenProvider', () => {
  it('returns the stored token, reading the store once, while it is far from expiry', async () => {
    const { backend, provider, tokenProvider } = setup();
    const store = backend.store();
    const get = tokenProvider(store);
    for (let i = 0; i < 5; i++) expect(await get({ forceRefresh: false })).toBe('access-1');
    expect(store.gets).toBe(1);
    expect(provider.calls).toBe(0);
  });

  it('is undefined when the profile has no credential', async () => {
    const backend = new Backend();
    const get = createTokenProvider({ store: backend.store(), profile: 'nobody', refresh: vi.fn() });
    expect(await get({ forceRefresh: false })).toBeUndefined();
  });

  it('renews ahead of expiry and writes the rotated credential back where it was', async () => {
    const { backend, provider, tokenProvider } = setup({ expiresInMs: 30_000, location: 'file' });
    const get = tokenProvider();
    expect(await get({ forceRefresh: false })).toBe('access-2');
    expect(provider.calls).toBe(1);
    expect(backend.writes).toHaveLength(1);
    expect(backend.writes[0]).toMatchObject({ profile: 'default', allowFile: true, credential: { token: 'access-2', refresh_token: 'refresh-2' } });
    expect(backend.data.get('default')?.credential.refresh_token).toBe('refresh-2');
    // The renewed token is good for an hour: no more refreshes.
    expect(await get({ forceRefresh: false })).toBe('access-2');
    expect(provider.calls).toBe(1);
  });

  it('keeps a keychain credential out of the file', async () => {
    const { backend, tokenProvider } = setup({ expiresInMs: 10_000, location: 'keychain' });
    await tokenProvider()({ forceRefresh: false });
    expect(backend.writes[0]?.allowFile).toBe(false);
  });

  it('renews when the clock passes the skew, with the rotated refresh token each time', async () => {
    const { provider, tokenProvider } = setup();
    let clock = Date.now();
    provider.clock = () => clock;
    const get = tokenProvider(undefined, { now: () => clock });
    expect(await get({ forceRefresh: false })).toBe('access-1');
    clock += HOUR - 59_000;
    expect(await get({ forceRefresh: false })).toBe('access-2');
    clock += HOUR - 59_000;
    // Would be invalid_grant had refresh-1 been spent again.
    expect(await get({ forceRefresh: false })).toBe('access-3');
    expect(provider.refresh.mock.calls.map(([c]) => c.refresh_token)).toEqual(['refresh-1', 'refresh-2']);
  });

  it('renews on forceRefresh even when the token looks valid', async () => {
    const { provider, tokenProvider } = setup();
    const get = tokenProvider();
    expect(await get({ forceRefresh: false })).toBe('access-1');
    expect(await get({ forceRefresh: true })).toBe('access-2');
    expect(provider.calls).toBe(1);
  });

  it('shares one renewal among concurrent requests in a process', async () => {
    const { provider, tokenProvider } = setup({ expiresInMs: 5_000 });
    const get = tokenProvider();
    const tokens = await Promise.all(Array.from({ length: 6 }, () => get({ forceRefresh: false })));
    expect(tokens).toEqual(Array(6).fill('access-2'));
    expect(provider.calls).toBe(1);
  });

  it('two processes renewing at once: one refresh, and both use the new token', async () => {
    const { backend, provider, tokenProvider } = setup({ expiresInMs: 5_000 });
    const first = tokenProvider(backend.store());
    const second = tokenProvider(backend.store());
    const tokens = await Promise.all([first({ forceRefresh: false }), second({ forceRefresh: false }), first({ forceRefresh: false }), second({ forceRefresh: false })]);
    expect(tokens).toEqual(['access-2', 'access-2', 'access-2', 'access-2']);
    expect(provider.calls).toBe(1);
    expect(backend.writes).toHaveLength(1);
  });

  it('two processes both told 401 at once: the second takes the first one’s renewal', async () => {
    const { provider, tokenProvider } = setup();
    // Each call to tokenProvider() opens the shared credentials anew: two processes.
    const a = tokenProvider();
    const b = tokenProvider();
    await Promise.all([a({ forceRefresh: false }), b({ forceRefresh: false })]);
    const tokens = await Promise.all([a({ forceRefresh: true }), b({ forceRefresh: true })]);
    expect(tokens).toEqual(['access-2', 'access-2']);
    expect(provider.calls).toBe(1);
  });

  it('invalid_grant after another process rotated the token: picks up the rotated credential', async () => {
    const { backend, provider, tokenProvider } = setup({ expiresInMs: 5_000 });
    const elsewhere = provider.issue();
    // Another process (not holding our lock) spends refresh-1 and stores its result just as we try.
    provider.refresh.mockImplementationOnce(async (credential) => {
      backend.data.set('default', { credential: elsewhere, location: 'keychain' });
      provider.calls++;
      expect(credential.refresh_token).toBe('refresh-1');
      throw new OidcError('invalid_grant', `Your session on ${ISSUER} has ended; run hsp login again.`);
    });
    const get = tokenProvider();
    expect(await get({ forceRefresh: false })).toBe(elsewhere.token);
    expect(provider.calls).toBe(1);
    expect(backend.writes).toHaveLength(0);
  });

  it('invalid_grant with nothing newer stored: one sentence, run hsp login again', async () => {
    const { backend, tokenProvider } = setup({ expiresInMs: -1_000 });
    backend.data.get('default')!.credential.refresh_token = 'revoked';
    const error = await rejection(tokenProvider()({ forceRefresh: false }));
    expect(error).toBeInstanceOf(LoginRequiredError);
    expect(error.message).toBe('Your session on https://idp.example has ended; run hsp login again.');
  });

  it('an early renewal that fails keeps using the still-valid token, without asking again on every request', async () => {
    const { provider, tokenProvider } = setup({ expiresInMs: 30_000 });
    provider.refresh.mockRejectedValue(new OidcError('unreachable', `The identity provider ${ISSUER} could not be reached (ECONNREFUSED).`));
    const get = tokenProvider();
    expect(await get({ forceRefresh: false })).toBe('access-1');
    expect(await get({ forceRefresh: false })).toBe('access-1');
    expect(provider.refresh).toHaveBeenCalledTimes(1);
    // A 401 does not settle for the old token: the failure is reported.
    await expect(get({ forceRefresh: true })).rejects.toThrow(/could not be reached/);
  });

  it('an expired marketplace token without a refresh token: one sentence', async () => {
    const backend = new Backend();
    backend.data.set('default', { credential: { kind: 'marketplace', token: 'mkt-secret', expires_at: new Date(Date.now() - 1000).toISOString() }, location: 'keychain' });
    const refresh = vi.fn();
    const error = await rejection(createTokenProvider({ store: backend.store(), profile: 'default', refresh })({ forceRefresh: false }));
    expect(error).toBeInstanceOf(LoginRequiredError);
    expect(error.message).toBe('Your marketplace sign-in for profile "default" has expired; run hsp login again.');
    expect(error.message).not.toContain('mkt-secret');
    expect(refresh).not.toHaveBeenCalled();
  });

  it('reads the expiry from the JWT when expires_at is missing, and names HSP_TOKEN when that is the source', async () => {
    const exp = Math.floor(Date.now() / 1000) - 60;
    const jwt = `e30.${Buffer.from(JSON.stringify({ sub: 'u', exp })).toString('base64url')}.c2ln`;
    const backend = new Backend();
    backend.data.set('default', { credential: { kind: 'marketplace', token: jwt }, location: 'environment' });
    const error = await rejection(createTokenProvider({ store: backend.store(), profile: 'default' })({ forceRefresh: false }));
    expect(error.message).toBe('The token in HSP_TOKEN has expired; set a new one (or unset it and run hsp login).');
  });

  it('a marketplace token that has not expired is used as it is, even when refused (nothing to renew)', async () => {
    const backend = new Backend();
    backend.data.set('default', { credential: { kind: 'marketplace', token: 'mkt' }, location: 'file' });
    const get = createTokenProvider({ store: backend.store(), profile: 'default' });
    expect(await get({ forceRefresh: false })).toBe('mkt');
    expect(await get({ forceRefresh: true })).toBe('mkt');
  });
});

describe('with the SDK', () => {
  const api = useMockApi();

  it('a 401 renews once and the request is repeated with the new token', async () => {
    const { provider, tokenProvider } = setup();
    api.use(
      http.get(`${BASE_URL}/status`, ({ request }) =>
        request.headers.get('authorization') === 'Bearer access-2'
          ? HttpResponse.json({ status: 'ok' })
          : HttpResponse.json({ message: 'Token revoked.' }, { status: 401 }),
      ),
    );
    const client = new Marketplace({ baseUrl: BASE_URL, tokenProvider: tokenProvider(), dialect: 'r2', maxRetries: 0 });
    await expect(client.session.status()).resolves.toMatchObject({ status: 'ok' });
    expect(api.requests.map((r) => r.headers.authorization)).toEqual(['Bearer access-1', 'Bearer access-2']);
    expect(provider.calls).toBe(1);
  });

  it('the sentence reaches the caller as it is', async () => {
    const backend = new Backend();
    backend.data.set('default', { credential: { kind: 'marketplace', token: 'mkt', expires_at: new Date(Date.now() - 1).toISOString() }, location: 'keychain' });
    const client = new Marketplace({ baseUrl: BASE_URL, tokenProvider: createTokenProvider({ store: backend.store(), profile: 'default' }), dialect: 'r2' });
    await expect(client.session.status()).rejects.toThrow(/^Your marketplace sign-in for profile "default" has expired; run hsp login again\.$/);
    expect(api.requests).toHaveLength(0);
  });
});
