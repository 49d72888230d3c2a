/**
 * `unpackArchive`: an asset archive (`.tgz` or plain `.tar`) into a folder, refusing, rather
 * than quietly repairing, anything that could write outside it: absolute paths, `..`, Windows
 * drive and backslash paths, links leading out, entries written through a link, devices and
 * FIFOs, and archives past a size or entry-count limit.
 *
 * Two passes over the bytes, held in memory: the first reads every header and checks it
 * without writing anything (some checks need the whole list: a link late in the archive can
 * stand in the way of an entry early in it); the second lets tar extract into a fresh folder
 * beside the target, renamed into place only once everything is written. tar's own guards
 * (strict mode, no preservePaths) stay on underneath, but they strip `..` and absolute
 * prefixes silently, which is why the first pass exists.
 *
 * Times come from the archive; owners never do. Modes do only in part: see `SAFE_MODE_BITS`.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rename, rm, rmdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Parser, Unpack, type ReadEntry } from 'tar';
import { ArchiveError } from './archive-error.js';
import { describeSize } from '../size.js';
import { MAX_ENTRIES, MAX_UNPACKED_BYTES } from './archive-limits.js';
import { pathProblem, quotePath, segmentsOf, symlinkProblem, type PathEntry } from './archive-paths.js';

export interface UnpackOptions {
  /** Replace the contents of a target folder that is not empty. */
  force?: boolean;
  /** Most entries the archive may hold. Default 100,000. */
  maxEntries?: number;
  /** Most bytes of file content it may unpack to. Default 1 GiB. */
  maxBytes?: number;
}

interface Limits {
  entries: number;
  bytes: number;
}

/**
 * The bits of an entry's mode that are kept: read and execute for everyone, write for the owner.
 * Setuid, setgid and sticky are dropped (an asset is an app's files, never a privileged
 * program, and tar keeps those bits when root unpacks), and so is write for group and others,
 * as `tar --no-same-permissions` does: who else may change these files on this machine is not
 * the archive's author's call, and the process's umask can still only take more away (even a
 * umask of 0, common in containers, gives no world-writable file). Folders get owner rights
 * from tar itself, which keeps them enterable.
 */
const SAFE_MODE_BITS = 0o755;

/** What the target is before anything is written. */
type TargetState = 'absent' | 'empty' | 'full';

/** The entry kinds that are unpacked; every other kind refuses the archive. */
const KINDS: Partial<Record<string, PathEntry['type']>> = {
  File: 'File',
  OldFile: 'File',
  ContiguousFile: 'File',
  Directory: 'Directory',
  SymbolicLink: 'SymbolicLink',
  Link: 'Link',
};

const KIND_NAMES: Partial<Record<string, string>> = {
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a named pipe (FIFO)',
  GNUDumpDir: 'a GNU dump folder',
};

/**
 * Unpacks `data` into the folder `target`, created with its parents if missing. `files`
 * counts files and links (folders not counted).
 */
export async function unpackArchive(data: Buffer | Readable, target: string, options: UnpackOptions = {}): Promise<{ files: number }> {
  const limits: Limits = { entries: options.maxEntries ?? MAX_ENTRIES, bytes: options.maxBytes ?? MAX_UNPACKED_BYTES };
  let state: TargetState;
  try {
    state = await targetState(target, !!options.force);
  } catch (error) {
    if (!Buffer.isBuffer(data)) data.destroy();
    throw error;
  }
  // Headers and padding add at most a kilobyte per entry to the content.
  const bytes = Buffer.isBuffer(data) ? data : await readAll(data, limits.bytes + 1024 * (limits.entries + 2));
  const entries = await listEntries(bytes, limits);
  const trouble = symlinkProblem(entries);
  if (trouble) throw new ArchiveError('unsafe-entry', `The archive entry ${quotePath(trouble.path)} ${trouble.problem}.`);

  const destination = resolve(target);
  const parent = dirname(destination);
  const partial = join(parent, `.${basename(destination)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    await mkdir(parent, { recursive: true });
    // Not the default 0777: under a umask of 0 the folder itself would be writable by all.
    await mkdir(partial, { mode: SAFE_MODE_BITS });
    await extract(bytes, partial);
    await moveIntoPlace(partial, destination, state);
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw new ArchiveError('file-system', `Could not unpack into ${target}: ${reasonOf(error)}.`, { cause: error });
  }
  return { files: entries.filter((entry) => entry.type !== 'Directory').length };
}

async function targetState(target: string, force: boolean): Promise<TargetState> {
  let names: string[];
  try {
    if (!(await lstat(target)).isDirectory()) throw new ArchiveError('target-exists', `${target} exists and is not a folder.`);
    names = await readdir(target);
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new ArchiveError('file-system', `Cannot use ${target}: ${reasonOf(error)}.`, { cause: error });
  }
  if (names.length === 0) return 'empty';
  if (!force) throw new ArchiveError('target-exists', `The folder ${target} is not empty; pass --force to replace its contents.`);
  return 'full';
}

async function readAll(stream: Readable, cap: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array | string);
    size += bytes.length;
    if (size > cap) {
      stream.destroy();
      throw new ArchiveError('too-large', `The archive is larger than ${describeSize(cap)}; refusing to unpack it.`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}

/** The first pass: every header read and checked, nothing written. */
function listEntries(bytes: Buffer, limits: Limits): Promise<PathEntry[]> {
  return new Promise((resolveList, reject) => {
    const entries: PathEntry[] = [];
    const seen = new Map<string, PathEntry['type']>();
    let content = 0;
    let lastPath: string | undefined;
    let failure: Error | undefined;
    const parser = new Parser({ strict: true });
    const fail = (error: Error) => {
      if (failure) return;
      failure = error;
      reject(error);
      parser.abort(error);
    };
    const refuse = (path: string, why: string, reason: 'unsafe-entry' | 'too-large' = 'unsafe-entry') =>
      fail(new ArchiveError(reason, `The archive entry ${quotePath(path)} ${why}.`));

    const check = (entry: ReadEntry): PathEntry | undefined => {
      const { path } = entry;
      const type = KINDS[entry.type];
      if (!type) return void refuse(path, `is ${KIND_NAMES[entry.type] ?? `of the kind ${entry.type}`}; only files, folders and links are unpacked`);
      const problem = pathProblem(path);
      if (problem) return void refuse(path, problem);
      const segments = segmentsOf(path);
      // `./` stands for the folder itself (GNU tar writes it first); it may only be a folder.
      if (segments.length === 0) return type === 'Directory' ? undefined : void refuse(path, 'names the folder itself, but is not a folder');
      const key = segments.join('/');
      const earlier = seen.get(key);
      if (earlier === 'Directory' && type === 'Directory') return undefined;
      if (earlier) return void refuse(path, 'appears twice');
      if (entries.length + 1 > limits.entries) return void refuse(path, `is one more than the ${limits.entries.toLocaleString('en')} entries an archive may hold`, 'too-large');
      if (type === 'File') content += entry.size;
      if (content > limits.bytes) return void refuse(path, `takes the archive past the ${describeSize(limits.bytes)} it may unpack to`, 'too-large');
      const linkpath = entry.linkpath;
      if (type === 'Link') {
        const target = linkpath ?? '';
        if (pathProblem(target)) return void refuse(path, `is a hard link to ${quotePath(target)}, outside the folder`);
        if (seen.get(segmentsOf(target).join('/')) !== 'File') return void refuse(path, `is a hard link to ${quotePath(target)}, which is not a file earlier in the archive`);
      }
      seen.set(key, type);
      return { path, segments, type, linkpath };
    };

    parser.on('entry', (entry: ReadEntry) => {
      entry.resume();
      if (failure) return;
      lastPath = entry.path;
      const listed = check(entry);
      if (listed) entries.push(listed);
    });
    // Entries tar itself would skip (unknown kinds, oversized extended headers) refuse the archive.
    parser.on('ignoredEntry', (entry: ReadEntry) => refuse(entry.path, `is of the kind ${entry.type}, which is never unpacked`));
    parser.on('error', (error: Error) => fail(unreadable(error, lastPath)));
    parser.on('end', () => {
      if (!failure) resolveList(entries);
    });
    parser.end(bytes);
  });
}

/** tar's complaint about the bytes themselves, as one sentence. */
function unreadable(error: Error, lastPath: string | undefined): ArchiveError {
  const detail = error.message.replace(/^TAR_[A-Z_]+: /, '');
  if (/decompression ratio/.test(detail)) {
    return new ArchiveError('too-large', 'The archive expands over a thousandfold, as only a "zip bomb" does; refusing to unpack it.', { cause: error });
  }
  if (lastPath === undefined) return new ArchiveError('not-an-archive', 'The data is not a tar archive (plain or gzip-compressed).', { cause: error });
  return new ArchiveError('damaged', `The archive is damaged after the entry ${quotePath(lastPath)}: ${detail.charAt(0).toLowerCase()}${detail.slice(1).replace(/\.$/, '')}.`, { cause: error });
}

/** The second pass: tar writes the checked entries into the fresh folder. */
function extract(bytes: Buffer, into: string): Promise<void> {
  return new Promise((resolveExtract, reject) => {
    let failure: Error | undefined;
    // preserveOwner defaults to true for root; an asset's owners mean nothing on this machine.
    const unpack = new Unpack({
      cwd: into,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      // For folders the archive implies without listing them (`a/b/file` alone), and entries without a mode.
      dmode: SAFE_MODE_BITS,
      fmode: SAFE_MODE_BITS & 0o666,
      // Called before tar handles the entry (tar's own listener comes later), so the mode it
      // opens or creates with is already the narrowed one; a hard link has no mode of its own.
      onReadEntry: (entry: ReadEntry) => {
        if (typeof entry.mode === 'number') entry.mode &= SAFE_MODE_BITS;
      },
    });
    unpack.on('error', (error: Error) => (failure ??= error));
    unpack.on('close', () => (failure ? reject(failure) : resolveExtract()));
    unpack.end(bytes);
  });
}

async function moveIntoPlace(partial: string, destination: string, state: TargetState): Promise<void> {
  if (state === 'absent') return rename(partial, destination);
  if (state === 'empty') {
    await rmdir(destination);
    return rename(partial, destination).catch(async (error: unknown) => {
      await mkdir(destination).catch(() => undefined);
      throw error;
    });
  }
  // Replaced in two renames, so a failure in between can put the old contents back.
  const previous = join(dirname(destination), `.${basename(destination)}.${randomBytes(6).toString('hex')}.old`);
  await rename(destination, previous);
  try {
    await rename(partial, destination);
  } catch (error) {
    await rename(previous, destination);
    throw error;
  }
  await rm(previous, { recursive: true, force: true });
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ENOSPC') return 'the disk is full';
  if (code === 'EEXIST' || code === 'ENOTEMPTY') return 'it appeared while the archive was unpacked';
  return (error as Error).message.replace(/^TAR_[A-Z_]+: /, '');
}
