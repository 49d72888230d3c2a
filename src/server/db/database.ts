/**
 * The one database interface the server uses. Two engines implement it with the same SQL:
 * PGlite (embedded PostgreSQL in WebAssembly, the default) and a real PostgreSQL through `pg`.
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
  /** Subscribes to `NOTIFY channel`; resolves to an unsubscribe function. */
  listen(channel: string, onPayload: (payload: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** PostgreSQL error codes the server turns into client errors. */
export const PG = {
  uniqueViolation: '23505',
  foreignKeyViolation: '23503',
  notNullViolation: '23502',
  checkViolation: '23514',
  invalidTextRepresentation: '22P02',
  numericOutOfRange: '22003',
} as const;

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
