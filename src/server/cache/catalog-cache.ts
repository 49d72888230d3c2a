/**
 * Rendered answers to anonymous catalogue GETs, kept in memory and served without touching the
 * database: the catalogue is read by everyone and changes rarely.
 *
 * Correctness before speed:
 * - Only routes that opt in (`config.anonymousCache`: lists and records anyone may read, whose
 *   rendering reads only ./catalog-events.ts's tables), only requests without credentials, and
 *   only 200s. A signed-in caller is never served from here, nor stored here: their view may
 *   hold what anonymous callers may not see.
 * - The key is the origin (the rendered `url` fields hold it) and the URL with its query.
 * - Emptied whole (coarse on purpose) by any write to a catalogue table: a database trigger's
 *   NOTIFY reaches every replica (./catalog-events.ts), and this replica's own writes empty it
 *   before and after they run (`tracking`), since a NOTIFY from PostgreSQL may arrive a moment
 *   after the write has answered and its client reads again.
 * - A page rendered while the cache was emptied is not kept (a generation count): it may have
 *   been read before the write committed.
 * - Publication is also a matter of time (`published_at <= now()`): an entry expires when the
 *   next scheduled publication or visibility comes due, and after `maxAgeMs` in any case.
 * - While the replica cannot hear the events (its LISTEN connection was lost), nothing is served
 *   or kept, until it listens again.
 * - Bounded: at most `maxEntries` answers and `maxBytes` of bodies, the least recently used
 *   dropped first.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Database, Queryable } from '../db/database.js';
import { noneMatch } from '../etag.js';
import { CATALOG_CHANNEL, CATALOG_TABLES } from './catalog-events.js';

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

/** How often a lost subscription is tried again. */
const RESUBSCRIBE_MS = 1_000;
/** A statement that writes (anything but a read) and names a catalogue table. */
const WRITES = /^\s*(?:insert|update|delete|truncate|merge|alter|drop|with\b[\s\S]*\b(?:insert|update|delete)\b)/i;
const CATALOG_TABLE = new RegExp(`\\b(?:${CATALOG_TABLES.join('|')})\\b`, 'i');

export class CatalogCache {
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxAgeMs: number;
  /** Insertion order is use order: the first is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;
  #generation = 0;
  /** Serving only while subscribed to the events that empty it. */
  #listening = false;
  /** When (local ms) the next scheduled publication of this generation comes due: entries end there. */
  #validUntil?: Promise<number>;
  /** The generation each request missing the cache saw when it began. */
  readonly #missed = new WeakMap<FastifyRequest, number>();
  #db?: Queryable;
  #unlisten?: () => Promise<void>;
  #retry?: NodeJS.Timeout;
  #closed = false;

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

  /**
   * The database as the routes should use it: a statement writing a catalogue table empties
   * the cache when it is sent and again when it is done (for a transaction: when it ends).
   */
  tracking(db: Database): Database {
    const track = (sql: string) => WRITES.test(sql) && CATALOG_TABLE.test(sql);
    const tracked = (target: Queryable, onWrite: () => void): Queryable => ({
      query: async (sql, params) => {
        if (!track(sql)) return target.query(sql, params);
        onWrite();
        try {
          return await target.query(sql, params);
        } finally {
          this.invalidate();
        }
      },
      exec: async (sql) => {
        this.invalidate();
        try {
          await target.exec(sql);
        } finally {
          this.invalidate();
        }
      },
    });
    const plain = tracked(db, () => this.invalidate());
    return {
      ...db,
      query: plain.query,
      exec: plain.exec,
      transaction: async (work) => {
        let wrote = false;
        try {
          return await db.transaction((tx) =>
            work(
              tracked(tx, () => {
                wrote = true;
                this.invalidate();
              }),
            ),
          );
        } finally {
          if (wrote) this.invalidate();
        }
      },
    };
  }

  /** Subscribes to the catalogue events; resolves to the unsubscribe (and stop) function. */
  async listen(db: Database): Promise<() => Promise<void>> {
    this.#db = db;
    await this.#subscribe(db);
    return async () => {
      this.#closed = true;
      this.#listening = false;
      clearTimeout(this.#retry);
      this.invalidate();
      await this.#unlisten?.();
    };
  }

  async #subscribe(db: Database): Promise<void> {
    this.#unlisten = await db.listen(
      CATALOG_CHANNEL,
      () => this.invalidate(),
      () => {
        // Deaf to other replicas' writes: stop serving and keeping, and try to hear again.
        this.#listening = false;
        this.invalidate();
        this.#scheduleResubscribe(db);
      },
    );
    // Whatever changed while nobody listened is unknown: start empty.
    this.invalidate();
    this.#listening = true;
  }

  #scheduleResubscribe(db: Database): void {
    if (this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#subscribe(db).catch(() => this.#scheduleResubscribe(db));
    }, RESUBSCRIBE_MS);
    this.#retry.unref();
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
        return this.#serve(req, reply, entry);
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
      if (generation !== this.#generation || !this.#listening) return payload;
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
    return this.#listening && req.method === 'GET' && req.headers.authorization === undefined && !!req.routeOptions.config.anonymousCache;
  }

  #serve(req: FastifyRequest, reply: FastifyReply, entry: Entry): FastifyReply {
    reply.header('content-type', entry.contentType);
    if (entry.totalCount !== undefined) reply.header('x-total-count', entry.totalCount);
    if (entry.etag) {
      reply.header('etag', entry.etag);
      if (noneMatch(req.headers['if-none-match'], entry.etag)) return reply.code(304).send();
    }
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

/** The origin is part of the answer (every `url` field holds it), and so of the key. */
function keyOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}${req.url}`;
}
