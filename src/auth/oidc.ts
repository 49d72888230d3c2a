/**
 * Signing in with an OpenID Provider directly (`hsp login --device`, and the browser flow with
 * PKCE on a loopback redirect), and refreshing what it issued. openid-client does the protocol;
 * this module picks the bearer token, runs the loopback listener and turns every failure into
 * one sentence (an `OidcError`) that never carries a token.
 *
 * Which token becomes the bearer. The marketplace accepts a provider's token when it is a JWT
 * signed by the provider whose `aud` or `azp` is the marketplace's client id (or its
 * `alternate_client_id`, the id the CLI signs in with). So:
 *   1. the access token, when it is such a JWT (Keycloak, Auth0, Entra with a client audience);
 *   2. otherwise the ID token: providers that issue opaque access tokens (Google, oidc-provider's
 *      default) or access tokens for another audience still issue an ID token whose `aud` is
 *      our client id, which is exactly what the marketplace checks;
 *   3. otherwise (no ID token) the access token as it is, and the marketplace decides.
 * The choice is made again on every refresh, from what the provider answered then.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as client from 'openid-client';
import { EnvHttpProxyAgent, type Dispatcher } from 'undici';
import { HspError } from '../sdk/errors.js';
import type { Credential } from './types.js';

/**
 * `offline_access` asks for a refresh token; `profile` and `email` let the marketplace name a
 * user it sees for the first time.
 */
export const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** How long the browser flow waits for the provider to redirect back. */
const DEFAULT_BROWSER_TIMEOUT_MS = 5 * 60_000;
const CALLBACK_PATH = '/callback';

export type OidcErrorCode =
  | 'access_denied'
  | 'expired_token'
  | 'invalid_grant'
  | 'unreachable'
  | 'not_supported'
  | 'aborted'
  | 'timeout'
  | 'callback_port'
  | 'failed';

/** A sign-in or refresh that did not work, said in one sentence. */
export class OidcError extends HspError {
  override name = 'OidcError';
  constructor(
    readonly code: OidcErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface DiscoverOptions {
  clientId: string;
  /** Replaces the HTTP client entirely (tests, custom TLS). */
  fetch?: client.CustomFetch;
  /** An undici dispatcher for the global fetch; default: the environment's proxy when one is set. */
  dispatcher?: Dispatcher;
  /** Per-request timeout; openid-client's default is 30 s. */
  timeoutSeconds?: number;
}

export type OidcConfiguration = client.Configuration;

/**
 * The provider's configuration for our (public) client. Plain HTTP is accepted only for a
 * loopback issuer (a provider on the developer's machine); anywhere else HTTPS is required.
 */
export async function discover(issuer: string, options: DiscoverOptions): Promise<OidcConfiguration> {
  const url = parseIssuer(issuer);
  try {
    return await client.discovery(url, options.clientId, undefined, client.None(), {
      [client.customFetch]: options.fetch ?? proxyAwareFetch(options.dispatcher),
      timeout: options.timeoutSeconds,
      execute: isLoopback(url) ? [client.allowInsecureRequests] : [],
    });
  } catch (error) {
    throw toOidcError(error, issuer, 'discovery');
  }
}

/** Whether the provider advertises the device authorization grant (RFC 8628). */
export function supportsDeviceFlow(config: OidcConfiguration): boolean {
  return typeof config.serverMetadata().device_authorization_endpoint === 'string';
}

/**
 * Whether a browser can be opened here: not over SSH, and on Linux/BSD only under X11 or Wayland.
 * The device flow is the default without one (a code typed on another device).
 */
export function hasDisplay(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): boolean {
  if (env.SSH_CONNECTION || env.SSH_CLIENT || env.SSH_TTY) return false;
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

/** Device flow when asked for, or when there is no display and the provider offers it; else PKCE. */
export function chooseFlow(config: OidcConfiguration, options: { device?: boolean; display?: boolean } = {}): 'device' | 'pkce' {
  if (options.device) return 'device';
  const display = options.display ?? hasDisplay();
  return !display && supportsDeviceFlow(config) ? 'device' : 'pkce';
}

interface LoginOptions extends Omit<DiscoverOptions, 'clientId'> {
  issuer: string;
  clientId: string;
  /** Space/comma separated or a list; default `DEFAULT_SCOPES`. `openid` is always included. */
  scopes?: string | readonly string[];
  signal?: AbortSignal;
  /** An already discovered configuration (saves a request when the caller chose the flow with it). */
  config?: OidcConfiguration;
}

export interface DeviceLoginOptions extends LoginOptions {
  /** Show the user where to go and what to type. `complete` embeds the code, when offered. */
  onPrompt(verificationUri: string, userCode: string, complete?: string): void | Promise<void>;
}

/** The device authorization grant: prompt, then poll until the user approves (or the code expires). */
export async function deviceLogin(options: DeviceLoginOptions): Promise<Credential> {
  const { issuer, clientId } = options;
  const config = options.config ?? (await discover(issuer, options));
  if (!supportsDeviceFlow(config)) {
    throw new OidcError('not_supported', `${issuer} does not offer sign-in with a device code; sign in with a browser instead.`);
  }
  const scope = scopeList(options.scopes).join(' ');
  let authorization: Awaited<ReturnType<typeof client.initiateDeviceAuthorization>>;
  try {
    authorization = await client.initiateDeviceAuthorization(config, { scope });
  } catch (error) {
    throw toOidcError(error, issuer, 'device');
  }
  await options.onPrompt(authorization.verification_uri, authorization.user_code, authorization.verification_uri_complete);

  // openid-client stops at `expires_in` only when no signal is passed; ours joins both.
  const expiry = AbortSignal.timeout(authorization.expires_in * 1000);
  const signal = options.signal ? AbortSignal.any([options.signal, expiry]) : expiry;
  try {
    const tokens = await client.pollDeviceAuthorizationGrant(config, authorization, undefined, { signal });
    return credentialFrom(tokens, { issuer, clientId });
  } catch (error) {
    if (options.signal?.aborted) throw cancelled(error);
    if (expiry.aborted) throw expiredCode(error);
    throw toOidcError(error, issuer, 'device');
  }
}

export interface PkceLoginOptions extends LoginOptions {
  /** Pin the loopback port (port forwarding, providers that register exact redirect URIs). */
  callbackPort?: number;
  /** Open the user's browser at `url` (the caller prints it when no browser opens). */
  openBrowser(url: string): void | Promise<void>;
  /** Give up waiting for the redirect after this long; default 5 minutes. */
  timeoutMs?: number;
}

/**
 * Authorization code + PKCE with a loopback redirect (RFC 8252): a listener on 127.0.0.1
 * receives the code; `state` ties the redirect to this sign-in and `nonce` ties the ID token
 * to it. Requests that do not carry our `state` are turned away without ending the wait.
 */
export async function pkceLogin(options: PkceLoginOptions): Promise<Credential> {
  const { issuer, clientId } = options;
  const config = options.config ?? (await discover(issuer, options));
  const scopes = scopeList(options.scopes);
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();

  const listener = await listen(options.callbackPort ?? 0);
  const redirectUri = `http://127.0.0.1:${listener.port}${CALLBACK_PATH}`;
  try {
    const parameters: Record<string, string> = {
      redirect_uri: redirectUri,
      scope: scopes.join(' '),
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    };
    // OpenID Connect Core §11: offline access is granted only with `prompt=consent`.
    if (scopes.includes('offline_access')) parameters.prompt = 'consent';
    const authorizationUrl = client.buildAuthorizationUrl(config, parameters);

    const outcome = listener.waitFor(
      async (callbackUrl) => {
        if (callbackUrl.searchParams.get('state') !== state) return undefined;
        const error = callbackUrl.searchParams.get('error');
        if (error) throw toOidcError({ error, error_description: callbackUrl.searchParams.get('error_description') }, issuer, 'browser');
        try {
          const tokens = await client.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce });
          return credentialFrom(tokens, { issuer, clientId });
        } catch (cause) {
          throw toOidcError(cause, issuer, 'browser');
        }
      },
      { signal: options.signal, timeoutMs: options.timeoutMs ?? DEFAULT_BROWSER_TIMEOUT_MS },
    );
    // Settled later; a rejection while the browser is being opened must not go unhandled.
    outcome.catch(() => {});
    await options.openBrowser(authorizationUrl.href);
    return await outcome;
  } finally {
    await listener.close();
  }
}

export interface RefreshOptions extends Omit<DiscoverOptions, 'clientId'> {
  config?: OidcConfiguration;
}

/**
 * A new credential from the stored refresh token. With rotation the provider returns a new
 * refresh token and the old one stops working: the new one replaces it (the caller must store
 * the result before anyone uses the old one again; see token-provider.ts).
 */
export async function refreshCredential(credential: Credential, options: RefreshOptions = {}): Promise<Credential> {
  const { issuer, client_id: clientId, refresh_token: refreshToken } = credential;
  if (credential.kind !== 'oidc' || !issuer || !clientId || !refreshToken) {
    throw new OidcError('invalid_grant', 'This sign-in cannot be renewed; run hsp login again.');
  }
  const config = options.config ?? (await cachedDiscovery(issuer, { ...options, clientId }));
  try {
    const tokens = await client.refreshTokenGrant(config, refreshToken);
    return credentialFrom(tokens, { issuer, clientId, refreshToken });
  } catch (error) {
    throw toOidcError(error, issuer, 'refresh');
  }
}

/** The bearer token the marketplace will accept among those a provider returned (see the top of this file). */
export function chooseBearer(
  tokens: { access_token: string; id_token?: string },
  expected: { issuer: string; clientId: string },
): { token: string; kind: 'access_token' | 'id_token' } {
  const claims = jwtClaims(tokens.access_token);
  if (claims && sameIssuer(claims.iss, expected.issuer)) {
    const audiences = typeof claims.aud === 'string' ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
    if (audiences.includes(expected.clientId) || claims.azp === expected.clientId) return { token: tokens.access_token, kind: 'access_token' };
  }
  if (tokens.id_token) return { token: tokens.id_token, kind: 'id_token' };
  return { token: tokens.access_token, kind: 'access_token' };
}

// ---------------------------------------------------------------------------------------
// Tokens to a credential

type TokenResponse = client.TokenEndpointResponse & client.TokenEndpointResponseHelpers;

function credentialFrom(tokens: TokenResponse, context: { issuer: string; clientId: string; refreshToken?: string }): Credential {
  const bearer = chooseBearer(tokens, context);
  const exp = jwtClaims(bearer.token)?.exp;
  const expiresIn = bearer.kind === 'access_token' ? tokens.expiresIn() : undefined;
  const expiresAt = typeof exp === 'number' ? exp * 1000 : expiresIn !== undefined ? Date.now() + expiresIn * 1000 : undefined;
  const credential: Credential = { kind: 'oidc', token: bearer.token, issuer: context.issuer, client_id: context.clientId };
  if (expiresAt !== undefined) credential.expires_at = new Date(expiresAt).toISOString();
  // Rotation: a new refresh token replaces the old; a provider that does not rotate returns none.
  const refreshToken = tokens.refresh_token ?? context.refreshToken;
  if (refreshToken) credential.refresh_token = refreshToken;
  return credential;
}

interface JwtClaims {
  iss?: unknown;
  aud?: unknown;
  azp?: unknown;
  exp?: unknown;
}

/** A JWT's claims, unverified: only used to choose a token, which the marketplace then verifies. */
function jwtClaims(token: string): JwtClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8'));
    return claims && typeof claims === 'object' ? (claims as JwtClaims) : undefined;
  } catch {
    return undefined;
  }
}

function sameIssuer(a: unknown, b: string): boolean {
  return typeof a === 'string' && a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

function scopeList(scopes: string | readonly string[] | undefined): string[] {
  const list = scopes === undefined ? [...DEFAULT_SCOPES] : typeof scopes === 'string' ? scopes.split(/[\s,]+/) : [...scopes];
  const unique = [...new Set(list.map((s) => s.trim()).filter(Boolean))];
  return unique.includes('openid') ? unique : ['openid', ...unique];
}

// ---------------------------------------------------------------------------------------
// HTTP

function parseIssuer(issuer: string): URL {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new OidcError('failed', `The identity provider "${issuer}" is not a URL.`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url))) {
    throw new OidcError('failed', `The identity provider ${issuer} must be an https:// URL.`);
  }
  return url;
}

function isLoopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

let proxyAgent: Dispatcher | undefined;

/**
 * Node's fetch ignores HTTP(S)_PROXY: as the SDK does, route through undici's
 * EnvHttpProxyAgent (which also honours NO_PROXY) when a proxy is set. Still the global fetch,
 * so test interceptors see the requests.
 */
function proxyAwareFetch(dispatcher: Dispatcher | undefined): client.CustomFetch {
  return (url, init) => {
    const env = process.env;
    const proxied = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy;
    const chosen = dispatcher ?? (proxied ? (proxyAgent ??= new EnvHttpProxyAgent()) : undefined);
    return fetch(url, (chosen ? { ...init, dispatcher: chosen } : init) as RequestInit);
  };
}

/** One discovery per issuer and client in a process: refreshes repeat, the document does not change. */
const discoveries = new Map<string, Promise<OidcConfiguration>>();

function cachedDiscovery(issuer: string, options: DiscoverOptions): Promise<OidcConfiguration> {
  if (options.fetch || options.dispatcher) return discover(issuer, options);
  const key = `${issuer} ${options.clientId}`;
  let pending = discoveries.get(key);
  if (!pending) {
    pending = discover(issuer, options);
    discoveries.set(key, pending);
    // A failure is not remembered: the next refresh asks again.
    pending.catch(() => discoveries.delete(key));
  }
  return pending;
}

// ---------------------------------------------------------------------------------------
// The loopback listener

interface Listener {
  port: number;
  /**
   * Resolves with what `handle` returns for the first callback it accepts; `handle` returns
   * `undefined` to turn a request away and keep waiting.
   */
  waitFor<T>(handle: (url: URL) => Promise<T | undefined>, options: { signal?: AbortSignal; timeoutMs: number }): Promise<T>;
  close(): Promise<void>;
}

async function listen(port: number): Promise<Listener> {
  let onRequest: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => page(res, 503, 'Not ready yet; try again.');
  /** Ends a wait still pending when the listener closes (its timer would keep the process alive). */
  let endWait: (() => void) | undefined;
  const server: Server = createServer((req, res) => onRequest(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EACCES'
          ? new OidcError('callback_port', `Cannot listen on 127.0.0.1:${port} for the sign-in redirect; choose another --callback-port.`, { cause: error })
          : new OidcError('failed', `Cannot listen on 127.0.0.1 for the sign-in redirect (${error.code ?? error.message}).`, { cause: error }),
      );
    });
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;

  return {
    port: actualPort,
    waitFor<T>(handle: (url: URL) => Promise<T | undefined>, options: { signal?: AbortSignal; timeoutMs: number }): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        let done = false;
        const minutes = Math.max(1, Math.round(options.timeoutMs / 60_000));
        const timer = setTimeout(
          () => finish(() => reject(new OidcError('timeout', `The browser sign-in did not finish within ${minutes} minute${minutes === 1 ? '' : 's'}; run hsp login again.`))),
          options.timeoutMs,
        );
        const onAbort = () => finish(() => reject(cancelled(options.signal?.reason)));
        options.signal?.addEventListener('abort', onAbort, { once: true });
        if (options.signal?.aborted) onAbort();
        endWait = () => finish(() => reject(new OidcError('aborted', 'Sign-in was cancelled.')));
        function finish(settle: () => void): void {
          if (done) return;
          done = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          settle();
        }

        let busy = false;
        onRequest = (req, res) => {
          const url = new URL(req.url ?? '/', `http://127.0.0.1:${actualPort}`);
          if (req.method !== 'GET' || url.pathname !== CALLBACK_PATH) return page(res, 404, 'Nothing here.');
          if (done || busy) return page(res, 409, 'This sign-in is already finished; you can close this window.');
          busy = true;
          handle(url).then(
            (result) => {
              busy = false;
              if (result === undefined) return page(res, 400, 'This answer does not belong to the sign-in in progress.');
              page(res, 200, 'Signed in to hsp; you can close this window and return to the terminal.');
              finish(() => resolve(result));
            },
            (error: unknown) => {
              busy = false;
              page(res, 400, `${(error as Error).message} You can close this window.`);
              finish(() => reject(error));
            },
          );
        };
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        endWait?.();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function page(res: ServerResponse, status: number, text: string): void {
  const escaped = text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' });
  res.end(`<!doctype html><meta charset="utf-8"><title>hsp</title><p>${escaped}</p>\n`);
}

// ---------------------------------------------------------------------------------------
// Errors: one sentence each, never a token

type Stage = 'discovery' | 'device' | 'browser' | 'refresh';

function cancelled(cause: unknown): OidcError {
  return new OidcError('aborted', 'Sign-in was cancelled.', { cause });
}

function expiredCode(cause: unknown): OidcError {
  return new OidcError('expired_token', 'The sign-in code expired before it was approved; run hsp login again.', { cause });
}

/** Maps what openid-client (or the provider, through it) threw to an `OidcError`. */
function toOidcError(error: unknown, issuer: string, stage: Stage): OidcError {
  if (error instanceof OidcError) return error;
  let e = error as { error?: unknown; error_description?: unknown; code?: unknown; message?: unknown; cause?: unknown } | undefined;
  if (error instanceof client.WWWAuthenticateChallengeError) {
    // A 401 from the token endpoint explains itself in its WWW-Authenticate header.
    const parameters = error.cause[0]?.parameters;
    if (parameters?.error) e = { error: parameters.error, error_description: parameters.error_description };
  }
  const cause = error instanceof Error ? error : undefined;

  if (typeof e?.error === 'string') {
    const detail = typeof e.error_description === 'string' && e.error_description ? `: ${clip(e.error_description)}` : '';
    switch (e.error) {
      case 'access_denied':
        return new OidcError('access_denied', period(`The sign-in was declined at ${issuer}${detail}`), { cause });
      case 'expired_token':
        return expiredCode(cause);
      case 'invalid_grant':
        return stage === 'refresh'
          ? new OidcError('invalid_grant', `Your session on ${issuer} has ended; run hsp login again.`, { cause })
          : new OidcError('invalid_grant', `${issuer} refused the sign-in (invalid_grant); run hsp login again.`, { cause });
      case 'invalid_client':
      case 'unauthorized_client':
        return new OidcError('failed', `${issuer} does not accept this client for ${stage === 'device' ? 'device sign-in' : 'sign-in'} (${e.error}); check the client id.`, { cause });
      default:
        return new OidcError('failed', `${issuer} refused the sign-in (${clip(e.error)}${detail ? `, ${detail.slice(2)}` : ''}).`, { cause });
    }
  }

  if (e?.code === 'OAUTH_ABORT') return cancelled(cause);
  if (e?.code === 'OAUTH_TIMEOUT') return new OidcError('unreachable', `The identity provider ${issuer} did not answer in time.`, { cause });
  if (error instanceof TypeError && (error.message === 'fetch failed' || (error.cause as { code?: unknown } | undefined)?.code)) {
    const code = (error.cause as { code?: unknown } | undefined)?.code;
    return new OidcError('unreachable', `The identity provider ${issuer} could not be reached${typeof code === 'string' ? ` (${code})` : ''}.`, { cause });
  }
  if (stage === 'discovery') {
    return new OidcError('failed', `${issuer} did not answer with a usable OpenID configuration (${clip(String(e?.message ?? error))}).`, { cause });
  }
  return new OidcError('failed', `Signing in with ${issuer} failed (${clip(String(e?.message ?? error))}).`, { cause });
}

function period(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

function clip(text: string): string {
  const line = text.split('\n')[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 199)}…` : line;
}
