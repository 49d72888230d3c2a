/** A real PostgreSQL server through a `pg` pool (`--database-url`, `DATABASE_URL`). */
import pg from 'pg';
import { asPgError, PG, QueryTimeoutError, queryTimeoutOf, quoteIdent, type Database, type Queryable, type QueryResult } from './database.js';

// Keep timestamps as text-free Dates and bigints as numbers where they fit, like PGlite does.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export interface PostgresOptions {
  max?: number;
  /** PostgreSQL's `statement_timeout` on every connection: the server itself cancels a longer query. */
  queryTimeoutMs?: number;
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Database> {
  const limitMs = queryTimeoutOf(options.queryTimeoutMs);
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, statement_timeout: Math.ceil(limitMs) });
  // An idle client's network error must not crash the server; the pool replaces it.
  pool.on('error', () => {});
  // Fail now, with the server's own message, rather than on the first request.
  const probe = await pool.connect();
  probe.release();

  const run = async <R>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    try {
      const result = await client.query(sql, params as unknown[] | undefined);
      return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
    } catch (error) {
      throw timedOut(error, limitMs) ?? error;
    }
  };
  const exec = async (client: pg.Pool | pg.PoolClient, sql: string): Promise<void> => {
    await run(client, sql);
  };

  return {
    engine: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    exec: (sql) => exec(pool, sql),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = { query: (sql, params) => run(client, sql, params), exec: (sql) => exec(client, sql) };
        const result = await work(tx);
        await run(client, 'COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async listen(channel, onPayload) {
      const client = await pool.connect();
      const handler = (message: pg.Notification) => {
        if (message.channel === channel) onPayload(message.payload ?? '');
      };
      client.on('notification', handler);
      await client.query(`LISTEN ${quoteIdent(channel)}`);
      return async () => {
        client.off('notification', handler);
        await client.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
        client.release();
      };
    },
    close: () => pool.end(),
  };
}

/**
 * `statement_timeout` cancelled the query: the same error, and the same 503, as the embedded
 * database's limit. Other cancellations (an administrator's `pg_cancel_backend`) stay as they are.
 */
function timedOut(error: unknown, limitMs: number): QueryTimeoutError | undefined {
  const pgError = asPgError(error);
  if (pgError?.code !== PG.queryCanceled || !/statement timeout/.test(pgError.message)) return undefined;
  const timeout = new QueryTimeoutError(limitMs);
  timeout.cause = error;
  return timeout;
}
