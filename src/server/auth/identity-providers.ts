/**
 * Registered OpenID Connect providers as the server uses them: discovery (cached, and kept
 * in `identity_providers.configuration`), signing keys through jose's remote key set (cached
 * per provider, refetched when the provider rotates keys), and token verification. Bearer
 * tokens a provider issued for this marketplace sign their user in, creating the user and
 * identity on first sight.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type RemoteJWKSet } from 'jose';
import type { Database, Queryable } from '../db/database.js';
import { HttpError } from '../errors.js';
import { callerFor, type Caller } from './caller.js';
import { disabledProvider, isEnabled, userForClaims } from './provider-users.js';

export interface IdentityProvider {
  id: string;
  name: string;
  issuer: string;
  client_id: string;
  client_secret: string;
  alternate_client_id: string | null;
  scopes: string;
  configuration: unknown;
  enabled_at: Date | null;
}

/** The parts of an OpenID Provider's discovery document the server uses. */
export interface Discovery {
  issuer: string;
  jwks_uri: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  userinfo_endpoint?: string;
  token_endpoint_auth_methods_supported?: string[];
}

/** How long a discovery document is trusted before it is fetched again (the reference server: 15 min). */
const DISCOVERY_TTL_MS = 15 * 60 * 1000;
const FETCH_TIMEOUT_MS = 10_000;
/** Tokens are signed with the provider's private key; a symmetric `alg` would be keyed with our client secret. */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const CLOCK_TOLERANCE_SECONDS = 30;

const COLUMNS = 'id, name, issuer, client_id, client_secret, alternate_client_id, scopes, configuration, enabled_at';

interface CacheEntry {
  issuer: string;
  discovery: Discovery;
  fetchedAt: number;
  keys?: RemoteJWKSet;
  storedKeys?: string;
}

/** Per database: discovery documents and key sets of its providers. */
export class ProviderDirectory {
  private readonly cache = new Map<string, CacheEntry>();

  constructor(private readonly db: Queryable) {}

  async byId(id: string): Promise<IdentityProvider | undefined> {
    const { rows } = await this.db.query<IdentityProvider>(`SELECT ${COLUMNS} FROM identity_providers WHERE id = $1`, [id]);
    return rows[0];
  }

  /** The provider whose issuer is the token's `iss` (a trailing slash either way is tolerated). */
  async byIssuer(issuer: string): Promise<IdentityProvider | undefined> {
    const { rows } = await this.db.query<IdentityProvider>(
      `SELECT ${COLUMNS} FROM identity_providers WHERE issuer = $1 OR rtrim(issuer, '/') = rtrim($1, '/') ORDER BY issuer = $1 DESC LIMIT 1`,
      [issuer],
    );
    return rows[0];
  }

  /** The provider's discovery document: from memory, from the provider, or (provider down) as last stored. */
  async discover(provider: IdentityProvider): Promise<Discovery> {
    const cached = this.entry(provider);
    if (cached && Date.now() - cached.fetchedAt < DISCOVERY_TTL_MS) return cached.discovery;
    let fetched: { document: Record<string, unknown>; discovery: Discovery };
    try {
      fetched = await fetchDiscovery(provider.issuer);
    } catch (error) {
      const stale = cached?.discovery ?? storedDiscovery(provider);
      if (stale) {
        // Use what we had, and ask the provider again in a minute rather than on every request.
        this.cache.set(provider.id, { ...cached, issuer: provider.issuer, discovery: stale, fetchedAt: Date.now() - DISCOVERY_TTL_MS + 60_000 });
        return stale;
      }
      throw new HttpError(502, `The identity provider "${provider.name}" could not be reached for its OpenID configuration (${reason(error)}).`);
    }
    const { discovery } = fetched;
    const keys = cached?.discovery.jwks_uri === discovery.jwks_uri ? cached.keys : undefined;
    this.cache.set(provider.id, { issuer: provider.issuer, discovery, fetchedAt: Date.now(), keys, storedKeys: cached?.storedKeys });
    // Kept whole, as the reference server keeps it: for administrators, and for when the provider is down.
    await this.db
      .query('UPDATE identity_providers SET configuration = $2 WHERE id = $1 AND issuer = $3', [provider.id, JSON.stringify(fetched.document), provider.issuer])
      .catch(() => {});
    return discovery;
  }

  /**
   * Verifies a token the provider signed: signature (by its published keys), issuer, expiry,
   * and audience: `aud` or `azp` must be this marketplace's client id (or the alternate one).
   * Throws a 401 HttpError saying what is wrong.
   */
  async verify(provider: IdentityProvider, token: string, expect: { nonce?: string } = {}): Promise<JWTPayload> {
    const discovery = await this.discover(provider);
    // `discover` always leaves an entry; a concurrent issuer change is the only way not to find it.
    const entry = this.entry(provider);
    if (!entry) throw new HttpError(401, `The identity provider "${provider.name}" changed while the token was checked; try again.`);
    entry.keys ??= createRemoteJWKSet(new URL(discovery.jwks_uri), { timeoutDuration: FETCH_TIMEOUT_MS, cooldownDuration: 30_000, cacheMaxAge: 10 * 60 * 1000 });
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, entry.keys, {
        issuer: [...new Set([provider.issuer, discovery.issuer])],
        algorithms: ALGORITHMS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'exp'],
      }));
    } catch (error) {
      throw new HttpError(401, `The token from "${provider.name}" is not valid: ${joseReason(error)}.`);
    }
    const audiences = [provider.client_id, provider.alternate_client_id].filter((a): a is string => !!a);
    const aud = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
    if (!aud.some((a) => audiences.includes(a)) && !(typeof payload.azp === 'string' && audiences.includes(payload.azp))) {
      throw new HttpError(401, `The token from "${provider.name}" was issued for another application (its audience is not this marketplace's client).`);
    }
    if (expect.nonce !== undefined && payload.nonce !== expect.nonce) {
      throw new HttpError(401, `The ID token from "${provider.name}" does not answer this sign-in (nonce mismatch).`);
    }
    await this.rememberKeys(provider, entry);
    return payload;
  }

  private entry(provider: IdentityProvider): CacheEntry | undefined {
    const entry = this.cache.get(provider.id);
    // A changed issuer makes everything cached about the provider stale.
    return entry && entry.issuer === provider.issuer ? entry : undefined;
  }

  /** Shows administrators the keys in use (`public_keys`), written only when they change. */
  private async rememberKeys(provider: IdentityProvider, entry: CacheEntry): Promise<void> {
    const jwks = entry.keys?.jwks();
    if (!jwks) return;
    const text = JSON.stringify(jwks);
    if (text === entry.storedKeys) return;
    entry.storedKeys = text;
    await this.db.query('UPDATE identity_providers SET public_keys = $2 WHERE id = $1', [provider.id, text]).catch(() => {});
  }
}

const directories = new WeakMap<Queryable, ProviderDirectory>();

/** The one directory of a database, shared by bearer-token checks and the browser login. */
export function providerDirectory(db: Queryable): ProviderDirectory {
  let directory = directories.get(db);
  if (!directory) directories.set(db, (directory = new ProviderDirectory(db)));
  return directory;
}

/**
 * `verifyProviderToken` of the server context: the caller a provider's token stands for, or
 * `undefined` when no registered provider has this issuer (the token may be ours). Whatever
 * goes wrong with a token that names a provider is a 401, never a 500.
 */
export async function verifyProviderToken(db: Database, token: string, issuer: string): Promise<Caller | undefined> {
  const directory = providerDirectory(db);
  const provider = await directory.byIssuer(issuer);
  if (!provider) return undefined;
  // Before anything is fetched from it: a disabled provider is not even asked for its keys.
  if (!isEnabled(provider)) throw disabledProvider(401, provider);
  try {
    const claims = await directory.verify(provider, token);
    const { userId, identityId } = await userForClaims(db, provider, claims, { refresh: false });
    const caller = await callerFor(db, userId, { identityId });
    if (!caller) throw new HttpError(401, 'The token belongs to a user who no longer exists.');
    return caller;
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) throw error;
    if (error instanceof HttpError) throw new HttpError(401, `The token could not be checked: ${error.message}`);
    throw new HttpError(401, `The token from "${provider.name}" could not be checked; try again later.`);
  }
}

async function fetchDiscovery(issuer: string): Promise<{ document: Record<string, unknown>; discovery: Discovery }> {
  const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
  if (!response.ok) throw new Error(`HTTP ${response.status} from ${url}`);
  const document = (await response.json()) as Record<string, unknown>;
  const discovery = parseDiscovery(document);
  if (!discovery) throw new Error(`${url} is not an OpenID Provider configuration`);
  // OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was fetched for.
  if (discovery.issuer.replace(/\/+$/, '') !== issuer.replace(/\/+$/, '')) throw new Error(`${url} names another issuer, ${discovery.issuer}`);
  return { document, discovery };
}

function parseDiscovery(value: unknown): Discovery | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const document = value as Record<string, unknown>;
  // Endpoints are used as URLs: anything else makes the document unusable, not the server fail.
  const url = (key: string) => {
    const raw = document[key];
    if (typeof raw !== 'string') return undefined;
    try {
      return ['http:', 'https:'].includes(new URL(raw).protocol) ? raw : undefined;
    } catch {
      return undefined;
    }
  };
  const jwksUri = url('jwks_uri');
  if (typeof document.issuer !== 'string' || !jwksUri) return undefined;
  const methods = document.token_endpoint_auth_methods_supported;
  return {
    issuer: document.issuer,
    jwks_uri: jwksUri,
    authorization_endpoint: url('authorization_endpoint'),
    token_endpoint: url('token_endpoint'),
    userinfo_endpoint: url('userinfo_endpoint'),
    token_endpoint_auth_methods_supported: Array.isArray(methods) ? methods.filter((m): m is string => typeof m === 'string') : undefined,
  };
}

function storedDiscovery(provider: IdentityProvider): Discovery | undefined {
  const discovery = parseDiscovery(provider.configuration);
  return discovery && discovery.issuer.replace(/\/+$/, '') === provider.issuer.replace(/\/+$/, '') ? discovery : undefined;
}

function joseReason(error: unknown): string {
  if (error instanceof joseErrors.JWTExpired) return 'it has expired';
  if (error instanceof joseErrors.JWTClaimValidationFailed) return `its "${error.claim}" claim ${error.reason === 'missing' ? 'is missing' : 'is not acceptable'}`;
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify';
  if (error instanceof joseErrors.JWKSNoMatchingKey) return 'it is signed with a key the provider does not publish';
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return 'it is signed with an algorithm this server does not accept';
  if (error instanceof joseErrors.JWKSTimeout || error instanceof joseErrors.JWKSInvalid) return "the provider's signing keys could not be fetched";
  if (error instanceof joseErrors.JWTInvalid || error instanceof joseErrors.JWSInvalid) return 'it is malformed';
  return "it could not be checked against the provider's keys";
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > 200 ? `${message.slice(0, 200)}…` : message;
}
