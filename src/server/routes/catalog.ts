/** Product actions, search, families, and the files (logos, screenshot images, build assets). */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export async function registerCatalogRoutes(_app: FastifyInstance, _context: ServerContext): Promise<void> {}
