/** `GET /status` and `GET /`: health, and who the caller is. */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerContext } from '../context.js';

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
      if (caller.tokenId) body.jwt = { id: caller.tokenId };
      body.identity = { id: caller.identityId ?? null, user_id: caller.user.id, user: caller.user };
      body.permissions = caller.permissions;
    }
    return body;
  };
  app.get('/status', status);
  app.get('/', status);
}
