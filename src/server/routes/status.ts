/** `GET /status` and `GET /`: health, and who the caller is. */
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import type { Queryable } from '../db/database.js';
import type { Row } from '../resources/definition.js';
import { render } from './crud.js';

/**
 * How long `/status` waits for the database's clock. The embedded database answers one query
 * at a time, so behind a slow one (until its time limit cancels it) a health check would wait
 * too; it answers instead, and says so. 250 ms is many times the wait behind ordinary load,
 * and far below the timeout of any health checker.
 */
export const STATUS_DATABASE_WAIT_MS = 250;

export function registerStatus(app: FastifyInstance, context: ServerContext): void {
  const databaseClock = sharedClock(context.db);
  const status = async (req: FastifyRequest) => {
    const now = await databaseClock();
    const body: Record<string, unknown> = {
      message: now
        ? 'This application server and underlying database connection appear to be healthy.'
        : `This application server is healthy, but its database has not answered within ${STATUS_DATABASE_WAIT_MS} ms: it is busy or restarting.`,
      product: { datetime: new Date().toISOString() },
      database: { datetime: now ? now.toISOString() : null },
    };
    const caller = req.caller;
    if (caller.user) {
      // Only the row id: echoing the token back (as the reference server does) is no refresh and only spreads it.
      if (caller.tokenId) body.jwt = { id: caller.tokenId };
      body.identity = await identityOf(context, req);
      body.permissions = caller.permissions;
    }
    return body;
  };
  app.get('/status', status);
  app.get('/', status);
}

/**
 * How long an answer of the database's clock stands for "the database answers now". A health
 * checker polls every few seconds; a flood of checks (a load balancer's, a benchmark's) then
 * costs the database one query per 100 ms, not one each. Short enough that a database that
 * stops answering is reported within a tenth of a second, well inside `STATUS_DATABASE_WAIT_MS`.
 */
export const STATUS_CLOCK_FRESH_MS = 100;

/**
 * The database's clock, or `undefined` when it has not answered within the wait. Concurrent
 * checks share one query, and an answer younger than `STATUS_CLOCK_FRESH_MS` is reused, its
 * time moved on by what has passed here since.
 */
function sharedClock(db: Queryable): () => Promise<Date | undefined> {
  let asking: Promise<Date> | undefined;
  let last: { database: number; local: number } | undefined;
  return async () => {
    const now = performance.now();
    if (last && now - last.local <= STATUS_CLOCK_FRESH_MS) return new Date(last.database + (now - last.local));
    asking ??= db
      .query<{ now: Date }>('SELECT now() AS now')
      .then(({ rows }) => {
        const clock = new Date(rows[0]!.now);
        last = { database: clock.getTime(), local: performance.now() };
        return clock;
      })
      .finally(() => {
        asking = undefined;
      });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), STATUS_DATABASE_WAIT_MS);
    });
    try {
      return await Promise.race([asking, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** `{id, user_id, user, provider}` as the reference server shows it; `id` and `provider` are null without an identity (e.g. the seeded administrator). */
async function identityOf(context: ServerContext, req: FastifyRequest): Promise<Record<string, unknown>> {
  const caller = req.caller;
  const users = context.resources.get('users');
  const columns = ['id', ...Object.keys(users.fields), 'created_at', 'updated_at'].join(', ');
  const { rows } = await context.db.query<Row>(`SELECT ${columns} FROM users WHERE id = $1`, [caller.user!.id]);
  const [user] = rows.length ? await render(context, users, rows, req, {}) : [caller.user];
  let provider: { id: string; name: string } | null = null;
  if (caller.identityId) {
    const found = await context.db.query<{ id: string; name: string }>(
      'SELECT p.id, p.name FROM identities i JOIN identity_providers p ON p.id = i.identity_provider_id WHERE i.id = $1',
      [caller.identityId],
    );
    provider = found.rows[0] ?? null;
  }
  return { id: caller.identityId ?? null, user_id: caller.user!.id, user, provider };
}
