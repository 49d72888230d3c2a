/**
 * SHA-256 digests of files on both sides, so an unchanged logo, screenshot or build asset is
 * never uploaded again. The marketplace answers file GETs with `ETag: "<sha256 hex>"`, and
 * a HEAD request gets the same headers without the body: one small read per file. A server
 * that sends no such ETag (or answers HEAD oddly) gets the file downloaded and hashed instead.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { FileResponse, Marketplace } from '../index.js';
import { NotFoundError } from '../sdk/errors.js';

/** A file the marketplace serves. */
export interface RemoteFile {
  /** Its API path, e.g. `/products/<id>/logo/large`. */
  path: string;
  /** Downloads it through the SDK (with its retries and typed errors). */
  download(): Promise<FileResponse>;
}

/** An ETag that is a SHA-256 digest (our server's); anything else says nothing about the bytes. */
const SHA256_ETAG = /^"([0-9a-f]{64})"$/i;

/** The hex SHA-256 of a local file, read as a stream. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The hex SHA-256 of a file the marketplace holds, or `null` when it holds none. */
export async function remoteDigest(client: Marketplace, file: RemoteFile, signal?: AbortSignal): Promise<string | null> {
  const head = await headDigest(client, file.path, signal);
  if (head !== undefined) return head;
  let response: FileResponse;
  try {
    response = await file.download();
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
  const hash = createHash('sha256');
  const body = response.body as AsyncIterable<Uint8Array> | null;
  if (body) for await (const chunk of body) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * The digest from a HEAD request's ETag; `null` when the server says there is no file;
 * `undefined` when the answer does not tell (no usable ETag, or an error the download will
 * report properly, with the SDK's typed errors).
 */
async function headDigest(client: Marketplace, path: string, signal: AbortSignal | undefined): Promise<string | null | undefined> {
  try {
    const headers = await client._head(path, { signal, maxRetries: 0 });
    return SHA256_ETAG.exec(headers.get('etag') ?? '')?.[1]?.toLowerCase();
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    if (signal?.aborted) throw error;
    return undefined;
  }
}
