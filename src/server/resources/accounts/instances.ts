/**
 * `/users/:user_id/platforms/:platform_id/instances`: builds deployed (or to deploy) on a
 * platform. The platform's owner manages them.
 */
import { can } from '../../auth/permissions.js';
import { invalid } from '../../errors.js';
import { PUBLISHED, type RenderContext, type ResourceDefinition, type Row } from '../definition.js';
import { requireJsonObject } from './json-object.js';

export const instances: ResourceDefinition = {
  name: 'instances',
  table: 'instances',
  root: 'instance',
  path: '/users/:user_id/platforms/:platform_id/instances',
  parent: { param: 'platform_id', column: 'platform_id', resource: 'platforms' },
  fields: {
    platform_id: { type: 'uuid' },
    build_id: { type: 'uuid', required: true },
    // Clients of the reference server send a JSON-encoded string; objects are fine too.
    launch_bindings: { type: 'json', acceptsJsonString: true, filterable: false },
    deployed_at: { type: 'timestamp', sortable: true },
  },
  defaultSort: 'created_at',
  listShape: 'envelope',
  deleteReturns: 'record',
  jsonSuffix: true,
  ownerExpr: '(SELECT p.user_id FROM platforms p WHERE p.id = r.platform_id)',
  ownerVerbs: ['read', 'create', 'update', 'delete'],
  check: checkInstance,
  // The build's product, which the reference server does not render: a build's URL needs it,
  // and without it an agent would have to search the catalogue for the build.
  computed: { product_id: '(SELECT b.product_id FROM builds b WHERE b.id = r.build_id)' },
};

async function checkInstance(values: Row, _existing: Row | undefined, context: RenderContext): Promise<void> {
  requireJsonObject(values, 'launch_bindings');
  if (typeof values.build_id === 'string') await requireReadableBuild(values.build_id, context);
}

/**
 * The build must exist and be one the caller may see: no deploying (or probing for) the
 * builds of someone else's unpublished product. Both cases read "must exist".
 */
async function requireReadableBuild(buildId: string, { db, caller }: RenderContext): Promise<void> {
  const { rows } = await db.query<{ user_id: string; published: boolean }>(
    `SELECT p.user_id, (${PUBLISHED('p')}) AS published FROM builds b JOIN products p ON p.id = b.product_id WHERE b.id = $1`,
    [buildId],
  );
  const build = rows[0];
  const readable = !!build && (build.published || build.user_id === caller.user?.id || can(caller.permissions, 'products', 'read') || can(caller.permissions, 'builds', 'read'));
  if (!readable) throw invalid('build_id', 'must exist');
}
