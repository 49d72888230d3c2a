/**
 * The embedded database runs in a worker thread that the server ends and replaces when a query
 * outlives its time limit (src/server/db/pglite.ts). What that must not change: committed data
 * survives the replacement, in a data directory and in the "in-memory" database (a private
 * temporary directory); values and PostgreSQL's error fields cross the thread as they were; a
 * transaction left idle cannot hold everyone else. PGlite only, so not repeated on PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { QueryTimeoutError } from '../../../src/server/db/database.js';
import { openPGlite } from '../../../src/server/db/pglite.js';
import { createMarketplaceServer, type MarketplaceServer } from '../../../src/server/index.js';
import { marketplaceHandle } from '../../helpers/marketplace.js';
import { onPGlite } from '../../helpers/skips.js';

const LIMIT_MS = 1500;
const EXPENSIVE = 'SELECT count(*) FROM generate_series(1, 1e10)';

onPGlite.describe('the embedded database in its worker thread', () => {
  let tmp: string;
  let server: MarketplaceServer;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hsp-embedded-worker-test-'));
    server = await createMarketplaceServer({ port: 0, memory: true, config: { queryTimeoutMs: LIMIT_MS } });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it('keeps committed data in a data directory when a query is cancelled, and after a restart', { timeout: 120_000 }, async () => {
    const dataDir = join(tmp, 'marketplace');
    const first = await createMarketplaceServer({ port: 0, dataDir, config: { queryTimeoutMs: LIMIT_MS } });
    let id: string;
    try {
      const admin = marketplaceHandle(first).admin;
      id = (await admin.products.create({ name: 'Kept through a cancel' })).id;
      await expect(first.db.query(EXPENSIVE)).rejects.toBeInstanceOf(QueryTimeoutError);
      // The new worker recovered the directory: the product is there, and writes go on.
      await expect(admin.products.retrieve(id)).resolves.toMatchObject({ name: 'Kept through a cancel' });
      await admin.products.update(id, { description: 'Written after the cancel' });
    } finally {
      await first.close();
    }
    const second = await createMarketplaceServer({ port: 0, dataDir });
    try {
      const { rows } = await second.db.query<{ name: string; description: string }>('SELECT name, description FROM products WHERE id = $1', [id]);
      expect(rows).toEqual([{ name: 'Kept through a cancel', description: 'Written after the cancel' }]);
    } finally {
      await second.close();
    }
  });

  it('keeps an in-memory database in a private temporary directory, through a cancel, removed on close', { timeout: 120_000 }, async () => {
    const scratch = join(tmp, 'TMPDIR');
    await mkdir(scratch);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    let memory: MarketplaceServer;
    try {
      memory = await createMarketplaceServer({ port: 0, memory: true, config: { queryTimeoutMs: LIMIT_MS } });
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    const databases = async () => (await readdir(scratch)).filter((name) => name.startsWith('hsp-pglite-'));
    try {
      const [dir] = await databases();
      expect(dir).toBeDefined();
      expect((await stat(join(scratch, dir!))).mode & 0o777).toBe(0o700);

      const admin = marketplaceHandle(memory).admin;
      const { id } = await admin.products.create({ name: 'Kept in memory' });
      await expect(memory.db.query(EXPENSIVE)).rejects.toBeInstanceOf(QueryTimeoutError);
      await expect(admin.products.retrieve(id)).resolves.toMatchObject({ name: 'Kept in memory' });
    } finally {
      await memory.close();
    }
    expect(await databases()).toEqual([]);
  });

  it('runs the requests sent to the worker behind a cancelled query exactly once, on the new worker', { timeout: 60_000 }, async () => {
    // Sent at once, they go to the worker ahead of time, behind the query that never ends.
    const batch = randomUUID();
    const expensive = server.db.query(EXPENSIVE).catch((e: unknown) => e);
    const writes = Array.from({ length: 10 }, (_, i) => server.db.query(`INSERT INTO settings (key, value) VALUES ($1, 'written once')`, [`${batch}-${i}`]));
    expect(await expensive).toBeInstanceOf(QueryTimeoutError);
    await Promise.all(writes);
    const { rows } = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM settings WHERE key LIKE $1', [`${batch}-%`]);
    expect(rows[0]!.n).toBe(10);
  });

  it('refuses a damaged snapshot with an error, and leaves no directory behind', { timeout: 60_000 }, async () => {
    const scratch = join(tmp, 'TMPDIR-damaged');
    await mkdir(scratch);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    try {
      await expect(openPGlite({ snapshot: new Blob([Buffer.from('not a tarball at all')]) })).rejects.toThrow();
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(await readdir(scratch)).toEqual([]);
  });

  it('carries values across the thread as they were', async () => {
    const at = new Date('2024-02-03T04:05:06.789Z');
    // A Buffer that is a view of a larger one, as Node's small Buffers are.
    const bytes = Buffer.from([9, 9, 0, 1, 2, 254, 255, 9]).subarray(2, 7);
    const { rows } = await server.db.query<Record<string, unknown>>(
      `SELECT $1::bytea AS bytes, $2::timestamptz AS at, $3::jsonb AS doc, $4::text[] AS list, 42::int8 AS count,
              NULL::text AS nothing, true AS yes, 1.5::float8 AS ratio`,
      [bytes, at, JSON.stringify({ a: [1, 'b', null] }), ['x', 'y']],
    );
    const row = rows[0]!;
    expect(row.bytes).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(row.bytes as Uint8Array)).toEqual(Buffer.from([0, 1, 2, 254, 255]));
    expect(row).toMatchObject({ at, doc: { a: [1, 'b', null] }, list: ['x', 'y'], count: 42, nothing: null, yes: true, ratio: 1.5 });

    // A large file (a build asset) goes and comes back whole, in well under the time limit.
    const asset = Buffer.alloc(5 * 1024 * 1024, 7);
    const key = randomUUID();
    await server.db.query('CREATE TEMP TABLE IF NOT EXISTS h1_files (key text PRIMARY KEY, data bytea)');
    await server.db.query('INSERT INTO h1_files VALUES ($1, $2)', [key, asset]);
    const stored = await server.db.query<{ data: Uint8Array; size: number }>('SELECT data, length(data) AS size FROM h1_files WHERE key = $1', [key]);
    expect(stored.rows[0]!.size).toBe(asset.length);
    expect(Buffer.compare(Buffer.from(stored.rows[0]!.data), asset)).toBe(0);
  });

  it('keeps the PostgreSQL fields of an error (code, constraint, detail, column)', async () => {
    const key = `duplicate-${randomUUID()}`;
    await server.db.query(`INSERT INTO settings (key, value) VALUES ($1, 'first')`, [key]);
    const duplicate = await server.db.query(`INSERT INTO settings (key, value) VALUES ($1, 'second')`, [key]).catch((e: unknown) => e);
    expect(duplicate).toBeInstanceOf(Error);
    expect(duplicate).toMatchObject({ code: '23505', constraint: 'settings_pkey', detail: `Key (key)=(${key}) already exists.` });
    const missing = await server.db.query('INSERT INTO settings (key) VALUES ($1)', [`missing-${randomUUID()}`]).catch((e: unknown) => e);
    expect(missing).toMatchObject({ code: '23502', column: 'value', table: 'settings' });
  });

  it('rolls back a transaction left idle past the limit, so the requests behind it go on', { timeout: 60_000 }, async () => {
    const key = `idle-${randomUUID()}`;
    const started = performance.now();
    const idle = server.db
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO settings (key, value) VALUES ($1, 'never committed')`, [key]);
        await sleep(LIMIT_MS * 3);
        await tx.query('SELECT 1');
      })
      .then(
        () => ({ error: undefined, at: performance.now() - started }),
        (error: unknown) => ({ error, at: performance.now() - started }),
      );
    await sleep(100);
    await server.db.query('SELECT 1');
    const servedAt = performance.now() - started;

    const { error, at } = await idle;
    expect(error).toMatchObject({
      code: '25P03',
      message: 'A database transaction stayed open without a query for longer than 1.5 s, so it was rolled back.',
    });
    // Served after the limit, and before the transaction's work even woke up again.
    expect(servedAt).toBeGreaterThanOrEqual(LIMIT_MS);
    expect(servedAt).toBeLessThan(at);
    const { rows } = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM settings WHERE key = $1', [key]);
    expect(rows[0]!.n).toBe(0);
  });
});
