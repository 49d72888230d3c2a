/**
 * The SDK's error hierarchy. Every failure a caller can meet is one of these, with a
 * `message` that is one readable sentence (server text included, secrets never).
 */

export class HspError extends Error {
  override name = 'HspError';
}

/** A caller passed something the SDK can tell is wrong before any request is made. */
export class InvalidArgumentError extends HspError {
  override name = 'InvalidArgumentError';
  constructor(
    readonly argument: string,
    message: string,
  ) {
    super(message);
  }
}

/** The network failed: DNS, refused connection, reset, TLS. */
export class ConnectionError extends HspError {
  override name = 'ConnectionError';
  /**
   * The server answered, but not in TLS as asked (or in TLS when plain HTTP was asked), or with
   * a certificate this machine does not accept: the message names the remedy, and retrying
   * cannot help.
   */
  readonly tls: boolean;
  constructor(
    message: string,
    readonly code?: string,
    options?: { cause?: unknown; tls?: boolean },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.tls = options?.tls ?? false;
  }
}

/** The request did not finish within its time budget. */
export class TimeoutError extends HspError {
  override name = 'TimeoutError';
}

/** The caller's own AbortSignal fired. */
export class AbortError extends HspError {
  override name = 'AbortError';
}

/** A successful status with a body that is not the JSON it should be (truncated, HTML, ...). */
export class InvalidResponseError extends HspError {
  override name = 'InvalidResponseError';
  constructor(
    message: string,
    readonly status: number,
    readonly method: string,
    readonly url: string,
    readonly bodyText: string,
  ) {
    super(message);
  }
}

export interface APIErrorInit {
  status: number;
  body: unknown;
  method: string;
  url: string;
  headers?: Headers;
}

/** The server answered with a non-success status. */
export class APIError extends HspError {
  override name = 'APIError';
  readonly status: number;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  readonly body: unknown;
  readonly method: string;
  /** The request URL, with secret-bearing query parameters redacted. */
  readonly url: string;
  readonly headers: Headers;
  /** The server's own explanation, when it gave one. */
  readonly serverMessage: string | undefined;

  constructor(init: APIErrorInit) {
    const serverMessage = describeBody(init.body);
    super(sentence(init.status, init.method, init.url, serverMessage));
    this.status = init.status;
    this.body = init.body;
    this.method = init.method;
    this.url = init.url;
    this.headers = init.headers ?? new Headers();
    this.serverMessage = serverMessage;
  }

  /** The most specific subclass for a status code. */
  static from(init: APIErrorInit): APIError {
    const Class = errorClassFor(init.status);
    return new Class(init);
  }
}

export class BadRequestError extends APIError {
  override name = 'BadRequestError';
}
export class AuthenticationError extends APIError {
  override name = 'AuthenticationError';
}
export class PermissionDeniedError extends APIError {
  override name = 'PermissionDeniedError';
}
export class NotFoundError extends APIError {
  override name = 'NotFoundError';
}
export class NotAcceptableError extends APIError {
  override name = 'NotAcceptableError';
}
export class ConflictError extends APIError {
  override name = 'ConflictError';
}
export class PayloadTooLargeError extends APIError {
  override name = 'PayloadTooLargeError';
}
export class RateLimitError extends APIError {
  override name = 'RateLimitError';
}
export class InternalServerError extends APIError {
  override name = 'InternalServerError';
}

/** 422: the server refused the values. `fieldErrors` is the same shape whatever the server sent. */
export class ValidationError extends APIError {
  override name = 'ValidationError';
  /**
   * Messages per field, e.g. `{ name: ["can't be blank"] }`. Rails' "full messages" array
   * (`["Name can't be blank"]`) names no field reliably, so those land under `base`, the
   * Rails key for record-level errors.
   */
  readonly fieldErrors: Record<string, string[]>;

  constructor(init: APIErrorInit) {
    super(init);
    this.fieldErrors = normaliseFieldErrors(init.body);
  }
}

function errorClassFor(status: number): new (init: APIErrorInit) => APIError {
  switch (status) {
    case 400:
      return BadRequestError;
    case 401:
      return AuthenticationError;
    case 403:
      return PermissionDeniedError;
    case 404:
      return NotFoundError;
    case 406:
      return NotAcceptableError;
    case 409:
      return ConflictError;
    case 413:
      return PayloadTooLargeError;
    case 422:
      return ValidationError;
    case 429:
      return RateLimitError;
    default:
      return status >= 500 ? InternalServerError : APIError;
  }
}

const STATUS_PHRASES: Record<number, string> = {
  400: 'the request was malformed',
  401: 'authentication is required or was refused',
  403: 'permission denied',
  404: 'not found',
  406: 'the server refused the requested content type',
  408: 'the server timed out waiting for the request',
  409: 'conflict',
  413: 'the request body is too large',
  422: 'validation failed',
  429: 'too many requests',
  500: 'internal server error',
  502: 'bad gateway',
  503: 'service unavailable',
  504: 'gateway timeout',
};

function sentence(status: number, method: string, url: string, serverMessage: string | undefined): string {
  const phrase = STATUS_PHRASES[status] ?? (status >= 500 ? 'server error' : 'request failed');
  const where = `${method} ${pathOf(url)}`;
  const detail = serverMessage && serverMessage.toLowerCase() !== phrase ? `: ${serverMessage}` : '';
  return ensurePeriod(`${where} failed with HTTP ${status} (${phrase})${detail}`);
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return url;
  }
}

function ensurePeriod(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

const MAX_DETAIL = 300;

/** One line of human text from any error body a server may send. */
export function describeBody(body: unknown): string | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body === 'string') return describeText(body);
  if (Array.isArray(body)) return clip(body.map(String).join('; ')) || undefined;
  if (typeof body !== 'object') return clip(String(body));
  const record = body as Record<string, unknown>;
  for (const key of ['message', 'error_description', 'error', 'detail']) {
    const value = record[key];
    if (typeof value === 'string' && value.trim()) return clip(value.trim());
  }
  if (record.errors !== undefined) return describeBody(record.errors);
  const fields = normaliseFieldErrors(body);
  const parts = Object.entries(fields).flatMap(([field, messages]) =>
    messages.map((m) => (field === 'base' ? m : `${field} ${m}`)),
  );
  return parts.length ? clip(parts.join('; ')) : undefined;
}

function describeText(text: string): string | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  if (/^<(!doctype|html|\?xml)/i.test(trimmed) || /<\/(html|body|head)>/i.test(trimmed)) {
    const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(trimmed)?.[1]?.trim();
    const h1 = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(trimmed)?.[1]?.replace(/<[^>]+>/g, '').trim();
    return clip(`the server sent an HTML page${title || h1 ? ` titled "${title || h1}"` : ''}`);
  }
  return clip(trimmed.replace(/\s+/g, ' '));
}

function clip(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL - 1)}…` : text;
}

/** Both Rails shapes (`{field: [msg]}` and `["Full message"]`), plus `{errors: ...}` wrappers. */
export function normaliseFieldErrors(body: unknown): Record<string, string[]> {
  if (body === null || body === undefined) return {};
  if (typeof body === 'string') return body.trim() ? { base: [body.trim()] } : {};
  if (Array.isArray(body)) return body.length ? { base: body.map(String) } : {};
  if (typeof body !== 'object') return {};
  const record = body as Record<string, unknown>;
  if ('errors' in record && record.errors && typeof record.errors === 'object') {
    return normaliseFieldErrors(record.errors);
  }
  const out: Record<string, string[]> = {};
  for (const [field, value] of Object.entries(record)) {
    if (field === 'status' || field === 'message' || field === 'error') continue;
    if (Array.isArray(value)) out[field] = value.map(String);
    else if (typeof value === 'string') out[field] = [value];
  }
  if (!Object.keys(out).length && typeof record.message === 'string') out.base = [record.message];
  return out;
}
