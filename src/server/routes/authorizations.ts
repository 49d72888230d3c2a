/**
 * Dynamic authorisation (../licensing/authorize.ts):
 *
 *   PUT /authorizations/users/:user_id/products/:product_id     may this user use the product?
 *   PUT /authorizations/groups/:group_id/products/:product_id   may this group?
 *   PUT /authorizations/products/:product_id                    may I (the caller)?
 *
 * PUT is the reference server's verb; POST does the same, for clients that only POST. "Yes" is
 * a 200 with the Authorization; "no" a 422 with `message` (the reason) and the Authorization.
 * Each call counts a use when granted and records an Attempt, so neither verb is a read.
 *
 * Who may ask: users about themselves, a group's members about the group, the product's owner
 * and holders of `authorizations.create` about anyone. An agent token asks about its
 * platform's owner (./../auth/agent-access.ts).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller.js';
import { can } from '../auth/permissions.js';
import type { ServerContext } from '../context.js';
import type { Queryable } from '../db/database.js';
import { denied, HttpError, notFound } from '../errors.js';
import { authorize, type Claimant, type Product } from '../licensing/authorize.js';
import { checkIds } from './crud.js';

type Params = Record<string, string>;

export function registerAuthorizationRoutes(app: FastifyInstance, context: ServerContext): void {
  const route = (path: string, claimantOf: (req: FastifyRequest, params: Params) => Promise<Claimant>) => {
    const handler = async (req: FastifyRequest, reply: FastifyReply) => {
      const params = checkIds(req.params as Params);
      if (!req.caller.user) throw denied(false, 'ask whether a product may be used');
      const product = await productById(context.db, params.product_id!);
      const claimant = await claimantOf(req, params);
      const answer = await authorize(context.db, product, claimant);
      if (answer.authorized) return answer;
      return reply.code(422).send({ message: answer.reason, ...answer });
    };
    app.put(path, handler);
    app.post(path, handler);
  };

  route('/authorizations/users/:user_id/products/:product_id', async (req, params) => {
    const userId = params.user_id!;
    const caller = req.caller;
    if (caller.user!.id !== userId && !(await asksForAnyone(context.db, caller, params.product_id!))) {
      throw new HttpError(
        403,
        'You may ask only about yourself and your groups: asking about another user needs ownership of the product or the authorizations.create permission.',
      );
    }
    return userById(context.db, userId);
  });

  route('/authorizations/groups/:group_id/products/:product_id', async (req, params) => {
    const groupId = params.group_id!;
    const caller = req.caller;
    if (!(await isMember(context.db, groupId, caller.user!.id)) && !(await asksForAnyone(context.db, caller, params.product_id!))) {
      throw new HttpError(
        403,
        "You may ask only about groups you are a member of: asking about another group needs ownership of the product or the authorizations.create permission.",
      );
    }
    return groupById(context.db, groupId);
  });

  route('/authorizations/products/:product_id', async (req) => ({ type: 'User', id: req.caller.user!.id, name: req.caller.user!.name }));
}

/** The product's owner and administrators may ask about anyone. */
async function asksForAnyone(db: Queryable, caller: Caller, productId: string): Promise<boolean> {
  if (can(caller.permissions, 'authorizations', 'create')) return true;
  const { rows } = await db.query('SELECT 1 FROM products WHERE id = $1 AND user_id = $2', [productId, caller.user!.id]);
  return rows.length > 0;
}

async function isMember(db: Queryable, groupId: string, userId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM members WHERE group_id = $1 AND user_id = $2', [groupId, userId]);
  return rows.length > 0;
}

async function productById(db: Queryable, id: string): Promise<Product> {
  const { rows } = await db.query<Product>('SELECT id, name, user_id FROM products WHERE id = $1', [id]);
  if (!rows[0]) throw notFound(`No product with id ${id}.`);
  return rows[0];
}

async function userById(db: Queryable, id: string): Promise<Claimant> {
  const { rows } = await db.query<{ id: string; name: string }>('SELECT id, name FROM users WHERE id = $1', [id]);
  if (!rows[0]) throw notFound(`No user with id ${id}.`);
  return { type: 'User', ...rows[0] };
}

async function groupById(db: Queryable, id: string): Promise<Claimant> {
  const { rows } = await db.query<{ id: string; name: string }>('SELECT id, name FROM groups WHERE id = $1', [id]);
  if (!rows[0]) throw notFound(`No group with id ${id}.`);
  return { type: 'Group', ...rows[0] };
}
