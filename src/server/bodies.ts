/**
 * What a request carries, read with bounds before any route sees it. JSON and form-encoded
 * bodies are parsed here: strict UTF-8, nested at most `MAX_DEPTH` levels (measured without
 * recursion, so a body nested 100,000 deep costs one pass, not a stack overflow), and an empty
 * body is no body (a client that sends `Content-Type: application/json` on every request can
 * still DELETE). Then every body and query string is screened for what PostgreSQL cannot hold
 * (NUL characters, unpaired surrogates) and for keys that reach an object's prototype. Each
 * problem is a 400 naming the field, answered before any permission check.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';
import { assign, Upload } from './uploads.js';

/** Deepest nesting of objects and arrays in a body or a JSON field; real records need 4 or 5. */
export const MAX_DEPTH = 64;
/** Fields of one form-encoded body; far more than any resource has. */
export const MAX_FORM_FIELDS = 1000;
/** Brackets in one form field name (`role[permissions][products][read]` has 3). */
export const MAX_FORM_NESTING = 16;

export function registerBodyParsers(app: FastifyInstance): void {
  // Fastify's own JSON parser recurses only in JSON.parse (which V8 does without the stack),
  // but what comes after (JSON.stringify of a JSON field, PostgreSQL's jsonb) does not.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, async (_req: unknown, body: Buffer | string) => parseJsonBody(toBuffer(body)));
  // Rails reads `product[name]=x&product[logo_url]=…` like a JSON body; the reference server's clients send it.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, async (_req: unknown, body: Buffer | string) => parseFormBody(toBuffer(body)));
}

const toBuffer = (body: Buffer | string) => (typeof body === 'string' ? Buffer.from(body) : body);

/** A JSON body: `undefined` when empty; 400 with a sentence when not UTF-8, nested too deep or not JSON. */
export function parseJsonBody(raw: Buffer): unknown {
  const text = decodeUtf8(raw);
  if (!text.trim()) return undefined;
  if (nestingExceeds(text, MAX_DEPTH)) throw new HttpError(400, `The request body is nested deeper than ${MAX_DEPTH} levels.`);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'The request body is not valid JSON.');
  }
}

/**
 * A form-encoded body as Rails reads it: `a[b][c]=x` nests, `a[]=x&a[]=y` lists, the last of
 * two plain names wins; the same names and guards as multipart fields (uploads.ts `assign`).
 */
export function parseFormBody(raw: Buffer): Record<string, unknown> | undefined {
  const text = decodeUtf8(raw);
  if (!text.trim()) return undefined;
  const pairs = text.split('&').filter((pair) => pair !== '');
  if (pairs.length > MAX_FORM_FIELDS) throw new HttpError(413, `A form body may have at most ${MAX_FORM_FIELDS} fields.`);
  const body: Record<string, unknown> = {};
  for (const pair of pairs) {
    const equals = pair.indexOf('=');
    const name = decodeFormComponent(equals < 0 ? pair : pair.slice(0, equals));
    const value = equals < 0 ? '' : decodeFormComponent(pair.slice(equals + 1));
    if (name.split('[').length - 1 > MAX_FORM_NESTING) {
      throw new HttpError(400, `The form field name ${JSON.stringify(clip(name))} nests deeper than ${MAX_FORM_NESTING} levels.`);
    }
    assign(body, name, value);
  }
  return body;
}

function decodeFormComponent(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    throw new HttpError(400, `The form body is not valid: ${JSON.stringify(clip(text))} is not percent-encoded UTF-8.`);
  }
}

function decodeUtf8(raw: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    throw new HttpError(400, 'The request body is not valid UTF-8.');
  }
}

/**
 * Whether JSON text nests objects and arrays deeper than `limit`, in one pass without recursion.
 * Brackets inside strings do not count; text that is not JSON at all is left to the parser.
 */
export function nestingExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    }
  }
  return false;
}

// eslint-disable-next-line no-control-regex
const NUL = /\u0000/;
const LONE_SURROGATE = /\p{Cs}/u;

/** Why PostgreSQL cannot store this text (as the end of a sentence), or `undefined` when it can. */
export function textProblem(text: string): string | undefined {
  if (NUL.test(text)) return 'contains a NUL character (\\u0000), which text cannot hold';
  if (LONE_SURROGATE.test(text)) return 'is not valid Unicode (it holds an unpaired surrogate)';
  return undefined;
}

export interface ValueProblem {
  /** Where, e.g. `product.permissions.products`; empty for the value itself. */
  path: string;
  problem: string;
}

/**
 * The first thing wrong in a parsed value, walked without recursion: a string or key that
 * PostgreSQL cannot store, a key that reaches an object's prototype when merged elsewhere
 * (`__proto__`, `constructor.prototype`), or nesting deeper than `maxDepth`. Of files, only
 * the name and type are read; other non-plain objects are not entered.
 */
export function findValueProblem(value: unknown, maxDepth = MAX_DEPTH): ValueProblem | undefined {
  const stack: { value: unknown; key: string; path: string; depth: number }[] = [{ value, key: '', path: '', depth: 0 }];
  while (stack.length) {
    const { value: current, key: parentKey, path, depth } = stack.pop()!;
    if (typeof current === 'string') {
      const problem = textProblem(current);
      if (problem) return { path, problem };
      continue;
    }
    if (current instanceof Upload) {
      // A file's name and type are stored as text beside it.
      const problem = textProblem(current.filename) ?? textProblem(current.contentType);
      if (problem) return { path, problem: `has a file name or type that ${problem}` };
      continue;
    }
    if (!isPlainContainer(current)) continue;
    if (depth >= maxDepth) return { path, problem: `is nested deeper than ${maxDepth} levels` };
    for (const [key, inner] of Object.entries(current)) {
      const at = Array.isArray(current) ? `${path}[${key}]` : path ? `${path}.${clip(key)}` : clip(key);
      const prototypeKey = key === '__proto__' || (key === 'prototype' && parentKey === 'constructor');
      const keyProblem = prototypeKey ? `is not allowed: ${JSON.stringify(key)} cannot be a key here` : textProblem(key);
      if (keyProblem) return { path: at, problem: keyProblem };
      stack.push({ value: inner, key, path: at, depth: depth + 1 });
    }
  }
  return undefined;
}

function isPlainContainer(value: unknown): value is Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) return true;
  if (!value || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/** 400 when a request body holds something no route may see. */
export function screenBody(body: unknown): void {
  const found = findValueProblem(body);
  if (found) throw new HttpError(400, found.path ? `The field ${JSON.stringify(clip(found.path, 120))} ${found.problem}.` : `The request body ${found.problem}.`);
}

/** 400 when a query parameter (its name or a value) holds something no route may see. */
export function screenQuery(query: unknown): void {
  if (!query || typeof query !== 'object') return;
  for (const [name, value] of Object.entries(query)) {
    const problem = textProblem(name) ?? findValueProblem(value, 1)?.problem;
    if (problem) throw new HttpError(400, `The query parameter ${JSON.stringify(clip(name))} ${problem}.`);
  }
}

/** Long names and values are cut in messages: a sentence, not an echo of the request. */
export function clip(text: string, length = 40): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}
