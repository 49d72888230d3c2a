/**
 * Multipart bodies (`product[logo]`, `screenshot[image]`, `build[asset]`): parsed into the same
 * shape as a JSON body, `{"screenshot": {"caption": "…", "image": Upload}}`, so the generic
 * routes treat form fields like JSON fields and find files as `Upload` values.
 */
import multipart from '@fastify/multipart';
import type { FastifyInstance } from 'fastify';
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

/** Form fields per request; far more than any resource has. */
const MAX_FIELDS = 200;
const MAX_FILES = 5;

export async function registerMultipart(app: FastifyInstance, config: ServerConfig): Promise<void> {
  await app.register(multipart, {
    limits: { fileSize: config.uploadLimit, files: MAX_FILES, fields: MAX_FIELDS, parts: MAX_FIELDS + MAX_FILES, fieldSize: config.bodyLimit },
  });
  // Before validation and before the handler: the body is complete when the routes see it.
  app.addHook('preValidation', async (req) => {
    if (!req.isMultipart()) return;
    const body: Record<string, unknown> = {};
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        let data: Buffer;
        try {
          data = await part.toBuffer();
        } catch (error) {
          if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
            throw new HttpError(413, `The file ${JSON.stringify(part.filename)} is larger than this marketplace accepts (${describeSize(config.uploadLimit)}).`);
          }
          throw error;
        }
        assign(body, part.fieldname, new Upload(part.filename || part.fieldname, part.mimetype || 'application/octet-stream', data));
      } else {
        if (part.valueTruncated) throw new HttpError(413, `The form field ${part.fieldname} is longer than ${describeSize(config.bodyLimit)}.`);
        assign(body, part.fieldname, part.value);
      }
    }
    req.body = body;
  });
}

/** `build[permissions]` → `body.build.permissions`, as Rails reads form names; a trailing `[]` collects a list. */
function assign(body: Record<string, unknown>, name: string, value: unknown): void {
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
