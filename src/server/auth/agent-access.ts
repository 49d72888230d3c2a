/**
 * What a platform agent's token may do, decided once per request for every route (generic and
 * custom alike) before any handler runs. An agent acts as its platform's owner, but a key on a
 * host must not be worth as much as the owner's own sign-in: whatever roles the owner holds,
 * the agent may only
 *
 *   - read the catalogue (products and everything below them, licences, interfaces, badges),
 *   - read its own platform,
 *   - list and read that platform's instances, and report on them (PUT/PATCH `deployed_at`
 *     and `launch_bindings`),
 *   - ask whether the owner may use a product (`/authorizations/users/<owner>/products/…`):
 *     the licence check before a deploy.
 *
 * Everything else is a 403: creating or deleting anything, other platforms, users, roles,
 * groups, identity providers, sessions. Routes are allowed by name, so a route added later is
 * closed to agents until it is listed here. Within what is allowed, the usual checks (the
 * owner's read rights, ownership of the platform) still apply.
 */
import type { Queryable } from '../db/database.js';
import { HttpError } from '../errors.js';
import { UUID_PATTERN } from '../resources/definition.js';
import type { Caller } from './caller.js';

type Params = Record<string, string>;

interface Rule {
  methods: readonly string[];
  /** Fastify route patterns, or a test on them. */
  route: (route: string) => boolean;
  /** Further conditions on the URL's ids. */
  params?: (params: Params, platformId: string, ownerId: string | undefined) => boolean;
}

const READ = ['GET', 'HEAD'] as const;
const PLATFORM = '/users/:user_id/platforms/:id';
const INSTANCES = '/users/:user_id/platforms/:platform_id/instances';
const INSTANCE = `${INSTANCES}/:id`;
const OWNER_AUTHORIZATION = '/authorizations/users/:user_id/products/:product_id';
const CATALOGUE = /^\/(products|licenses|interfaces|badges|sub_products)(\/|$)/;

const is = (...routes: string[]) => (route: string) => routes.includes(route);
const same = (a: string | undefined, b: string) => a?.toLowerCase() === b;

const RULES: readonly Rule[] = [
  { methods: READ, route: is('/', '/status') },
  { methods: READ, route: (route) => CATALOGUE.test(route) },
  // A search is a read that takes its query in a body.
  { methods: ['POST'], route: is('/products/search') },
  { methods: READ, route: is(PLATFORM), params: (p, own) => same(p.id, own) },
  { methods: READ, route: is(INSTANCES, INSTANCE), params: (p, own) => same(p.platform_id, own) },
  { methods: ['PUT', 'PATCH'], route: is(INSTANCE), params: (p, own) => same(p.platform_id, own) },
  // The reference server's verb is PUT; POST is the same call.
  { methods: ['PUT', 'POST'], route: is(OWNER_AUTHORIZATION), params: (p, _own, owner) => !!owner && same(p.user_id, owner) },
];

const WHAT_AGENTS_MAY =
  "an agent token may only read the catalogue and its own platform, list, read and report on that platform's instances, and ask whether the platform's owner may use a product";

/**
 * Before the body is read: refuses what an agent may never do. `route` is the matched route
 * pattern (undefined when none matched: the 404 handler answers).
 */
export function checkAgentRoute(caller: Caller, method: string, route: string | undefined, params: Params): void {
  const platformId = caller.platformId;
  if (!platformId || route === undefined) return;
  const allowed = RULES.some((rule) => rule.methods.includes(method) && rule.route(route) && (rule.params?.(params, platformId, caller.user?.id) ?? true));
  if (!allowed) throw new HttpError(403, `You are not allowed to ${method} ${route}: ${WHAT_AGENTS_MAY}.`);
}

/**
 * With the body: a report is `deployed_at` and `launch_bindings`. Moving the instance to
 * another build is the owner's decision, not its agent's (sending the same build back, as
 * clients that echo a rendered record do, is fine).
 */
export async function checkAgentWrite(db: Queryable, caller: Caller, method: string, route: string | undefined, params: Params, body: unknown): Promise<void> {
  if (!caller.platformId || route !== INSTANCE || (method !== 'PUT' && method !== 'PATCH')) return;
  const input = body && typeof body === 'object' && !Array.isArray(body) ? ((body as Record<string, unknown>).instance ?? body) : undefined;
  const buildId = input && typeof input === 'object' ? (input as Record<string, unknown>).build_id : undefined;
  // Malformed ids are the route's 404.
  if (buildId === undefined || !UUID_PATTERN.test(params.id ?? '')) return;
  const { rows } = await db.query<{ build_id: string }>('SELECT build_id FROM instances WHERE id = $1 AND platform_id = $2', [params.id!.toLowerCase(), caller.platformId]);
  const current = rows[0]?.build_id;
  // An unknown instance is left to the route (404).
  if (current !== undefined && (typeof buildId !== 'string' || buildId.toLowerCase() !== current)) {
    throw new HttpError(403, "You are not allowed to change an instance's build_id: an agent token may only report deployed_at and launch_bindings.");
  }
}
