/**
 * The callers that bearer tokens stood for, so that a token seen before costs no database
 * round trip: reading a marketplace token's row, user and roles, or an agent token's platform,
 * owner and roles, was the largest part of every signed-in request.
 *
 * Correctness before speed:
 * - The key is the whole token: only a token that was verified (signature, expiry, backing row)
 *   is kept, so the same bytes are the same verified token. A refused token is never kept.
 * - An entry ends when its token expires (the earlier of the JWT's `exp` and, for marketplace
 *   tokens, its row's `expires_at`).
 * - Every cached caller is forgotten at once on any write that can change one (a token revoked,
 *   roles or group memberships changed, a user, provider or platform key changed or deleted),
 *   on every replica: ./access-events.ts's triggers, and this replica's own writes as they are
 *   sent (../cache/table-changes.ts).
 * - A caller read while such a write happened is not kept (a generation count): it may have
 *   been read before the write committed.
 * - While the replica cannot hear the events, nothing is served or kept.
 * - Bounded: at most `maxEntries` callers, the least recently used dropped first, and only
 *   tokens of at most `MAX_KEPT_TOKEN_LENGTH` characters (ours are a few hundred): whoever can
 *   mint tokens (an agent's key) must not fill the memory with large ones.
 */
import type { Database } from '../db/database.js';
import { TableChanges } from '../cache/table-changes.js';
import { ACCESS_CHANNEL, ACCESS_TABLES } from './access-events.js';
import type { Caller } from './caller.js';

export interface CallerCacheOptions {
  /** Most callers kept (default 10,000). */
  maxEntries?: number;
}

/** Longer tokens are verified every time, never kept. */
export const MAX_KEPT_TOKEN_LENGTH = 1024;

interface Entry {
  caller: Caller;
  /** Local ms at which the token stops being good. */
  expires: number;
}

/** A caller being verified, with the generation it began in (see `remember`). */
export interface PendingCaller {
  readonly generation: number;
}

export class CallerCache {
  readonly #maxEntries: number;
  /** Insertion order is use order: the first is the least recently used. */
  readonly #entries = new Map<string, Entry>();
  #generation = 0;
  readonly #changes = new TableChanges(ACCESS_CHANNEL, ACCESS_TABLES, () => this.invalidate());

  constructor(options: CallerCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  /** Callers held, for tests and diagnostics. */
  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every caller, and every caller being verified now. */
  invalidate(): void {
    this.#generation++;
    this.#entries.clear();
  }

  /** The database as the routes should use it: its writes to access tables empty the cache at once. */
  tracking(db: Database): Database {
    return this.#changes.tracking(db);
  }

  /** Subscribes to the access events; resolves to the unsubscribe (and stop) function. */
  listen(db: Database): Promise<() => Promise<void>> {
    return this.#changes.listen(db);
  }

  /** The caller `token` stood for, while it is still good and nothing changed since. */
  get(token: string): Caller | undefined {
    const entry = this.#entries.get(token);
    if (!entry) return undefined;
    this.#entries.delete(token);
    if (entry.expires <= Date.now() || !this.#changes.listening) return undefined;
    this.#entries.set(token, entry);
    return entry.caller;
  }

  /** Call before verifying a token: `remember` keeps its caller only if nothing changed meanwhile. */
  begin(): PendingCaller {
    return { generation: this.#generation };
  }

  /** Keeps the caller a token was verified to stand for, until `expires` (local ms). */
  remember(pending: PendingCaller, token: string, caller: Caller, expires: number): void {
    if (pending.generation !== this.#generation || !this.#changes.listening || expires <= Date.now()) return;
    if (token.length > MAX_KEPT_TOKEN_LENGTH) return;
    this.#entries.delete(token);
    this.#entries.set(token, entry(caller, expires));
    for (const oldest of this.#entries.keys()) {
      if (this.#entries.size <= this.#maxEntries) break;
      this.#entries.delete(oldest);
    }
  }
}

/** Frozen: one caller object now serves many requests, and none may change it for the others. */
function entry(caller: Caller, expires: number): Entry {
  for (const verbs of Object.values(caller.permissions)) Object.freeze(verbs);
  Object.freeze(caller.permissions);
  if (caller.user) Object.freeze(caller.user);
  return { caller: Object.freeze(caller), expires };
}
