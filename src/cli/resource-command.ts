/**
 * One declaration per noun (products, builds, platforms…) becomes its commander subcommands:
 * `list` (filters, --limit/--all with lazy paging), `show`, `create`, `update` and `delete`,
 * with parents given as flags and ids given as UUIDs or, where unique, by name. The pieces
 * (parent flags, paging, record actions) are exported for the verbs nouns add themselves.
 */
import { Command, Option } from 'commander';
import type { Marketplace, PagePromise } from '../index.js';
import type { CliContext } from './context.js';
import { FailureError, UsageError } from './errors.js';
import { OUTPUT_FILE_FLAG } from './global-options.js';
import type { Column, Noun } from './output.js';
import { requireConfirmation } from './prompt.js';

export type Verb = 'list' | 'show' | 'create' | 'update' | 'delete';

/** How a typed name becomes an id: a UUID as is, otherwise a unique name among the siblings. */
export interface Lookup {
  /** Plural, as in messages and the command name: `builds`. */
  name: string;
  singular: string;
  /** What users type instead of the id, for messages: `name` (default), `version`, `code`… */
  nameIs?: string;
  /** Records whose name is exactly this one, below these parents' ids. */
  findByName?(client: Marketplace, parents: string[], name: string): Promise<{ id: string }[]>;
}

/** A parent in the URL (e.g. the product of a build), given as `--product NAME|ID`. */
export interface ParentSpec {
  flag: string;
  description: string;
  /** May be left out: `resolve` then gets `undefined` and chooses (e.g. the signed-in user). */
  optional?: boolean;
  /** Turns what the user typed into an id, knowing the outer parents' ids. */
  resolve(client: Marketplace, value: string | undefined, outer: string[], ctx: CliContext): Promise<string>;
}

export interface FieldSpec {
  /** The wire name, e.g. `mime_type`. */
  name: string;
  /** The flag, when not the wire name with dashes. */
  flag?: string;
  description: string;
  /** `file`: a path, uploaded as the file's contents. */
  type?: 'string' | 'int' | 'bool' | 'json' | 'file';
  /** The only values accepted (checked by commander, listed in help and completion). */
  choices?: readonly string[];
  /** Needed by `create`. */
  required?: boolean;
  /** Turns what the user typed into what the API takes, e.g. an interface's name into its id. */
  resolve?(client: Marketplace, value: string): Promise<string>;
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

export interface NounSpec<T> extends Lookup {
  aliases?: string[];
  description: string;
  /** The heading the noun is listed under in `hsp --help`. */
  group?: string;
  parents?: ParentSpec[];
  columns: Column<T>[];
  /** The fields `show` prints for people, when not every field as it is (default: all of them). */
  detail?: Column<T>[];
  api(client: Marketplace): NounApi;
  fields?: FieldSpec[];
  /** Filters of `list` (sent as query parameters). */
  filters?: FieldSpec[];
  /**
   * `whole`: the index answers one bare array. A page size would cut it to one page with no
   * way to the next, so `list` asks for everything and stops printing at `--limit`.
   */
  index?: 'paged' | 'whole';
  verbs?: Verb[];
  /** A verb under another name, e.g. the `delete` of instances is `undeploy`. */
  rename?: Partial<Record<Verb, { name: string; description: string; done: string }>>;
  /** Examples shown under `--help`, by verb. */
  examples?: Partial<Record<Verb, string[]>>;
  /** Extra verbs (publish, search, asset…). */
  extend?(noun: Command, run: Runner): void;
}

/** Runs a command body with the context, so every verb shares error handling and output. */
export type Runner = (body: (ctx: CliContext, opts: Record<string, unknown>, args: string[]) => Promise<void>) => (...args: unknown[]) => Promise<void>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DEFAULT_VERBS: Verb[] = ['list', 'show', 'create', 'update', 'delete'];
/** The largest page the servers serve. */
const MAX_PAGE = 100;

/**
 * The noun's command. Its verbs are added when first needed (see `expandCommand`): a run
 * builds the verbs of the one noun it uses, and `hsp --help` none, which keeps it fast.
 */
export function nounCommand<T extends { id: string }>(spec: NounSpec<T>, run: Runner): Command {
  const noun = new Command(spec.name).description(spec.description);
  if (spec.group) noun.helpGroup(spec.group);
  for (const alias of spec.aliases ?? []) noun.alias(alias);
  deferred.set(noun, () => addVerbs(noun, spec, run));
  const overview = Object.values(spec.examples ?? {}).flatMap((lines) => lines.slice(0, 1));
  return withExamples(noun, overview);
}

const deferred = new WeakMap<Command, () => void>();

/**
 * Adds the subcommands a command defers (a noun's verbs), once; true when it did. Whoever
 * dispatches to the command, shows its help or walks the tree calls it first.
 */
export function expandCommand(command: Command): boolean {
  const build = deferred.get(command);
  if (!build) return false;
  deferred.delete(command);
  build();
  return true;
}

function addVerbs<T extends { id: string }>(noun: Command, spec: NounSpec<T>, run: Runner): void {
  const verbs = spec.verbs ?? DEFAULT_VERBS;
  const parents = spec.parents ?? [];
  const idArgument = `${spec.singular} id${spec.findByName ? ` or ${spec.nameIs ?? 'name'}` : ''}`;
  const verbCommand = (verb: Verb, description: string, aliases: string[]) => {
    const renamed = spec.rename?.[verb];
    const command = new Command(renamed?.name ?? verb).description(renamed?.description ?? description);
    if (!renamed) command.aliases(aliases);
    withParentOptions(command, parents);
    return command;
  };
  const add = (verb: Verb, command: Command) => noun.addCommand(withExamples(command, spec.examples?.[verb] ?? []));

  if (verbs.includes('list')) {
    const list = verbCommand('list', `List ${spec.name}`, ['ls']);
    withPagingOptions(list);
    list.option('--sort <field>', 'sort by this field').addOption(new Option('--order <order>', 'sort order').choices(['asc', 'desc']));
    for (const filter of spec.filters ?? []) list.addOption(fieldOption(filter));
    list.action(
      run(async (ctx, opts) => {
        const limit = limitOf(opts);
        const filters = await fieldValues(spec.filters ?? [], opts);
        const client = await ctx.client();
        const parentIds = await resolveParents(parents, client, opts, ctx);
        const params: Record<string, unknown> = { sort: opts.sort, order: opts.order, ...(await resolveFields(spec.filters ?? [], filters, client)) };
        if (spec.index !== 'whole') params.perPage = pageSizeFor(limit);
        await printPages(ctx, sdk<PagePromise<T>>(spec, client, 'list')(...parentIds, params), limit, spec.columns, { one: spec.singular, many: spec.name.replace(/-/g, ' ') });
      }),
    );
    add('list', list);
  }

  if (verbs.includes('show')) {
    const show = verbCommand('show', `Show one ${spec.singular}`, ['view']).argument('<id>', idArgument);
    show.action(
      run(async (ctx, opts, [value]) => {
        const client = await ctx.client();
        const parentIds = await resolveParents(parents, client, opts, ctx);
        const id = await resolveId(spec, client, parentIds, value!);
        const record = await sdk<Promise<T>>(spec, client, 'retrieve')(...parentIds, id);
        await ctx.output.record(record, spec.detail);
      }),
    );
    add('show', show);
  }

  if (verbs.includes('create')) {
    const create = verbCommand('create', `Create ${article(spec.singular)}`, []);
    for (const field of spec.fields ?? []) create.addOption(fieldOption(field, field.required));
    create.action(
      run(async (ctx, opts) => {
        const values = await fieldValues(spec.fields ?? [], opts);
        const client = await ctx.signedInClient();
        const parentIds = await resolveParents(parents, client, opts, ctx);
        const body = await resolveFields(spec.fields ?? [], values, client);
        const record = await sdk<Promise<T>>(spec, client, 'create')(...parentIds, body);
        if (ctx.output.machine) await ctx.output.data(record);
        else {
          ctx.output.success(`Created ${spec.singular} ${label(record)}`);
          await ctx.output.record(record, spec.columns);
        }
      }),
    );
    add('create', create);
  }

  if (verbs.includes('update')) {
    const update = verbCommand('update', `Change ${article(spec.singular)}`, ['edit']).argument('<id>', idArgument);
    for (const field of spec.fields ?? []) update.addOption(fieldOption(field));
    update.action(
      run(async (ctx, opts, [value]) => {
        const values = await fieldValues(spec.fields ?? [], opts);
        if (!Object.keys(values).length) throw new UsageError(`Nothing to change: pass at least one of ${(spec.fields ?? []).map(flagOf).join(', ')}.`);
        const client = await ctx.signedInClient();
        const parentIds = await resolveParents(parents, client, opts, ctx);
        const id = await resolveId(spec, client, parentIds, value!);
        const body = await resolveFields(spec.fields ?? [], values, client);
        const record = await sdk<Promise<T>>(spec, client, 'update')(...parentIds, id, body);
        if (ctx.output.machine) await ctx.output.data(record);
        else ctx.output.success(`Updated ${spec.singular} ${label(record)}`);
      }),
    );
    add('update', update);
  }

  if (verbs.includes('delete')) {
    const remove = verbCommand('delete', `Delete ${article(spec.singular)}`, ['rm'])
      .argument('<id>', idArgument)
      .option('-y, --yes', 'do not ask for confirmation');
    const done = spec.rename?.delete?.done ?? 'Deleted';
    remove.action(
      run(async (ctx, opts, [value]) => {
        const client = await ctx.signedInClient();
        const parentIds = await resolveParents(parents, client, opts, ctx);
        const id = await resolveId(spec, client, parentIds, value!);
        if (!opts.yes) await requireConfirmation(ctx, `${capitalized(remove.name())} ${spec.singular} ${value}? This cannot be undone.`);
        const deleted = await sdk<Promise<T | null>>(spec, client, 'delete')(...parentIds, id);
        if (ctx.output.machine) await ctx.output.data(deleted ?? { id, deleted: true });
        else ctx.output.success(`${done} ${spec.singular} ${value}`);
      }),
    );
    add('delete', remove);
  }

  spec.extend?.(noun, run);
}

/**
 * The five verbs of an SDK resource, bound to it, for `NounSpec.api`. `listTakesNoParams`: the
 * SDK's `list` has no parameters argument (only parents and request options), so the list
 * command's trailing parameters are dropped rather than passed as request options.
 */
export function boundApi(resource: object, options: { listTakesNoParams?: boolean } = {}): NounApi {
  const api: NounApi = {};
  for (const verb of ['list', 'retrieve', 'create', 'update', 'delete'] as const) {
    const method = (resource as Record<string, unknown>)[verb];
    if (typeof method === 'function') api[verb] = method.bind(resource) as AnyFn;
  }
  const list = api.list as ((...args: unknown[]) => unknown) | undefined;
  if (list && options.listTakesNoParams) api.list = ((...args: unknown[]) => list(...args.slice(0, -1))) as AnyFn;
  return api;
}

/**
 * A verb that acts on one record and answers with it (publish, enable, redeem…): the record
 * is named by id or name, the result printed as JSON/YAML or confirmed in one line.
 */
export interface RecordAction<T> {
  name: string;
  description: string;
  lookup: Lookup;
  parents?: ParentSpec[];
  examples: string[];
  /** Extra flags. */
  options?(command: Command): void;
  act(client: Marketplace, id: string, opts: Record<string, unknown>, ctx: CliContext): Promise<T>;
  /** The line printed on success, e.g. `Published product "My App"`. */
  done(record: T, typed: string): string;
}

export function recordAction<T>(action: RecordAction<T>, run: Runner): Command {
  const command = new Command(action.name).description(action.description).argument('<id>', `${action.lookup.singular} id${action.lookup.findByName ? ` or ${action.lookup.nameIs ?? 'name'}` : ''}`);
  withParentOptions(command, action.parents ?? []);
  action.options?.(command);
  command.action(
    run(async (ctx, opts, [value]) => {
      const client = await ctx.signedInClient();
      const parentIds = await resolveParents(action.parents ?? [], client, opts, ctx);
      const id = await resolveId(action.lookup, client, parentIds, value!);
      const record = await action.act(client, id, opts, ctx);
      if (ctx.output.machine) await ctx.output.data(record);
      else ctx.output.success(action.done(record, value!));
    }),
  );
  return withExamples(command, action.examples);
}

/**
 * A UUID as is; otherwise a unique name among the siblings. A name that fits no record, or
 * several, is what the marketplace holds (exit code 1, as a missing id's 404); only a value
 * that cannot be an id at all is a mistake in the command line (exit code 2).
 */
export async function resolveId(lookup: Lookup, client: Marketplace, parents: string[], value: string): Promise<string> {
  if (UUID.test(value)) return value;
  if (!lookup.findByName) throw new UsageError(`"${value}" is not ${article(lookup.singular)} id (a UUID).`);
  const found = await lookup.findByName(client, parents, value);
  if (found.length === 1) return found[0]!.id;
  const nameIs = lookup.nameIs ?? 'name';
  if (!found.length) throw new FailureError(`No ${lookup.singular} ${nameIs === 'name' ? 'named' : `with ${nameIs}`} "${value}".`);
  throw new FailureError(`Several ${lookup.name} have the ${nameIs} "${value}"; use the id.`);
}

/** Adds `--product <product>`… for these parents, required unless optional. */
export function withParentOptions(command: Command, parents: ParentSpec[]): Command {
  for (const parent of parents) {
    const flags = `--${parent.flag} <${parent.flag}>`;
    if (parent.optional) command.option(flags, parent.description);
    else command.requiredOption(flags, parent.description);
  }
  return command;
}

/** The parents' ids, outermost first (each resolution may need the outer ones). */
export async function resolveParents(parents: ParentSpec[], client: Marketplace, opts: Record<string, unknown>, ctx: CliContext): Promise<string[]> {
  const ids: string[] = [];
  for (const parent of parents) {
    const value = opts[camel(parent.flag)];
    ids.push(await parent.resolve(client, value === undefined ? undefined : String(value), [...ids], ctx));
  }
  return ids;
}

/** `--limit` and `--all`, for every command that lists. */
export function withPagingOptions(command: Command): Command {
  return command.option('-L, --limit <n>', 'show at most this many', '30').option('--all', 'every one, fetching page by page');
}

/** How many items `--limit`/`--all` ask for (`Infinity` for all). */
export function limitOf(opts: Record<string, unknown>): number {
  return opts.all ? Infinity : positive(String(opts.limit), '--limit');
}

/** As few requests as possible: the whole limit in one page, up to the largest page a server serves. */
export function pageSizeFor(limit: number): number {
  return Math.min(MAX_PAGE, limit);
}

/**
 * Fetches up to `limit` items page by page, only as many pages as needed, showing progress on
 * a terminal when it takes more than one, and prints them with a "Showing 30 of 412" summary.
 */
export async function printPages<T>(ctx: CliContext, first: PagePromise<T>, limit: number, columns: Column<T>[], noun: Noun): Promise<void> {
  const items: T[] = [];
  let total: number | undefined;
  try {
    let page = await first;
    total = page.totalEntries;
    for (;;) {
      items.push(...page.items.slice(0, limit - items.length));
      if (items.length >= limit || !page.hasNextPage()) break;
      ctx.output.progress(`Fetched ${items.length}${total === undefined ? '' : ` of ${total}`} ${noun.many}…`);
      page = await page.getNextPage();
    }
  } finally {
    ctx.output.endProgress();
  }
  await ctx.output.list(items, columns, { total: Math.max(total ?? 0, items.length), noun });
}

/**
 * `--output-file <file>` and `--force` for commands that save a file (read as `opts.outputFile`).
 * `-o, --output` stays the output format there too, as everywhere (see global-options.ts).
 */
export function withDownloadOptions(command: Command, what: string): Command {
  return command
    .option(`${OUTPUT_FILE_FLAG} <file>`, `where to save ${what} ("-" for stdout; default: the server's file name)`)
    .option('--force', 'replace the file if it exists');
}

/** Adds an "Examples:" section to the command's help. */
export function withExamples(command: Command, lines: string[]): Command {
  if (lines.length) command.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}`);
  return command;
}

function fieldOption(field: FieldSpec, required = false): Option {
  const flag = flagOf(field);
  const placeholder = field.type === 'file' ? 'file' : field.type === 'json' ? 'json' : field.type === 'int' ? 'n' : 'value';
  const option = new Option(field.type === 'bool' ? `${flag} [boolean]` : `${flag} <${placeholder}>`, field.description);
  if (field.choices) option.choices(field.choices);
  if (required) option.makeOptionMandatory();
  return option;
}

/** The values given for these fields, checked and converted (no network yet: bad flags fail first). */
async function fieldValues(fields: FieldSpec[], opts: Record<string, unknown>): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const field of fields) {
    const value = opts[camel(field.flag ?? dashed(field.name))];
    if (value !== undefined) values[field.name] = await convert(field, value);
  }
  return values;
}

/** Names turned into ids, for the fields that refer to other records. */
async function resolveFields(fields: FieldSpec[], values: Record<string, unknown>, client: Marketplace): Promise<Record<string, unknown>> {
  const resolved = { ...values };
  for (const field of fields) {
    const value = resolved[field.name];
    if (field.resolve && typeof value === 'string') resolved[field.name] = await field.resolve(client, value);
  }
  return resolved;
}

async function convert(field: FieldSpec, value: unknown): Promise<unknown> {
  const flag = flagOf(field);
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
    case 'file': {
      const { readUpload } = await import('./files.js');
      return readUpload(String(value), flag);
    }
    default:
      return String(value);
  }
}

export function positive(value: string, flag: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} must be a positive number, got "${value}".`);
  return Number(value);
}

function positiveOrZero(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, got "${value}".`);
  return Number(value);
}

/** How a record is named in messages: its name (or version, caption, code) and id. */
export function label(record: { id: string }): string {
  const named = record as { name?: string; version?: string; caption?: string; code?: string };
  const name = named.name ?? named.version ?? named.caption ?? named.code;
  return name ? `"${name}" (${record.id})` : record.id;
}

/** The SDK method behind a verb, called as the declarations adapt it: (…parents, [id], [params]). */
function sdk<R>(spec: NounSpec<never>, client: Marketplace, verb: keyof NounApi): (...args: unknown[]) => R {
  return spec.api(client)[verb] as unknown as (...args: unknown[]) => R;
}

function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

function article(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

const flagOf = (field: FieldSpec) => `--${field.flag ?? dashed(field.name)}`;
export const dashed = (name: string) => name.replace(/_/g, '-');
export const camel = (flag: string) => flag.replace(/[-_]([a-z])/g, (_, c: string) => c.toUpperCase());
