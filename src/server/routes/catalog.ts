/** Product actions, search, families, and the files (logos, screenshot images, build assets). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../auth/permissions.js';
import type { ServerContext } from '../context.js';
import { badRequest, denied, notFound } from '../errors.js';
import { sendAttachment } from '../resources/attachments.js';
import type { ResourceDefinition, Row } from '../resources/definition.js';
import { registerMultipart } from '../uploads.js';
import { listRecords, loadRecord, render, type Sql } from './crud.js';

const SIZES = ['large', 'medium', 'small'];
/** Enough for any real query; bounds the SQL a search builds. */
const MAX_SEARCH_WORDS = 20;

export async function registerCatalogRoutes(app: FastifyInstance, context: ServerContext): Promise<void> {
  await registerMultipart(app, context.config);
  const products = context.resources.get('products');
  const screenshots = context.resources.get('screenshots');
  const builds = context.resources.get('builds');

  // Publishing needs `products.publish` (owners cannot publish their own), and makes the product visible too.
  const publishing = (set: string) => async (req: FastifyRequest) => {
    const { row, params } = await loadRecord(context, products, req);
    if (!can(req.caller.permissions, 'products', 'publish')) throw denied(!!req.caller.user, 'publish products');
    await context.db.query(`UPDATE products SET ${set}, updated_at = now() WHERE id = $1`, [row.id]);
    const { row: updated } = await loadRecord(context, products, req);
    return (await render(context, products, [updated], req, params))[0];
  };
  app.post('/products/:id/publish', publishing('published_at = coalesce(published_at, now()), visible_at = coalesce(visible_at, now())'));
  app.post('/products/:id/unpublish', publishing('published_at = NULL'));

  app.post('/products/search', (req, reply) => search(context, products, req, reply));

  const family = (mine: string, theirs: string) => async (req: FastifyRequest, reply: FastifyReply) => {
    const { row } = await loadRecord(context, products, req);
    return listRecords(context, products, req, reply, {
      where: (sql) => [`r.id IN (SELECT ${theirs} FROM sub_products WHERE ${mine} = ${sql.add(row.id)})`],
    });
  };
  app.get('/products/:id/children', family('parent_id', 'child_id'));
  app.get('/products/:id/parents', family('child_id', 'parent_id'));

  // Every size is the original image: resizing would need an image library for little gain.
  app.get('/products/:id/logo/:size', async (req, reply) => {
    checkSize(req, 'logo');
    const { row } = await loadRecord(context, products, req);
    return sendFile(reply, context, products, 'logo', row, 'inline', `The product ${JSON.stringify(row.name)} has no logo.`);
  });
  app.get('/products/:product_id/screenshots/:id/:size', async (req, reply) => {
    checkSize(req, 'screenshot');
    const { row } = await loadRecord(context, screenshots, req);
    return sendFile(reply, context, screenshots, 'image', row, 'inline', `The screenshot ${JSON.stringify(row.caption)} has no image.`);
  });
  app.get('/products/:product_id/builds/:id/asset', async (req, reply) => {
    const { row } = await loadRecord(context, builds, req);
    return sendFile(reply, context, builds, 'asset', row, 'attachment', `Build ${JSON.stringify(row.version)} has no asset.`);
  });
}

/**
 * `POST /products/search`: `text` (each word must begin a word of the name or description,
 * case-insensitively), `mime_type`, the index's filters and paging; from the body or the query.
 * Best matches first: more words found in the name, then by name.
 */
async function search(context: ServerContext, products: ResourceDefinition, req: FastifyRequest, reply: FastifyReply) {
  const body = req.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The search body must be a JSON object such as {"text": "fhir"}.');
  // JSON numbers and booleans read like their query-string forms.
  const fromBody = Object.entries(body).map(([key, value]) => [key, typeof value === 'number' || typeof value === 'boolean' ? String(value) : value]);
  const query = { ...(req.query as Record<string, unknown>), ...Object.fromEntries(fromBody) } as Record<string, unknown>;
  if (query.text !== undefined && query.text !== null && typeof query.text !== 'string') throw badRequest('The text parameter must be a string.');
  // Words as PostgreSQL's text search sees them: runs of letters and digits, so nothing needs escaping below.
  const words = typeof query.text === 'string' ? (query.text.match(/[\p{L}\p{N}]+/gu) ?? []) : [];
  if (words.length > MAX_SEARCH_WORDS) throw badRequest(`Search for at most ${MAX_SEARCH_WORDS} words at a time.`);
  const startOfWord = (word: string, sql: Sql) => sql.add(`\\m${word}`);
  return listRecords(context, products, req, reply, {
    query,
    where: (sql) =>
      words.map((word) => {
        const pattern = startOfWord(word, sql);
        return `(r.name ~* ${pattern} OR coalesce(r.description, '') ~* ${pattern})`;
      }),
    defaultOrder: (sql) =>
      words.length ? `(${words.map((word) => `(r.name ~* ${startOfWord(word, sql)})::int`).join(' + ')}) DESC, r.name ASC` : 'r.name ASC',
  });
}

function checkSize(req: FastifyRequest, what: string): void {
  const size = (req.params as { size: string }).size;
  if (!SIZES.includes(size)) throw notFound(`There is no ${what} size ${JSON.stringify(size)}; ask for large, medium or small.`);
}

function sendFile(reply: FastifyReply, context: ServerContext, definition: ResourceDefinition, name: string, row: Row, disposition: 'inline' | 'attachment', missing: string) {
  return sendAttachment(reply, context.db, definition.attachments![name]!, row.id as string, disposition, missing);
}
