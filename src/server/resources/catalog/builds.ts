/** `/products/:product_id/builds`: a product's versions, each with an optional asset file. */
import { withAttachment } from '../attachments.js';
import type { ResourceDefinition } from '../definition.js';
import { belowProduct } from './access.js';

export const builds: ResourceDefinition = {
  name: 'builds',
  table: 'builds',
  root: 'build',
  path: '/products/:product_id/builds',
  parent: { param: 'product_id', column: 'product_id', resource: 'products' },
  fields: {
    product_id: { type: 'uuid' },
    version: { type: 'text', required: true, sortable: true },
    release_notes: { type: 'text' },
    // Clients of the reference server send it JSON-encoded; an object works too.
    permissions: { type: 'json', acceptsJsonString: true },
    container_repository: { type: 'text', sortable: true },
    container_tag: { type: 'text', sortable: true },
    validated_at: { type: 'timestamp', sortable: true },
    published_at: { type: 'timestamp', readOnly: true, sortable: true },
  },
  defaultSort: 'version',
  listShape: 'envelope',
  deleteReturns: 'record',
  attachments: { asset: { table: 'build_assets', key: 'build_id' } },
  ...belowProduct('r.product_id'),
  async embed(rows, { db }) {
    const withAsset = await withAttachment(db, builds.attachments!.asset!, rows.map((r) => r.id));
    for (const row of rows) row.asset_available = withAsset.has(row.id as string);
  },
};
