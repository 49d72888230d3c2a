/**
 * The publisher's side of the files a manifest names: the digest of the logo and of every
 * screenshot, and the build's content folder packed into its `.tgz` (kept in memory for the
 * upload). Read before planning, so the plan can tell an unchanged file from a changed one.
 */
import { relative, isAbsolute } from 'node:path';
import { limiter } from './concurrency.js';
import { fileDigest } from './file-digest.js';
import type { ImagePin } from './image-pin.js';
import type { Manifest } from './model.js';

export interface PackedAsset {
  data: Buffer;
  sha256: string;
  /** How many files went in. */
  files: number;
  /** The name it is uploaded under, e.g. `bilirubin-visualizer-1.0.0.tgz`. */
  filename: string;
}

export interface LocalFiles {
  /** The hex SHA-256 of each file the manifest names, by its (absolute) path. */
  digests: Map<string, string>;
  /** The content folder, packed; absent when the build has none (or it could not be packed). */
  asset?: PackedAsset;
  /** The digest recorded for the build's image (image-pin.ts), when there is one. */
  image?: ImagePin;
  /** One sentence per file that could not be read (or image that could not be pinned). */
  errors: string[];
}

/** Reads and hashes the manifest's files, a few at a time. */
export async function readLocalFiles(manifest: Manifest, concurrency = 4): Promise<LocalFiles> {
  const limit = limiter(concurrency);
  const digests = new Map<string, string>();
  const errors: string[] = [];
  const named: { field: string; path: string }[] = [];
  if (manifest.product.logo) named.push({ field: 'product.logo', path: manifest.product.logo });
  manifest.product.screenshots.forEach((s, i) => named.push({ field: `product.screenshots[${i}].file`, path: s.file }));

  const hashing = named.map(({ field, path }) =>
    limit(async () => {
      if (digests.has(path)) return;
      try {
        digests.set(path, await fileDigest(path));
      } catch (error) {
        errors.push(`${manifest.file}: ${field}: cannot read ${shown(path)}: ${reason(error)}.`);
      }
    }),
  );
  const packing = manifest.build.content ? pack(manifest, manifest.build.content, errors) : Promise.resolve(undefined);
  const [asset] = await Promise.all([packing, ...hashing]);
  return { digests, errors, ...(asset ? { asset } : {}) };
}

async function pack(manifest: Manifest, dir: string, errors: string[]): Promise<PackedAsset | undefined> {
  try {
    const { packDirectory } = await import('./pack.js');
    const packed = await packDirectory(dir);
    return { ...packed, filename: `${slug(manifest.product.name)}-${slug(manifest.build.version)}.tgz` };
  } catch (error) {
    errors.push(`${manifest.file}: build.content: ${(error as Error).message ?? String(error)}`);
    return undefined;
  }
}

/** A path as the user would recognise it: relative to where they are, when it is below it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

function reason(error: unknown): string {
  const code = (error as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return 'it does not exist';
  if (code === 'EISDIR') return 'it is a folder, not a file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  return (error as Error)?.message ?? String(error);
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9.]+/g, '-').replace(/^-+|-+$/g, '') || 'build';
}
