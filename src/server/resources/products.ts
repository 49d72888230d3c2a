/** Products (Release 1: "services") and the records embedded in them. */
import { badRequest } from '../errors.js';
import { embedImageFields } from './catalog/screenshots.js';
import { CURATION, PUBLISHED, type RenderContext, type ResourceDefinition, type Row } from './definition.js';

export const products: ResourceDefinition = {
  name: 'products',
  table: 'products',
  root: 'product',
  path: '/products',
  fields: {
    name: { type: 'text', required: true, sortable: true },
    description: { type: 'text', sortable: true, maxLength: 100_000 },
    external_id: { type: 'text' },
    locale: { type: 'text' },
    mime_type: { type: 'text', listFilter: true, sortable: true },
    user_id: { type: 'uuid', required: true },
    uri: { type: 'text', maxLength: 2048 },
    support_url: { type: 'text', maxLength: 2048 },
    published_at: { type: 'timestamp', sortable: true, permission: CURATION },
    visible_at: { type: 'timestamp', sortable: true, permission: CURATION },
  },
  defaultSort: 'name',
  // `published=true`: public now; `false`: everything else the caller may read.
  filters: {
    published(value) {
      if (value !== 'true' && value !== 'false') throw badRequest('The published filter must be true or false.');
      return value === 'true' ? PUBLISHED('r') : `NOT (${PUBLISHED('r')})`;
    },
  },
  attachments: { logo: { table: 'product_logos', key: 'product_id', images: true } },
  listShape: 'envelope',
  deleteReturns: 'record',
  publicWhere: PUBLISHED('r'),
  ownerExpr: 'r.user_id',
  // Owners read and edit their product; deleting and publishing (its curated fields) need a role.
  ownerVerbs: ['read', 'update'],
  ownerField: 'user_id',
  embed: embedLicensesAndScreenshots,
};

/** `product_licenses[]` and `screenshots[]` inside each product, in two queries per page. */
async function embedLicensesAndScreenshots(rows: Row[], { db, origin }: RenderContext): Promise<void> {
  if (!rows.length) return;
  const ids = rows.map((r) => r.id);
  const licenses = await db.query<Row>(
    'SELECT id, product_id, license_id, external_id, created_at, updated_at FROM product_licenses WHERE product_id = ANY($1) ORDER BY created_at, id',
    [ids],
  );
  const screenshots = await db.query<Row>(
    'SELECT id, product_id, caption, created_at, updated_at FROM screenshots WHERE product_id = ANY($1) ORDER BY created_at, id',
    [ids],
  );
  const byProduct = (list: Row[], kind: string) => {
    const map = new Map<unknown, Row[]>();
    for (const row of list) {
      const path = `/products/${String(row.product_id)}/${kind}/${String(row.id)}`;
      const rendered = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
      map.set(row.product_id, [...(map.get(row.product_id) ?? []), { ...rendered, path, url: `${origin}${path}` }]);
    }
    return map;
  };
  const licensesOf = byProduct(licenses.rows, 'licenses');
  const screenshotsOf = byProduct(screenshots.rows, 'screenshots');
  await embedImageFields(db, [...screenshotsOf.values()].flat());
  for (const row of rows) {
    row.product_licenses = licensesOf.get(row.id) ?? [];
    row.screenshots = screenshotsOf.get(row.id) ?? [];
  }
}
