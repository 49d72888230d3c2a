/** Routes beyond the generic five verbs, one module per concern. */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';
import { registerAccountRoutes } from './accounts.js';
import { registerAuthorizationRoutes } from './authorizations.js';
import { registerCatalogRoutes } from './catalog.js';
import { registerStatus } from './status.js';
import { registerVoucherRoutes } from './vouchers.js';

export async function registerRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  registerStatus(app, context);
  registerAccountRoutes(app, context);
  registerAuthorizationRoutes(app, context);
  await registerCatalogRoutes(app, context);
  registerVoucherRoutes(app, context);
}
