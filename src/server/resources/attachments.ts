/**
 * Files kept with records (product logos, screenshot images, build assets): taken from a
 * multipart body, stored in the database with a SHA-256 checksum, and sent back.
 */
import { createHash } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import type { Queryable } from '../db/database.js';
import { invalid, notFound } from '../errors.js';
import { Upload } from '../uploads.js';
import type { Attachment, ResourceDefinition } from './definition.js';

/**
 * The files in a create or update body, checked; `null` under a file's name removes the file
 * (as assigning nil detaches a Rails attachment), and any other value is refused.
 */
export function takeUploads(definition: ResourceDefinition, input: Record<string, unknown>): Map<string, Upload | null> {
  const uploads = new Map<string, Upload | null>();
  for (const [name, attachment] of Object.entries(definition.attachments ?? {})) {
    const value = input[name];
    if (value === undefined) continue;
    if (value === null) {
      uploads.set(name, null);
      continue;
    }
    if (!(value instanceof Upload)) throw invalid(name, 'must be a file, sent as multipart/form-data');
    const filename = value.filename.split(/[\\/]/).pop() || name;
    if (!attachment.images) {
      const type = /^[\w.+-]+\/[\w.+-]+$/.test(value.contentType) ? value.contentType.toLowerCase() : 'application/octet-stream';
      uploads.set(name, new Upload(filename, type, value.data));
      continue;
    }
    // Trust a declared image type; otherwise recognise the common formats by their first bytes.
    const type = /^image\/[\w.+-]+$/i.test(value.contentType) ? value.contentType.toLowerCase() : sniffImage(value.data);
    if (!type) throw invalid(name, 'must be an image (PNG, JPEG, GIF, WebP or SVG)');
    uploads.set(name, new Upload(filename, type, value.data));
  }
  return uploads;
}

/** Stores, replaces or (for `null`) removes each file of the record `id`, inside the write's transaction. */
export async function storeUploads(tx: Queryable, definition: ResourceDefinition, id: string, uploads: Map<string, Upload | null>): Promise<void> {
  for (const [name, upload] of uploads) {
    const { table, key } = definition.attachments![name]!;
    if (!upload) {
      await tx.query(`DELETE FROM ${table} WHERE ${key} = $1`, [id]);
      continue;
    }
    await tx.query(
      `INSERT INTO ${table} (${key}, filename, content_type, byte_size, checksum, data) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (${key}) DO UPDATE SET filename = EXCLUDED.filename, content_type = EXCLUDED.content_type,
         byte_size = EXCLUDED.byte_size, checksum = EXCLUDED.checksum, data = EXCLUDED.data, updated_at = now()`,
      [id, upload.filename, upload.contentType, upload.data.length, sha256(upload.data), upload.data],
    );
  }
}

/** Ids among `ids` that have a file attached (for `asset_available` and the like). */
export async function withAttachment(db: Queryable, attachment: Attachment, ids: readonly unknown[]): Promise<Set<string>> {
  if (!ids.length) return new Set();
  const { rows } = await db.query<{ id: string }>(`SELECT ${attachment.key} AS id FROM ${attachment.table} WHERE ${attachment.key} = ANY($1)`, [ids]);
  return new Set(rows.map((r) => r.id));
}

interface StoredFile {
  filename: string;
  content_type: string;
  checksum: string;
  data: Uint8Array;
}

/**
 * Sends the file of record `id`: `inline` for images, `attachment` for downloads. Files are
 * sandboxed (no sniffing, no scripts) so an uploaded SVG or HTML cannot act as this origin.
 */
export async function sendAttachment(
  reply: FastifyReply,
  db: Queryable,
  attachment: Attachment,
  id: string,
  disposition: 'inline' | 'attachment',
  missing: string,
): Promise<FastifyReply> {
  const { rows } = await db.query<StoredFile>(
    `SELECT filename, content_type, checksum, data FROM ${attachment.table} WHERE ${attachment.key} = $1`,
    [id],
  );
  const file = rows[0];
  if (!file) throw notFound(missing);
  const data = Buffer.from(file.data.buffer, file.data.byteOffset, file.data.byteLength);
  return reply
    .type(file.content_type)
    .header('content-disposition', contentDisposition(disposition, file.filename))
    .header('etag', `"${file.checksum}"`)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; sandbox")
    .send(data);
}

/** `inline; filename="logo.png"`, with an RFC 5987 `filename*` when the name is not plain ASCII. */
export function contentDisposition(disposition: 'inline' | 'attachment', filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');
  const plain = `${disposition}; filename="${ascii}"`;
  return ascii === filename ? plain : `${plain}; filename*=UTF-8''${encodeURIComponent(filename)}`;
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** PNG, JPEG, GIF and WebP by their signatures. */
function sniffImage(data: Buffer): string | undefined {
  const starts = (...bytes: number[]) => bytes.every((b, i) => data[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (data.subarray(0, 6).toString('latin1') === 'GIF87a' || data.subarray(0, 6).toString('latin1') === 'GIF89a') return 'image/gif';
  if (data.subarray(0, 4).toString('latin1') === 'RIFF' && data.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return undefined;
}
