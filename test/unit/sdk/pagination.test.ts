import { http, HttpResponse } from 'msw';
import { describe, expect, it } from 'vitest';
import { InvalidResponseError, Marketplace, Page } from '../../../src/index.js';
import { BASE_URL, useMockApi } from '../../helpers/mock-api.js';

const api = useMockApi();

/** The will_paginate envelope, as the reference server sends it. */
function envelope(page: number, perPage: number, total: number) {
  const totalPages = Math.ceil(total / perPage);
  const start = (page - 1) * perPage;
  const results = Array.from({ length: Math.max(0, Math.min(perPage, total - start)) }, (_, i) => ({ id: `p${start + i}`, name: `Product ${start + i}` }));
  return {
    total_pages: totalPages,
    total_entries: total,
    previous_page: page > 1 ? page - 1 : null,
    next_page: page < totalPages ? page + 1 : null,
    current_page: page,
    results,
  };
}

function serveProducts(total: number) {
  api.use(
    http.get(`${BASE_URL}/products`, ({ request }) => {
      const url = new URL(request.url);
      const page = Number(url.searchParams.get('page') ?? 1);
      const perPage = Number(url.searchParams.get('per_page') ?? 30);
      return HttpResponse.json(envelope(page, perPage, total));
    }),
  );
}

const client = () => new Marketplace({ baseUrl: BASE_URL, dialect: 'r2' });

describe('envelope pagination', () => {
  it('awaiting gives one page with its counts', async () => {
    serveProducts(7);
    const page = await client().products.list({ perPage: 2 });
    expect(page).toBeInstanceOf(Page);
    expect(page.items.map((p) => p.id)).toEqual(['p0', 'p1']);
    expect(page.totalEntries).toBe(7);
    expect(page.totalPages).toBe(4);
    expect(page.currentPage).toBe(1);
    expect(page.hasNextPage()).toBe(true);
    expect(api.requests[0]?.query).toEqual({ per_page: '2' });
  });

  it('getNextPage walks forward and stops at the last page', async () => {
    serveProducts(7);
    let page = await client().products.list({ perPage: 2, page: 3 });
    expect(page.currentPage).toBe(3);
    page = await page.getNextPage();
    expect(page.currentPage).toBe(4);
    expect(page.items.map((p) => p.id)).toEqual(['p6']);
    expect(page.hasNextPage()).toBe(false);
    await expect(page.getNextPage()).rejects.toThrow(RangeError);
  });

  it('for await yields every item over 4 pages, fetching at most one page ahead', async () => {
    serveProducts(7);
    const seen: string[] = [];
    const list = client().products.list({ perPage: 2, sort: 'name', order: 'desc' });
    expect(api.requests).toHaveLength(0);
    for await (const product of list) {
      seen.push(product.id);
      // The pages needed so far, and at most the next one (prefetched: pagination-prefetch.test.ts).
      expect(api.requests.length).toBeLessThanOrEqual(Math.floor((seen.length - 1) / 2) + 2);
    }
    expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(api.requests.map((r) => r.query.page ?? '1')).toEqual(['1', '2', '3', '4']);
    expect(api.requests.every((r) => r.query.sort === 'name' && r.query.order === 'desc')).toBe(true);
  });

  it('breaking out early stops fetching', async () => {
    serveProducts(100);
    for await (const product of client().products.list({ perPage: 10 })) {
      if (product.id === 'p12') break;
    }
    // Pages 1 and 2, and page 3 at most (requested ahead while the caller was on page 2, then aborted).
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(api.requests.length).toBeGreaterThanOrEqual(2);
    expect(api.requests.length).toBeLessThanOrEqual(3);
  });

  it('toArray honours a limit', async () => {
    serveProducts(100);
    const items = await client().products.list({ perPage: 10 }).toArray({ limit: 25 });
    expect(items).toHaveLength(25);
    expect(api.requests).toHaveLength(3);
  });

  it('a page past the end is empty, as the reference server answers', async () => {
    serveProducts(7);
    const page = await client().products.list({ perPage: 2, page: 9 });
    expect(page.items).toEqual([]);
    expect(page.hasNextPage()).toBe(false);
  });

  it('stops when a server points next_page backwards instead of looping', async () => {
    api.use(http.get(`${BASE_URL}/products`, () => HttpResponse.json({ ...envelope(1, 2, 7), current_page: 2, next_page: 1 })));
    const items = await client().products.list().toArray();
    expect(items).toHaveLength(2);
    expect(api.requests).toHaveLength(1);
  });
});

describe('bare-array lists', () => {
  it('are one complete page', async () => {
    api.use(http.get(`${BASE_URL}/products`, () => HttpResponse.json([{ id: 'a' }, { id: 'b' }])));
    const page = await client().products.list();
    expect(page.items).toHaveLength(2);
    expect(page.totalEntries).toBe(2);
    expect(page.hasNextPage()).toBe(false);
    expect(await client().products.list().toArray()).toHaveLength(2);
  });
});

describe('not a list', () => {
  it('is an InvalidResponseError', async () => {
    api.use(http.get(`${BASE_URL}/products`, () => HttpResponse.json({ message: 'hello' })));
    await expect(client().products.list()).rejects.toBeInstanceOf(InvalidResponseError);
  });
});
