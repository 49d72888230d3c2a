/**
 * The one database interface the server uses. Two engines implement it with the same SQL:
 * PGlite (embedded PostgreSQL in WebAssembly, the default; run in a worker thread) and a real
 * PostgreSQL through `pg`. On both, a query that runs past the time limit fails with a
 * `QueryTimeoutError`, which the server answers with a 503.
 */

export interface QueryResult<R> {
  rows: R[];
  rowCount: number;
}

export interface Queryable {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<R>>;
  /** Runs a script of several statements, without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryable {
  readonly engine: 'pglite' | 'postgres';
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Subscribes to `NOTIFY channel`; resolves to an unsubscribe function. `onLost` is called
   * when the subscription ends by itself (PostgreSQL: its connection was lost): notifications
   * may then have been missed, and no more arrive.
   */
  listen(channel: string, onPayload: (payload: string) => void, onLost?: () => void): Promise<() => Promise<void>>;
  /**
   * Lets what runs finish, then closes. `now`: ends at once what still runs (its work is rolled
   * back, as after a crash): for a start that was stopped, which must not wait on the database.
   */
  close(options?: { now?: boolean }): Promise<void>;
}

/**
 * How long one query may run before it is cancelled (`queryTimeoutMs`). Real requests take
 * milliseconds; the slowest (a 50 MB build asset written or read on PGlite) takes about 1.5 s
 * on a busy 2-core machine. 10 s leaves room for slower machines, and still ends a runaway
 * query long before clients and proxies give up on their own (60 s and more).
 */
export const DEFAULT_QUERY_TIMEOUT_MS = 10_000;

/** The time limit an engine was given, or the default; a limit that is no duration is a mistake of the caller's. */
export function queryTimeoutOf(ms: number = DEFAULT_QUERY_TIMEOUT_MS): number {
  if (!(Number.isFinite(ms) && ms > 0)) throw new Error(`queryTimeoutMs must be a positive number of milliseconds, not ${ms}.`);
  return ms;
}

/** PostgreSQL error codes the server turns into client errors. */
export const PG = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  notNullViolation: '23502',
  checkViolation: '23514',
  invalidTextRepresentation: '22P02',
  numericOutOfRange: '22003',
  /** `query_canceled`: PostgreSQL's `statement_timeout`, and the embedded database's own limit. */
  queryCanceled: '57014',
  /** `idle_in_transaction_session_timeout`: a transaction held open without a query. */
  idleInTransactionTimeout: '25P03',
  /** `cannot_connect_now`: the embedded database is restarting or could not be started. */
  cannotConnectNow: '57P03',
} as const;

/**
 * The database cannot answer now: not the client's fault, and worth trying again later (503).
 * Carries a PostgreSQL code, so code that sorts database errors by code sees it as one.
 */
export class DatabaseUnavailableError extends Error {
  constructor(
    message: string,
    readonly code: string = PG.cannotConnectNow,
  ) {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

/** A query ran longer than the server's limit (`queryTimeoutMs`) and was cancelled. */
export class QueryTimeoutError extends DatabaseUnavailableError {
  constructor(readonly limitMs: number) {
    super(`The database took longer than ${describeDuration(limitMs)} to answer; the request was cancelled.`, PG.queryCanceled);
    this.name = 'QueryTimeoutError';
  }
}

/** `10000` → `10 s`, `1500` → `1.5 s`, `250` → `250 ms`. */
export function describeDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

export interface PgError {
  code?: string;
  constraint?: string;
  column?: string;
  detail?: string;
  message: string;
}

export function asPgError(error: unknown): PgError | undefined {
  const candidate = error as PgError | undefined;
  return candidate && typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code) ? candidate : undefined;
}

/** `my "name"` becomes `"my ""name"""`: an identifier SQL cannot misread. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
