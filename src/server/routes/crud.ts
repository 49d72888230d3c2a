/**
 * The five verbs for every declared resource: list (filtered, sorted, paginated), show,
 * create, update and delete, with access control. See ../resources/definition.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Caller } from '../auth/caller.js';
import { can, type Verb } from '../auth/permissions.js';
import type { Queryable } from '../db/database.js';
import { badRequest, denied, fromDatabaseError, HttpError, notFound } from '../errors.js';
import { UUID_PATTERN, type RenderContext, type ResourceDefinition, type Row } from '../resources/definition.js';
import { toColumns, toJson, unwrap } from '../resources/values.js';
import type { ServerContext } from '../context.js';

export const DEFAULT_PER_PAGE = 30;
export const MAX_PER_PAGE = 100;

type Params = Record<string, string>;

/** Registers the routes of every definition. */
export function registerCrud(app: FastifyInstance, context: ServerContext): void {
  for (const definition of context.resources.all()) {
    const collection = definition.path;
    const member = `${collection}/:id`;
    app.get(collection, (req, reply) => list(context, definition, req, reply));
    app.post(collection, (req, reply) => create(context, definition, req, reply));
    app.get(member, (req) => show(context, definition, req));
    app.patch(member, (req) => update(context, definition, req));
    app.put(member, (req) => update(context, definition, req));
    app.delete(member, (req, reply) => remove(context, definition, req, reply));
  }
}

// ---------------------------------------------------------------------------------------
// Handlers

async function list(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest, reply: FastifyReply) {
  const params = checkIds(req.params as Params);
  const caller = req.caller;
  await checkParents(context, definition, params, caller);
  const query = req.query as Record<string, unknown>;
  const page = positiveInt(query.page, 'page', 1);
  const perPage = Math.min(positiveInt(query.per_page, 'per_page', DEFAULT_PER_PAGE), MAX_PER_PAGE);

  const sql = new Sql();
  const where = [scopeWhere(definition, params, sql), readWhere(definition, caller, sql), ...filterWhere(definition, query, sql)];
  if (where.includes(null)) throw denied(!!caller.user, `list ${definition.name}`);
  const condition = where.filter((w): w is string => !!w).join(' AND ') || 'TRUE';
  const order = orderBy(definition, query);

  const whereParams = [...sql.params];
  const rows = await selectRows(context.db, definition, `WHERE ${condition} ORDER BY ${order}`, sql, perPage, (page - 1) * perPage);
  const rendered = await render(context, definition, rows, req, params);
  if (definition.listShape === 'array') return rendered;

  const total = rows.length < perPage && (page === 1 || rows.length > 0)
    ? (page - 1) * perPage + rows.length
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
  await checkParents(context, definition, params, req.caller);
  const row = await findReadable(context, definition, params, req.caller, 'read');
  return (await render(context, definition, [row], req, params))[0];
}

async function create(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest, reply: FastifyReply) {
  const params = checkIds(req.params as Params);
  const caller = req.caller;
  if (!caller.user) throw denied(false, `create ${definition.name}`);
  await checkParents(context, definition, params, caller);
  const values = toColumns(definition, unwrap(req.body, definition.root), 'create');
  if (definition.parent) values[definition.parent.column] = params[definition.parent.param];
  if (definition.ownerField && values[definition.ownerField] === undefined) values[definition.ownerField] = caller.user.id;
  await definition.check?.(values, undefined, renderContext(context, req));

  const row = await writeChecked(context, definition, caller, 'create', async (tx) => {
    const columns = Object.keys(values);
    const sql = new Sql();
    const placeholders = columns.map((c) => sql.add(values[c]));
    const inserted = await tx.query<Row>(
      `INSERT INTO ${definition.table} (${columns.map(quote).join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING id`,
      sql.params,
    );
    return inserted.rows[0]!.id as string;
  });
  const [body] = await render(context, definition, [row], req, params);
  reply.code(201).header('location', (body as { url?: string }).url);
  return body;
}

async function update(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest) {
  const params = checkIds(req.params as Params);
  const caller = req.caller;
  if (!caller.user) throw denied(false, `update ${definition.name}`);
  await checkParents(context, definition, params, caller);
  const existing = await findReadable(context, definition, params, caller, 'update');
  const values = toColumns(definition, unwrap(req.body, definition.root), 'update');
  await definition.check?.(values, existing, renderContext(context, req));

  const row = await writeChecked(context, definition, caller, 'update', async (tx) => {
    const sql = new Sql();
    const sets = Object.keys(values).map((c) => `${quote(c)} = ${sql.add(values[c])}`);
    sets.push('updated_at = now()');
    await tx.query(`UPDATE ${definition.table} SET ${sets.join(', ')} WHERE id = ${sql.add(existing.id)}`, sql.params);
    return existing.id as string;
  });
  return (await render(context, definition, [row], req, params))[0];
}

async function remove(context: ServerContext, definition: ResourceDefinition, req: FastifyRequest, reply: FastifyReply) {
  const params = checkIds(req.params as Params);
  const caller = req.caller;
  if (!caller.user) throw denied(false, `delete ${definition.name}`);
  await checkParents(context, definition, params, caller);
  const existing = await findReadable(context, definition, params, caller, 'delete');
  await definition.beforeDelete?.(existing, renderContext(context, req));
  const [body] = await render(context, definition, [existing], req, params);
  try {
    await context.db.query(`DELETE FROM ${definition.table} WHERE id = $1`, [existing.id]);
  } catch (error) {
    throw fromDatabaseError(error, Object.keys(definition.fields));
  }
  await context.events?.deleted(definition, existing);
  if (definition.deleteReturns === 'nothing') return reply.code(204).send();
  return body;
}

// ---------------------------------------------------------------------------------------
// Access

/** May `caller` do `verb` to rows of this resource by role, regardless of ownership? */
export function allowedByRole(definition: ResourceDefinition, caller: Caller, verb: Verb): boolean {
  return can(caller.permissions, definition.permission ?? definition.name, verb);
}

/** SQL limiting reads to what the caller may see; `null` when they may see nothing. */
function readWhere(definition: ResourceDefinition, caller: Caller, sql: Sql): string | null | undefined {
  if (allowedByRole(definition, caller, 'read')) return undefined;
  const options: string[] = [];
  if (definition.publicWhere) options.push(`(${definition.publicWhere})`);
  if (definition.ownerExpr && caller.user && definition.ownerVerbs?.includes('read')) {
    options.push(`${definition.ownerExpr} = ${sql.add(caller.user.id)}`);
  }
  return options.length ? `(${options.join(' OR ')})` : null;
}

/** The row named by the URL, if the caller may `verb` it: 404 when absent, 401/403 when not allowed. */
async function findReadable(context: ServerContext, definition: ResourceDefinition, params: Params, caller: Caller, verb: Verb): Promise<Row> {
  const sql = new Sql();
  const scope = scopeWhere(definition, params, sql);
  const rows = await selectRows(context.db, definition, `WHERE r.id = ${sql.add(params.id)}${scope ? ` AND ${scope}` : ''}`, sql, 1, 0, true);
  const row = rows[0];
  if (!row) throw notFound(`No ${definition.root.replace(/_/g, ' ')} with id ${params.id}.`);
  if (allowedByRole(definition, caller, verb)) return row;
  const owner = row.__owner as string | null | undefined;
  const isOwner = !!caller.user && owner === caller.user.id;
  if (isOwner && definition.ownerVerbs?.includes(verb)) return row;
  if (verb === 'read' && row.__public === true) return row;
  throw denied(!!caller.user, `${verb} this ${definition.root.replace(/_/g, ' ')}`);
}

/**
 * Runs a write in a transaction, then checks the caller may own the result: a role grant, or
 * ownership of the written row (so nobody can create or move a record into someone else's
 * hands). Rolls back when not allowed.
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
      if (!allowedByRole(definition, caller, verb)) {
        const isOwner = !!caller.user && row.__owner === caller.user.id;
        if (!isOwner || !definition.ownerVerbs?.includes(verb)) throw denied(!!caller.user, `${verb} this ${definition.root.replace(/_/g, ' ')}`);
      }
      await definition.afterWrite?.(row, tx, verb);
      return row;
    });
    await context.events?.written(definition, row, verb);
    return row;
  } catch (error) {
    if (error instanceof HttpError) throw error;
    throw fromDatabaseError(error, Object.keys(definition.fields));
  }
}

/** Every parent in the URL must exist, belong to its own parent, and be readable. */
async function checkParents(context: ServerContext, definition: ResourceDefinition, params: Params, caller: Caller): Promise<void> {
  const parent = definition.parent;
  if (!parent) return;
  const parentDefinition = context.resources.get(parent.resource);
  const parentParams = { ...params, id: params[parent.param]! };
  await checkParents(context, parentDefinition, parentParams, caller);
  await findReadable(context, parentDefinition, parentParams, caller, 'read');
}

function scopeWhere(definition: ResourceDefinition, params: Params, sql: Sql): string | undefined {
  const parent = definition.parent;
  return parent ? `r.${quote(parent.column)} = ${sql.add(params[parent.param])}` : undefined;
}

// ---------------------------------------------------------------------------------------
// Query parameters

function filterWhere(definition: ResourceDefinition, query: Record<string, unknown>, sql: Sql): string[] {
  const conditions: string[] = [];
  for (const [name, raw] of Object.entries(query)) {
    const field = definition.fields[name];
    if (!field || field.secret || typeof raw !== 'string') continue;
    const filterable = field.filterable ?? ['text', 'uuid', 'integer', 'boolean'].includes(field.type);
    if (!filterable || name === definition.parent?.column) continue;
    const column = `r.${quote(name)}`;
    if (field.listFilter) {
      // Rails turns `+` in a query into a space; mime types need it back.
      const values = raw.split(',').map((v) => v.trim().replace(/ /g, '+')).filter(Boolean);
      conditions.push(`${column} = ANY(${sql.add(values)})`);
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

/** Only whitelisted columns can be sorted on; anything else falls back to the default. */
function orderBy(definition: ResourceDefinition, query: Record<string, unknown>): string {
  const requested = typeof query.sort === 'string' ? query.sort : undefined;
  const sort = requested && (definition.fields[requested]?.sortable || requested === 'created_at' || requested === 'updated_at') ? requested : definition.defaultSort;
  const order = typeof query.order === 'string' && /^desc(ending)?$/i.test(query.order) ? 'DESC' : 'ASC';
  return `r.${quote(sort)} ${order}, r.id ${order}`;
}

function positiveInt(raw: unknown, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw badRequest(`${name} must be a positive integer.`);
  return Number(raw);
}

/** A malformed id in a path is simply a record that does not exist. */
function checkIds(params: Params): Params {
  for (const [name, value] of Object.entries(params)) {
    if ((name === 'id' || name.endsWith('_id')) && !UUID_PATTERN.test(value)) throw notFound(`No record with id ${JSON.stringify(value)}.`);
  }
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, v.toLowerCase()]));
}

// ---------------------------------------------------------------------------------------
// Reading and rendering

/** Selects the definition's columns, plus `__owner` and `__public` when asked (for access checks). */
async function selectRows(
  db: Queryable,
  definition: ResourceDefinition,
  tail: string,
  sql: Sql,
  limit: number,
  offset: number,
  withAccess = false,
): Promise<Row[]> {
  const columns = ['id', ...Object.keys(definition.fields), 'created_at', 'updated_at'].map((c) => `r.${quote(c)}`);
  if (withAccess) {
    columns.push(`${definition.ownerExpr ?? 'NULL::uuid'} AS __owner`, `${definition.publicWhere ? `(${definition.publicWhere})` : 'false'} AS __public`);
  }
  const { rows } = await db.query<Row>(
    `SELECT ${columns.join(', ')} FROM ${definition.table} r ${tail} LIMIT ${sql.add(limit)} OFFSET ${sql.add(offset)}`,
    sql.params,
  );
  return rows;
}

export function renderContext(context: ServerContext, req: FastifyRequest): RenderContext {
  return { db: context.db, caller: req.caller, origin: originOf(req) };
}

/** Rows as the wire shows them: ISO timestamps, links, secrets only for those who may update. */
export async function render(context: ServerContext, definition: ResourceDefinition, rows: Row[], req: FastifyRequest, params: Params): Promise<Row[]> {
  const ctx = renderContext(context, req);
  const showSecrets = allowedByRole(definition, req.caller, 'update');
  const out = rows.map((row) => {
    const record: Row = {};
    for (const [key, value] of Object.entries(row)) {
      if (key.startsWith('__')) continue;
      if (!showSecrets && definition.fields[key]?.secret) continue;
      record[key] = toJson(value);
    }
    const path = linkPath(definition, params, row);
    record.path = path;
    record.url = `${ctx.origin}${path}`;
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
