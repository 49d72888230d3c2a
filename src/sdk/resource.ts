/**
 * What every resource class shares: argument checks, the wire conventions of the reference
 * server (wrapped bodies, parent ids in bodies, JSON-string fields, client-chosen ids) and
 * the five verbs. Resource files only declare paths and types.
 */
import type { Marketplace } from './client.js';
import { APIError, InvalidArgumentError } from './errors.js';
import { PagePromise, type ListParams } from './pagination.js';
import type { HttpMethod, Query, RequestOptions } from './transport.js';
import { FileResponse, multipart, type Uploadable } from './uploads.js';
import { randomUUID } from '../runtime.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Checks an id before it goes into a path: a clear error here beats a 404 (or a path trick). */
export function uuid(name: string, value: unknown): string {
  if (typeof value !== 'string' || !UUID.test(value)) {
    const shown = typeof value === 'string' ? `"${value.length > 60 ? `${value.slice(0, 60)}…` : value}"` : String(value);
    throw new InvalidArgumentError(name, `${name} must be a UUID, got ${shown}.`);
  }
  return value.toLowerCase();
}

/** Checks that required text fields are present and not blank. */
export function requireText(params: object | undefined, fields: readonly string[], what: string): void {
  if (!params || typeof params !== 'object') {
    throw new InvalidArgumentError(what, `${what} needs an object of fields, got ${params === null ? 'null' : typeof params}.`);
  }
  for (const field of fields) {
    const value = (params as Record<string, unknown>)[field];
    if (typeof value !== 'string' || !value.trim()) {
      throw new InvalidArgumentError(field, `${what} needs a non-empty ${field}.`);
    }
  }
}

export interface ResourceShape {
  /** The body's root key, e.g. `product` for `{"product": {...}}`. */
  root: string;
  /** Fields whose JSON values travel as JSON-encoded strings (the reference server permits only scalars). */
  jsonFields?: readonly string[];
  /** Fields sent as JSON objects but that a server may still return as JSON strings. */
  objectFields?: readonly string[];
}

type Attrs = object;

export abstract class APIResource {
  constructor(protected readonly client: Marketplace) {}

  /**
   * An index. `via: 'POST'` sends the parameters as a JSON body (the `/search` endpoints).
   * Give the path as a function when it checks ids, so a bad id rejects like any other error
   * instead of throwing before a promise exists.
   */
  protected _list<T>(
    path: string | (() => string),
    params: ListParams | undefined,
    options: RequestOptions | undefined,
    extra: { shape?: ResourceShape; via?: 'GET' | 'POST' } = {},
  ): PagePromise<T> {
    const { page, perPage, ...rest } = (params ?? {}) as ListParams & Query;
    const query: Query = { ...rest, per_page: perPage };
    const shape = extra.shape;
    return new PagePromise<T>(
      async (pageNumber, signal) =>
        this.client._list(extra.via ?? 'GET', typeof path === 'function' ? path() : path, { ...query, page: pageNumber }, withSignal(options, signal)),
      page,
      shape?.jsonFields || shape?.objectFields ? (item) => decode(item, shape) as T : undefined,
    );
  }

  protected async _retrieve<T>(path: string, options: RequestOptions | undefined, shape?: ResourceShape): Promise<T> {
    return decode(await this.client._json('GET', path, { options }), shape) as T;
  }

  /**
   * Creates with a client-chosen UUID (the spec allows it) so a retried POST cannot make a
   * second record. Parent ids go into the body because the reference server ignores the URL's.
   */
  protected async _create<T>(path: string, shape: ResourceShape, attrs: Attrs, parents: Attrs, options: RequestOptions | undefined): Promise<T> {
    const body = { ...encode(attrs, shape), ...parents } as Record<string, unknown>;
    body.id = body.id === undefined ? randomUUID() : uuid('id', body.id);
    const member = `${path}/${body.id as string}`;
    const created = await this.client
      ._json('POST', path, { body: { [shape.root]: body }, options, idempotent: true })
      .catch((error: unknown) => this.createdAnyway(member, error, options, shape));
    // Some servers answer a create with nothing: read the record back.
    if (!created || typeof created !== 'object') return this._retrieve<T>(member, options, shape);
    return decode(created, shape) as T;
  }

  /**
   * A create can fail after the row was saved: the reference server renders some records
   * with a 500 after inserting them, and a retried POST then meets "has already been
   * taken". Since the id is ours, look: if the record exists, the create succeeded.
   */
  private async createdAnyway(member: string, error: unknown, options: RequestOptions | undefined, shape: ResourceShape): Promise<unknown> {
    const ambiguous = error instanceof APIError && (error.status >= 500 || error.status === 409 || error.status === 422);
    if (!ambiguous) throw error;
    const existing = await this._retrieve<unknown>(member, options, shape).catch(() => undefined);
    if (existing && typeof existing === 'object') return existing;
    throw error;
  }

  protected async _update<T>(path: string, shape: ResourceShape, attrs: Attrs, options: RequestOptions | undefined): Promise<T> {
    const updated = await this.client._json('PATCH', path, { body: { [shape.root]: encode(attrs, shape) }, options });
    if (!updated || typeof updated !== 'object') return this._retrieve<T>(path, options, shape);
    return decode(updated, shape) as T;
  }

  /** The deleted record when the server returns it (200), `null` when it says nothing (204). */
  protected async _delete<T>(path: string, options: RequestOptions | undefined, shape?: ResourceShape): Promise<T | null> {
    const deleted = await this.client._json('DELETE', path, { options });
    return deleted && typeof deleted === 'object' ? (decode(deleted, shape) as T) : null;
  }

  /** A POST that is an action rather than a create (publish, enable, search...). */
  protected async _action<T>(method: HttpMethod, path: string, options: RequestOptions | undefined, extra: { body?: unknown; query?: Query; idempotent?: boolean; shape?: ResourceShape } = {}): Promise<T> {
    const result = await this.client._json(method, path, { body: extra.body, query: extra.query, options, idempotent: extra.idempotent });
    return decode(result, extra.shape) as T;
  }

  protected async _upload<T>(method: 'POST' | 'PUT' | 'PATCH', path: string, shape: ResourceShape, fields: Attrs, files: Record<string, Uploadable>, options: RequestOptions | undefined): Promise<T> {
    const form = multipart(shape.root, encode(fields, shape), files);
    const id = (fields as { id?: unknown }).id;
    const result = await this.client._json(method, path, { body: form, options, idempotent: method !== 'POST' || id !== undefined });
    if (result && typeof result === 'object') return decode(result, shape) as T;
    // Nothing came back: read the record (a POST made it at `path/id`).
    if (method === 'POST' && typeof id !== 'string') throw new InvalidArgumentError('id', 'A multipart create needs a client id to read its record back.');
    return this._retrieve<T>(method === 'POST' ? `${path}/${id as string}` : path, options, shape);
  }

  protected async _download(path: string, options: RequestOptions | undefined): Promise<FileResponse> {
    return new FileResponse(await this.client._stream(path, options));
  }
}

/** The caller's options with a page requested ahead's own signal joined to theirs. */
function withSignal(options: RequestOptions | undefined, signal: AbortSignal | undefined): RequestOptions | undefined {
  if (!signal) return options;
  return { ...options, signal: options?.signal ? AbortSignal.any([options.signal, signal]) : signal };
}

function encode(attrs: Attrs, shape: ResourceShape): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined) continue;
    out[key] = shape.jsonFields?.includes(key) && value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
  }
  return out;
}

/** JSON fields may come back as strings from some servers; callers always get objects. */
function decode(item: unknown, shape: ResourceShape | undefined): unknown {
  const fields = [...(shape?.jsonFields ?? []), ...(shape?.objectFields ?? [])];
  if (!fields.length || !item || typeof item !== 'object') return item;
  const record = item as Record<string, unknown>;
  for (const field of fields) {
    const value = record[field];
    if (typeof value === 'string' && /^\s*[[{]/.test(value)) {
      try {
        record[field] = JSON.parse(value);
      } catch {
        // Leave a malformed value as the server sent it.
      }
    }
  }
  return item;
}
