/**
 * Lists. Servers answer an index either with the will_paginate envelope
 * `{total_pages, total_entries, previous_page, next_page, current_page, results}` or with a
 * bare JSON array; both become a `Page`. A `PagePromise` is awaited for one page or iterated
 * with `for await` for every item. Iterating asks for the next page as soon as the current one
 * arrives, so that the caller's work on one page and the server's on the next overlap; never
 * more than that one page ahead.
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

/**
 * What a page fetcher gets back: the parsed body of one index request. `signal` is set for a
 * page requested ahead of the caller, aborted when the caller stops iterating.
 */
export type PageFetcher = (page: number | undefined, signal?: AbortSignal) => Promise<unknown>;

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

  /** The next page; `signal` cancels its request. */
  async getNextPage(options: { signal?: AbortSignal } = {}): Promise<Page<T>> {
    if (this.nextPageNumber === null) throw new RangeError('There is no next page; check hasNextPage() first.');
    return Page.fetch(this.fetchPage, this.nextPageNumber, this.mapItem, options.signal);
  }

  /** Every item from this page onwards. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return new ItemIterator(Promise.resolve(this));
  }

  static async fetch<T>(fetchPage: PageFetcher, page: number | undefined, mapItem: ((item: unknown) => T) | undefined, signal?: AbortSignal): Promise<Page<T>> {
    return new Page<T>(await fetchPage(page, signal), fetchPage, page, mapItem);
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
    return this.iterate();
  }

  /** Collects items across pages, stopping after `limit` when given. */
  async toArray(options: { limit?: number } = {}): Promise<T[]> {
    const { limit } = options;
    const out: T[] = [];
    if (limit !== undefined && limit <= 0) return out;
    // The limit is known: no page is asked for ahead once the pages so far hold enough items.
    const items = this.iterate(limit);
    try {
      for (let next = await items.next(); !next.done; next = await items.next()) {
        out.push(next.value);
        if (limit !== undefined && out.length >= limit) break;
      }
    } finally {
      await items.return();
    }
    return out;
  }

  private iterate(wanted?: number): ItemIterator<T> {
    const first = this.load();
    // Drop our reference so pages already iterated can be collected.
    this.first = undefined;
    return new ItemIterator(first, wanted);
  }
}

/**
 * Items across pages, one `next()` per item. Written by hand rather than as nested async
 * generators: each generator layer costs a promise round trip per item, which showed up as
 * the largest overhead over a bare fetch loop.
 *
 * When a page arrives, the one after it is requested at once (prefetch), so that the caller
 * consuming this page and the server answering the next overlap. Bounded: besides the page
 * being read, at most one page is in flight or waiting, so memory stays flat over any number
 * of pages. Stopping early (`break`, `return()`) aborts the page in flight. A page requested
 * ahead that fails is an error of that page: it surfaces when the caller reaches it, after
 * every item before it, and never as an unhandled rejection.
 */
class ItemIterator<T> implements AsyncIterator<T> {
  private page: Page<T> | undefined;
  private index = 0;
  /** The next page, requested while the caller reads this one. */
  private ahead: Promise<Page<T>> | undefined;
  private aheadController: AbortController | undefined;
  /** Items in the pages received so far (to stop prefetching once `wanted` are there). */
  private received = 0;

  constructor(
    private pending: Promise<Page<T>> | undefined,
    /** How many items the caller will take at most, when it says (`toArray({ limit })`). */
    private readonly wanted = Infinity,
  ) {}

  next(): Promise<IteratorResult<T>> {
    // The common case, an item of the page at hand, without an async function's machinery.
    const page = this.page;
    if (page && this.index < page.items.length) return Promise.resolve({ value: page.items[this.index++] as T, done: false });
    return this.advance();
  }

  private async advance(): Promise<IteratorResult<T>> {
    for (;;) {
      if (this.pending) {
        const pending = this.pending;
        this.pending = undefined;
        this.page = await pending;
        this.index = 0;
        this.received += this.page.items.length;
        this.prefetch(this.page);
      }
      const page = this.page;
      if (!page) return { value: undefined, done: true };
      if (this.index < page.items.length) return { value: page.items[this.index++] as T, done: false };
      // This page is used up: let it go, and take the next (already requested, unless the
      // caller's limit was reached).
      this.page = undefined;
      this.pending = this.ahead ?? (page.hasNextPage() ? page.getNextPage() : undefined);
      this.ahead = undefined;
      this.aheadController = undefined;
    }
  }

  private prefetch(page: Page<T>): void {
    if (!page.hasNextPage() || this.received >= this.wanted) return;
    const controller = new AbortController();
    const ahead = page.getNextPage({ signal: controller.signal });
    // Handled here so that a failure (or our own abort) is never an unhandled rejection; the
    // promise itself still rejects for the caller who reaches that page.
    ahead.catch(() => {});
    this.ahead = ahead;
    this.aheadController = controller;
  }

  async return(): Promise<IteratorResult<T>> {
    this.aheadController?.abort();
    this.aheadController = undefined;
    this.ahead = undefined;
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
