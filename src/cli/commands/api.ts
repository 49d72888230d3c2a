/**
 * `hsp api <METHOD> <path>`: any request with the marketplace's URL and credentials, as
 * `gh api`. Fields become a JSON body (or the query of a GET), with bracketed keys nesting so
 * that `-f product[name]=App` sends `{"product": {"name": "App"}}`.
 */
import { readFile } from 'node:fs/promises';
import type { CliContext } from '../context.js';
import { FailureError, UsageError } from '../errors.js';
import { splitKeyValue } from '../key-value.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
type Method = (typeof METHODS)[number];

export interface ApiOptions {
  rawField?: string[];
  field?: string[];
  input?: string;
  header?: string[];
}

export async function api(ctx: CliContext, methodText: string, pathText: string, opts: ApiOptions): Promise<void> {
  const method = methodOf(methodText);
  let path = pathOf(pathText);
  const headers = headersOf(opts.header ?? []);
  const fields: [string, unknown][] = [
    ...(opts.rawField ?? []).map((item) => splitKeyValue(item, '-f')),
    ...(await Promise.all((opts.field ?? []).map((item) => typedField(ctx, item)))),
  ];
  let body: unknown;
  if (opts.input !== undefined) body = await readInput(ctx, opts.input);
  // As gh: without a body of their own, fields are the body; otherwise (and for GET) the query.
  if (method === 'GET' || method === 'HEAD' || body !== undefined) path = withQuery(path, fields);
  else if (fields.length) body = nest(fields);

  const client = await ctx.client();
  try {
    const answer = await client.request({ method, path, body, headers });
    if (answer !== null && answer !== undefined) await ctx.output.data(answer);
  } catch (error) {
    // The server's own body helps scripts (e.g. 422 field errors); the sentence goes to stderr.
    const errorBody = (error as { status?: number; body?: unknown }).status !== undefined ? (error as { body?: unknown }).body : undefined;
    if (errorBody !== undefined && errorBody !== null && errorBody !== '') await ctx.output.data(errorBody);
    throw error;
  }
}

function methodOf(text: string): Method {
  const method = text.toUpperCase();
  if (!(METHODS as readonly string[]).includes(method)) throw new UsageError(`"${text}" is not an HTTP method: use ${METHODS.join(', ')}.`);
  return method as Method;
}

/** A path below the marketplace only: an absolute URL would send the token to another host. */
function pathOf(text: string): string {
  if (/^[a-z][a-z\d+.-]*:/i.test(text) || text.startsWith('//')) {
    throw new UsageError(`hsp api takes a path below the marketplace URL, such as /products, got "${text}".`);
  }
  return text.startsWith('/') ? text : `/${text}`;
}

function headersOf(items: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const item of items) {
    const match = /^([!#$%&'*+.^`|~\w-]+):\s*(.*)$/.exec(item);
    if (!match) throw new UsageError(`-H must be "Name: value", got "${item}".`);
    headers[match[1]!.toLowerCase()] = match[2]!;
  }
  return headers;
}

/** `-F`: JSON literals (true, false, null, numbers) typed, `@FILE` (or `@-`) read as text. */
async function typedField(ctx: CliContext, item: string): Promise<[string, unknown]> {
  const [key, text] = splitKeyValue(item, '-F');
  if (text.startsWith('@')) return [key, await readText(ctx, text.slice(1), `-F ${key}`)];
  if (text === 'true' || text === 'false' || text === 'null' || /^-?\d+(\.\d+)?$/.test(text)) return [key, JSON.parse(text)];
  return [key, text];
}

async function readInput(ctx: CliContext, source: string): Promise<unknown> {
  const text = await readText(ctx, source, '--input');
  // What the file holds is not the command line: exit code 1, as for a manifest that is wrong.
  if (!text.trim()) throw new FailureError(`--input ${source} is empty.`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new FailureError(`--input ${source} is not JSON: ${(error as Error).message}.`);
  }
}

/** A file's text, or stdin's for "-". */
async function readText(ctx: CliContext, source: string, flag: string): Promise<string> {
  if (source === '-') {
    const chunks: Buffer[] = [];
    for await (const chunk of ctx.io.stdin) chunks.push(Buffer.from(chunk as Buffer));
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(source, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FailureError(`${flag}: cannot read ${source} (${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? 'error')}).`);
  }
}

/** Fields as query parameters, after any already in the path; repeated keys stay repeated. */
function withQuery(path: string, fields: [string, unknown][]): string {
  if (!fields.length) return path;
  const query = new URLSearchParams(fields.map(([key, value]): [string, string] => [key, typeof value === 'string' ? value : JSON.stringify(value)]));
  return `${path}${path.includes('?') ? '&' : '?'}${query.toString()}`;
}

/** `a[b][c]=1` → `{a: {b: {c: 1}}}`; `a[]=1 a[]=2` → `{a: [1, 2]}`. */
export function nest(fields: [string, unknown][]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of fields) {
    const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!match) throw new UsageError(`The field name "${key}" is not valid: use name, name[key] or name[].`);
    const segments = [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!)];
    let container: Record<string, unknown> | unknown[] = root;
    for (let i = 0; i < segments.length; i++) {
      const segment = segments[i]!;
      const last = i === segments.length - 1;
      const next = segments[i + 1];
      if (Array.isArray(container)) {
        if (segment !== '') throw conflict(key);
        if (last) {
          container.push(value);
        } else {
          const child: Record<string, unknown> | unknown[] = next === '' ? [] : {};
          container.push(child);
          container = child;
        }
        continue;
      }
      if (segment === '') throw conflict(key);
      if (last) {
        if (segment in container) throw conflict(key);
        container[segment] = value;
      } else {
        const existing: unknown = container[segment] ?? (container[segment] = next === '' ? [] : {});
        if (typeof existing !== 'object' || existing === null || Array.isArray(existing) !== (next === '')) throw conflict(key);
        container = existing as Record<string, unknown> | unknown[];
      }
    }
  }
  return root;
}

function conflict(key: string): UsageError {
  return new UsageError(`The field "${key}" clashes with another field of the same name.`);
}
