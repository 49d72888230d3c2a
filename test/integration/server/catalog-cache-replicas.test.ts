/**
 * Two replicas on one PostgreSQL database, each with its cache of anonymous catalogue answers:
 * a write through one empties the other's (the NOTIFY every replica LISTENs to), so no replica
 * goes on serving a catalogue another has changed. Only where a PostgreSQL server is available.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createMarketplaceServer, type MarketplaceServer } from '../../../src/server/index.js';
import { scratchDatabase } from '../../helpers/marketplace.js';
import { onPostgres } from '../../helpers/skips.js';

const baseUrl = process.env.HSP_TEST_DATABASE_URL;
const PAST = '2020-01-01T00:00:00Z';

onPostgres.describe('the catalogue cache of replicas on one PostgreSQL database', () => {
  let dropDatabase: () => Promise<void>;
  let a: MarketplaceServer;
  let b: MarketplaceServer;
  let token: string;

  beforeAll(async () => {
    const scratch = await scratchDatabase(baseUrl!);
    dropDatabase = scratch.dropDatabase;
    a = await createMarketplaceServer({ port: 0, databaseUrl: scratch.databaseUrl, onInternalError: (e) => console.error(e) });
    b = await createMarketplaceServer({ port: 0, databaseUrl: scratch.databaseUrl, onInternalError: (e) => console.error(e) });
    token = a.adminToken!;
  }, 120_000);
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await dropDatabase?.();
  });

  const write = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${a.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
    return (await res.json()) as { id: string };
  };
  const namesOnB = async () => {
    const res = await fetch(`${b.url}/products?per_page=100`, { headers: { accept: 'application/json' } });
    return ((await res.json()) as { results: { name: string }[] }).results.map((p) => p.name);
  };
  /** B answers from its cache: the answer is kept, and asking again costs its database nothing. */
  const cachedOnB = async () => {
    await namesOnB();
    expect(b.context.catalogCache!.size.entries).toBeGreaterThan(0);
  };

  it('a product created, renamed and deleted on one replica shows on the other', async () => {
    await cachedOnB();
    const { id } = await write('POST', '/products', { product: { name: 'Replica cached', published_at: PAST, visible_at: PAST } });
    await vi.waitFor(async () => expect(await namesOnB()).toContain('Replica cached'), { timeout: 5_000, interval: 20 });

    await cachedOnB();
    await write('PATCH', `/products/${id}`, { product: { name: 'Replica cached, renamed' } });
    await vi.waitFor(async () => expect(await namesOnB()).toEqual(['Replica cached, renamed']), { timeout: 5_000, interval: 20 });

    await cachedOnB();
    await write('DELETE', `/products/${id}`);
    await vi.waitFor(async () => expect(await namesOnB()).toEqual([]), { timeout: 5_000, interval: 20 });
  });

  it('a screenshot added on one replica shows in the other replica’s product', async () => {
    const { id } = await write('POST', '/products', { product: { name: 'Replica screenshots', published_at: PAST, visible_at: PAST } });
    const shots = async () => {
      const res = await fetch(`${b.url}/products/${id}`, { headers: { accept: 'application/json' } });
      return ((await res.json()) as { screenshots: unknown[] }).screenshots.length;
    };
    await vi.waitFor(async () => expect(await shots()).toBe(0), { timeout: 5_000, interval: 20 });
    await write('POST', `/products/${id}/screenshots`, { screenshot: { caption: 'Seen on B' } });
    await vi.waitFor(async () => expect(await shots()).toBe(1), { timeout: 5_000, interval: 20 });
  });
});
