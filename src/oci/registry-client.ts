/**
 * Requests to one registry's distribution API, authenticated the way registries ask for it: a
 * request goes out anonymous; a 401 carries a `WWW-Authenticate` challenge, and
 * - `Bearer realm=…,service=…,scope=…` (Docker Hub, GHCR, Quay, distribution's token auth):
 *   a token is fetched from the realm, with the user's credentials as Basic auth when there are
 *   some (an identity token is exchanged as an OAuth2 refresh token instead), then the request
 *   is sent again with it;
 * - `Basic` (distribution's htpasswd): sent again with the user's credentials.
 * Credentials are looked up only when a registry asks for them, so public images never run a
 * credential helper. They go to the registry's own origin and to its token realm, and never
 * over plain HTTP except to loopback.
 *
 * Every request has a time limit and every body read a size limit.
 */
import type { Dispatcher } from 'undici';
import { describeSize } from '../size.js';
import type { RegistryCredentials } from './docker-credentials.js';
import { isLoopback, type RegistryEndpoint } from './registry-endpoint.js';
import { RegistryError } from './registry-error.js';
import { parseChallenges, type Challenge } from './www-authenticate.js';

export interface RegistryClientOptions {
  /** Asked once, when the registry first asks for credentials; `undefined` means anonymous. */
  credentials: () => Promise<RegistryCredentials | undefined>;
  /** Per request, body included (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** The HTTP proxy to go through, when the environment names one. */
  dispatcher?: Dispatcher;
}

export interface RegistryResponse {
  status: number;
  headers: Headers;
  /** The body, read up to the limit given to `request` (empty when none was asked for). */
  body: Buffer;
}

/** A token answer is a few kilobytes of JSON. */
const MAX_TOKEN_BYTES = 1024 * 1024;
/** What is read of an error body, for its message. */
const MAX_ERROR_BYTES = 16 * 1024;
const CLIENT_ID = 'hsp';

export class RegistryClient {
  private credentials: Promise<RegistryCredentials | undefined> | undefined;
  /** The Authorization header that worked, reused for later requests to the same scope. */
  private authorization: string | undefined;
  /** The credentials that header was made with, if any: for the sentence of a refusal. */
  private sentCredentials: RegistryCredentials | undefined;

  constructor(
    readonly endpoint: RegistryEndpoint,
    private readonly options: RegistryClientOptions,
  ) {}

  /**
   * Sends `method path` (below the registry's origin), answering an authentication challenge
   * once. Resolves to any status but 401; `maxBody` bytes of a successful body are read (a
   * longer one is an error), and a little of an error body, for its message.
   */
  async request(method: 'GET' | 'HEAD', path: string, headers: Record<string, string>, maxBody: number): Promise<RegistryResponse> {
    let response = await this.send(method, path, headers, maxBody);
    if (response.status !== 401) return response;
    const challenges = parseChallenges(response.headers.get('www-authenticate'));
    const authorization = await this.answer(challenges);
    if (authorization === undefined) throw this.refused();
    this.authorization = authorization;
    response = await this.send(method, path, headers, maxBody);
    if (response.status === 401) throw this.refused();
    return response;
  }

  /** A sentence for a refusal (401, 403), naming where the credentials sent came from but never quoting them. */
  refused(): RegistryError {
    const credentials = this.sentCredentials;
    const what = `${this.endpoint.name}/${this.endpoint.repository}`;
    if (credentials) {
      return new RegistryError(this.endpoint.name, 'refused', `The registry ${this.endpoint.name} refused ${what} to the credentials from ${credentials.source}: the repository does not exist, or they do not grant access to it (docker login ${this.endpoint.name} to renew them).`);
    }
    return new RegistryError(this.endpoint.name, 'refused', `The registry ${this.endpoint.name} refused ${what} without credentials: the repository does not exist, or it needs them (docker login ${this.endpoint.name}; hsp reads Docker's credentials).`);
  }

  private loadCredentials(): Promise<RegistryCredentials | undefined> {
    this.credentials ??= this.options.credentials();
    return this.credentials;
  }

  /** The Authorization header a challenge asks for, or `undefined` when it cannot be met. */
  private async answer(challenges: Challenge[]): Promise<string | undefined> {
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    const basic = challenges.find((c) => c.scheme === 'basic');
    const credentials = await this.loadCredentials();
    this.sentCredentials = undefined;
    if (bearer) {
      this.sentCredentials = credentials;
      if (credentials?.registryToken) return `Bearer ${credentials.registryToken}`;
      return `Bearer ${await this.token(bearer, credentials)}`;
    }
    if (basic && credentials?.username !== undefined && credentials.password !== undefined) {
      this.requireSecureTransport(new URL(this.endpoint.origin), credentials);
      this.sentCredentials = credentials;
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
    }
    return undefined;
  }

  /** A token from the realm of a Bearer challenge (Docker's token protocol, or OAuth2 for identity tokens). */
  private async token(challenge: Challenge, credentials: RegistryCredentials | undefined): Promise<string> {
    const realm = challenge.params.realm;
    let url: URL;
    try {
      url = new URL(realm ?? '');
    } catch {
      throw new RegistryError(this.endpoint.name, 'bad-answer', `The registry ${this.endpoint.name} asked for a token but named no valid token service (realm).`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new RegistryError(this.endpoint.name, 'bad-answer', `The registry ${this.endpoint.name} named a token service that is not http(s).`);
    }
    if (url.protocol === 'http:' && !isLoopback(url.hostname)) {
      throw new RegistryError(this.endpoint.name, 'bad-answer', `The registry ${this.endpoint.name} named a token service over plain HTTP (${url.host}); only loopback may be used without TLS.`);
    }
    const service = challenge.params.service;
    const scope = challenge.params.scope ?? `repository:${this.endpoint.repository}:pull`;
    const headers: Record<string, string> = { accept: 'application/json' };
    let init: RequestInit;
    if (credentials?.identityToken) {
      // docker login stored an OAuth2 refresh token: exchange it (POST form), as the docker CLI does.
      this.requireSecureTransport(url, credentials);
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: CLIENT_ID, scope });
      if (service) form.set('service', service);
      init = { method: 'POST', headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() };
    } else {
      if (service) url.searchParams.set('service', service);
      for (const one of scope.split(' ').filter(Boolean)) url.searchParams.append('scope', one);
      if (credentials?.username !== undefined && credentials.password !== undefined) {
        this.requireSecureTransport(url, credentials);
        url.searchParams.set('account', credentials.username);
        headers.authorization = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`;
      }
      init = { method: 'GET', headers };
    }
    const response = await this.fetch(url, init, MAX_TOKEN_BYTES, `the token service ${url.host}`);
    if (response.status === 401 || response.status === 403) {
      throw credentials
        ? new RegistryError(this.endpoint.name, 'refused', `The token service of ${this.endpoint.name} (${url.host}) refused the credentials from ${credentials.source}; check them (docker login ${this.endpoint.name}).`)
        : new RegistryError(this.endpoint.name, 'refused', `The token service of ${this.endpoint.name} (${url.host}) refused an anonymous token; sign in with docker login ${this.endpoint.name} (hsp reads Docker's credentials).`);
    }
    if (response.status !== 200) {
      throw new RegistryError(this.endpoint.name, 'bad-answer', `The token service of ${this.endpoint.name} (${url.host}) answered HTTP ${response.status}.`);
    }
    let token: unknown;
    try {
      const answer = JSON.parse(response.body.toString('utf8')) as { token?: unknown; access_token?: unknown };
      token = answer.token || answer.access_token;
    } catch {
      token = undefined;
    }
    // A token goes into a header: anything but printable ASCII would be refused there, or worse.
    if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token)) {
      throw new RegistryError(this.endpoint.name, 'bad-answer', `The token service of ${this.endpoint.name} (${url.host}) answered without a usable token.`);
    }
    return token;
  }

  /** Credentials never travel in clear text beyond this machine. */
  private requireSecureTransport(url: URL, credentials: RegistryCredentials): void {
    if (url.protocol === 'https:' || isLoopback(url.hostname)) return;
    throw new RegistryError(this.endpoint.name, 'credentials', `The credentials from ${credentials.source} for ${this.endpoint.name} would go over plain HTTP to ${url.host}; refused.`);
  }

  private send(method: 'GET' | 'HEAD', path: string, headers: Record<string, string>, maxBody: number): Promise<RegistryResponse> {
    const all = { ...headers, ...(this.authorization ? { authorization: this.authorization } : {}) };
    return this.fetch(new URL(path, this.endpoint.origin), { method, headers: all }, maxBody, `the registry ${this.endpoint.name}`);
  }

  /** One HTTP exchange with a time limit, the body read up to a size limit (a little, for errors). */
  private async fetch(url: URL, init: RequestInit, maxBody: number, who: string): Promise<RegistryResponse> {
    const timeoutMs = this.options.timeoutMs ?? 30_000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = this.options.signal ? AbortSignal.any([this.options.signal, timeout]) : timeout;
    try {
      const response = await fetch(url, { ...init, signal, redirect: 'follow', ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}) } as RequestInit);
      const limit = response.ok ? maxBody : MAX_ERROR_BYTES;
      const body = init.method === 'HEAD' ? Buffer.alloc(0) : await readBody(response, limit, response.ok);
      if (body === undefined) {
        throw new RegistryError(this.endpoint.name, 'bad-answer', `${capitalized(who)} answered with more than ${describeSize(maxBody)}; that is not a manifest or a token.`);
      }
      return { status: response.status, headers: response.headers, body };
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      if (this.options.signal?.aborted) throw this.options.signal.reason ?? error;
      if (timeout.aborted) throw new RegistryError(this.endpoint.name, 'timeout', `${capitalized(who)} did not answer within ${Math.round(timeoutMs / 1000)} s.`);
      throw new RegistryError(this.endpoint.name, 'unreachable', `${capitalized(who)} could not be reached (${networkReason(error)}).`);
    }
  }
}

/**
 * The body, or `undefined` when it is longer than `limit` and `strict` (a successful answer
 * must fit whole); an error body is just cut.
 */
async function readBody(response: Response, limit: number, strict: boolean): Promise<Buffer | undefined> {
  const declared = Number(response.headers.get('content-length'));
  if (strict && Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel();
    return undefined;
  }
  if (!response.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      if (strict) return undefined;
      chunks.push(Buffer.from(value.subarray(0, value.byteLength - (size - limit))));
      break;
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

/** The cause of a failed fetch as a short phrase: `connection refused`, `ENOTFOUND registry.example.org`. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string; hostname?: string } })?.cause;
  const code = cause?.code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `the name ${cause?.hostname ?? ''} does not resolve`.replace(/ {2}/, ' ');
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'the connection was reset';
  if (code && /CERT|SSL|TLS|SELF_SIGNED/i.test(code)) return `TLS: ${code}`;
  if (code) return code;
  const message = cause?.message ?? (error as Error)?.message ?? String(error);
  return message.split('\n')[0]!.slice(0, 120);
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
