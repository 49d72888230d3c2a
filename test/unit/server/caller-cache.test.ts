/**
 * The cache of authenticated callers on its own (src/server/auth/caller-cache.ts), on a
 * database stand-in whose notifications the test sends: what it keeps, for how long, and what
 * it refuses to keep or serve. The integration test (caller-cache.test.ts under integration)
 * drives the same cache through the real server and database.
 */
import { describe, expect, it, vi } from 'vitest';
import { CallerCache, MAX_KEPT_TOKEN_LENGTH } from '../../../src/server/auth/caller-cache.js';
import type { Caller } from '../../../src/server/auth/caller.js';
import type { Database } from '../../../src/server/db/database.js';

/** A database that only listens: `notify()` and `lose()` play the server's part. */
function listeningDatabase() {
  let onPayload: (payload: string) => void = () => {};
  let onLost: () => void = () => {};
  const db = {
    engine: 'pglite',
    query: vi.fn(async () => ({ rows: [], rowCount: 0 })),
    exec: vi.fn(async () => {}),
    transaction: async (work: (tx: unknown) => Promise<unknown>) => work(db),
    listen: async (_channel: string, payload: (p: string) => void, lost?: () => void) => {
      onPayload = payload;
      onLost = lost ?? (() => {});
      return async () => {};
    },
    close: async () => {},
  } as unknown as Database;
  return { db, notify: (table: string) => onPayload(table), lose: () => onLost() };
}

const caller = (id: string): Caller => ({ user: { id, name: id }, permissions: { users: { read_self: true } } });
const HOUR = 60 * 60 * 1000;

async function listeningCache(maxEntries?: number) {
  const database = listeningDatabase();
  const cache = new CallerCache({ maxEntries });
  await cache.listen(database.db);
  return { cache, ...database };
}

describe('the caller cache', () => {
  it('serves a kept caller until its token expires', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const { cache } = await listeningCache();
      cache.remember(cache.begin(), 'token-a', caller('a'), Date.now() + HOUR);
      expect(cache.get('token-a')?.user?.id).toBe('a');
      expect(cache.get('token-b')).toBeUndefined();
      vi.setSystemTime(Date.now() + HOUR);
      expect(cache.get('token-a')).toBeUndefined();
      expect(cache.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('forgets every caller when an access table changes', async () => {
    const { cache, notify } = await listeningCache();
    cache.remember(cache.begin(), 'token-a', caller('a'), Date.now() + HOUR);
    notify('appointments');
    expect(cache.get('token-a')).toBeUndefined();
  });

  it('does not keep a caller verified while a change happened', async () => {
    const { cache, notify } = await listeningCache();
    const pending = cache.begin();
    notify('json_web_tokens');
    cache.remember(pending, 'token-a', caller('a'), Date.now() + HOUR);
    expect(cache.get('token-a')).toBeUndefined();
  });

  it('neither serves nor keeps while it cannot hear other replicas', async () => {
    const { cache, lose } = await listeningCache();
    cache.remember(cache.begin(), 'token-a', caller('a'), Date.now() + HOUR);
    lose();
    expect(cache.get('token-a')).toBeUndefined();
    cache.remember(cache.begin(), 'token-b', caller('b'), Date.now() + HOUR);
    expect(cache.size).toBe(0);
  });

  it('forgets at once when this replica writes an access table, before the write is sent', async () => {
    const { cache, db } = await listeningCache();
    const tracked = cache.tracking(db);
    cache.remember(cache.begin(), 'token-a', caller('a'), Date.now() + HOUR);
    // Reads, and writes to other tables (an instance INSERT that reads platforms in a subquery), keep it.
    await tracked.query('SELECT * FROM json_web_tokens WHERE id = $1', ['x']);
    await tracked.query('INSERT INTO instances AS r (platform_id) VALUES ($1) RETURNING (SELECT p.user_id FROM platforms p WHERE p.id = r.platform_id)', ['x']);
    expect(cache.get('token-a')).toBeDefined();
    const revoking = tracked.query('DELETE FROM json_web_tokens WHERE id = $1', ['x']);
    expect(cache.get('token-a')).toBeUndefined();
    await revoking;
  });

  it('keeps at most its bound, the least recently used dropped first', async () => {
    const { cache } = await listeningCache(2);
    const until = Date.now() + HOUR;
    cache.remember(cache.begin(), 'token-a', caller('a'), until);
    cache.remember(cache.begin(), 'token-b', caller('b'), until);
    expect(cache.get('token-a')).toBeDefined();
    cache.remember(cache.begin(), 'token-c', caller('c'), until);
    expect(cache.size).toBe(2);
    expect(cache.get('token-b')).toBeUndefined();
    expect(cache.get('token-a')).toBeDefined();
    expect(cache.get('token-c')).toBeDefined();
  });

  it('never keeps a token longer than the limit', async () => {
    const { cache } = await listeningCache();
    const long = 'x'.repeat(MAX_KEPT_TOKEN_LENGTH + 1);
    cache.remember(cache.begin(), long, caller('a'), Date.now() + HOUR);
    expect(cache.get(long)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('hands out callers nobody can change for the requests after', async () => {
    const { cache } = await listeningCache();
    cache.remember(cache.begin(), 'token-a', caller('a'), Date.now() + HOUR);
    const kept = cache.get('token-a')!;
    expect(() => {
      (kept.permissions as Record<string, Record<string, boolean>>).users!.update_self = true;
    }).toThrow(TypeError);
  });
});
