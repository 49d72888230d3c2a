/**
 * Lists. Servers answer an index either with the will_paginate envelope
 * `{total_pages, total_entries, previous_page, next_page, current_page, results}` or with a
 * bare JSON array; both become a `Page`. A `PagePromise` is awaited for one page or iterated
 * with `for await` for every item, fetching the next page only when the current one is used up.
 */

export interface ListParams {
  /** 1-based page number. */
  page?: number;
  /** Items per page (`per_page` on the wire). */
  perPage?: number;
  /** A field to sort by; servers accept only some (e.g. `name`). */
  sort?: string;
  order?: 'asc' | 'desc';
}

/** What a page fetcher gets back: the parsed body of one index request. */
export type PageFetcher = (page: number | undefined) => Promise<unknown>;

interface Envelope<T> {
  total_pages?: number | null;
  total_entries?: number | null;
  previous_page?: number | null;
  next_page?: number | null;
  current_page?: number | string | null;
  per_page?: number | null;
  results: T[];
}

export class Page<T> {
  readonly items: T[];
  /** Total items across all pages, when the server says. */
  readonly totalEntries: number | undefined;
  readonly totalPages: number | undefined;
  readonly currentPage: number;
  readonly nextPageNumber: number | null;
  readonly previousPageNumber: number | null;

  constructor(
    body: unknown,
    private readonly fetchPage: PageFetcher,
    requestedPage: number | undefined,
    private readonly mapItem: ((item: unknown) => T) | undefined,
  ) {
    if (Array.isArray(body)) {
      this.items = (mapItem ? body.map(mapItem) : body) as T[];
      this.totalEntries = body.length;
      this.totalPages = 1;
      this.currentPage = requestedPage ?? 1;
      this.nextPageNumber = null;
      this.previousPageNumber = null;
      return;
    }
    const envelope = asEnvelope<T>(body);
    this.items = (mapItem ? envelope.results.map(mapItem) : envelope.results) as T[];
    this.currentPage = toInt(envelope.current_page) ?? requestedPage ?? 1;
    this.totalEntries = toInt(envelope.total_entries);
    this.totalPages = toInt(envelope.total_pages);
    this.previousPageNumber = toInt(envelope.previous_page) ?? null;
    this.nextPageNumber = nextOf(envelope, this.currentPage, this.totalPages, this.items.length);
  }

  hasNextPage(): boolean {
    return this.nextPageNumber !== null;
  }

  async getNextPage(): Promise<Page<T>> {
    if (this.nextPageNumber === null) throw new RangeError('There is no next page; check hasNextPage() first.');
    return Page.fetch(this.fetchPage, this.nextPageNumber, this.mapItem);
  }

  /** Every item from this page onwards. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new ItemIterator(Promise.resolve(this));
  }

  static async fetch<T>(fetchPage: PageFetcher, page: number | undefined, mapItem: ((item: unknown) => T) | undefined): Promise<Page<T>> {
    return new Page<T>(await fetchPage(page), fetchPage, page, mapItem);
  }
}

/**
 * The result of `list()`: `await` it for the first page, or `for await` it for every item.
 * Nothing is requested until one of the two happens.
 */
export class PagePromise<T> implements PromiseLike<Page<T>>, AsyncIterable<T> {
  private first: Promise<Page<T>> | undefined;

  constructor(
    private readonly fetchPage: PageFetcher,
    private readonly startPage: number | undefined,
    /** Applied to each item; none means items are used as parsed. */
    private readonly mapItem?: (item: unknown) => T,
  ) {}

  private load(): Promise<Page<T>> {
    this.first ??= Page.fetch(this.fetchPage, this.startPage, this.mapItem);
    return this.first;
  }

  then<R1 = Page<T>, R2 = never>(
    onfulfilled?: ((value: Page<T>) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.load().then(onfulfilled, onrejected);
  }

  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<Page<T> | R> {
    return this.load().catch(onrejected);
  }

  finally(onfinally?: (() => void) | null): Promise<Page<T>> {
    return this.load().finally(onfinally);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    const first = this.load();
    // Drop our reference so pages already iterated can be collected.
    this.first = undefined;
    return new ItemIterator(first);
  }

  /** Collects items across pages, stopping after `limit` when given. */
  async toArray(options: { limit?: number } = {}): Promise<T[]> {
    const out: T[] = [];
    if (options.limit !== undefined && options.limit <= 0) return out;
    for await (const item of this) {
      out.push(item);
      if (options.limit !== undefined && out.length >= options.limit) break;
    }
    return out;
  }
}

/**
 * Items across pages, one `next()` per item. Written by hand rather than as nested async
 * generators: each generator layer costs a promise round trip per item, which showed up as
 * the largest overhead over a bare fetch loop. Only the current page is referenced, so
 * memory stays flat over any number of pages.
 */
class ItemIterator<T> implements AsyncIterator<T> {
  private page: Page<T> | undefined;
  private index = 0;

  constructor(private pending: Promise<Page<T>> | undefined) {}

  async next(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.pending) {
        this.page = await this.pending;
        this.pending = undefined;
        this.index = 0;
      }
      const page = this.page;
      if (!page) return { value: undefined, done: true };
      if (this.index < page.items.length) return { value: page.items[this.index++] as T, done: false };
      this.page = undefined;
      if (page.hasNextPage()) this.pending = page.getNextPage();
    }
  }

  async return(): Promise<IteratorResult<T>> {
    this.page = undefined;
    this.pending = undefined;
    return { value: undefined, done: true };
  }
}

/** True for the body shapes an index may have; anything else is not a list at all. */
export function isListBody(body: unknown): boolean {
  return Array.isArray(body) || listKey(body) !== undefined;
}

function listKey(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  // `results` is the will_paginate envelope; the others tolerate other servers' shapes.
  return ['results', 'data', 'items', 'entries'].find((key) => Array.isArray((body as Record<string, unknown>)[key]));
}

function asEnvelope<T>(body: unknown): Envelope<T> {
  const key = listKey(body);
  if (key === undefined) return { results: [] };
  return { ...(body as object), results: (body as Record<string, T[]>)[key] as T[] };
}

function nextOf<T>(envelope: Envelope<T>, current: number, totalPages: number | undefined, count: number): number | null {
  if ('next_page' in envelope) {
    const next = toInt(envelope.next_page);
    // A server pointing backwards (or at the same page) would loop forever: stop instead.
    return next !== undefined && next > current ? next : null;
  }
  if (totalPages !== undefined) return current < totalPages ? current + 1 : null;
  return count > 0 && envelope.per_page && count >= envelope.per_page ? current + 1 : null;
}

function toInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}
