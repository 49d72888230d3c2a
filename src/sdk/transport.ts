/**
 * HTTP transport: the global `fetch` driven by an undici dispatcher, with auth, retries,
 * timeouts, cancellation and a redacting debug trace. Resources never see `fetch`.
 */
import type { Dispatcher } from 'undici';
import { environment, nodeVersion, randomInt, unref } from '../runtime.js';
import { VERSION } from '../version.js';
import { connectionError, mayBeTlsServer, speaksTls } from './connection-failure.js';
import {
  AbortError,
  APIError,
  ConnectionError,
  HspError,
  InvalidArgumentError,
  InvalidResponseError,
  TimeoutError,
} from './errors.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number | boolean)[];
export type Query = Record<string, QueryValue>;

/** Supplies the bearer token. Called before every attempt, so a refreshed token is picked up. */
export type TokenProvider = (context: { forceRefresh: boolean }) => Promise<string | undefined> | string | undefined;

export interface RequestTrace {
  method: string;
  url: string;
  attempt: number;
  /** Request headers with the `Authorization` value redacted. */
  headers: Record<string, string>;
}

export interface ResponseTrace extends RequestTrace {
  status: number;
  durationMs: number;
  /** Set when the attempt will be retried, with the delay before the next one. */
  retryInMs?: number;
}

export interface TransportOptions {
  baseUrl: string;
  token?: string;
  tokenProvider?: TokenProvider;
  maxRetries?: number;
  timeoutMs?: number;
  dispatcher?: Dispatcher;
  userAgent?: string;
  onRequest?: (trace: RequestTrace) => void;
  onResponse?: (trace: ResponseTrace) => void;
}

export interface RequestOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  maxRetries?: number;
  headers?: Record<string, string>;
}

export interface TransportRequest extends RequestOptions {
  method: HttpMethod;
  path: string;
  query?: Query;
  /** A JSON value, or a FormData for multipart uploads. */
  body?: unknown;
  /** Safe to repeat. Defaults by method; POST creates carrying a client id set it. */
  idempotent?: boolean;
}

export interface TransportResponse<T = unknown> {
  status: number;
  headers: Headers;
  data: T;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_RETRIES = 2;
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 8_000;
/** A server asking us to wait longer than this is treated as "not now": we give up instead. */
const MAX_RETRY_AFTER_MS = 60_000;
const IDEMPOTENT_METHODS = new Set<HttpMethod>(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']);
const RETRY_STATUSES = new Set([408, 409, 429]);
const SECRET_QUERY_KEYS = /^(jwt|token|access_token|id_token|refresh_token|code|client_secret|password)$/i;

export class Transport {
  readonly baseUrl: URL;
  private readonly options: TransportOptions;
  private readonly ownsDispatcher: boolean;
  private dispatcherInstance: Promise<Dispatcher | undefined> | undefined;
  /** The dispatcher once known, so that later requests need not wait for a promise. */
  private dispatcherKnown: { value: Dispatcher | undefined } | undefined;
  private readonly userAgent: string;
  /** The base URL without its trailing slash, the start of every request's URL. */
  private readonly base: string;

  constructor(options: TransportOptions) {
    this.options = options;
    this.baseUrl = parseBaseUrl(options.baseUrl);
    this.base = this.baseUrl.href.replace(/\/$/, '');
    this.dispatcherInstance = options.dispatcher ? Promise.resolve(options.dispatcher) : undefined;
    this.ownsDispatcher = !options.dispatcher;
    const ours = `hsp/${VERSION}${nodeVersion ? ` node/${nodeVersion}` : ''}`;
    this.userAgent = options.userAgent ? `${options.userAgent} ${ours}` : ours;
  }

  /**
   * The caller's dispatcher, or the environment's proxy when one is set, made on first use.
   * Otherwise none: the global fetch's own keep-alive pool, which costs no module load (undici
   * from npm takes longer to import than a whole CLI command should).
   */
  private dispatcher(): Promise<Dispatcher | undefined> {
    this.dispatcherInstance ??= defaultDispatcher();
    return this.dispatcherInstance;
  }

  private async knownDispatcher(): Promise<Dispatcher | undefined> {
    const value = await this.dispatcher();
    this.dispatcherKnown = { value };
    return value;
  }

  url(path: string, query?: Query): URL {
    if (!path.startsWith('/')) path = `/${path}`;
    const search = encodeQuery(query);
    // One parse of the whole URL: setting `url.search` afterwards parses it again, which cost
    // more than anything else the SDK does per request. A path with a fragment needs the setter.
    if (!search) return new URL(this.base + path);
    if (path.includes('#')) {
      const url = new URL(this.base + path);
      url.search = url.search ? `${url.search}&${search}` : search;
      return url;
    }
    const separator = !path.includes('?') ? '?' : path.endsWith('?') ? '' : '&';
    return new URL(`${this.base}${path}${separator}${search}`);
  }

  /** Sends a request and parses its JSON answer; errors come back as typed `HspError`s. */
  async request<T = unknown>(req: TransportRequest): Promise<TransportResponse<T>> {
    const response = await this.send(req);
    const text = await readText(response.res, response.finish, `${req.method} ${req.path}`);
    return { status: response.res.status, headers: response.res.headers, data: parseJson(text, req, response.res) as T };
  }

  /** Like `request`, but hands back the open response for streaming downloads. */
  async stream(req: TransportRequest): Promise<Response> {
    const { res, finish } = await this.send(req);
    finish();
    return res;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher && this.dispatcherInstance) {
      const dispatcher = await this.dispatcherInstance;
      this.dispatcherInstance = undefined;
      this.dispatcherKnown = undefined;
      await dispatcher?.close();
    }
  }

  private async send(req: TransportRequest): Promise<{ res: Response; finish: () => void }> {
    const url = this.url(req.path, req.query);
    const { onRequest, onResponse } = this.options;
    const dispatcher = this.dispatcherKnown ? this.dispatcherKnown.value : await this.knownDispatcher();
    let redacted: string | undefined;
    // Only errors and traces show the URL: redact it when one of them needs it.
    const shown = () => (redacted ??= redactUrl(url));
    const maxRetries = req.maxRetries ?? this.options.maxRetries ?? DEFAULT_MAX_RETRIES;
    const timeoutMs = req.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const idempotent = req.idempotent ?? IDEMPOTENT_METHODS.has(req.method);
    let refreshedToken: string | undefined;

    for (let attempt = 1; ; attempt++) {
      throwIfAborted(req.signal);
      const token = refreshedToken ?? (this.options.tokenProvider ? await this.token(false) : this.options.token);
      const headers = this.headers(req, token);
      // Traces are built only for a listener: this loop is the hot path of every page.
      const trace: RequestTrace | undefined =
        onRequest || onResponse ? { method: req.method, url: shown(), attempt, headers: redactHeaders(headers) } : undefined;
      if (trace) onRequest?.(trace);

      const started = performance.now();
      const deadline = new Deadline(timeoutMs, req.signal);
      let res: Response;
      try {
        res = await fetch(url, {
          method: req.method,
          headers,
          body: encodeBody(req.body),
          signal: deadline.signal,
          // `dispatcher` is undici's extension to fetch's init; Node's fetch honours it.
          dispatcher,
        } as unknown as RequestInit);
      } catch (error) {
        deadline.clear();
        let failure: HspError = deadline.explain(error, req, shown(), timeoutMs) ?? connectionError(error, url, this.baseUrl);
        // A server that hangs up on plain HTTP may want TLS: one handshake tells (not through a
        // proxy or the caller's dispatcher, where the connection that failed was not the server's).
        if (failure instanceof ConnectionError && !dispatcher && mayBeTlsServer(error, url) && (await speaksTls(url))) {
          failure = connectionError(error, url, this.baseUrl, true);
        }
        const hopeless = failure instanceof AbortError || (failure instanceof ConnectionError && failure.tls);
        if (hopeless || !idempotent || attempt > maxRetries) throw failure;
        const delay = backoff(attempt);
        if (trace) onResponse?.({ ...trace, status: 0, durationMs: performance.now() - started, retryInMs: delay });
        await sleep(delay, req.signal);
        continue;
      }

      const durationMs = performance.now() - started;
      if (res.status === 401 && token && this.options.tokenProvider && refreshedToken === undefined) {
        // One chance for the provider to refresh an expired token before we give up.
        const fresh = await this.token(true);
        if (fresh && fresh !== token) {
          refreshedToken = fresh;
          if (trace) onResponse?.({ ...trace, status: res.status, durationMs, retryInMs: 0 });
          await discard(res);
          deadline.clear();
          continue;
        }
      }

      if (res.ok) {
        if (trace) onResponse?.({ ...trace, status: res.status, durationMs });
        return { res, finish: () => deadline.clear() };
      }

      const retryDelay = idempotent && attempt <= maxRetries ? retryDelayFor(res, attempt) : undefined;
      if (trace) onResponse?.({ ...trace, status: res.status, durationMs, retryInMs: retryDelay });
      if (retryDelay !== undefined) {
        await discard(res);
        deadline.clear();
        await sleep(retryDelay, req.signal);
        continue;
      }
      const text = await readText(res, () => deadline.clear(), `${req.method} ${pathOnly(shown())}`);
      throw APIError.from({ status: res.status, body: parseLenient(text), method: req.method, url: shown(), headers: res.headers });
    }
  }

  /** The bearer token the next request would send. */
  async token(forceRefresh: boolean): Promise<string | undefined> {
    if (this.options.tokenProvider) {
      try {
        return (await this.options.tokenProvider({ forceRefresh })) ?? this.options.token;
      } catch (error) {
        if (error instanceof HspError) throw error;
        throw new HspError(`Could not obtain an access token: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      }
    }
    return this.options.token;
  }

  private headers(req: TransportRequest, token: string | undefined): Record<string, string> {
    const headers: Record<string, string> = { accept: 'application/json' };
    // A browser sends its own, and a page may not replace it: there it would only cost a
    // CORS preflight that names an extra header.
    if (nodeVersion) headers['user-agent'] = this.userAgent;
    if (req.body !== undefined && !(req.body instanceof FormData)) headers['content-type'] = 'application/json';
    if (token) headers.authorization = `Bearer ${token}`;
    for (const [name, value] of Object.entries(req.headers ?? {})) headers[name.toLowerCase()] = value;
    return headers;
  }
}

async function defaultDispatcher(): Promise<Dispatcher | undefined> {
  const env = environment();
  const proxied = env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy;
  if (!proxied) return undefined;
  // No `connect.ca` here on purpose: passing one would make Node ignore NODE_EXTRA_CA_CERTS.
  const { EnvHttpProxyAgent } = await import('undici');
  return new EnvHttpProxyAgent({ keepAliveTimeout: 10_000 });
}

function parseBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError('baseUrl', `The marketplace URL "${raw}" is not a valid URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgumentError('baseUrl', `The marketplace URL must start with http:// or https://, got "${raw}".`);
  }
  url.search = '';
  url.hash = '';
  return url;
}

/** Query strings as Rails reads them: arrays become comma lists, `null`/`undefined` are left out. */
export function encodeQuery(query: Query | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue;
    const text = Array.isArray(value) ? value.join(',') : String(value);
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  }
  return parts.join('&');
}

function encodeBody(body: unknown): string | FormData | undefined {
  if (body === undefined) return undefined;
  if (body instanceof FormData) return body;
  return JSON.stringify(body);
}

function redactHeaders(headers: Record<string, string>): Record<string, string> {
  const shown = { ...headers };
  if (shown.authorization) shown.authorization = shown.authorization.replace(/^(\S+\s+).*$/, '$1[REDACTED]');
  return shown;
}

export function redactUrl(url: URL): string {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  for (const key of [...copy.searchParams.keys()]) {
    if (SECRET_QUERY_KEYS.test(key)) copy.searchParams.set(key, '[REDACTED]');
  }
  return copy.href;
}

/**
 * One attempt's time budget joined with the caller's signal, able to tell which one fired.
 * A plain controller and an unref'd timer, cleared once the answer is read (a download's once
 * its headers are in, so a large body is not cut off). Not `AbortSignal.timeout` nor
 * `AbortSignal.any`: on Node 20 those cost 20–80 µs per request (transferable signals, weak
 * references), the largest part of the SDK's overhead over a bare fetch loop.
 */
class Deadline {
  readonly signal: AbortSignal;
  private readonly timer: NodeJS.Timeout;
  private readonly onCallerAbort: (() => void) | undefined;

  constructor(
    ms: number,
    private readonly caller: AbortSignal | undefined,
  ) {
    const controller = new AbortController();
    this.signal = controller.signal;
    this.timer = unref(setTimeout(() => controller.abort(new DOMException('timed out', 'TimeoutError')), ms));
    if (caller) {
      this.onCallerAbort = () => controller.abort(caller.reason);
      caller.addEventListener('abort', this.onCallerAbort, { once: true });
    }
  }

  /** Stops the clock (downloads, once their headers are in). */
  clear(): void {
    clearTimeout(this.timer);
    if (this.onCallerAbort) this.caller?.removeEventListener('abort', this.onCallerAbort);
  }

  /** The abort or timeout this attempt ended with, or `undefined` when neither fired (the network failed). */
  explain(error: unknown, req: TransportRequest, url: string, timeoutMs: number): AbortError | TimeoutError | undefined {
    if (this.caller?.aborted) return new AbortError(`${req.method} ${pathOnly(url)} was aborted.`, { cause: error });
    if (this.signal.aborted && (this.signal.reason as Error | undefined)?.name === 'TimeoutError') {
      return new TimeoutError(`${req.method} ${pathOnly(url)} timed out after ${formatMs(timeoutMs)}.`, { cause: error });
    }
    return undefined;
  }
}

async function readText(res: Response, finish: () => void, what: string): Promise<string> {
  try {
    return await res.text();
  } catch (error) {
    throw new ConnectionError(`The response to ${what} was cut off before it ended.`, undefined, { cause: error });
  } finally {
    finish();
  }
}

function parseJson(text: string, req: TransportRequest, res: Response): unknown {
  if (res.status === 204 || text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    const contentType = res.headers.get('content-type') ?? 'no content type';
    const what = /json/i.test(contentType) ? 'incomplete or malformed JSON' : `${contentType} instead of JSON`;
    const url = redactUrl(new URL(res.url || 'http://unknown/'));
    throw new InvalidResponseError(
      `${req.method} ${pathOnly(url)} returned HTTP ${res.status} with ${what}.`,
      res.status,
      req.method,
      url,
      text.slice(0, 2000),
    );
  }
}

function parseLenient(text: string): unknown {
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads an unwanted (small, error) body to the end so its keep-alive connection can be reused. */
async function discard(res: Response): Promise<void> {
  try {
    await res.arrayBuffer();
  } catch {
    // Nothing to do: the body is unwanted either way.
  }
}

function retryDelayFor(res: Response, attempt: number): number | undefined {
  if (!(RETRY_STATUSES.has(res.status) || res.status >= 500)) return undefined;
  const requested = retryAfterMs(res.headers);
  if (requested === undefined) return backoff(attempt);
  return requested <= MAX_RETRY_AFTER_MS ? requested : undefined;
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110), plus the common `retry-after-ms`. */
export function retryAfterMs(headers: Headers, now = Date.now()): number | undefined {
  const ms = headers.get('retry-after-ms');
  if (ms && /^\d+(\.\d+)?$/.test(ms.trim())) return Math.ceil(Number(ms));
  const value = headers.get('retry-after')?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full-jitter exponential backoff: uniform in [0, min(cap, base·2^(attempt-1))]. */
export function backoff(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return randomInt(0, ceiling + 1);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortError('The request was aborted while waiting to retry.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError('The request was aborted before it was sent.');
}

function pathOnly(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
