/** Routes for signing in and out and for identity providers beyond CRUD. */
import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

export function registerAccountRoutes(_app: FastifyInstance, _context: ServerContext): void {}
