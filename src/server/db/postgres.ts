/** A real PostgreSQL server through a `pg` pool (`--database-url`, `DATABASE_URL`). */
import pg from 'pg';
import type { Database, Queryable, QueryResult } from './database.js';

// Keep timestamps as text-free Dates and bigints as numbers where they fit, like PGlite does.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export async function openPostgres(url: string, options: { max?: number } = {}): Promise<Database> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle client's network error must not crash the server; the pool replaces it.
  pool.on('error', () => {});
  // Fail now, with the server's own message, rather than on the first request.
  const probe = await pool.connect();
  probe.release();

  const run = async <R>(client: pg.Pool | pg.PoolClient, sql: string, params?: readonly unknown[]): Promise<QueryResult<R>> => {
    const result = await client.query(sql, params as unknown[] | undefined);
    return { rows: result.rows as R[], rowCount: result.rowCount ?? 0 };
  };

  return {
    engine: 'postgres',
    query: (sql, params) => run(pool, sql, params),
    exec: async (sql) => void (await pool.query(sql)),
    async transaction(work) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const tx: Queryable = { query: (sql, params) => run(client, sql, params), exec: async (sql) => void (await client.query(sql)) };
        const result = await work(tx);
        await client.query('COMMIT');
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

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
