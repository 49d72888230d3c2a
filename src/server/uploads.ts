/**
 * Multipart bodies (`product[logo]`, `screenshot[image]`, `build[asset]`): parsed into the same
 * shape as a JSON body, `{"screenshot": {"caption": "…", "image": Upload}}`, so the generic
 * routes treat form fields like JSON fields and find files as `Upload` values.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServerConfig } from './context.js';
import { describeSize } from '../size.js';
import { HttpError } from './errors.js';

/** A file from a multipart body, held in memory (bounded by `config.uploadLimit`). */
export class Upload {
  constructor(
    readonly filename: string,
    readonly contentType: string,
    readonly data: Buffer,
  ) {}
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The files a route takes in a multipart body: `root[name]` (or a bare `name`) for each
     * name. A route without it takes form fields only.
     */
    files?: { root: string; names: readonly string[] };
  }
}

/** Form fields per request; far more than any resource has. */
const MAX_FIELDS = 200;
const MAX_FILES = 5;
/** Boundaries and part headers around the fields and files a request may carry. */
const MULTIPART_OVERHEAD = 64 * 1024;

/**
 * Multipart bodies, read while they stream and refused as soon as they pass a limit: files
 * only under the names the route takes, each once and of at most `uploadLimit` bytes, and form
 * fields of at most `bodyLimit` bytes together. A request thus holds at most one `uploadLimit`
 * per attachment of its resource (one, for every resource today) plus `bodyLimit`, and who may
 * write was decided before the body was touched (routes/crud.ts, `judgeBeforeBody`).
 */
export async function registerMultipart(app: FastifyInstance, config: ServerConfig): Promise<void> {
  await app.register(multipart, {
    // One byte over the limit is how a file too large is noticed while it streams (busboy would
    // otherwise cut it at the limit and read the rest of the request to find its end).
    limits: { fileSize: config.uploadLimit + 1, files: MAX_FILES, fields: MAX_FIELDS, parts: MAX_FIELDS + MAX_FILES, fieldSize: config.bodyLimit },
  });

  // A reply sent before the request's body was read (a refusal: 401, 403, 413) ends the
  // connection, or Node would go on receiving and discarding whatever the client still sends.
  app.addHook('onSend', async (req, reply) => {
    if (!req.raw.complete) reply.header('connection', 'close');
  });

  // Before validation and before the handler: the body is complete when the routes see it.
  app.addHook('preValidation', async (req) => {
    if (!req.isMultipart()) return;
    req.body = await readMultipart(req, config);
  });
}

/** From the headers alone, before any byte of the body: is this a multipart request? */
export function isMultipartRequest(req: FastifyRequest): boolean {
  return /^multipart\//i.test(req.headers['content-type'] ?? '');
}

async function readMultipart(req: FastifyRequest, config: ServerConfig): Promise<Record<string, unknown>> {
  const files = req.routeOptions.config.files;
  const declared = Number(req.headers['content-length']);
  const most = (files?.names.length ?? 0) * config.uploadLimit + config.bodyLimit + MULTIPART_OVERHEAD;
  if (declared > most) throw new HttpError(413, `The request body is larger than this marketplace accepts (${describeSize(most)}).`);

  const body: Record<string, unknown> = {};
  const taken = new Set<string>();
  let fieldBytes = 0;
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        // Refused from its headers, before one byte of the file is read.
        const attachment = files?.names.find((name) => part.fieldname === `${files.root}[${name}]` || part.fieldname === name);
        if (!attachment || taken.has(attachment)) {
          part.file.destroy();
          throw new HttpError(400, unexpectedFile(part.fieldname, files, attachment));
        }
        taken.add(attachment);
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of part.file as AsyncIterable<Buffer>) {
          size += chunk.length;
          if (size > config.uploadLimit || part.file.truncated) {
            part.file.destroy();
            throw new HttpError(413, `The file ${JSON.stringify(part.filename)} is larger than this marketplace accepts (${describeSize(config.uploadLimit)}).`);
          }
          chunks.push(chunk);
        }
        assign(body, part.fieldname, new Upload(part.filename || part.fieldname, part.mimetype || 'application/octet-stream', Buffer.concat(chunks)));
      } else {
        if (part.valueTruncated) throw new HttpError(413, `The form field ${JSON.stringify(part.fieldname)} is longer than ${describeSize(config.bodyLimit)}.`);
        fieldBytes += Buffer.byteLength(part.fieldname) + Buffer.byteLength(typeof part.value === 'string' ? part.value : (JSON.stringify(part.value) ?? ''));
        if (fieldBytes > config.bodyLimit) throw new HttpError(413, `The form fields are larger together than this marketplace accepts (${describeSize(config.bodyLimit)}).`);
        assign(body, part.fieldname, part.value);
      }
    }
  } catch (error) {
    throw limitError(error) ?? error;
  }
  return body;
}

/** Why a file part is not read: files go only under the route's names (`attachment`, when it is one), each once. */
function unexpectedFile(fieldname: string, files: { root: string; names: readonly string[] } | undefined, attachment: string | undefined): string {
  const field = JSON.stringify(fieldname);
  if (!files) return `The form field ${field} is a file, but this request takes no files.`;
  if (attachment) return `The form field ${field} carries a second ${attachment} file; send one.`;
  return `The form field ${field} is a file, but this request takes files only as ${files.names.map((name) => `${files.root}[${name}]`).join(' or ')}.`;
}

/** The multipart parser's own limits, as sentences that name them. */
function limitError(error: unknown): HttpError | undefined {
  switch ((error as { code?: string }).code) {
    case 'FST_FILES_LIMIT':
      return new HttpError(413, `A request may carry at most ${MAX_FILES} files.`);
    case 'FST_FIELDS_LIMIT':
      return new HttpError(413, `A form may have at most ${MAX_FIELDS} fields.`);
    case 'FST_PARTS_LIMIT':
      return new HttpError(413, `A form may have at most ${MAX_FIELDS + MAX_FILES} parts.`);
    default:
      return undefined;
  }
}

/** `build[permissions]` → `body.build.permissions`, as Rails reads form names; a trailing `[]` collects a list. */
export function assign(body: Record<string, unknown>, name: string, value: unknown): void {
  const match = /^([^[\]]+)((?:\[[^[\]]+\])*)(\[\])?$/.exec(name);
  const keys = match ? [match[1]!, ...[...match[2]!.matchAll(/\[([^[\]]+)\]/g)].map((m) => m[1]!)] : [];
  if (!match || keys.some((key) => key === '__proto__' || key === 'constructor' || key === 'prototype')) {
    throw new HttpError(400, `The form field name ${JSON.stringify(name)} is not valid.`);
  }
  const clash = () => new HttpError(400, `The form field ${JSON.stringify(name)} clashes with another field of the same name.`);
  let target = body;
  for (const key of keys.slice(0, -1)) {
    const inner = Object.hasOwn(target, key) ? target[key] : (target[key] = {});
    if (typeof inner !== 'object' || inner === null || Array.isArray(inner) || inner instanceof Upload) throw clash();
    target = inner as Record<string, unknown>;
  }
  const last = keys.at(-1)!;
  if (!match[3]) {
    target[last] = value;
    return;
  }
  const list = Object.hasOwn(target, last) ? target[last] : (target[last] = []);
  if (!Array.isArray(list)) throw clash();
  list.push(value);
}
