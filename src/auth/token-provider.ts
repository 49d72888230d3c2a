/**
 * The SDK's `tokenProvider` for a stored credential: hands out the token, renews it a little
 * before it expires (and once when the server answers 401), and survives refresh-token rotation
 * with several `hsp` processes sharing one credential.
 *
 * Rotation makes a refresh token single-use: two processes spending the same one means one of
 * them (or, with reuse detection, both) is signed out. So a renewal takes the store's
 * cross-process lock, re-reads the credential (another process may have renewed it while we
 * waited: then we use theirs), refreshes, and writes the result back before releasing the lock.
 * Within one process, concurrent requests share one renewal.
 */
import { LoginRequiredError } from './login-required.js';
import type { TokenProvider } from '../sdk/transport.js';
import { readClaims } from './jwt.js';
import { refreshCredential } from './oidc.js';
import type { Credential, CredentialLocation, CredentialStore } from './types.js';

export { LoginRequiredError };

export interface TokenProviderOptions {
  store: CredentialStore;
  profile: string;
  /** Renews an OIDC credential; default: `refreshCredential` against its issuer. */
  refresh?: (credential: Credential) => Promise<Credential>;
  /** Milliseconds since the epoch (tests move the clock). */
  now?: () => number;
  /** Renew this many seconds before the token expires. */
  skewSeconds?: number;
}

interface Stored {
  credential: Credential;
  location: CredentialLocation;
}

/** After a failed early renewal, the still-valid token is used this long before trying again. */
const QUIET_AFTER_FAILURE_MS = 30_000;

/** Renewals in flight in this process, per store and profile: concurrent requests share one. */
const renewals = new WeakMap<CredentialStore, Map<string, Promise<Stored>>>();

export function createTokenProvider(options: TokenProviderOptions): TokenProvider {
  const { store, profile, now = Date.now, skewSeconds = 60 } = options;
  const refresh = options.refresh ?? ((credential: Credential) => refreshCredential(credential));
  /** The credential last read or written: most calls need no store access (a keychain is slow). */
  let current: Stored | undefined;
  let reading: Promise<Stored | undefined> | undefined;
  let quietUntil = 0;

  const expired = (credential: Credential) => {
    const at = expiryOf(credential);
    return at !== undefined && at <= now();
  };
  const due = (credential: Credential) => {
    const at = expiryOf(credential);
    return at !== undefined && at - now() <= skewSeconds * 1000;
  };

  const read = async (): Promise<Stored | undefined> => {
    reading ??= store.get(profile).finally(() => (reading = undefined));
    return reading;
  };

  /** Under the lock: theirs if another process renewed, else ours, written back. */
  const renew = async (seen: Credential, force: boolean): Promise<Stored> => {
    const latest = await store.get(profile);
    if (!latest) throw new LoginRequiredError(`You were signed out of profile "${profile}"; run hsp login again.`);
    if (!sameCredential(latest.credential, seen) && !due(latest.credential)) return latest;
    if (!latest.credential.refresh_token) return latest;

    let fresh: Credential;
    try {
      fresh = await refresh(latest.credential);
    } catch (error) {
      if (isInvalidGrant(error)) {
        // Spent by a process that does not share our lock (or wrote after our re-read): its
        // renewed credential, if there is one, is in the store by now.
        const again = await store.get(profile);
        if (again && !sameCredential(again.credential, latest.credential) && !expired(again.credential)) return again;
      }
      if (!force && !expired(latest.credential)) {
        // Early renewal failed, but the token still works: use it, and do not ask the provider
        // again on every request.
        quietUntil = now() + QUIET_AFTER_FAILURE_MS;
        return latest;
      }
      if (isInvalidGrant(error)) throw new LoginRequiredError(sessionEnded(latest.credential, profile), { cause: error });
      throw error;
    }
    const location = await store.set(profile, fresh, { allowFile: latest.location === 'file' });
    return { credential: fresh, location };
  };

  const shared = (seen: Credential, force: boolean): Promise<Stored> => {
    let byProfile = renewals.get(store);
    if (!byProfile) renewals.set(store, (byProfile = new Map()));
    let pending = byProfile.get(profile);
    if (!pending) {
      const flight = store.withLock(profile, () => renew(seen, force)).finally(() => byProfile.delete(profile));
      byProfile.set(profile, flight);
      pending = flight;
    }
    return pending;
  };

  return async ({ forceRefresh }) => {
    current ??= await read();
    if (!current) return undefined;
    let { credential } = current;

    // HSP_TOKEN and pasted marketplace tokens cannot be renewed: use them until they expire.
    if (current.location === 'environment' || !credential.refresh_token) {
      if (forceRefresh) {
        // The server refused it: perhaps another process signed in again meanwhile.
        current = (await read()) ?? current;
        credential = current.credential;
      }
      if (expired(credential)) throw new LoginRequiredError(expiredSentence(credential, current.location, profile));
      return credential.token;
    }

    const early = due(credential) && !expired(credential);
    if (!forceRefresh && (!due(credential) || (early && now() < quietUntil))) return credential.token;
    current = await shared(credential, forceRefresh);
    if (expired(current.credential)) throw new LoginRequiredError(expiredSentence(current.credential, current.location, profile));
    return current.credential.token;
  };
}

/** When the credential's token expires (ms), from `expires_at` or else the JWT's own `exp`. */
export function expiryOf(credential: Credential): number | undefined {
  if (credential.expires_at) {
    const at = Date.parse(credential.expires_at);
    if (!Number.isNaN(at)) return at;
  }
  const exp = readClaims(credential.token)?.exp;
  return exp === undefined ? undefined : exp * 1000;
}

/**
 * Whether a re-read found what we saw before, or a renewal by someone else. Not the token
 * alone: a provider asked twice within one second may sign identical ID tokens.
 */
function sameCredential(a: Credential, b: Credential): boolean {
  return a.token === b.token && a.refresh_token === b.refresh_token && a.expires_at === b.expires_at;
}

function isInvalidGrant(error: unknown): boolean {
  const e = error as { code?: unknown; error?: unknown } | undefined;
  return e?.code === 'invalid_grant' || e?.error === 'invalid_grant';
}

function sessionEnded(credential: Credential, profile: string): string {
  return credential.issuer
    ? `Your session on ${credential.issuer} has ended; run hsp login again.`
    : `Your sign-in for profile "${profile}" has ended; run hsp login again.`;
}

function expiredSentence(credential: Credential, location: CredentialLocation, profile: string): string {
  if (location === 'environment') return 'The token in HSP_TOKEN has expired; set a new one (or unset it and run hsp login).';
  if (credential.kind === 'oidc') return sessionEnded(credential, profile);
  return `Your marketplace sign-in for profile "${profile}" has expired; run hsp login again.`;
}
