/**
 * Every query has a time limit (`queryTimeoutMs`), so no request can hold the database, and
 * with it everyone else: past the limit the query is cancelled with one clear sentence (a 503
 * over HTTP) while `/status` keeps answering, the requests that waited behind it are served,
 * and what was committed stays. PostgreSQL cancels with `statement_timeout`; the embedded
 * database ends the worker thread that runs it and opens the same data again.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { QueryTimeoutError } from '../../../src/server/db/database.js';
import { useMarketplace } from '../../helpers/marketplace.js';
import { onPostgres as postgresOnly } from '../../helpers/skips.js';

const LIMIT_MS = 2000;
const m = useMarketplace({ config: { queryTimeoutMs: LIMIT_MS } });
const onPostgres = !!process.env.HSP_TEST_DATABASE_URL;
/** Minutes of work on either engine: only the limit ends it. */
const EXPENSIVE = 'SELECT count(*) FROM generate_series(1, 1e10)';
const SENTENCE = 'The database took longer than 2 s to answer; the request was cancelled.';

/** Runs `EXPENSIVE` and resolves to its error and when (ms after the start) it came. */
function runExpensive(): Promise<{ error: unknown; at: number }> {
  const started = performance.now();
  return m.server.db.query(EXPENSIVE).then(
    () => ({ error: undefined, at: performance.now() - started }),
    (error: unknown) => ({ error, at: performance.now() - started }),
  );
}

describe('a query past the time limit', () => {
  it('is cancelled with a clear error at the limit, while /status answers', { timeout: 60_000 }, async () => {
    const started = performance.now();
    const expensive = runExpensive();
    await sleep(200);
    const res = await fetch(`${m.url}/status`, { headers: { accept: 'application/json' } });
    const status = (await res.json()) as { message: string; database: { datetime: string | null } };
    const statusAnsweredAt = performance.now() - started;

    const { error, at } = await expensive;
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect(error).toMatchObject({ code: '57014', message: SENTENCE });
    // Ended by the limit, not by finishing: the query alone would run for minutes.
    expect(at).toBeGreaterThanOrEqual(LIMIT_MS - 100);
    expect(at).toBeLessThan(LIMIT_MS + 15_000);

    // /status answered before the query was cancelled, not after it.
    expect(res.status).toBe(200);
    expect(statusAnsweredAt).toBeLessThan(at);
    if (onPostgres) {
      // Another connection of the pool: the database answers at once.
      expect(status.database.datetime).toEqual(expect.any(String));
    } else {
      // The embedded database is busy with the query: /status says so instead of waiting.
      expect(status).toMatchObject({ database: { datetime: null }, message: expect.stringMatching(/database has not answered within 250 ms/) });
    }
  });

  it('leaves the requests that waited behind it served, once each, and what was committed intact', { timeout: 60_000 }, async () => {
    const before = await m.admin.products.create({ name: `Committed before the cancel ${randomUUID()}` });
    const expensive = runExpensive();
    await sleep(100);
    const whileRunning = `Created while it ran ${randomUUID()}`;
    const [read, created, { error }] = await Promise.all([
      m.admin.products.retrieve(before.id),
      m.admin.products.create({ name: whileRunning }),
      expensive,
    ]);
    expect(error).toBeInstanceOf(QueryTimeoutError);
    expect(read).toMatchObject({ id: before.id, name: before.name });
    expect(created.name).toBe(whileRunning);
    expect((await m.admin.products.list({ name: whileRunning } as never).toArray()).map((p) => p.id)).toEqual([created.id]);

    // And the server goes on as before.
    const res = await fetch(`${m.url}/status`, { headers: { accept: 'application/json' } });
    expect(await res.json()).toMatchObject({ database: { datetime: expect.any(String) } });
    await expect(m.admin.products.retrieve(before.id)).resolves.toMatchObject({ name: before.name });
  });

  it('rolls back the transaction it was part of', { timeout: 60_000 }, async () => {
    const key = `half-written ${randomUUID()}`;
    const error = await m.server.db
      .transaction(async (tx) => {
        await tx.query(`INSERT INTO settings (key, value) VALUES ($1, 'never committed')`, [key]);
        await tx.query(EXPENSIVE);
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueryTimeoutError);
    const { rows } = await m.server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM settings WHERE key = $1', [key]);
    expect(rows[0]!.n).toBe(0);
  });

  it('does not end the listeners: notifications still arrive afterwards', { timeout: 60_000 }, async () => {
    const heard: string[] = [];
    const stop = await m.server.db.listen('hsp_query_limits_test', (payload) => heard.push(payload));
    try {
      expect((await runExpensive()).error).toBeInstanceOf(QueryTimeoutError);
      await m.server.db.query(`SELECT pg_notify('hsp_query_limits_test', 'after the cancel')`);
      await vi.waitFor(() => expect(heard).toEqual(['after the cancel']), { timeout: 5000 });
    } finally {
      await stop();
    }
  });

  // A request's own query held past the limit. On PostgreSQL a lock from another session holds
  // it; the embedded database has a single session, so there the same error (above) is the test.
  postgresOnly.it('answers an HTTP request whose query passes the limit with a 503 and the sentence', { timeout: 60_000 }, async () => {
    const { rows } = await m.server.db.query<{ name: string }>('SELECT current_database() AS name');
    const url = new URL(process.env.HSP_TEST_DATABASE_URL!);
    url.pathname = `/${rows[0]!.name}`;
    const pg = (await import('pg')).default;
    const holder = new pg.Client({ connectionString: url.href });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE products IN ACCESS EXCLUSIVE MODE');
      const res = await fetch(`${m.url}/products`, { headers: { accept: 'application/json' } });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ status: 503, error: 'Service Unavailable', message: SENTENCE });
    } finally {
      await holder.query('ROLLBACK').catch(() => {});
      await holder.end();
    }
    expect((await fetch(`${m.url}/products`, { headers: { accept: 'application/json' } })).status).toBe(200);
  });
});
