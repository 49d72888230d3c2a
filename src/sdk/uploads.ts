/**
 * Files for multipart bodies (product logos, screenshot images, build assets) and files
 * coming back (logo renditions, build assets).
 */
import { InvalidArgumentError } from './errors.js';

/** Anything the SDK can upload: a Blob or File, raw bytes, or bytes with a name and type. */
export type Uploadable =
  | Blob
  | Uint8Array
  | ArrayBuffer
  | { data: Blob | Uint8Array | ArrayBuffer; filename?: string; contentType?: string };

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.tgz': 'application/gzip',
  '.gz': 'application/gzip',
  '.tar': 'application/x-tar',
  '.zip': 'application/zip',
  '.json': 'application/json',
  '.pdf': 'application/pdf',
};

/** What Blob accepts, spelled so that it type-checks with Node's types and with the DOM's alike. */
type BlobPart = NonNullable<ConstructorParameters<typeof Blob>[0]>[number];

export function contentTypeFor(filename: string): string {
  const name = basename(filename);
  const dot = name.lastIndexOf('.');
  return (dot > 0 && CONTENT_TYPES[name.slice(dot).toLowerCase()]) || 'application/octet-stream';
}

/** The last segment of a path with `/` or `\\` separators (node:path is not in browsers). */
function basename(path: string): string {
  return path.replace(/[\\/]+$/, '').split(/[\\/]/).pop() ?? '';
}

/** A file on disk as an upload; read lazily while the request is sent. */
export async function fileFromPath(path: string, contentType?: string): Promise<File> {
  // openAsBlob's own errors carry no code, so look first to say what is wrong.
  // Loaded here, not at the top: browsers bundle this module too, and have no file system.
  const [{ openAsBlob }, { stat }] = await Promise.all([import('node:fs'), import('node:fs/promises')]);
  let blob: Blob;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw Object.assign(new Error('not a file'), { code: info.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
    blob = await openAsBlob(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' ? 'it does not exist' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : code === 'ENOTFILE' ? 'it is not a regular file' : (error as Error).message;
    throw new InvalidArgumentError('path', `Cannot upload ${path}: ${why}.`);
  }
  const name = basename(path);
  return new File([blob], name, { type: contentType ?? contentTypeFor(name) });
}

/** `{ root: "product", fields: {name}, files: {logo} }` → `product[name]`, `product[logo]`. */
export function multipart(root: string, fields: Record<string, unknown>, files: Record<string, Uploadable>): FormData {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    form.append(`${root}[${key}]`, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  for (const [key, file] of Object.entries(files)) {
    const { blob, filename } = toBlob(file, key);
    form.append(`${root}[${key}]`, blob, filename);
  }
  return form;
}

function toBlob(file: Uploadable, field: string): { blob: Blob; filename: string } {
  if (file instanceof Blob) {
    const name = file instanceof File && file.name ? file.name : field;
    return { blob: file, filename: name };
  }
  if (file instanceof Uint8Array || file instanceof ArrayBuffer) {
    return { blob: new Blob([file as BlobPart]), filename: field };
  }
  if (file && typeof file === 'object' && 'data' in file) {
    const filename = file.filename ?? field;
    const type = file.contentType ?? (file.filename ? contentTypeFor(file.filename) : undefined);
    const data = file.data instanceof Blob ? file.data : new Blob([file.data as BlobPart]);
    return { blob: type ? new Blob([data], { type }) : data, filename };
  }
  throw new InvalidArgumentError(field, `${field} must be a Blob, a File, bytes or { data, filename }.`);
}

/** A file the server sent: its type and name from the headers, its body to stream or read. */
export class FileResponse {
  readonly contentType: string | undefined;
  readonly filename: string | undefined;
  /** From `Content-Length`, when the server sent one. */
  readonly size: number | undefined;

  constructor(private readonly response: Response) {
    this.contentType = response.headers.get('content-type') ?? undefined;
    this.filename = filenameFrom(response.headers.get('content-disposition'));
    const length = response.headers.get('content-length');
    this.size = length && /^\d+$/.test(length) ? Number(length) : undefined;
  }

  /** The body as a web stream, for large files. */
  get body(): ReadableStream<Uint8Array> | null {
    return this.response.body;
  }

  async bytes(): Promise<Uint8Array> {
    return new Uint8Array(await this.response.arrayBuffer());
  }
}

/** Reads `filename*=` (RFC 6266/5987) or `filename=`, and Rails' bare `inline; name.png`. */
export function filenameFrom(disposition: string | null): string | undefined {
  if (!disposition) return undefined;
  const extended = /filename\*\s*=\s*(?:[\w-]+'[^']*')?([^;]+)/i.exec(disposition)?.[1];
  if (extended) {
    try {
      return safeName(decodeURIComponent(extended.trim().replace(/^"|"$/g, '')));
    } catch {
      // Fall through to the plain form.
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(disposition);
  if (plain) return safeName((plain[2] ?? plain[1] ?? '').trim());
  const bare = disposition.split(';')[1]?.trim();
  return bare && !bare.includes('=') ? safeName(bare) : undefined;
}

/** Never let a server choose a path: keep the last segment only. */
function safeName(name: string): string | undefined {
  const last = basename(name);
  return last && last !== '.' && last !== '..' ? last : undefined;
}
