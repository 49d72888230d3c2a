/**
 * Files in and out of commands: uploads read from a path, and downloads written so that a
 * failure never leaves a half-written file behind (a temporary file is renamed into place
 * once complete) and an existing file is only replaced with `--force`.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { access, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import type { FileResponse } from '../index.js';
import { describeSize } from '../size.js';
import type { CliContext } from './context.js';
import { FailureError } from './errors.js';

/** A file to upload; a missing or unreadable path is one sentence naming the flag (exit code 1: the file system, not the call). */
export async function readUpload(path: string, flag?: string): Promise<File> {
  const { fileFromPath } = await import('../sdk/uploads.js');
  try {
    return await fileFromPath(path);
  } catch (error) {
    throw new FailureError(flag ? `${flag}: ${(error as Error).message}` : (error as Error).message);
  }
}

/** Fails before any download when the chosen file exists and may not be replaced. */
export async function refuseOverwrite(path: string, force: boolean): Promise<void> {
  if (force || path === '-') return;
  if (await exists(path)) throw new FailureError(`${path} already exists; pass --force to replace it.`);
}

export interface SaveOptions {
  /** `--output-file`: a path, or `-` for stdout. Default: the server's file name, else `fallbackName`. */
  output?: string;
  fallbackName: string;
  force?: boolean;
}

/** Writes a downloaded file and says where it went (nothing said in JSON/YAML mode or for stdout). */
export async function saveDownload(ctx: CliContext, file: FileResponse, options: SaveOptions): Promise<void> {
  // The fallback is built from what the user typed (a version, say): keep it one plain name.
  const fallback = `${options.fallbackName.replace(/[^\w.-]+/g, '-')}${extensionFor(file.contentType)}`;
  const target = options.output ?? file.filename ?? fallback;
  if (target === '-') return copyToStdout(ctx, file);
  await refuseOverwrite(target, !!options.force);
  const partial = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.part`);
  let bytes = 0;
  try {
    const source = file.body ? Readable.fromWeb(file.body as ReadableStream<Uint8Array>) : Readable.from([]);
    source.on('data', (chunk: Uint8Array) => (bytes += chunk.length));
    await pipeline(source, createWriteStream(partial, { flags: 'wx' }));
    // Checked again: the file may have appeared while the download ran.
    await refuseOverwrite(target, !!options.force);
    await rename(partial, target);
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    throw error;
  }
  ctx.output.success(`Saved ${target} (${describeSize(bytes)})`);
}

async function copyToStdout(ctx: CliContext, file: FileResponse): Promise<void> {
  if (!file.body) return;
  const stdout = ctx.io.stdout;
  for await (const chunk of file.body as unknown as AsyncIterable<Uint8Array>) {
    if (!stdout.write(chunk)) await once(stdout, 'drain');
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}

const EXTENSIONS: Record<string, string> = {
  'image/png': '.png',
  'image/jpeg': '.jpg',
  'image/gif': '.gif',
  'image/webp': '.webp',
  'image/svg+xml': '.svg',
  'application/gzip': '.tgz',
  'application/zip': '.zip',
  'application/x-tar': '.tar',
};

function extensionFor(contentType: string | undefined): string {
  return EXTENSIONS[contentType?.split(';')[0]?.trim().toLowerCase() ?? ''] ?? '';
}

