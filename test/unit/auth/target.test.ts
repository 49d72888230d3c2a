import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { updateConfig } from '../../../src/auth/config.js';
import { ChainedCredentialStore } from '../../../src/auth/credentials.js';
import { expiresAt, isExpired, readClaims } from '../../../src/auth/jwt.js';
import { createTargetResolver, type ProfileTarget } from '../../../src/auth/target.js';
import type { Credential } from '../../../src/auth/types.js';
import { fakeKeychain } from '../../helpers/auth-cli.js';

/** An unsigned JWT with these claims (signatures are not read here). */
function jwt(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part(claims)}.c2ln`;
}

const inAnHour = Math.floor(Date.now() / 1000) + 3600;
const anHourAgo = Math.floor(Date.now() / 1000) - 3600;

let dir: string;
let keychain: ReturnType<typeof fakeKeychain>;
const store = (storeDir: string, env: NodeJS.ProcessEnv) => new ChainedCredentialStore({ dir: storeDir, env, keychain: { env, load: async () => keychain } });

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hsp-target-'));
  keychain = fakeKeychain();
  await updateConfig(dir, (c) => {
    c.setProfile('prod', { url: 'https://prod.example.org', dialect: 'r1' });
    c.setProfile('dev', { url: 'http://127.0.0.1:3000' });
    c.setCurrentProfile('prod');
  });
  const save = (profile: string, credential: Credential) => store(dir, {}).set(profile, credential, { allowFile: false });
  await save('prod', { kind: 'marketplace', token: jwt({ sub: 'p', exp: inAnHour }) });
  await save('dev', { kind: 'marketplace', token: jwt({ sub: 'd', exp: inAnHour }) });
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const resolve = (options: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => createTargetResolver({ dir, store })(options, env) as Promise<ProfileTarget | undefined>;
const sub = (target: ProfileTarget | undefined) => (target?.token ? readClaims(target.token)?.sub : undefined);

describe('which marketplace', () => {
  it('the current profile by default, with its dialect and stored token', async () => {
    const target = await resolve({});
    expect(target).toMatchObject({ url: 'https://prod.example.org', dialect: 'r1', location: 'keychain', profile: { name: 'prod' } });
    expect(sub(target)).toBe('p');
  });

  it('--profile beats HSP_PROFILE beats current_profile', async () => {
    expect((await resolve({}, { HSP_PROFILE: 'dev' }))?.url).toBe('http://127.0.0.1:3000');
    expect((await resolve({ profile: 'prod' }, { HSP_PROFILE: 'dev' }))?.url).toBe('https://prod.example.org');
  });

  it('--url beats HSP_URL beats the profile', async () => {
    expect((await resolve({}, { HSP_URL: 'http://127.0.0.1:3000/' }))?.url).toBe('http://127.0.0.1:3000');
    expect((await resolve({ url: 'https://prod.example.org' }, { HSP_URL: 'http://127.0.0.1:3000' }))?.url).toBe('https://prod.example.org');
  });

  it("a profile's token only goes to that profile's URL", async () => {
    // --url of another saved profile: that profile's token.
    const other = await resolve({ url: 'http://127.0.0.1:3000' });
    expect(other?.profile?.name).toBe('dev');
    expect(sub(other)).toBe('d');
    // --url of an unknown server: no stored token at all.
    const unknown = await resolve({ url: 'https://evil.example.com' });
    expect(unknown).toEqual({ url: 'https://evil.example.com' });
    // Even with the profile named explicitly.
    expect((await resolve({ url: 'https://evil.example.com', profile: 'prod' }))?.token).toBeUndefined();
  });

  it('nothing selected: undefined (the context then says to pass --url or log in)', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'hsp-target-empty-'));
    try {
      expect(await createTargetResolver({ dir: empty, store })({}, {})).toBeUndefined();
      expect(await createTargetResolver({ dir: empty, store })({}, { HSP_URL: 'http://x.example', HSP_TOKEN: 't' })).toMatchObject({ url: 'http://x.example', token: 't' });
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('an unknown profile is a failure (the config file lacks it), a URL that is not http(s) a usage error', async () => {
    await expect(resolve({ profile: 'nope' })).rejects.toMatchObject({ name: 'FailureError', message: `There is no profile named "nope" in ${join(dir, 'config.yaml')}; run "hsp login --profile nope" to add it.` });
    await expect(resolve({}, { HSP_PROFILE: 'nope' })).rejects.toMatchObject({ name: 'FailureError' });
    await expect(resolve({ url: 'ftp://x' })).rejects.toMatchObject({ name: 'UsageError', message: 'The marketplace URL must start with http:// or https://, got "ftp://x".' });
  });
});

describe('which token', () => {
  it('HSP_TOKEN wins over the stored one', async () => {
    const target = await resolve({}, { HSP_TOKEN: 'from-env' });
    expect(target).toMatchObject({ url: 'https://prod.example.org', token: 'from-env', location: 'environment' });
  });

  it('an expired marketplace token asks for a new login (exit code 4)', async () => {
    await store(dir, {}).set('prod', { kind: 'marketplace', token: jwt({ exp: anHourAgo }) }, { allowFile: false });
    await expect(resolve({})).rejects.toMatchObject({ name: 'AuthRequiredError', message: 'Your session on https://prod.example.org expired; run "hsp login" again.' });
    // expires_at, when stored, is what counts.
    await store(dir, {}).set('prod', { kind: 'marketplace', token: 'opaque', expires_at: new Date(Date.now() - 1000).toISOString() }, { allowFile: false });
    await expect(resolve({})).rejects.toMatchObject({ name: 'AuthRequiredError' });
  });

  it('an expired OIDC token with a refresh token is handed on, for the token provider to renew', async () => {
    const token = jwt({ exp: anHourAgo });
    await store(dir, {}).set('prod', { kind: 'oidc', token, refresh_token: 'r', issuer: 'https://op.example', client_id: 'c' }, { allowFile: false });
    expect(await resolve({})).toMatchObject({ token, credential: { refresh_token: 'r' } });
  });

  it('a profile without a stored credential is anonymous', async () => {
    await store(dir, {}).delete('dev');
    const target = await resolve({ profile: 'dev' });
    expect(target).toMatchObject({ url: 'http://127.0.0.1:3000', profile: { name: 'dev' } });
    expect(target?.token).toBeUndefined();
  });
});

describe('reading a JWT without verifying it', () => {
  it('reads sub, iss and exp; anything else is undefined', () => {
    expect(readClaims(jwt({ sub: 's', iss: 'i', exp: 100, other: 1 }))).toEqual({ sub: 's', iss: 'i', exp: 100 });
    expect(readClaims(jwt({ sub: 1, exp: 'soon' }))).toEqual({});
    for (const bad of ['', 'opaque-token', 'a.b', 'a.!!!.c', `x.${Buffer.from('[1]').toString('base64url')}.y`]) expect(readClaims(bad), bad).toBeUndefined();
    expect(expiresAt(jwt({ exp: 0 }))).toBe('1970-01-01T00:00:00.000Z');
    expect(expiresAt('opaque')).toBeUndefined();
  });

  it('expired means at or before now (plus leeway); unknown expiry is not expired', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    expect(isExpired('2029-12-31T23:59:59Z', now)).toBe(true);
    expect(isExpired('2030-01-01T00:00:30Z', now)).toBe(false);
    expect(isExpired('2030-01-01T00:00:30Z', now, 60)).toBe(true);
    expect(isExpired(undefined, now)).toBe(false);
  });
});
