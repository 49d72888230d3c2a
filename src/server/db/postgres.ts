/** A real PostgreSQL server through a `pg` pool (`--database-url`, `DATABASE_URL`). */
import pg from 'pg';
import { asPgError, describeDuration, PG, QueryTimeoutError, queryTimeoutOf, quoteIdent, type Database, type Queryable, type QueryResult } from './database.js';

// Keep timestamps as text-free Dates and bigints as numbers where they fit, like PGlite does.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export interface PostgresOptions {
  max?: number;
  /** PostgreSQL's `statement_timeout` on every connection: the server itself cancels a longer query. */
  queryTimeoutMs?: number;
  /**
   * Longest a new connection may take, from the TCP connect to the server's first "ready"
   * (default `DEFAULT_CONNECT_TIMEOUT_MS`). Without one, a server that accepts and never
   * answers, or an address that drops packets, is waited for forever.
   */
  connectTimeoutMs?: number;
  /** Stops the opening: the connection being made is dropped at once. */
  signal?: AbortSignal;
}

/**
 * 10 s: a server on the same network answers within milliseconds, one across the world or
 * behind a cloud proxy within a second or two; a silent one is told apart well before a user
 * gives up on a start that says nothing.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** How long closing at once waits for the pool's bookkeeping, its connections already dropped. */
const CLOSE_NOW_MS = 1_000;

/** No connection to PostgreSQL within the time limit: the server did not answer at all. */
export class ConnectTimeoutError extends Error {
  override name = 'ConnectTimeoutError';
  constructor(readonly limitMs: number) {
    super(`The PostgreSQL server did not answer within ${describeDuration(limitMs)}.`);
  }
}

export async function openPostgres(url: string, options: PostgresOptions = {}): Promise<Database> {
  const limitMs = queryTimeoutOf(options.queryTimeoutMs);
  const connectMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const { signal } = options;
  signal?.throwIfAborted();
  // Every client the pool makes, so that a stop (or a connect past its time) can drop them.
  const clients = new Set<pg.Client>();
  class Client extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      // pg's own limit on the connect: a later connection to a server gone silent fails too.
      super({ ...config, connectionTimeoutMillis: connectMs });
      clients.add(this);
      this.once('end', () => clients.delete(this));
    }
  }
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, statement_timeout: Math.ceil(limitMs), Client });
  // An idle client's network error must not crash the server; the pool replaces it.
  pool.on('error', () => {});
  /** Drops every connection, those still connecting too, then ends the pool: nothing is left open. */
  const closeNow = async () => {
    for (const client of clients) {
      // A client in use (a migration's) reports its dropped connection as an 'error' event
      // besides failing its query: expected here, and fatal to the process if nobody listens.
      client.on('error', () => {});
      (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
    }
    // The pool ends once every client is back. One still out with code that was stopped
    // mid-way never comes back: with every socket closed, nothing would then keep the process
    // running, and it would end in silence, its start neither finished nor reported.
    let timer: NodeJS.Timeout | undefined;
    const given = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_NOW_MS)));
    await Promise.race([pool.end().catch(() => {}), given]);
    clearTimeout(timer);
  };

  // Fail now, with the server's own message, rather than on the first request.
  let timer: NodeJS.Timeout | undefined;
  let onAbort = () => {};
  const connecting = pool.connect();
  try {
    const probe = await Promise.race([
      connecting,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new ConnectTimeoutError(connectMs)), connectMs);
        onAbort = () => reject(signal!.reason);
        signal?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
    probe.release();
  } catch (error) {
    // Given up on: should it connect after all, it goes back to the pool, which then ends.
    connecting.then((client) => client.release(), () => {});
    await closeNow();
    // pg's own limit ends the connect a moment before ours, as "timeout expired": the same case.
    if (!signal?.aborted && /timeout expired/.test((error as Error)?.message ?? '')) throw new ConnectTimeoutError(connectMs);
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }

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
    async listen(channel, onPayload, onLost) {
      const client = await pool.connect();
      const handler = (message: pg.Notification) => {
        if (message.channel === channel) onPayload(message.payload ?? '');
      };
      let subscribed = true;
      // The connection died (the server restarted, a proxy cut it): the pool drops the client,
      // and whoever listened must know that it hears nothing more.
      const lost = (error?: Error) => {
        if (!subscribed) return;
        subscribed = false;
        client.off('notification', handler);
        // Back to the pool as broken, which drops it: a client kept out would hold up its end.
        client.release(error ?? new Error('The LISTEN connection ended.'));
        onLost?.();
      };
      client.on('notification', handler);
      client.on('error', lost);
      client.on('end', lost);
      try {
        await client.query(`LISTEN ${quoteIdent(channel)}`);
      } catch (error) {
        // Back to the pool as broken (it drops it): a client kept out would hold up its end forever.
        subscribed = false;
        client.off('notification', handler);
        client.off('error', lost);
        client.off('end', lost);
        client.release(error as Error);
        throw error;
      }
      return async () => {
        if (!subscribed) return;
        subscribed = false;
        client.off('notification', handler);
        await client.query(`UNLISTEN ${quoteIdent(channel)}`).catch(() => {});
        client.off('error', lost);
        client.off('end', lost);
        client.release();
      };
    },
    close: (options) => (options?.now ? closeNow() : pool.end()),
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
