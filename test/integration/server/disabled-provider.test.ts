/**
 * A disabled identity provider (`enabled_at` null, as every new one starts) is disabled, with
 * a real OpenID Provider on loopback: its tokens are refused at once (no cache keeps them
 * valid), it provisions no users, its browser login does not start or finish, sessions begun
 * with it end, and only administrators see it listed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityProvider } from '../../../src/index.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { Browser, startTestProvider, type TestProvider } from '../../helpers/test-provider.js';

const m = useMarketplace();

const CLIENT = { client_id: 'marketplace', client_secret: 'marketplace-secret' };
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  alice: { name: 'Alice Enabled' },
  bob: { name: 'Bob Halfway' },
  carol: { name: 'Carol Never' },
};
const DISABLED = 'The identity provider "Switchable OP" is disabled; sign in with another one, or ask an administrator to enable it.';

let op: TestProvider;
let provider: IdentityProvider;

beforeAll(async () => {
  op = await startTestProvider({ clients: [CLIENT], accounts: ACCOUNTS, redirectUris: [`${m.url}/sessions`] });
  provider = await m.admin.identityProviders.create({ name: 'Switchable OP', issuer: op.issuer, ...CLIENT, scopes: 'openid profile', enabled_at: null });
});

afterAll(async () => {
  await op.close();
});

/** Runs `body` with the provider disabled, and enables it again whatever happens. */
async function whileDisabled(body: () => Promise<void>): Promise<void> {
  await m.admin.identityProviders.disable(provider.id);
  try {
    await body();
  } finally {
    await m.admin.identityProviders.enable(provider.id);
  }
}

/** Status and sentence of a request signed with `token`. */
async function statusWith(token: string): Promise<{ status: number; message?: string; user?: string }> {
  const res = await fetch(`${m.url}/status`, { headers: { accept: 'application/json', authorization: `Bearer ${token}` } });
  const body = (await res.json()) as { message?: string; identity?: { user?: { name?: string } } };
  return res.ok ? { status: res.status, user: body.identity?.user?.name } : { status: res.status, message: body.message };
}

async function usersNamed(name: string): Promise<number> {
  return (await m.admin.users.list({ name } as never).toArray()).length;
}

describe('a provider created disabled', () => {
  it('signs nobody in until an administrator enables it', async () => {
    expect(provider.enabled_at).toBeNull();
    // Not offered to those signing in; administrators see it, disabled.
    expect((await m.anonymous.identityProviders.list().toArray()).map((p) => p.id)).not.toContain(provider.id);
    expect((await m.admin.identityProviders.list().toArray()).find((p) => p.id === provider.id)).toMatchObject({ enabled_at: null });

    const start = await fetch(m.admin.identityProviders.redirectUrl(provider.id), { redirect: 'manual', headers: { accept: 'text/html' } });
    expect(start.status).toBe(403);
    expect(start.headers.get('location')).toBeNull();
    expect(((await start.json()) as { message: string }).message).toBe(DISABLED);
    const posted = await fetch(`${m.url}/sessions`, {
      method: 'POST',
      redirect: 'manual',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ provider_id: provider.id }),
    });
    expect(posted.status).toBe(403);

    // A genuine token of a new person provisions nobody.
    const { id_token } = await op.tokens('carol');
    expect(await statusWith(id_token)).toEqual({ status: 401, message: DISABLED });
    expect(await usersNamed('Carol Never')).toBe(0);

    const enabled = await m.admin.identityProviders.enable(provider.id);
    expect(enabled.enabled_at).not.toBeNull();
    expect((await m.anonymous.identityProviders.list().toArray()).map((p) => p.id)).toContain(provider.id);
    expect(await statusWith(id_token)).toEqual({ status: 200, user: 'Carol Never' });
  });
});

describe('disabling an enabled provider', () => {
  it('refuses its tokens at once, though they verified a moment before; enabling accepts them again', async () => {
    const { id_token } = await op.tokens('alice');
    expect(await statusWith(id_token)).toEqual({ status: 200, user: 'Alice Enabled' });
    await whileDisabled(async () => {
      expect(await statusWith(id_token)).toEqual({ status: 401, message: DISABLED });
    });
    expect(await statusWith(id_token)).toEqual({ status: 200, user: 'Alice Enabled' });
  });

  it('ends the sessions begun with it, and no others', async () => {
    op.next = 'alice';
    const signedIn = await new Browser().follow(m.admin.identityProviders.redirectUrl(provider.id));
    const { jwt } = (await signedIn.response!.json()) as { jwt: string };
    expect(await statusWith(jwt)).toEqual({ status: 200, user: 'Alice Enabled' });
    await whileDisabled(async () => {
      expect(await statusWith(jwt)).toEqual({ status: 401, message: 'The identity provider "Switchable OP" you signed in with is disabled; sign in with another one.' });
      // The administrator's own token came from no provider.
      expect((await statusWith(m.server.adminToken!)).status).toBe(200);
    });
    expect(await statusWith(jwt)).toEqual({ status: 200, user: 'Alice Enabled' });
  });

  it('stops a browser sign-in already at the provider: the code is not redeemed, nobody is made', async () => {
    op.next = 'bob';
    const atCallback = await new Browser().follow(m.admin.identityProviders.redirectUrl(provider.id), (url) => url.startsWith(`${m.url}/sessions?`));
    expect(new URL(atCallback.url).searchParams.get('code')).toBeTruthy();
    await whileDisabled(async () => {
      const callback = await fetch(atCallback.url, { redirect: 'manual', headers: { accept: 'text/html' } });
      expect(callback.status).toBe(403);
      expect(((await callback.json()) as { message: string }).message).toBe(DISABLED);
    });
    expect(await usersNamed('Bob Halfway')).toBe(0);
  });
});
