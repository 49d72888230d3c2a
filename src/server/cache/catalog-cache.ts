/**
 * Rendered answers to catalogue GETs, kept in memory and served without touching the database:
 * the catalogue is read by everyone and changes rarely.
 *
 * Correctness before speed:
 * - Only routes that opt in (`config.catalogRead`: lists and records whose answer is decided by
 *   the catalogue tables of ./catalog-events.ts and by who asks, nothing else), and only 200s.
 * - The key is the audience, the origin (the rendered `url` fields hold it) and the URL with
 *   its query. The audience is everyone for anonymous requests; for a signed-in caller it is
 *   their user, their agent's platform if any, and their permissions: all that access rules
 *   read of a caller. A caller whose roles change is a new audience (../auth/caller-cache.ts
 *   forgets the old caller at once), so nothing kept for what they used to be is served.
 * - Emptied whole (coarse on purpose) by any write to a catalogue table, on every replica
 *   (./table-changes.ts).
 * - A page rendered while the cache was emptied is not kept (a generation count): it may have
 *   been read before the write committed.
 * - Publication is also a matter of time (`published_at <= now()`): an entry expires when the
 *   next scheduled publication or visibility comes due, and after `maxAgeMs` in any case.
 * - While the replica cannot hear the events (its LISTEN connection was lost), nothing is served
 *   or kept, until it listens again.
 * - Bounded: at most `maxEntries` answers and `maxBytes` of bodies, the least recently used
 *   dropped first, whoever asked them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller.js';
import type { Database, Queryable } from '../db/database.js';
import { CATALOG_CHANNEL, CATALOG_TABLES } from './catalog-events.js';
import { TableChanges } from './table-changes.js';

export interface CatalogCacheOptions {
  /** Most answers kept (default 1,000). */
  maxEntries?: number;
  /** Most bytes of bodies kept (default 32 MiB). */
  maxBytes?: number;
  /** Longest an answer is kept, whatever happens (default 60 s): a backstop, not the mechanism. */
  maxAgeMs?: number;
}

interface Entry {
  body: string;
  etag: string;
  contentType: string;
  totalCount?: string;
  expires: number;
}

export class CatalogCache {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  /** Insertion order is use order: the first is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  #generation = 0;
  /** Catalogue writes, from every replica: each empties the cache. Serving only while it listens. */
  readonly #changes = new TableChanges(CATALOG_CHANNEL, CATALOG_TABLES, () => this.invalidate());
  /** When (local ms) the next scheduled publication of this generation comes due: entries end there. */
  #validUntil?: Promise<number>;
  /** The generation each request missing the cache saw when it began. */
  readonly #missed = new WeakMap<FastifyRequest, number>();
  #db?: Queryable;

  constructor(options: CatalogCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 1_000;
    this.#maxBytes = options.maxBytes ?? 32 * 1024 * 1024;
    this.#maxAgeMs = options.maxAgeMs ?? 60_000;
  }

  /** Entries and bytes held, for tests and diagnostics. */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  /** Forgets every answer, and every page being rendered now. */
  invalidate(): void {
    this.#generation++;
    this.#entries.clear();
    this.#bytes = 0;
    this.#validUntil = undefined;
  }

  /** The database as the routes should use it: its catalogue writes empty the cache (./table-changes.ts). */
  tracking(db: Database): Database {
    return this.#changes.tracking(db);
  }

  /** Subscribes to the catalogue events; resolves to the unsubscribe (and stop) function. */
  listen(db: Database): Promise<() => Promise<void>> {
    this.#db = db;
    return this.#changes.listen(db);
  }

  /** Serves hits before the route runs; keeps the answers of misses. After authentication. */
  register(app: FastifyInstance): void {
    app.addHook('onRequest', async (req, reply) => {
      if (!this.#cacheable(req)) return;
      const key = keyOf(req);
      const entry = this.#entries.get(key);
      if (entry && entry.expires > Date.now()) {
        this.#entries.delete(key);
        this.#entries.set(key, entry);
        return this.#serve(reply, entry);
      }
      if (entry) this.#remove(key, entry);
      this.#missed.set(req, this.#generation);
      // Asked before the page is read, so a publication due in between ends the entry at once.
      this.#validUntil ??= this.#nextScheduledChange();
    });

    app.addHook('onSend', async (req, reply, payload) => {
      const generation = this.#missed.get(req);
      if (generation === undefined || reply.statusCode !== 200 || typeof payload !== 'string' || reply.hasHeader('set-cookie')) return payload;
      const validUntil = await (this.#validUntil ?? Infinity);
      if (generation !== this.#generation || !this.#changes.listening) return payload;
      const etag = reply.getHeader('etag');
      const totalCount = reply.getHeader('x-total-count');
      this.#store(keyOf(req), {
        body: payload,
        etag: typeof etag === 'string' ? etag : '',
        contentType: String(reply.getHeader('content-type') ?? 'application/json; charset=utf-8'),
        totalCount: totalCount === undefined ? undefined : String(totalCount),
        expires: Math.min(validUntil, Date.now() + this.#maxAgeMs),
      });
      return payload;
    });
  }

  #cacheable(req: FastifyRequest): boolean {
    return this.#changes.listening && req.method === 'GET' && !!req.routeOptions.config.catalogRead;
  }

  #serve(reply: FastifyReply, entry: Entry): FastifyReply {
    reply.header('content-type', entry.contentType);
    if (entry.totalCount !== undefined) reply.header('x-total-count', entry.totalCount);
    // A 304 for a matching If-None-Match, and a signed-in answer's Cache-Control, are ../etag.ts's, as for any answer.
    if (entry.etag) reply.header('etag', entry.etag);
    return reply.code(200).send(entry.body);
  }

  #store(key: string, entry: Entry): void {
    const bytes = Buffer.byteLength(entry.body) + key.length;
    if (bytes > this.#maxBytes / 4) return;
    const old = this.#entries.get(key);
    if (old) this.#remove(key, old);
    this.#entries.set(key, entry);
    this.#bytes += bytes;
    for (const [oldest, value] of this.#entries) {
      if (this.#entries.size <= this.#maxEntries && this.#bytes <= this.#maxBytes) break;
      this.#remove(oldest, value);
    }
  }

  #remove(key: string, entry: Entry): void {
    if (this.#entries.get(key) !== entry) return;
    this.#entries.delete(key);
    this.#bytes -= Buffer.byteLength(entry.body) + key.length;
  }

  /** Local time at which the next future `published_at` or `visible_at` comes due, by the database's clock. */
  async #nextScheduledChange(): Promise<number> {
    const askedAt = Date.now();
    try {
      const { rows } = await this.#db!.query<{ now: Date; next: Date | null }>(
        `SELECT now() AS now, least(min(published_at) FILTER (WHERE published_at > now()), min(visible_at) FILTER (WHERE visible_at > now())) AS next FROM products`,
      );
      const row = rows[0];
      if (!row?.next) return Infinity;
      return askedAt + (new Date(row.next).getTime() - new Date(row.now).getTime());
    } catch {
      // Unknown: keep nothing of this generation.
      return 0;
    }
  }
}

/** Who asks, where (every `url` field holds the origin) and what: the answer is decided by these and the catalogue. */
function keyOf(req: FastifyRequest): string {
  return `${audienceOf(req.caller)} ${req.protocol}://${req.host}${req.url}`;
}

/** Audiences of the callers seen, kept as long as the caller object lives (../auth/caller-cache.ts reuses it). */
const audiences = new WeakMap<Caller, string>();

/** What access rules read of a caller: user, agent platform, permissions. Anonymous callers are one audience. */
function audienceOf(caller: Caller): string {
  if (!caller.user) return '*';
  let audience = audiences.get(caller);
  if (audience === undefined) {
    audience = JSON.stringify([caller.user.id, caller.platformId ?? null, caller.permissions]);
    audiences.set(caller, audience);
  }
  return audience;
}
