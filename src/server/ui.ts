/**
 * The Marketplace UI (the static build in dist/ui/) served under `/ui/`, a path no API route
 * starts with, so that no API answer changes:
 *
 *   GET /ui                 → 301 /ui/
 *   GET|HEAD /ui/<file>     → that file (assets/* cached for a year: their names hold their hash)
 *   GET|HEAD /ui/<other>    → index.html (the UI's own router reads the path), revalidated each time
 *   GET /ui/config.json     → {"marketplaceUrl": ""}: the UI talks to the origin that serves it
 *   GET / from a browser    → 302 /ui/ (only when text/html is what it prefers; API clients get JSON)
 *
 * The folder is read once at start (a few hundred KB): requests never touch the disk, so no
 * path a client sends can reach a file outside it, and a file changed under a running server
 * is not served half-written. Text files are also kept gzipped, for clients that accept it.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { etagOf } from './etag.js';
import { HttpError } from './errors.js';

/** Where the UI is served; the build's `<base href="/">` is rewritten to it. */
export const UI_PATH = '/ui/';

/**
 * The UI's pages may load only what they ship, and talk to any marketplace (config.json may
 * name another origin). Images come from anywhere: product logos are URLs publishers choose.
 * No `form-action`: signing in leaves for an identity provider's own pages.
 */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data: blob: https: http:",
  "connect-src 'self' ws: wss: http: https:",
  "style-src 'self'",
  "script-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
].join('; ');

/** More than a UI build ever holds: a folder past it is not a UI build, and is not read into memory. */
const MAX_UI_BYTES = 32 * 1024 * 1024;
const MAX_UI_FILES = 2_000;
/** Below this, gzip saves less than its own header costs in time. */
const GZIP_MIN_BYTES = 1024;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
};

interface UiFile {
  body: Buffer;
  etag: string;
  gzip?: { body: Buffer; etag: string };
  contentType: string;
  cacheControl: string;
}

/** A UI build read into memory, ready to serve. */
export interface UiSite {
  folder: string;
  /** By path relative to the folder, `/`-separated: `index.html`, `assets/main-3F2A.js`. */
  files: Map<string, UiFile>;
  /** index.html, answered for every UI path that is not a file. */
  index: UiFile;
}

/** Why the UI is not served, in words for the start-up log. */
export interface UiAbsent {
  reason: string;
}

/**
 * The dist/ui folder of this package: walks up from this module (src/server/ when run from the
 * sources, dist/ or dist/server/ once built, node_modules/hsp/dist/ when installed) to the
 * folder that holds package.json.
 */
export function defaultUiFolder(from: string = fileURLToPath(import.meta.url)): string | undefined {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'dist', 'ui');
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** Reads the UI build in `folder`; says why not when there is none there. */
export async function loadUiSite(folder: string | undefined): Promise<UiSite | UiAbsent> {
  if (!folder) return { reason: 'no dist/ui folder was found beside this installation of hsp' };
  const indexHtml = await readFile(join(folder, 'index.html')).catch(() => undefined);
  if (!indexHtml) return { reason: `${join(folder, 'index.html')} is missing; "npm run build" makes it` };
  const files = new Map<string, UiFile>();
  let total = 0;
  for (const path of await listFiles(folder)) {
    if (files.size >= MAX_UI_FILES) return { reason: `${folder} holds more than ${MAX_UI_FILES} files; it is not a UI build` };
    let body = await readFile(join(folder, ...path.split('/')));
    total += body.length;
    if (total > MAX_UI_BYTES) return { reason: `${folder} holds more than ${MAX_UI_BYTES / 1024 / 1024} MiB; it is not a UI build` };
    // The build's pages are made for the root of a host; here they live under /ui/.
    if (extname(path) === '.html') body = Buffer.from(rebase(body.toString('utf8')));
    const immutable = path.startsWith('assets/');
    files.set(path, uiFile(body, contentTypeOf(path), immutable ? 'public, max-age=31536000, immutable' : 'no-cache'));
  }
  // The UI talks to the marketplace that serves it; a static host of the build edits its copy instead.
  files.set('config.json', uiFile(Buffer.from(`${JSON.stringify({ marketplaceUrl: '' })}\n`), CONTENT_TYPES['.json']!, 'no-cache'));
  return { folder, files, index: files.get('index.html')! };
}

export function isUiSite(value: UiSite | UiAbsent): value is UiSite {
  return 'files' in value;
}

/**
 * Registers the UI's routes, and the redirect of a browser's `GET /`. Call it before the
 * content negotiation hook: a browser asking for HTML only must reach the redirect.
 */
export function registerUi(app: FastifyInstance, site: UiSite): void {
  app.addHook('onRequest', async (req, reply) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || pathOf(req.url) !== '/' || !prefersHtml(req.headers.accept)) return;
    // The query is dropped: `/?x` is no page of the UI. No caching: the same URL answers JSON to other clients.
    return reply.header('cache-control', 'no-store').redirect(UI_PATH, 302);
  });

  const config = { anyAccept: true } as const;
  app.route({
    method: ['GET', 'HEAD'],
    // `/ui` and `/ui/` are one route to the router (ignoreTrailingSlash): the URL tells them apart.
    url: '/ui',
    config,
    handler: async (req, reply) => {
      if (pathOf(req.url) === '/ui') return reply.redirect(`${UI_PATH}${queryOf(req.url)}`, 301);
      return send(req, reply, site.index);
    },
  });
  app.route({
    method: ['GET', 'HEAD'],
    url: '/ui/*',
    config,
    handler: async (req, reply) => {
      const path = uiPath(pathOf(req.url).slice(UI_PATH.length));
      const file = site.files.get(path) ?? (looksLikeFile(path) ? undefined : site.index);
      if (!file) throw new HttpError(404, `The Marketplace UI has no file ${path.slice(0, 120)}.`);
      return send(req, reply, file);
    },
  });
}

/**
 * Does a client prefer HTML to anything else? The first of the types with the highest
 * quality: `text/html,application/xhtml+xml,…,*\/*;q=0.8` (every browser's navigation) does;
 * `*\/*` (curl), `application/json` (the SDK) and no header at all do not.
 */
export function prefersHtml(header: string | undefined): boolean {
  if (!header) return false;
  let best: { type: string; q: number } | undefined;
  for (const range of header.split(',').slice(0, 50)) {
    const [type = '', ...parameters] = range.trim().toLowerCase().split(';');
    const q = Number(parameters.map((p) => p.trim()).find((p) => p.startsWith('q='))?.slice(2) ?? 1);
    if (!type || !(q > 0)) continue;
    if (!best || q > best.q) best = { type: type.trim(), q };
  }
  return best?.type === 'text/html' || best?.type === 'application/xhtml+xml';
}

function send(req: FastifyRequest, reply: FastifyReply, file: UiFile): Buffer {
  const gzip = file.gzip && acceptsGzip(req.headers['accept-encoding']) ? file.gzip : undefined;
  reply
    .type(file.contentType)
    .header('cache-control', file.cacheControl)
    // Set here, the ETag hook answers If-None-Match with a 304 rather than hashing the body again.
    .header('etag', (gzip ?? file).etag)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('content-security-policy', UI_CONTENT_SECURITY_POLICY);
  if (file.gzip) reply.header('vary', 'Accept-Encoding');
  if (gzip) reply.header('content-encoding', 'gzip');
  return (gzip ?? file).body;
}

/**
 * The file a UI path names, decoded, or '' (index.html) for the UI's own routes. A path that
 * could mean something outside the folder (`..`, a dot-file, an encoded slash or backslash, a
 * NUL, an empty segment) is refused rather than normalised: no UI link looks like that.
 */
function uiPath(raw: string): string {
  if (raw === '') return '';
  const refuse = () => new HttpError(404, 'The Marketplace UI has no such file.');
  const segments = raw.replace(/\/$/, '').split('/');
  return segments
    .map((segment) => {
      let decoded: string;
      try {
        decoded = decodeURIComponent(segment);
      } catch {
        throw refuse();
      }
      // eslint-disable-next-line no-control-regex
      if (!decoded || decoded.startsWith('.') || /[/\\\u0000-\u001f]/.test(decoded)) throw refuse();
      return decoded;
    })
    .join('/');
}

/** `assets/x.js` or `logo.svg`: a file that is missing is a 404, not the UI's page (a browser would run HTML as a script). */
function looksLikeFile(path: string): boolean {
  return path.startsWith('assets/') || /\.[a-z0-9]{1,12}$/i.test(path);
}

function acceptsGzip(header: string | string[] | undefined): boolean {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  return text.split(',').some((coding) => {
    const [name = '', ...parameters] = coding.trim().toLowerCase().split(';');
    const q = parameters.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return (name === 'gzip' || name === '*') && !(q && Number(q.slice(2)) === 0);
  });
}

function uiFile(body: Buffer, contentType: string, cacheControl: string): UiFile {
  const file: UiFile = { body, etag: etagOf(body), contentType, cacheControl };
  if (body.length >= GZIP_MIN_BYTES && /^(text\/|application\/(json|manifest\+json)|image\/svg)/.test(contentType)) {
    const gzipped = gzipSync(body, { level: 9 });
    if (gzipped.length < body.length) file.gzip = { body: gzipped, etag: etagOf(gzipped) };
  }
  return file;
}

/**
 * The build's `<base href="/">` (the root of whatever host serves it) → `<base href="/ui/">`,
 * and its config marker → `same-origin`: here the UI always talks to this server, so it need
 * not wait for config.json before its first request.
 */
function rebase(html: string): string {
  return html
    .replace(/<base\s+href=(["'])\/\1\s*\/?>/i, `<base href="${UI_PATH}">`)
    .replace(/<meta name="hsp-config" content="config\.json"\s*\/?>/, '<meta name="hsp-config" content="same-origin" />');
}

function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

/** Every file below `folder`, relative and `/`-separated; dot-files and dot-folders left out. */
async function listFiles(folder: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(folder, prefix), { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) found.push(...(await listFiles(folder, path)));
    // A symbolic link is followed only to a file (a build has none; a copy made with links may).
    else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(join(folder, path)).catch(() => undefined))?.isFile())) found.push(path);
  }
  return found.sort();
}

function pathOf(url: string): string {
  const end = url.indexOf('?');
  return end === -1 ? url : url.slice(0, end);
}

function queryOf(url: string): string {
  const start = url.indexOf('?');
  return start === -1 ? '' : url.slice(start);
}
