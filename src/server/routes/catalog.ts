/** Product actions, search, families, and the files (logos, screenshot images, build assets). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../auth/permissions.js';
import type { ServerContext } from '../context.js';
import { badRequest, denied, invalid, notFound } from '../errors.js';
import { sendAttachment } from '../resources/attachments.js';
import type { ResourceDefinition, Row } from '../resources/definition.js';
import { longerThan } from '../resources/values.js';
import { registerMultipart } from '../uploads.js';
import { listRecords, loadRecord, render } from './crud.js';

const SIZES = ['large', 'medium', 'small'];
/** Longest search text, in characters: a long product name and then some. */
const MAX_SEARCH_LENGTH = 200;
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
  app.get('/products/:id/children', { config: { catalogRead: true } }, family('parent_id', 'child_id'));
  app.get('/products/:id/parents', { config: { catalogRead: true } }, family('child_id', 'parent_id'));

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
 *
 * Matching is literal: no user text ever becomes a pattern (each word once became a regular
 * expression, and one of 40,000 letters held the whole server). See `wordsFound`.
 */
async function search(context: ServerContext, products: ResourceDefinition, req: FastifyRequest, reply: FastifyReply) {
  const body = req.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) throw badRequest('The search body must be a JSON object such as {"text": "fhir"}.');
  // JSON numbers and booleans read like their query-string forms.
  const fromBody = Object.entries(body).map(([key, value]) => [key, typeof value === 'number' || typeof value === 'boolean' ? String(value) : value]);
  const query = { ...(req.query as Record<string, unknown>), ...Object.fromEntries(fromBody) } as Record<string, unknown>;
  const words = searchWords(query.text);
  return listRecords(context, products, req, reply, {
    query,
    where: (sql) => (words.length ? [`${wordsFound(`r.name || ' ' || coalesce(r.description, '')`, `${sql.add(words)}::text[]`)} = ${words.length}`] : []),
    defaultOrder: (sql) => (words.length ? `${wordsFound('r.name', `${sql.add(words)}::text[]`)} DESC, r.name ASC` : 'r.name ASC'),
  });
}

/** The words of a search text: runs of letters and digits, so punctuation is never a pattern. */
function searchWords(text: unknown): string[] {
  if (text === undefined || text === null) return [];
  if (typeof text !== 'string') throw invalid('text', 'must be a string');
  if (longerThan(text, MAX_SEARCH_LENGTH)) throw invalid('text', `is too long (at most ${MAX_SEARCH_LENGTH} characters)`);
  const words = text.match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length > MAX_SEARCH_WORDS) throw invalid('text', `has too many words (at most ${MAX_SEARCH_WORDS})`);
  return words;
}

/**
 * SQL: how many of `words` (a text[]) begin a word of `text`, case-insensitively, as
 * PostgreSQL's `\m` did (a word starts after anything but a letter, digit or `_`).
 *
 * The words are only compared, never read as patterns: `strpos` finds a word, and
 * `string_to_array` cuts the text at each place it occurs; the piece before each place then
 * says whether the word begins a word there (its last character is not part of a word: the
 * one regular expression, a constant, asks that of a single character). The text is lowered
 * once per row; the usual case (after a space) needs two `strpos` and no cutting. The `_`
 * appended makes the piece after the last place never count, and cannot be part of a word.
 */
function wordsFound(text: string, words: string): string {
  return `(SELECT count(*) FROM (SELECT ' ' || lower(${text}) AS text OFFSET 0) AS t, unnest(${words}) AS w(word) WHERE CASE
    WHEN strpos(t.text, lower(w.word)) = 0 THEN false
    WHEN strpos(t.text, ' ' || lower(w.word)) > 0 THEN true
    ELSE EXISTS (SELECT 1 FROM unnest(string_to_array(t.text || '_', lower(w.word))) AS before(piece) WHERE right(before.piece, 1) ~ '[^[:alnum:]_]')
  END)`;
}

function checkSize(req: FastifyRequest, what: string): void {
  const size = (req.params as { size: string }).size;
  if (!SIZES.includes(size)) throw notFound(`There is no ${what} size ${JSON.stringify(size)}; ask for large, medium or small.`);
}

function sendFile(reply: FastifyReply, context: ServerContext, definition: ResourceDefinition, name: string, row: Row, disposition: 'inline' | 'attachment', missing: string) {
  return sendAttachment(reply, context.db, definition.attachments![name]!, row.id as string, disposition, missing);
}
