/**
 * Writes to a set of tables, as a cache must hear them to stay correct on every replica:
 *
 * - from the database: statement-level triggers NOTIFY a channel (`triggersSql`), which
 *   PostgreSQL delivers after the commit to every replica LISTENing (PGlite, in the same
 *   process, before the commit's answer);
 * - from this replica's own statements (`tracking`): a write naming a watched table is heard
 *   when it is sent and again when it is done (a transaction's, when it ends), since a NOTIFY
 *   from PostgreSQL may arrive a moment after the write has answered and its client reads again.
 *
 * While the subscription is lost, `listening` is false: a cache must then neither serve nor
 * keep anything, since it cannot hear other replicas' writes. Every loss and every new
 * subscription is also a change (whatever happened meanwhile is unknown).
 */
import type { Database, Queryable } from '../db/database.js';

/** How often a lost subscription is tried again. */
const RESUBSCRIBE_MS = 1_000;
/** A statement that writes (anything but a read). */
const WRITES = /^\s*(?:insert|update|delete|truncate|merge|alter|drop|with\b[\s\S]*\b(?:insert|update|delete)\b)/i;
/**
 * The tables a write names as its target (a CTE may hold several). Only targets count: an
 * instance's INSERT that reads `platforms` in a subquery changes no platform. A false match
 * (`DO UPDATE SET`) costs an emptied cache, never a stale one.
 */
const TARGETS = /\b(?:insert\s+into|update|delete\s+from|merge\s+into|alter\s+table|drop\s+table)\s+(?:only\s+)?(?:if\s+exists\s+)?"?(\w+)/gi;

/** What a trigger watches on one table: every write, or only those that can change what a cache holds. */
export interface WatchedTable {
  table: string;
  /** SQL trigger events, e.g. `UPDATE OF user_id OR DELETE` (default: every write, TRUNCATE included). */
  events?: string;
}

export class TableChanges {
  readonly #tracked: ReadonlySet<string>;
  readonly #onChange: () => void;
  #listening = false;
  #unlisten?: () => Promise<void>;
  #retry?: NodeJS.Timeout;
  #closed = false;

  /**
   * `onChange` runs on every change heard, and whenever the subscription is lost or made. A
   * table whose deletes cascade into watched ones must be watched too: this replica's delete
   * names only it, and the cascade's NOTIFY may come after the answer.
   */
  constructor(
    readonly channel: string,
    tables: readonly (string | WatchedTable)[],
    onChange: () => void,
  ) {
    this.#tracked = new Set(tables.map((entry) => (typeof entry === 'string' ? entry : entry.table).toLowerCase()));
    this.#onChange = onChange;
  }

  /** Subscribed to the channel, so other replicas' writes are heard. */
  get listening(): boolean {
    return this.#listening;
  }

  /** Subscribes; resolves to the function that unsubscribes and stops retrying. */
  async listen(db: Database): Promise<() => Promise<void>> {
    await this.#subscribe(db);
    return async () => {
      this.#closed = true;
      this.#listening = false;
      clearTimeout(this.#retry);
      this.#onChange();
      await this.#unlisten?.();
    };
  }

  /** The database as the routes should use it: its own writes to a watched table are changes too. */
  tracking(db: Database): Database {
    const tracked = (target: Queryable, onWrite: () => void): Queryable => ({
      query: async (sql, params) => {
        if (!this.#writesWatched(sql)) return target.query(sql, params);
        onWrite();
        try {
          return await target.query(sql, params);
        } finally {
          this.#onChange();
        }
      },
      exec: async (sql) => {
        this.#onChange();
        try {
          await target.exec(sql);
        } finally {
          this.#onChange();
        }
      },
    });
    const plain = tracked(db, this.#onChange);
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
                this.#onChange();
              }),
            ),
          );
        } finally {
          if (wrote) this.#onChange();
        }
      },
    };
  }

  #writesWatched(sql: string): boolean {
    if (!WRITES.test(sql)) return false;
    if (/^\s*truncate\b/i.test(sql)) return true;
    for (const [, table] of sql.matchAll(TARGETS)) if (this.#tracked.has(table!.toLowerCase())) return true;
    return false;
  }

  async #subscribe(db: Database): Promise<void> {
    this.#unlisten = await db.listen(
      this.channel,
      () => this.#onChange(),
      () => {
        // Deaf to other replicas' writes: stop serving and keeping, and try to hear again.
        this.#listening = false;
        this.#onChange();
        this.#scheduleResubscribe(db);
      },
    );
    // Whatever changed while nobody listened is unknown.
    this.#onChange();
    this.#listening = true;
  }

  #scheduleResubscribe(db: Database): void {
    if (this.#closed) return;
    this.#retry = setTimeout(() => {
      this.#subscribe(db).catch(() => this.#scheduleResubscribe(db));
    }, RESUBSCRIBE_MS);
    this.#retry.unref();
  }
}

/**
 * Migration SQL: a function NOTIFYing `channel` with the table's name, and one statement-level
 * trigger per table (one NOTIFY per statement; PostgreSQL folds identical ones of a
 * transaction into one).
 */
export function triggersSql(channel: string, functionName: string, tables: readonly (string | WatchedTable)[], triggerSuffix: string): string {
  const watched = tables.map((entry) => (typeof entry === 'string' ? { table: entry } : entry));
  return `
CREATE FUNCTION ${functionName}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('${channel}', TG_TABLE_NAME);
  RETURN NULL;
END $$;
${watched
  .map(
    ({ table, events = 'INSERT OR UPDATE OR DELETE OR TRUNCATE' }) => `CREATE TRIGGER ${table}_${triggerSuffix} AFTER ${events} ON ${table}
  FOR EACH STATEMENT EXECUTE FUNCTION ${functionName}();`,
  )
  .join('\n')}
`;
}
