/** `GET /status` and `GET /`: health, and who the caller is. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';
import type { Row } from '../resources/definition.js';
import { render } from './crud.js';

export function registerStatus(app: FastifyInstance, context: ServerContext): void {
  const status = async (req: FastifyRequest) => {
    const { rows } = await context.db.query<{ now: Date }>('SELECT now() AS now');
    const body: Record<string, unknown> = {
      message: 'This application server and underlying database connection appear to be healthy.',
      product: { datetime: new Date().toISOString() },
      database: { datetime: new Date(rows[0]!.now).toISOString() },
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
