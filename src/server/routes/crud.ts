/**
 * The five verbs for every declared resource: list (filtered, sorted, paginated), show,
 * create, update and delete, with access control. See ../resources/definition.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller.js';
import { CATALOG_TABLES } from '../cache/catalog-events.js';
import { can, type Verb } from '../auth/permissions.js';
import { asPgError, type Queryable } from '../db/database.js';
import { badRequest, denied, fromDatabaseError, HttpError, notFound, REFUSED_BY_OWNERSHIP } from '../errors.js';
import { storeUploads, takeUploads } from '../resources/attachments.js';
import { UUID_PATTERN, type Ownership, type RenderContext, type ResourceDefinition, type Row } from '../resources/definition.js';
import { longerThan, maxLengthOf, toColumns, toJson, unwrap } from '../resources/values.js';
import { isMultipartRequest } from '../uploads.js';
import type { ServerContext } from '../context.js';

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 100;

type Params = Record<string, string>;

/** Registers the routes of every definition. */
export function registerCrud(app: FastifyInstance, context: ServerContext): void {
  for (const definition of context.resources.all()) {
    const collection = definition.path;
    const member = `${collection}/:id`;
    // Writes may carry files: the route says which, and judges the caller before reading them.
    const files = definition.attachments ? { root: definition.root, names: Object.keys(definition.attachments) } : undefined;
    const writing = (verb: 'create' | 'update') => ({
      config: { files, writes: definition },
      onRequest: async (req: FastifyRequest) => judgeBeforeBody(context, definition, req, verb),
    });
    // Catalogue reads are decided by the catalogue and by who asks: kept rendered, per audience.
    const catalogRead = { config: { catalogRead: isCatalog(definition) } };
    app.get(collection, catalogRead, (req, reply) => list(context, definition, req, reply));
    app.post(collection, writing('create'), (req, reply) => create(context, definition, req, reply));
    app.get(member, catalogRead, (req) => show(context, definition, req));
    app.patch(member, writing('update'), (req) => update(context, definition, req));
    app.put(member, writing('update'), (req) => update(context, definition, req));
    app.delete(member, (req, reply) => remove(context, definition, req, reply));
  }
}

/** Anyone may read some of it, and reading it reads only catalogue tables (whose writes empty the cache). */
export function isCatalog(definition: ResourceDefinition): boolean {
  return definition.publicWhere !== undefined && (CATALOG_TABLES as readonly string[]).includes(definition.table);
}

// ---------------------------------------------------------------------------------------
// Handlers

async function list(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest, reply: FastifyReply) {
  const params = checkIds(req.params as Params);
  await checkParents(context, definition, params, req.caller);
  return listRecords(context, definition, req, reply, { params });
}

export interface ListOptions {
  /** The URL's ids (parents are scoped by them). */
  params?: Params;
  /** Paging, sorting and filters; default: the request's query string. */
  query?: Record<string, unknown>;
  /** More SQL conditions over alias `r`. */
  where?: (sql: Sql) => string[];
  /** The order when `sort` names no sortable field (e.g. search relevance). */
  defaultOrder?: (sql: Sql) => string;
}

/**
 * A page of the rows the caller may read, filtered and sorted, as an envelope or a bare array.
 * Bare arrays (the reference server's unpaginated sub-resource lists) hold every row unless the
 * client asks for `page` or `per_page`: clients take an array for the whole list.
 */
export async function listRecords(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest, reply: FastifyReply, options: ListOptions = {}) {
  const params = options.params ?? {};
  const query = options.query ?? (req.query as Record<string, unknown>);
  const page = positiveInt(query.page, 'page', 1);
  const perPage = Math.min(positiveInt(query.per_page, 'per_page', DEFAULT_PER_PAGE), MAX_PER_PAGE);
  const everything = definition.listShape === 'array' && query.page === undefined && query.per_page === undefined;

  const sql = new Sql();
  const where = [scopeWhere(definition, params, sql), readWhere(definition, req.caller, sql), ...filterWhere(definition, query, sql), ...(options.where?.(sql) ?? [])];
  if (where.includes(null)) throw denied(!!req.caller.user, `list ${definition.name}`);
  const condition = where.filter((w): w is string => !!w).join(' AND ') || 'TRUE';
  const whereParams = [...sql.params];
  const order = orderBy(definition, query, sql, options.defaultOrder);

  // The envelope's total comes with the page (a window count), not from a second query.
  const envelope = definition.listShape === 'envelope';
  const rows = await selectRows(context.db, definition, `WHERE ${condition} ORDER BY ${order}`, sql, everything ? null : perPage, everything ? 0 : (page - 1) * perPage, false, envelope);
  const rendered = await render(context, definition, rows, req, params);
  if (!envelope) return rendered;

  // Past the last page there is no row to carry the count: only then is it asked for alone.
  const total = rows.length
    ? Number(rows[0]!.__total)
    : page === 1
      ? 0
      : Number((await context.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${definition.table} r WHERE ${condition}`, whereParams)).rows[0]?.n ?? 0);
  const totalPages = Math.max(1, Math.ceil(total / perPage));
  reply.header('x-total-count', String(total));
  return {
    total_pages: totalPages,
    total_entries: total,
    previous_page: page > 1 ? page - 1 : null,
    next_page: page < totalPages ? page + 1 : null,
    current_page: page,
    results: rendered,
  };
}

async function show(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest) {
  const params = checkIds(req.params as Params);
  const row = await findReadable(context, definition, params, req.caller, 'read');
  return (await render(context, definition, [row], req, params))[0];
}

async function create(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest, reply: FastifyReply) {
  const params = checkIds(req.params as Params);
  const caller = req.caller;
  if (!caller.user) throw denied(false, `create ${definition.name}`);
  await checkParents(context, definition, params, caller);
  const input = unwrap(req.body, definition.root);
  const values = toColumns(definition, input, 'create');
  const uploads = takeUploads(definition, input);
  if (definition.parent) values[definition.parent.column] = params[definition.parent.param];
  if (definition.ownerField && values[definition.ownerField] === undefined) values[definition.ownerField] = caller.user.id;
  refuseHandingOut(definition, caller, values);
  refuseCuration(definition, caller, values);
  await definition.check?.(values, undefined, renderContext(context, req));

  // The new row comes back whole (with the columns access is judged by) from the INSERT itself.
  const insert = async (db: Queryable) => {
    const columns = Object.keys(values);
    const sql = new Sql();
    const placeholders = columns.map((c) => sql.add(values[c]));
    const inserted = await db.query<Row>(
      `INSERT INTO ${definition.table} AS r (${columns.map(quote).join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING ${selectColumns(definition, true).join(', ')}`,
      sql.params,
    );
    return inserted.rows[0]!;
  };
  // One statement that nothing can refuse afterwards (the caller's role allows the create, no
  // files, nothing to run after it) needs no transaction: it commits or fails whole by itself.
  const alone = !uploads.size && !definition.afterWrite && allowedByRole(definition, caller, 'create');
  const row = alone
    ? await insert(context.db).catch((error: unknown) => {
        throw fromDatabaseError(error, Object.keys(definition.fields));
      })
    : await writeChecked(context, definition, caller, 'create', async (tx) => {
        const inserted = await insert(tx);
        await storeUploads(tx, definition, inserted.id as string, uploads);
        return inserted.id as string;
      });
  const [body] = await render(context, definition, [row], req, params, alone);
  // The self link, from `path`: a licence's `url` is its text, not itself.
  reply.code(201).header('location', `${originOf(req)}${String(body!.path)}`);
  return body;
}

async function update(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest) {
  const params = checkIds(req.params as Params);
  const caller = req.caller;
  if (!caller.user) throw denied(false, `update ${definition.name}`);
  const existing = await findReadable(context, definition, params, caller, 'update');
  const input = unwrap(req.body, definition.root);
  const values = toColumns(definition, input, 'update');
  const uploads = takeUploads(definition, input);
  refuseHandingOut(definition, caller, values, existing);
  refuseCuration(definition, caller, values, existing);
  await definition.check?.(values, existing, renderContext(context, req));

  const updating = (db: Queryable, returning: (sql: Sql) => string) => {
    const sql = new Sql();
    const sets = Object.keys(values).map((c) => `${quote(c)} = ${sql.add(values[c])}`);
    sets.push('updated_at = now()');
    const guard = definition.updateGuard?.(values);
    const where = `r.id = ${sql.add(existing.id)}${guard ? ` AND (${guard.where})` : ''}`;
    return db.query<Row>(`UPDATE ${definition.table} AS r SET ${sets.join(', ')} WHERE ${where}${returning(sql)}`, sql.params).then(({ rows, rowCount }) => {
      if (guard && rowCount === 0) throw new HttpError(409, guard.conflict);
      return rows;
    });
  };
  // With no files and nothing to run after it, an update is one statement returning the row.
  // Allowed by the caller's role, nothing can refuse it afterwards; allowed by ownership, the
  // written row must still be the caller's, which the statement itself checks: it fails whole
  // (nothing written) when not (REFUSED_BY_OWNERSHIP, migration 7).
  const owners = ownerships(definition).filter((owner) => owner.verbs.includes('update'));
  const byRole = allowedByRole(definition, caller, 'update');
  const alone = !uploads.size && !definition.afterWrite && (byRole || owners.length > 0);
  const returning = (sql: Sql) => {
    const columns = selectColumns(definition, true);
    if (!byRole) columns.push(`hsp_refuse_unless(${owners.map((owner) => `${owner.expr} = ${sql.add(caller.user!.id)}`).join(' OR ')}) AS __owned`);
    return ` RETURNING ${columns.join(', ')}`;
  };
  const row = alone
    ? await updating(context.db, returning).then(
        (rows) => {
          if (!rows[0]) throw notFound(`No ${definition.root.replace(/_/g, ' ')} with id ${params.id}.`);
          return rows[0];
        },
        (error: unknown) => {
          if (error instanceof HttpError) throw error;
          if (asPgError(error)?.code === REFUSED_BY_OWNERSHIP) throw denied(true, `update this ${definition.root.replace(/_/g, ' ')}`);
          throw fromDatabaseError(error, Object.keys(definition.fields));
        },
      )
    : await writeChecked(context, definition, caller, 'update', async (tx) => {
        await updating(tx, () => '');
        await storeUploads(tx, definition, existing.id as string, uploads);
        return existing.id as string;
      });
  return (await render(context, definition, [row], req, params))[0];
}

async function remove(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest, reply: FastifyReply) {
  const params = checkIds(req.params as Params);
  const caller = req.caller;
  if (!caller.user) throw denied(false, `delete ${definition.name}`);
  const existing = await findReadable(context, definition, params, caller, 'delete');
  await definition.beforeDelete?.(existing, renderContext(context, req));
  const [body] = await render(context, definition, [existing], req, params);
  try {
    await context.db.query(`DELETE FROM ${definition.table} WHERE id = $1`, [existing.id]);
  } catch (error) {
    throw fromDatabaseError(error, Object.keys(definition.fields));
  }
  if (definition.deleteReturns === 'nothing') return reply.code(204).send();
  return body;
}

// ---------------------------------------------------------------------------------------
// Access

/** May `caller` do `verb` to rows of this resource by role, regardless of ownership? */
export function allowedByRole(definition: ResourceDefinition, caller: Caller, verb: Verb): boolean {
  if (can(caller.permissions, definition.permission ?? definition.name, verb)) return true;
  return verb === 'read' && !!definition.readNouns?.some((noun) => can(caller.permissions, noun, 'read'));
}

/** Who has rights over a row without a role, each as a selected column `__owner…`. */
function ownerships(definition: ResourceDefinition): (Ownership & { column: string })[] {
  const list = definition.ownerExpr ? [{ column: '__owner', expr: definition.ownerExpr, verbs: definition.ownerVerbs ?? [] }] : [];
  return [...list, ...(definition.owners ?? []).map((owner, i) => ({ ...owner, column: `__owner_${i + 1}` }))];
}

/** May the caller `verb` this row (selected with access columns) as one of its owners? */
function ownerMay(definition: ResourceDefinition, row: Row, caller: Caller, verb: Verb): boolean {
  const user = caller.user;
  return !!user && ownerships(definition).some((owner) => owner.verbs.includes(verb) && row[owner.column] === user.id);
}

/** SQL limiting reads to what the caller may see; `null` when they may see nothing. */
function readWhere(definition: ResourceDefinition, caller: Caller, sql: Sql): string | null | undefined {
  if (allowedByRole(definition, caller, 'read')) return undefined;
  const options: string[] = [];
  if (definition.publicWhere) options.push(`(${definition.publicWhere})`);
  if (caller.user) {
    const readers = ownerships(definition).filter((owner) => owner.verbs.includes('read'));
    if (readers.length) {
      const me = sql.add(caller.user.id);
      options.push(...readers.map((owner) => `${owner.expr} = ${me}`));
    }
  }
  return options.length ? `(${options.join(' OR ')})` : null;
}

/**
 * The row named by the URL, if the caller may `verb` it and read every parent above it (judged
 * from the top, as `checkParents`): 404 when one is absent, 401/403 when not allowed. One
 * statement: a row joined to nothing, so that a missing row still brings its parents' answers.
 */
async function findReadable(context: ServerContext, definition: ResourceDefinition, params: Params, caller: Caller, verb: Verb): Promise<Row> {
  const sql = new Sql();
  const levels = parentLevels(context, definition, params);
  const scope = scopeWhere(definition, params, sql);
  const columns = [...levelColumns(levels, sql), ...selectColumns(definition, true)];
  const { rows } = await context.db.query<Row>(
    `SELECT ${columns.join(', ')} FROM (SELECT 1) AS one LEFT JOIN ${definition.table} r ON r.id = ${sql.add(params.id)}${scope ? ` AND ${scope}` : ''}`,
    sql.params,
  );
  const row = rows[0]!;
  judgeLevels(levels, row, caller);
  return judgeReadable(definition, params, row.id === null ? undefined : row, caller, verb);
}

/** A row read with its access columns (or none), if the caller may `verb` it: 404 when absent, 401/403 when not allowed. */
function judgeReadable(definition: ResourceDefinition, params: Params, row: Row | undefined, caller: Caller, verb: Verb): Row {
  if (!row) throw notFound(`No ${definition.root.replace(/_/g, ' ')} with id ${params.id}.`);
  if (allowedByRole(definition, caller, verb) || ownerMay(definition, row, caller, verb)) return row;
  if (verb === 'read' && row.__public === true) return row;
  throw denied(!!caller.user, `${verb} this ${definition.root.replace(/_/g, ' ')}`);
}

/**
 * The record a URL names (`params.id`), checked from the top: malformed ids and missing
 * parents are 404s, and every parent must be readable. For routes beyond the five verbs.
 */
export async function loadRecord(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest, verb: Verb = 'read'): Promise<{ row: Row; params: Params }> {
  const params = checkIds(req.params as Params);
  return { row: await findReadable(context, definition, params, req.caller, verb), params };
}

/**
 * Before a multipart body is read (its files may be tens of megabytes): may the caller make
 * this write at all? The decision the write itself makes after reading, taken from what is
 * known without the body: the URL's parents and record, the caller's roles, and ownership as
 * the definition computes it. `writeChecked` still checks the written row afterwards.
 */
async function judgeBeforeBody(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest, verb: 'create' | 'update'): Promise<void> {
  if (!isMultipartRequest(req)) return;
  const caller = req.caller;
  const what = `${verb} this ${label(definition)}`;
  if (!caller.user) throw denied(false, what);
  const params = checkIds(req.params as Params);
  if (verb === 'update') {
    await findReadable(context, definition, params, caller, 'update');
    return;
  }
  await checkParents(context, definition, params, caller);
  if (allowedByRole(definition, caller, 'create')) return;
  if ((await ownsNewRowUnder(context, definition, params, caller)) === false) throw denied(true, what);
}

/**
 * Would the caller own a row created under the URL's parent? The definition's own ownership
 * SQL (what `writeChecked` evaluates on the written row), evaluated on a row holding only the
 * parent's id. `undefined` when that cannot be known before the body: no parent in the URL,
 * or ownership that depends on other fields (e.g. an entitlement's product licence).
 */
async function ownsNewRowUnder(context: ServerContext, definition: ResourceDefinition, params: Params, caller: Caller): Promise<boolean | undefined> {
  const creators = ownerships(definition).filter((owner) => owner.verbs.includes('create'));
  if (!creators.length) return false;
  const parent = definition.parent;
  const columns = creators.flatMap((owner) => [...owner.expr.matchAll(/\br\.([a-z_]+)/g)].map((m) => m[1]));
  if (!parent || columns.some((column) => column !== parent.column)) return undefined;
  const sql = new Sql();
  const { rows } = await context.db.query<Row>(
    `SELECT ${creators.map((owner) => `${owner.expr} AS ${owner.column}`).join(', ')} FROM (SELECT ${sql.add(params[parent.param])}::uuid AS ${quote(parent.column)}) r`,
    sql.params,
  );
  return creators.some((owner) => rows[0]?.[owner.column] === caller.user?.id);
}

/**
 * Owning is not handed out: a record owned by someone other than the caller (on create), or
 * moved to a new owner (on update), needs the right to administer users. A role that lets a
 * caller create products does not let them create products in another user's name.
 */
function refuseHandingOut(definition: ResourceDefinition, caller: Caller, values: Row, existing?: Row): void {
  const field = definition.ownerField;
  if (!field || values[field] === undefined) return;
  const kept = existing ? values[field] === existing[field] : values[field] === caller.user?.id;
  if (kept || can(caller.permissions, 'users', 'update')) return;
  throw new HttpError(
    403,
    existing
      ? `You may not change who owns this ${label(definition)}: changing ${field} needs the users.update permission.`
      : `You may not create a ${label(definition)} owned by another user: a ${field} other than your own needs the users.update permission.`,
  );
}

/**
 * Curated fields (`Field.permission`) are set or changed only with their permission, whoever
 * owns the record. A value sent back unchanged (clients send whole records) is simply dropped.
 */
function refuseCuration(definition: ResourceDefinition, caller: Caller, values: Row, existing?: Row): void {
  const refused: string[] = [];
  let needed = '';
  for (const [name, field] of Object.entries(definition.fields)) {
    if (!field.permission || values[name] === undefined) continue;
    if (sameValue(values[name], existing ? existing[name] : null)) {
      delete values[name];
      continue;
    }
    const { noun, verb } = field.permission;
    if (can(caller.permissions, noun, verb)) continue;
    if (!refused.length) needed = `${noun}.${verb}`;
    if (`${noun}.${verb}` === needed) refused.push(name);
  }
  if (refused.length) {
    throw new HttpError(403, `${existing ? 'Changing' : 'Setting'} ${refused.join(' and ')} needs the ${needed} permission.`);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  const plain = (value: unknown) => (value instanceof Date ? value.toISOString() : value === undefined ? null : value);
  return plain(a) === plain(b);
}

function label(definition: ResourceDefinition): string {
  return definition.root.replace(/_/g, ' ');
}

/**
 * Runs a write in a transaction, then checks the caller may own the result: a role grant, or
 * ownership of the written row (so no owner can create or move a record out of their own
 * hands; handing one to another user is `refuseHandingOut`'s). Rolls back when not allowed.
 */
async function writeChecked(
  context: ServerContext,
  definition: ResourceDefinition,
  caller: Caller,
  verb: 'create' | 'update',
  write: (tx: Queryable) => Promise<string>,
): Promise<Row> {
  try {
    const row = await context.db.transaction(async (tx) => {
      const id = await write(tx);
      const rows = await selectRows(tx, definition, 'WHERE r.id = $1', Sql.of(id), 1, 0, true);
      const row = rows[0]!;
      if (!allowedByRole(definition, caller, verb) && !ownerMay(definition, row, caller, verb)) {
        throw denied(!!caller.user, `${verb} this ${definition.root.replace(/_/g, ' ')}`);
      }
      await definition.afterWrite?.(row, tx, verb);
      return row;
    });
    return row;
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw fromDatabaseError(error, Object.keys(definition.fields));
  }
}

/**
 * Every parent in the URL must exist, belong to its own parent, and be readable: judged from the
 * top, the first that fails decides the answer. One statement reads what every level is judged
 * by, however deep the URL: each is a round trip.
 */
async function checkParents(context: ServerContext, definition: ResourceDefinition, params: Params, caller: Caller): Promise<void> {
  const levels = parentLevels(context, definition, params);
  if (!levels.length) return;
  const sql = new Sql();
  const { rows } = await context.db.query<Row>(`SELECT ${levelColumns(levels, sql).join(', ')}`, sql.params);
  judgeLevels(levels, rows[0]!, caller);
}

interface Level {
  definition: ResourceDefinition;
  params: Params;
}

/** The URL's parents, the topmost first, each with the params that name it. */
function parentLevels(context: ServerContext, definition: ResourceDefinition, params: Params): Level[] {
  const levels: Level[] = [];
  for (let child = definition; child.parent; ) {
    const parentDefinition = context.resources.get(child.parent.resource);
    levels.unshift({ definition: parentDefinition, params: { ...params, id: params[child.parent.param]! } });
    child = parentDefinition;
  }
  return levels;
}

/** A column per level (`__level_<i>`): its access columns as JSON, null when it does not exist under its own parent. */
function levelColumns(levels: Level[], sql: Sql): string[] {
  return levels.map(({ definition: level, params: levelParams }, i) => {
    const scope = scopeWhere(level, levelParams, sql);
    const access = accessColumns(level).map(({ expr, column }) => `'${column}', ${expr}`);
    return `(SELECT json_build_object(${access.join(', ')}) FROM ${level.table} r WHERE r.id = ${sql.add(levelParams.id)}${scope ? ` AND ${scope}` : ''}) AS __level_${i}`;
  });
}

/** Judges each level from the top: the first absent or unreadable one throws. */
function judgeLevels(levels: Level[], row: Row, caller: Caller): void {
  levels.forEach(({ definition: level, params: levelParams }, i) => judgeReadable(level, levelParams, (row[`__level_${i}`] as Row | null) ?? undefined, caller, 'read'));
}

function scopeWhere(definition: ResourceDefinition, params: Params, sql: Sql): string | undefined {
  const parent = definition.parent;
  return parent ? `r.${quote(parent.column)} = ${sql.add(params[parent.param])}` : undefined;
}

// ---------------------------------------------------------------------------------------
// Query parameters

/** `?field=value`: strings contain the value (case-insensitive), everything else matches exactly. */
function filterWhere(definition: ResourceDefinition, query: Record<string, unknown>, sql: Sql): string[] {
  const conditions: string[] = [];
  for (const [name, raw] of Object.entries(query)) {
    if (typeof raw !== 'string') continue;
    // Own properties only: `?constructor=` must not find Object's constructor (a function
    // whose result would land in the SQL) nor `?__proto__=` the prototype.
    const custom = definition.filters && Object.hasOwn(definition.filters, name) ? definition.filters[name] : undefined;
    if (custom) {
      conditions.push(`(${custom(raw, sql)})`);
      continue;
    }
    const field = Object.hasOwn(definition.fields, name) ? definition.fields[name] : undefined;
    if (!field || field.secret) continue;
    const filterable = field.filterable ?? ['text', 'uuid', 'integer', 'boolean'].includes(field.type);
    if (!filterable || name === definition.parent?.column) continue;
    // No stored value is longer than its field allows, so a longer filter is a mistake (and a cost).
    const max = maxLengthOf(field);
    if (max !== undefined && !field.listFilter && longerThan(raw, max)) throw badRequest(`The ${name} filter is longer than ${max} characters.`);
    const column = `r.${quote(name)}`;
    if (field.listFilter) {
      // Rails turns `+` in a query into a space; mime types need it back.
      const values = raw.split(',').map((v) => v.trim().replace(/ /g, '+')).filter(Boolean);
      conditions.push(`${column} = ANY(${sql.add(values)})`);
    } else if (field.type === 'text' && field.enum) {
      conditions.push(`${column} = ${sql.add(raw)}`);
    } else if (field.type === 'text') {
      conditions.push(`${column} ILIKE ${sql.add(`%${raw.replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
    } else if (field.type === 'uuid') {
      if (!UUID_PATTERN.test(raw)) throw badRequest(`The ${name} filter must be a UUID.`);
      conditions.push(`${column} = ${sql.add(raw)}`);
    } else if (field.type === 'integer') {
      if (!/^-?\d{1,9}$/.test(raw)) throw badRequest(`The ${name} filter must be an integer.`);
      conditions.push(`${column} = ${sql.add(Number(raw))}`);
    } else if (field.type === 'boolean') {
      if (raw !== 'true' && raw !== 'false') throw badRequest(`The ${name} filter must be true or false.`);
      conditions.push(`${column} = ${sql.add(raw === 'true')}`);
    }
  }
  return conditions;
}

/**
 * Only whitelisted columns can be sorted on; anything else falls back to the default.
 * `order` is `asc`/`ascending` or `desc`/`descending` (the spec's words and Rails').
 */
function orderBy(definition: ResourceDefinition, query: Record<string, unknown>, sql: Sql, fallback?: (sql: Sql) => string): string {
  const requested = typeof query.sort === 'string' ? query.sort : undefined;
  const valid = requested && (definition.fields[requested]?.sortable || requested === 'created_at' || requested === 'updated_at');
  if (!valid && fallback) return `${fallback(sql)}, r.id`;
  const asked = typeof query.order === 'string' ? /^(asc|desc)(?:ending)?$/i.exec(query.order)?.[1] : undefined;
  const order = (asked ?? (valid ? 'asc' : (definition.defaultOrder ?? 'asc'))).toUpperCase();
  return `r.${quote(valid ? requested : definition.defaultSort)} ${order}, r.id ${order}`;
}

function positiveInt(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text !== 'string' || !/^\d{1,9}$/.test(text) || Number(text) < 1) throw badRequest(`The ${name} parameter must be a positive integer.`);
  return Number(text);
}

/** A malformed id in a path is simply a record that does not exist. */
export function checkIds(params: Params): Params {
  for (const [name, value] of Object.entries(params)) {
    if ((name === 'id' || name.endsWith('_id')) && !UUID_PATTERN.test(value)) throw notFound(`No record with id ${JSON.stringify(value)}.`);
  }
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.toLowerCase()]));
}

// ---------------------------------------------------------------------------------------
// Reading and rendering

/** Selects the definition's columns, plus `__owner` and `__public` when asked (for access checks), and `__total` (every matching row) when asked. */
async function selectRows(
  db: Queryable,
  definition: ResourceDefinition,
  tail: string,
  sql: Sql,
  limit: number | null,
  offset: number,
  withAccess = false,
  withTotal = false,
): Promise<Row[]> {
  const columns = selectColumns(definition, withAccess);
  if (withTotal) columns.push('count(*) OVER ()::int AS __total');
  const { rows } = await db.query<Row>(
    `SELECT ${columns.join(', ')} FROM ${definition.table} r ${tail} LIMIT ${sql.add(limit)} OFFSET ${sql.add(offset)}`,
    sql.params,
  );
  return rows;
}

/** The definition's columns over alias `r`, and with `withAccess` those access is judged by (`__owner…`, `__public`). */
function selectColumns(definition: ResourceDefinition, withAccess: boolean): string[] {
  const columns = ['id', ...Object.keys(definition.fields), 'created_at', 'updated_at'].map((c) => `r.${quote(c)}`);
  columns.push(...Object.entries(definition.computed ?? {}).map(([name, expr]) => `${expr} AS ${quote(name)}`));
  if (withAccess) columns.push(...accessColumns(definition).map(({ expr, column }) => `${expr} AS ${column}`));
  return columns;
}

/** What a row's access is judged by (`ownerMay`, `judgeReadable`): its owners and whether it is public. */
function accessColumns(definition: ResourceDefinition): { expr: string; column: string }[] {
  return [...ownerships(definition), { expr: definition.publicWhere ? `(${definition.publicWhere})` : 'false', column: '__public' }];
}

export function renderContext(context: ServerContext, req: FastifyRequest): RenderContext {
  return { db: context.db, caller: req.caller, origin: originOf(req) };
}

/**
 * Rows as the wire shows them: ISO timestamps, links, secrets only for those who may update.
 * `justCreated`: the rows come from this request's lone INSERT (embeds then know there is nothing to read).
 */
export async function render(context: ServerContext, definition: ResourceDefinition, rows: Row[], req: FastifyRequest, params: Params, justCreated = false): Promise<Row[]> {
  const ctx = { ...renderContext(context, req), justCreated };
  const showSecrets = allowedByRole(definition, req.caller, 'update');
  const out = rows.map((row) => {
    const record: Row = {};
    for (const [key, value] of Object.entries(row)) {
      if (key.startsWith('__') || (definition.computed && Object.hasOwn(definition.computed, key))) continue;
      if (!showSecrets && definition.fields[key]?.secret) continue;
      record[key] = toJson(value);
    }
    const path = linkPath(definition, params, row);
    record.path = path;
    // A resource whose own `url` is data (a licence's text) keeps it; its self link is `path`.
    if (!definition.fields.url) record.url = `${ctx.origin}${path}`;
    for (const key of Object.keys(definition.computed ?? {})) record[key] = toJson(row[key] ?? null);
    return record;
  });
  await definition.embed?.(out, ctx);
  return out;
}

/** `/products/<pid>/builds/<id>`: parent ids from the URL, or from the row's own parent column. */
export function linkPath(definition: ResourceDefinition, params: Params, row: Row): string {
  const values: Params = { ...params };
  if (definition.parent) values[definition.parent.param] = String(row[definition.parent.column]);
  const collection = definition.path.replace(/:([a-z_]+)/g, (_, name: string) => values[name] ?? `:${name}`);
  return `${collection}/${String(row.id)}${definition.jsonSuffix ? '.json' : ''}`;
}

export function originOf(req: FastifyRequest): string {
  return `${req.protocol}://${req.host}`;
}

function quote(column: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(column) ? (column === 'default' ? '"default"' : column) : `"${column.replace(/"/g, '""')}"`;
}

/** Positional parameters, collected as a query is built. */
export class Sql {
  readonly params: unknown[] = [];

  static of(...values: unknown[]): Sql {
    const sql = new Sql();
    for (const value of values) sql.add(value);
    return sql;
  }

  add(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }
}
