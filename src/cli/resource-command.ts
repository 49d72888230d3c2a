/**
 * One declaration per noun (products, builds, platforms…) becomes its commander subcommands:
 * `list` (filters, --limit/--all with lazy paging), `show`, `create`, `update` and `delete`,
 * with parents given as flags and ids given as UUIDs or, where unique, by name.
 */
import { Command, Option } from 'commander';
import type { Marketplace, PagePromise } from '../index.js';
import type { CliContext } from './context.js';
import { UsageError } from './errors.js';
import type { Column } from './output.js';

export type Verb = 'list' | 'show' | 'create' | 'update' | 'delete';

/** A parent in the URL (e.g. the product of a build), given as `--product NAME|ID`. */
export interface ParentSpec {
  flag: string;
  description: string;
  /** Turns what the user typed into an id, knowing the outer parents' ids. */
  resolve(client: Marketplace, value: string, outer: string[], ctx: CliContext): Promise<string>;
}

export interface FieldSpec {
  /** The wire name, e.g. `mime_type`. */
  name: string;
  /** The flag, when not the wire name with dashes. */
  flag?: string;
  description: string;
  type?: 'string' | 'int' | 'bool' | 'json';
  /** Needed by `create`. */
  required?: boolean;
}

// The SDK's resource methods take (…parents, [id], params, options); the declarations adapt them.
type AnyFn = (...args: never[]) => unknown;
export interface NounApi {
  list?: AnyFn;
  retrieve?: AnyFn;
  create?: AnyFn;
  update?: AnyFn;
  delete?: AnyFn;
}

export interface NounSpec<T> {
  name: string;
  aliases?: string[];
  singular: string;
  description: string;
  parents?: ParentSpec[];
  columns: Column<T>[];
  api(client: Marketplace): NounApi;
  fields?: FieldSpec[];
  /** Filters of `list` (sent as query parameters). */
  filters?: FieldSpec[];
  /** Looks up a record by name among its siblings (unique names only). */
  findByName?(client: Marketplace, parents: string[], name: string): Promise<{ id: string }[]>;
  verbs?: Verb[];
  /** Examples shown under `--help`, by verb. */
  examples?: Partial<Record<Verb, string[]>>;
  /** Extra verbs (publish, search, asset…). */
  extend?(noun: Command, run: Runner): void;
}

/** Runs a command body with the context, so every verb shares error handling and output. */
export type Runner = (body: (ctx: CliContext, opts: Record<string, unknown>, args: string[]) => Promise<void>) => (...args: unknown[]) => Promise<void>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function nounCommand<T extends { id: string }>(spec: NounSpec<T>, run: Runner): Command {
  const noun = new Command(spec.name).description(spec.description);
  for (const alias of spec.aliases ?? []) noun.alias(alias);
  const verbs = spec.verbs ?? (['list', 'show', 'create', 'update', 'delete'] as Verb[]);
  const withParents = (command: Command) => {
    for (const parent of spec.parents ?? []) command.requiredOption(`--${parent.flag} <${parent.flag}>`, parent.description);
    return command;
  };
  const examples = (command: Command, verb: Verb) => {
    const lines = spec.examples?.[verb];
    if (lines?.length) command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`);
    return command;
  };

  if (verbs.includes('list')) {
    const list = withParents(new Command('list').alias('ls').description(`List ${spec.name}`))
      .option('-L, --limit <n>', 'show at most this many', '30')
      .option('--all', 'every one, fetching page by page')
      .option('--sort <field>', 'sort by this field')
      .addOption(new Option('--order <order>', 'sort order').choices(['asc', 'desc']));
    for (const filter of spec.filters ?? []) list.addOption(fieldOption(filter));
    list.action(
      run(async (ctx, opts) => {
        const client = await ctx.client();
        const parents = await resolveParents(spec, client, opts, ctx);
        const limit = opts.all ? Infinity : positive(String(opts.limit), '--limit');
        const params: Record<string, unknown> = { perPage: Math.min(100, limit === Infinity ? 100 : limit), sort: opts.sort, order: opts.order };
        for (const filter of spec.filters ?? []) {
          const value = opts[camel(filter.flag ?? filter.name)];
          if (value !== undefined) params[filter.name] = convert(filter, value);
        }
        const listFn = spec.api(client).list as unknown as (...args: unknown[]) => PagePromise<T>;
        const page = await listFn(...parents, params);
        const items: T[] = [];
        for await (const item of page) {
          items.push(item);
          if (items.length >= limit) break;
        }
        await ctx.output.list(items, spec.columns, { total: page.totalEntries, noun: spec.name });
      }),
    );
    noun.addCommand(examples(list, 'list'));
  }

  if (verbs.includes('show')) {
    const show = withParents(new Command('show').alias('view').description(`Show one ${spec.singular}`).argument('<id>', `${spec.singular} id${spec.findByName ? ' or name' : ''}`));
    show.action(
      run(async (ctx, opts, [value]) => {
        const client = await ctx.client();
        const parents = await resolveParents(spec, client, opts, ctx);
        const id = await resolveId(spec, client, parents, value!);
        const record = await (spec.api(client).retrieve as unknown as (...args: unknown[]) => Promise<T>)(...parents, id);
        await ctx.output.record(record);
      }),
    );
    noun.addCommand(examples(show, 'show'));
  }

  if (verbs.includes('create')) {
    const create = withParents(new Command('create').description(`Create a ${spec.singular}`));
    for (const field of spec.fields ?? []) create.addOption(fieldOption(field, field.required));
    create.action(
      run(async (ctx, opts) => {
        const client = await ctx.signedInClient();
        const parents = await resolveParents(spec, client, opts, ctx);
        const body = fieldsFrom(spec.fields ?? [], opts);
        const record = await (spec.api(client).create as unknown as (...args: unknown[]) => Promise<T>)(...parents, body);
        if (ctx.output.machine) await ctx.output.data(record);
        else {
          ctx.output.success(`Created ${spec.singular} ${label(record)}`);
          await ctx.output.record(record, spec.columns);
        }
      }),
    );
    noun.addCommand(examples(create, 'create'));
  }

  if (verbs.includes('update')) {
    const update = withParents(new Command('update').alias('edit').description(`Change a ${spec.singular}`).argument('<id>', `${spec.singular} id${spec.findByName ? ' or name' : ''}`));
    for (const field of spec.fields ?? []) update.addOption(fieldOption(field));
    update.action(
      run(async (ctx, opts, [value]) => {
        const body = fieldsFrom(spec.fields ?? [], opts);
        if (!Object.keys(body).length) throw new UsageError(`Nothing to change: pass at least one of ${(spec.fields ?? []).map((f) => `--${f.flag ?? dashed(f.name)}`).join(', ')}.`);
        const client = await ctx.signedInClient();
        const parents = await resolveParents(spec, client, opts, ctx);
        const id = await resolveId(spec, client, parents, value!);
        const record = await (spec.api(client).update as unknown as (...args: unknown[]) => Promise<T>)(...parents, id, body);
        if (ctx.output.machine) await ctx.output.data(record);
        else ctx.output.success(`Updated ${spec.singular} ${label(record)}`);
      }),
    );
    noun.addCommand(examples(update, 'update'));
  }

  if (verbs.includes('delete')) {
    const remove = withParents(new Command('delete').alias('rm').description(`Delete a ${spec.singular}`).argument('<id>', `${spec.singular} id${spec.findByName ? ' or name' : ''}`))
      .option('-y, --yes', 'do not ask for confirmation');
    remove.action(
      run(async (ctx, opts, [value]) => {
        const client = await ctx.signedInClient();
        const parents = await resolveParents(spec, client, opts, ctx);
        const id = await resolveId(spec, client, parents, value!);
        if (!opts.yes) await confirm(ctx, `Delete ${spec.singular} ${value}? This cannot be undone.`);
        const deleted = await (spec.api(client).delete as unknown as (...args: unknown[]) => Promise<T | null>)(...parents, id);
        if (ctx.output.machine) await ctx.output.data(deleted ?? { id, deleted: true });
        else ctx.output.success(`Deleted ${spec.singular} ${value}`);
      }),
    );
    noun.addCommand(examples(remove, 'delete'));
  }

  spec.extend?.(noun, run);
  return noun;
}

/** A UUID as is; otherwise a unique name among the siblings. */
export async function resolveId<T>(spec: NounSpec<T>, client: Marketplace, parents: string[], value: string): Promise<string> {
  if (UUID.test(value)) return value;
  if (!spec.findByName) throw new UsageError(`"${value}" is not a ${spec.singular} id (a UUID).`);
  const found = await spec.findByName(client, parents, value);
  if (found.length === 1) return found[0]!.id;
  if (!found.length) throw new UsageError(`No ${spec.singular} named "${value}".`);
  throw new UsageError(`Several ${spec.name} are named "${value}"; use the id.`);
}

async function resolveParents<T>(spec: NounSpec<T>, client: Marketplace, opts: Record<string, unknown>, ctx: CliContext): Promise<string[]> {
  const ids: string[] = [];
  for (const parent of spec.parents ?? []) ids.push(await parent.resolve(client, String(opts[camel(parent.flag)]), [...ids], ctx));
  return ids;
}

async function confirm(ctx: CliContext, question: string): Promise<void> {
  if (!ctx.interactive) throw new UsageError(`${question.replace(/\?.*$/, '')}: pass --yes to confirm when not at a terminal.`);
  const { confirm: ask } = await import('./prompt.js');
  if (!(await ask(ctx, question))) throw new UsageError('Cancelled.');
}

function fieldOption(field: FieldSpec, required = false): Option {
  const flag = field.flag ?? dashed(field.name);
  const option = new Option(field.type === 'bool' ? `--${flag} [boolean]` : `--${flag} <value>`, field.description);
  if (required) option.makeOptionMandatory();
  return option;
}

function fieldsFrom(fields: FieldSpec[], opts: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const field of fields) {
    const value = opts[camel(field.flag ?? dashed(field.name))];
    if (value !== undefined) body[field.name] = convert(field, value);
  }
  return body;
}

function convert(field: FieldSpec, value: unknown): unknown {
  const flag = `--${field.flag ?? dashed(field.name)}`;
  switch (field.type) {
    case 'int':
      return positiveOrZero(String(value), flag);
    case 'bool':
      if (value === true || value === 'true' || value === 'yes') return true;
      if (value === 'false' || value === 'no') return false;
      throw new UsageError(`${flag} must be true or false, got "${String(value)}".`);
    case 'json':
      try {
        return JSON.parse(String(value));
      } catch {
        throw new UsageError(`${flag} must be JSON, e.g. '{"key":"value"}'.`);
      }
    default:
      return String(value);
  }
}

function positive(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive number, got "${value}".`);
  return Number(value);
}

function positiveOrZero(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, got "${value}".`);
  return Number(value);
}

function label(record: { id: string }): string {
  const named = record as { name?: string; version?: string; caption?: string };
  const name = named.name ?? named.version ?? named.caption;
  return name ? `"${name}" (${record.id})` : record.id;
}

export const dashed = (name: string) => name.replace(/_/g, '-');
export const camel = (flag: string) => flag.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
