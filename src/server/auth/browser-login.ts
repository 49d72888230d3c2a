/**
 * Signing in with a browser: the OpenID Connect authorization-code flow with PKCE, ending at
 * a loopback `redirect_uri` (RFC 8252) so a CLI on the same machine receives the token, or at
 * a page of the Marketplace UI (this server's own /ui/, or the UI URL it was configured with),
 * which receives it in the URL's fragment: a fragment never reaches a server or its logs.
 *
 * The flow keeps no server-side state: `state` is a short-lived HS256 JWT (keyed by a key
 * derived from the server secret) carrying the provider, the client's redirect URI, our
 * callback URL and a random nonce; the PKCE verifier is an HMAC of that nonce, so it never
 * travels through the browser yet the callback can recompute it.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import { HttpError } from '../errors.js';
import type { Discovery, IdentityProvider } from './identity-providers.js';

const STATE_TTL_SECONDS = 10 * 60;
const FETCH_TIMEOUT_MS = 10_000;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export interface LoginState {
  /** The identity provider's id. */
  providerId: string;
  /** Where the client wants the token (a loopback URL or a UI page), if it said. */
  clientRedirect?: string;
  /** The token goes in `clientRedirect`'s fragment (`#jwt=`, a UI page) rather than its query (`?jwt=`, a loopback listener). */
  fragment?: boolean;
  /** Our own `/sessions` URL, as sent to the provider (it must be repeated exactly at the token endpoint). */
  callback: string;
  nonce: string;
}

/** Where sign-ins may return to a Marketplace UI, besides loopback listeners. */
export interface UiTargets {
  /** This server's origin as the browser sees it (`https://market.example.org`), when it serves the UI under `uiPath`. */
  ownOrigin?: string;
  uiPath?: string;
  /** A UI hosted elsewhere (MARKETPLACE_UI_URL): pages under it. */
  uiUrl?: string;
}

/**
 * A client's `redirect_uri`: a page of the Marketplace UI (same origin and under its path; the
 * token then travels in the fragment), or `http://` on a loopback host, any port and path
 * (RFC 8252 §7.3; the token in the query). Nothing else: any other URL would be an open
 * redirect that hands tokens to whoever wrote the link.
 */
export function clientRedirectUri(raw: unknown, ui: UiTargets = {}): { href: string; fragment: boolean } | undefined {
  if (raw === undefined || raw === '') return undefined;
  const uiPlaces = [ui.ownOrigin && ui.uiPath ? `${ui.ownOrigin}${ui.uiPath}` : undefined, ui.uiUrl].filter(Boolean);
  const refuse = () =>
    new HttpError(
      400,
      `redirect_uri must be a loopback URL such as http://127.0.0.1:8765/callback (http on 127.0.0.1, [::1] or localhost)` +
        `${uiPlaces.length ? `, or a page of the Marketplace UI under ${uiPlaces.join(' or ')}` : ''}; it may not hold a fragment or a user name.`,
    );
  if (typeof raw !== 'string') throw refuse();
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse();
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password || url.hash || raw.includes('#')) throw refuse();
  // The URL parser has resolved `..` and `%2e%2e` already: the path compared is the one a browser would ask for.
  if (ui.ownOrigin && ui.uiPath && url.origin === ui.ownOrigin && url.pathname.startsWith(ui.uiPath)) return { href: url.href, fragment: true };
  if (ui.uiUrl && isUnder(url, ui.uiUrl)) return { href: url.href, fragment: true };
  if (url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.hostname)) throw refuse();
  return { href: url.href, fragment: false };
}

/** `https://ui.example.org/app/x` is under `https://ui.example.org/app` (and `/app/`); `/application` is not. */
function isUnder(url: URL, base: string): boolean {
  let root: URL;
  try {
    root = new URL(base);
  } catch {
    return false;
  }
  if (url.origin !== root.origin) return false;
  const path = root.pathname.endsWith('/') ? root.pathname : `${root.pathname}/`;
  return url.pathname === root.pathname || url.pathname.startsWith(path);
}

export async function signState(secret: Uint8Array, state: LoginState): Promise<string> {
  return new SignJWT({ pid: state.providerId, ruri: state.clientRedirect, frag: state.fragment || undefined, cb: state.callback, n: state.nonce })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(`${STATE_TTL_SECONDS}s`)
    .sign(derivedKey(secret, 'hsp browser login state'));
}

export async function readState(secret: Uint8Array, token: string): Promise<LoginState> {
  try {
    const { payload } = await jwtVerify(token, derivedKey(secret, 'hsp browser login state'), { algorithms: ['HS256'] });
    const { pid, ruri, frag, cb, n } = payload;
    if (typeof pid !== 'string' || typeof cb !== 'string' || typeof n !== 'string' || (ruri !== undefined && typeof ruri !== 'string')) throw new Error('shape');
    return { providerId: pid, clientRedirect: ruri, fragment: frag === true, callback: cb, nonce: n };
  } catch {
    throw new HttpError(400, 'This sign-in has expired or was not started here; start signing in again.');
  }
}

export function newNonce(): string {
  return randomBytes(16).toString('base64url');
}

/** The PKCE verifier of a sign-in: 43 characters, recomputable only with the server secret. */
export function codeVerifier(secret: Uint8Array, nonce: string): string {
  return createHmac('sha256', derivedKey(secret, 'hsp browser login pkce')).update(nonce).digest('base64url');
}

/** The provider's authorization URL for this sign-in (code flow, PKCE S256, nonce). */
export function authorizationUrl(discovery: Discovery, provider: IdentityProvider, state: string, login: LoginState, verifier: string): string {
  if (!discovery.authorization_endpoint) throw new HttpError(502, `The identity provider "${provider.name}" publishes no authorization endpoint.`);
  const url = new URL(discovery.authorization_endpoint);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('client_id', provider.client_id);
  url.searchParams.set('scope', scopeOf(provider.scopes));
  url.searchParams.set('redirect_uri', login.callback);
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', login.nonce);
  url.searchParams.set('code_challenge', createHash('sha256').update(verifier).digest('base64url'));
  url.searchParams.set('code_challenge_method', 'S256');
  return url.href;
}

/** The record's `scopes`, commas or spaces (both eras of the reference seeds), as an OAuth `scope`. */
export function scopeOf(scopes: string | null | undefined): string {
  const list = (scopes ?? '').split(/[\s,]+/).filter(Boolean);
  if (!list.length) return 'openid profile email';
  if (!list.includes('openid')) list.unshift('openid');
  return list.join(' ');
}

export interface TokenResponse {
  id_token?: string;
  access_token?: string;
}

/**
 * Redeems the code at the token endpoint, authenticating with the client secret: HTTP Basic
 * when the provider supports it (the OAuth default), otherwise in the form; on
 * `invalid_client` the other method is tried once (a code survives failed client auth).
 */
export async function exchangeCode(discovery: Discovery, provider: IdentityProvider, code: string, login: LoginState, verifier: string): Promise<TokenResponse> {
  if (!discovery.token_endpoint) throw new HttpError(502, `The identity provider "${provider.name}" publishes no token endpoint.`);
  const supported = discovery.token_endpoint_auth_methods_supported ?? ['client_secret_basic'];
  const methods: Array<'basic' | 'post'> = supported.includes('client_secret_basic') || !supported.includes('client_secret_post') ? ['basic', 'post'] : ['post', 'basic'];
  let last: { status: number; error?: string } | undefined;
  for (const method of methods) {
    const form = new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: login.callback, code_verifier: verifier });
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (method === 'basic') {
      headers.authorization = `Basic ${Buffer.from(`${formEncode(provider.client_id)}:${formEncode(provider.client_secret)}`).toString('base64')}`;
    } else {
      form.set('client_id', provider.client_id);
      form.set('client_secret', provider.client_secret);
    }
    let response: Response;
    try {
      response = await fetch(discovery.token_endpoint, { method: 'POST', headers, body: form, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    } catch {
      throw new HttpError(502, `The identity provider "${provider.name}" could not be reached to finish signing in; try again.`);
    }
    const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (response.ok) return { id_token: stringOr(body.id_token), access_token: stringOr(body.access_token) };
    last = { status: response.status, error: stringOr(body.error) };
    if (last.error !== 'invalid_client') break;
  }
  if (last?.error === 'invalid_client') {
    throw new HttpError(502, `The identity provider "${provider.name}" refused this marketplace's client credentials; an administrator must check its client_id and client_secret.`);
  }
  throw new HttpError(400, `The identity provider "${provider.name}" did not accept the sign-in code (${last?.error ?? `HTTP ${last?.status}`}); start signing in again.`);
}

/** Profile claims the ID token may leave out (providers put them behind the access token). */
export async function fetchUserInfo(discovery: Discovery, accessToken: string): Promise<Record<string, unknown> | undefined> {
  if (!discovery.userinfo_endpoint) return undefined;
  try {
    const response = await fetch(discovery.userinfo_endpoint, {
      headers: { authorization: `Bearer ${accessToken}`, accept: 'application/json' },
      signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
    });
    if (!response.ok || !/json/.test(response.headers.get('content-type') ?? '')) return undefined;
    const body: unknown = await response.json();
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    // Optional: the ID token's claims are enough to sign in.
    return undefined;
  }
}

function derivedKey(secret: Uint8Array, purpose: string): Uint8Array {
  return new Uint8Array(createHmac('sha256', secret).update(purpose).digest());
}

/** RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding. */
function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
