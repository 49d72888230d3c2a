/** Products (Release 1: "services") and the records embedded in them. */
import { badRequest } from '../errors.js';
import { CURATION, PUBLISHED, UUID_PATTERN, type RenderContext, type ResourceDefinition, type Row } from './definition.js';

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
  // `license=<id>`: offered under that licence; `interface=<id>`: a build exposes it (the
  // catalogue's filters, which must hold across pages, so the server applies them).
  filters: {
    published(value) {
      if (value !== 'true' && value !== 'false') throw badRequest('The published filter must be true or false.');
      return value === 'true' ? PUBLISHED('r') : `NOT (${PUBLISHED('r')})`;
    },
    license(value, sql) {
      return `r.id IN (SELECT pl.product_id FROM product_licenses pl WHERE pl.license_id = ${sql.add(uuidFilter('license', value))})`;
    },
    interface(value, sql) {
      return `r.id IN (SELECT b.product_id FROM builds b JOIN exposures e ON e.build_id = b.id WHERE e.interface_id = ${sql.add(uuidFilter('interface', value))})`;
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

function uuidFilter(name: string, value: string): string {
  if (!UUID_PATTERN.test(value)) throw badRequest(`The ${name} filter must be a UUID.`);
  return value.toLowerCase();
}

/**
 * `product_licenses[]` and `screenshots[]` (with their image fields) inside each product, and
 * the logo's fields (`logo_file_name`, … as Release 1 rendered them; null without a logo, so a
 * catalogue knows which logos to fetch), in one query per page: each database round trip costs
 * more than the rows it carries. A product just created has none of them: no query.
 */
async function embedLicensesAndScreenshots(rows: Row[], { db, origin, justCreated }: RenderContext): Promise<void> {
  if (!rows.length) return;
  const ids = rows.map((r) => r.id);
  const { rows: embedded } = justCreated ? { rows: [] } : await db.query<Row & { kind: 'licenses' | 'screenshots' | 'logo' }>(
    `SELECT 'licenses' AS kind, l.id, l.product_id, l.license_id, l.external_id, NULL::text AS caption, l.created_at, l.updated_at,
            NULL::text AS filename, NULL::text AS content_type, NULL::integer AS byte_size, NULL::timestamptz AS image_updated_at
       FROM product_licenses l WHERE l.product_id = ANY($1)
     UNION ALL
     SELECT 'screenshots', s.id, s.product_id, NULL, NULL, s.caption, s.created_at, s.updated_at,
            i.filename, i.content_type, i.byte_size, i.updated_at
       FROM screenshots s LEFT JOIN screenshot_images i ON i.screenshot_id = s.id WHERE s.product_id = ANY($1)
     UNION ALL
     SELECT 'logo', g.product_id, g.product_id, NULL, NULL, NULL, g.created_at, g.updated_at, g.filename, g.content_type, g.byte_size, g.updated_at
       FROM product_logos g WHERE g.product_id = ANY($1)
     ORDER BY created_at, id`,
    [ids],
  );
  const licensesOf = new Map<unknown, Row[]>();
  const screenshotsOf = new Map<unknown, Row[]>();
  const logoOf = new Map<unknown, Row>();
  const iso = (value: unknown) => (value instanceof Date ? value.toISOString() : value === null ? null : new Date(value as string).toISOString());
  for (const row of embedded) {
    if (row.kind === 'logo') {
      logoOf.set(row.product_id, row);
      continue;
    }
    const path = `/products/${String(row.product_id)}/${row.kind}/${String(row.id)}`;
    const common = { id: row.id, product_id: row.product_id };
    const times = { created_at: iso(row.created_at), updated_at: iso(row.updated_at), path, url: `${origin}${path}` };
    // The keys in the order the separate queries gave them: clients compare records as text too.
    const rendered =
      row.kind === 'licenses'
        ? { ...common, license_id: row.license_id, external_id: row.external_id, ...times }
        : {
            ...common,
            caption: row.caption,
            ...times,
            image_file_name: row.filename ?? null,
            image_content_type: row.content_type ?? null,
            image_file_size: row.byte_size ?? null,
            image_updated_at: row.filename === null ? null : iso(row.image_updated_at),
          };
    const map = row.kind === 'licenses' ? licensesOf : screenshotsOf;
    const list = map.get(row.product_id);
    if (list) list.push(rendered);
    else map.set(row.product_id, [rendered]);
  }
  for (const row of rows) {
    row.product_licenses = licensesOf.get(row.id) ?? [];
    row.screenshots = screenshotsOf.get(row.id) ?? [];
    const logo = logoOf.get(row.id);
    row.logo_file_name = logo?.filename ?? null;
    row.logo_content_type = logo?.content_type ?? null;
    row.logo_file_size = logo?.byte_size ?? null;
    row.logo_updated_at = logo ? iso(logo.image_updated_at) : null;
  }
}
