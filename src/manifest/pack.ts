/**
 * `packDirectory`: a content folder as a reproducible `.tgz` build asset. The same tree gives
 * the same bytes on any machine, under any umask, whatever the files' times, owners and
 * group/other permission bits, so the SHA-256 tells the publish planner whether the asset
 * changed since the last upload.
 *
 * Not `tar.create`: it takes modes and hard links from the file system (group bits, umask and
 * shared inodes all leak into the bytes) and walks in directory order. The walk, the order and
 * the normalised headers are done here; tar's own Header and Pax encoders write the blocks.
 *
 * What goes in: every file, folder (empty ones too) and symbolic link under the folder,
 * dotfiles included; nothing is skipped. Paths are relative to the folder (the archive has no
 * top folder of its own), `/`-separated, sorted by their UTF-8 bytes, so each folder comes
 * before its contents.
 * Headers: ustar; mode 0644 for files, 0755 for folders and for files with any execute bit,
 * 0777 for symbolic links; mtime 2000-01-01T00:00:00Z for everything (a plain date every tool
 * shows, where the epoch reads as "no date" to some); no uid, gid, user or group names, atime
 * or ctime. A pax header is added only when a path does not fit ustar (long or non-ASCII),
 * and it carries nothing but the path and link target.
 * Hard-linked files go in as separate files: which names share an inode is an accident of the
 * machine. Symbolic links are kept as links only when they lead to somewhere inside the folder.
 * Gzip: level 9, no file name, mtime 0, and OS byte 255 ("unknown") instead of the platform's
 * own (3 on Linux, 19 on macOS, 10 on Windows). The tar inside is fixed byte for byte; the
 * deflate stream is what Node's bundled zlib makes of it, the same wherever that zlib is.
 */
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createGzip } from 'node:zlib';
import { Header, Pax, type HeaderData } from 'tar';
import { ArchiveError, type ArchiveProblem } from './archive-error.js';
import { describeSize } from '../size.js';
import { MAX_ASSET_BYTES, MAX_ENTRIES, MAX_UNPACKED_BYTES } from './archive-limits.js';
import { pathProblem, quotePath, symlinkProblem, type PathEntry } from './archive-paths.js';

export interface PackedDirectory {
  /** The `.tgz` archive. */
  data: Buffer;
  /** Lowercase hex SHA-256 of `data`. */
  sha256: string;
  /** How many files and symbolic links it holds (folders not counted). */
  files: number;
}

export interface PackOptions {
  /** Refuse when the compressed archive would be larger. Default: the marketplace's asset limit. */
  maxBytes?: number;
}

/** Every entry's time: 2000-01-01T00:00:00Z. */
export const PACKED_MTIME = new Date(Date.UTC(2000, 0, 1));

const BLOCK = 512;
const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
const GZIP_OS_UNKNOWN = 255;

/** Makes the one sentence for a folder that cannot be packed. */
type Refuse = (reason: ArchiveProblem, why: string, cause?: unknown) => ArchiveError;

type TreeEntry =
  | { kind: 'directory'; path: string }
  | { kind: 'file'; path: string; absolute: string; size: number; executable: boolean }
  | { kind: 'symlink'; path: string; target: string };

export async function packDirectory(dir: string, options: PackOptions = {}): Promise<PackedDirectory> {
  const maxBytes = options.maxBytes ?? MAX_ASSET_BYTES;
  const refuse: Refuse = (reason, why, cause) => new ArchiveError(reason, `Cannot pack ${dir}: ${why}.`, { cause });
  const root = resolve(dir);
  try {
    if (!(await stat(root)).isDirectory()) throw refuse('bad-folder', 'it is not a folder');
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    throw refuse('bad-folder', fileSystemReason(error, 'the folder does not exist'), error);
  }

  const entries = await walk(root, refuse);
  if (!entries.some((entry) => entry.kind !== 'directory')) throw refuse('bad-folder', entries.length ? 'it holds no files, only empty folders' : 'the folder is empty');
  const content = entries.reduce((sum, entry) => sum + (entry.kind === 'file' ? entry.size : 0), 0);
  if (content > MAX_UNPACKED_BYTES) {
    throw refuse('too-large', `its files add up to ${describeSize(content)}, more than the ${describeSize(MAX_UNPACKED_BYTES)} an asset may unpack to`);
  }
  // The same rules the unpacker applies, so that nothing packed here is refused there.
  const linkTrouble = symlinkProblem(entries.map(asPathEntry));
  if (linkTrouble) throw refuse('bad-folder', `${quotePath(linkTrouble.path)} ${linkTrouble.problem}`);

  const data = await compress(entries, maxBytes, refuse);
  return { data, sha256: createHash('sha256').update(data).digest('hex'), files: entries.filter((entry) => entry.kind !== 'directory').length };
}

/** Everything under the folder, sorted by the UTF-8 bytes of its path. */
async function walk(root: string, refuse: Refuse): Promise<TreeEntry[]> {
  const entries: TreeEntry[] = [];
  const folders: string[][] = [[]];
  for (let folder = folders.pop(); folder; folder = folders.pop()) {
    let names: string[];
    try {
      names = await readdir(join(root, ...folder));
    } catch (error) {
      throw refuse('file-system', `cannot read the folder ${quotePath(folder.join('/') || '.')} (${fileSystemReason(error)})`, error);
    }
    for (const name of names) {
      const segments = [...folder, name];
      const path = segments.join('/');
      const absolute = join(root, ...segments);
      const problem = pathProblem(path);
      if (problem) throw refuse('bad-folder', `${quotePath(path)} ${problem}`);
      const info = await lstat(absolute).catch((error: unknown) => {
        throw refuse('file-system', `cannot read ${quotePath(path)} (${fileSystemReason(error)})`, error);
      });
      if (info.isDirectory()) {
        entries.push({ kind: 'directory', path });
        folders.push(segments);
      } else if (info.isFile()) {
        entries.push({ kind: 'file', path, absolute, size: info.size, executable: (info.mode & 0o111) !== 0 });
      } else if (info.isSymbolicLink()) {
        const target = await readlink(absolute).catch((error: unknown) => {
          throw refuse('file-system', `cannot read the symbolic link ${quotePath(path)} (${fileSystemReason(error)})`, error);
        });
        // Windows reports its own separators; the archive speaks `/`.
        entries.push({ kind: 'symlink', path, target: process.platform === 'win32' ? target.replace(/\\/g, '/') : target });
      } else {
        throw refuse('bad-folder', `${quotePath(path)} is a ${specialKind(info)}; only files, folders and symbolic links can go into an archive`);
      }
      if (entries.length > MAX_ENTRIES) throw refuse('too-large', `it holds more than ${MAX_ENTRIES.toLocaleString('en')} files and folders`);
    }
  }
  return entries.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
}

/** Streams the entries through gzip, stopping as soon as the output passes `maxBytes`. */
async function compress(entries: TreeEntry[], maxBytes: number, refuse: Refuse): Promise<Buffer> {
  const gzip = createGzip({ level: 9 });
  const chunks: Buffer[] = [];
  let size = 0;
  gzip.on('data', (chunk: Buffer) => {
    size += chunk.length;
    chunks.push(chunk);
  });
  const ended = once(gzip, 'end');
  const tooLarge = () => refuse('too-large', `the archive would be larger than the ${describeSize(maxBytes)} a marketplace accepts for a build asset`);
  const put = async (bytes: Buffer) => {
    if (size > maxBytes) throw tooLarge();
    if (!gzip.write(bytes)) await once(gzip, 'drain');
  };
  try {
    for (const entry of entries) {
      if (entry.kind === 'file') {
        let content: Buffer;
        try {
          content = await readFile(entry.absolute);
        } catch (error) {
          throw refuse('file-system', `cannot read ${quotePath(entry.path)} (${fileSystemReason(error)})`, error);
        }
        await put(headerBlocks({ path: entry.path, type: 'File', mode: entry.executable ? 0o755 : 0o644, size: content.length }));
        await put(content);
        const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
        if (padding) await put(Buffer.alloc(padding));
      } else if (entry.kind === 'directory') {
        await put(headerBlocks({ path: `${entry.path}/`, type: 'Directory', mode: 0o755, size: 0 }));
      } else {
        await put(headerBlocks({ path: entry.path, type: 'SymbolicLink', mode: 0o777, size: 0, linkpath: entry.target }));
      }
    }
    await put(END_OF_ARCHIVE);
    gzip.end();
    await ended;
  } catch (error) {
    gzip.destroy();
    throw error;
  }
  if (size > maxBytes) throw tooLarge();
  const data = Buffer.concat(chunks, size);
  // The header has no checksum of its own (no FHCRC flag), so this byte can be set freely.
  data[9] = GZIP_OS_UNKNOWN;
  return data;
}

/** One entry's header block, preceded by a pax header when the path or link does not fit ustar. */
function headerBlocks(fields: Required<Pick<HeaderData, 'path' | 'type' | 'mode' | 'size'>> & Pick<HeaderData, 'linkpath'>): Buffer {
  const block = Buffer.alloc(BLOCK);
  const needsPax = new Header({ ...fields, mtime: PACKED_MTIME }).encode(block);
  if (!needsPax) return block;
  return Buffer.concat([new Pax({ path: fields.path, linkpath: fields.linkpath }).encode(), block]);
}

function asPathEntry(entry: TreeEntry): PathEntry {
  const segments = entry.path.split('/');
  if (entry.kind === 'symlink') return { path: entry.path, segments, type: 'SymbolicLink', linkpath: entry.target };
  return { path: entry.path, segments, type: entry.kind === 'file' ? 'File' : 'Directory' };
}

function specialKind(info: { isSocket(): boolean; isFIFO(): boolean; isBlockDevice(): boolean; isCharacterDevice(): boolean }): string {
  if (info.isSocket()) return 'socket';
  if (info.isFIFO()) return 'named pipe (FIFO)';
  if (info.isBlockDevice()) return 'block device';
  if (info.isCharacterDevice()) return 'character device';
  return 'special file';
}

function fileSystemReason(error: unknown, missing = 'it does not exist'): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return missing;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOTDIR') return 'it is not a folder';
  return (error as Error).message;
}
