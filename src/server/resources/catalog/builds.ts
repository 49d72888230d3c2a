/** `/products/:product_id/builds`: a product's versions, each with an optional asset file. */
import { SHA256_DIGEST } from '../../../oci/digest.js';
import { withAttachment } from '../attachments.js';
import { CURATION, type ResourceDefinition } from '../definition.js';
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
    release_notes: { type: 'text', maxLength: 100_000 },
    // Clients of the reference server send it JSON-encoded; an object works too.
    permissions: { type: 'json', acceptsJsonString: true },
    container_repository: { type: 'text', sortable: true, maxLength: 1000 },
    container_tag: { type: 'text', sortable: true },
    // The manifest digest the tag pointed to when the build was published (hsp publish resolves
    // it): agents run exactly this image, whatever the tag points to later.
    container_digest: { type: 'text', format: { pattern: SHA256_DIGEST, message: 'must be a SHA-256 digest: "sha256:" and 64 lowercase hexadecimal digits' } },
    // Validation is curation (the specification's operator validates builds), not the publisher's say.
    validated_at: { type: 'timestamp', sortable: true, permission: CURATION },
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
