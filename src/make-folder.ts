/**
 * `mkdir -p` that always ends. Node's own (`mkdir(path, { recursive: true })`, Node 20) never
 * returns for a path in /proc: mkdir there fails with ENOENT although the parent exists, and
 * Node answers ENOENT by making the parent (which exists: fine) and trying again, forever, at
 * full CPU; the synchronous form blocks the event loop, so not even a signal is handled.
 * Here each missing ancestor is made once and the folder itself at most twice. A leaf (it
 * imports nothing of the project).
 */
import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/** The parent exists, yet no folder can be made in it: a virtual file system such as /proc. */
export class FolderRefusedError extends Error {
  override name = 'FolderRefusedError';
  readonly code = 'ENOENT';
  constructor(readonly parent: string) {
    super(`${parent} does not accept new folders`);
  }
}

/**
 * Makes `path` and any missing parents (with `mode`, as `mkdir -p -m`); an existing folder is
 * fine, an existing file is `EEXIST`. Other failures are the file system's own errors (`EACCES`,
 * `EROFS`, `ENOTDIR`, …), or `FolderRefusedError`. Resolves to true when this call made `path`
 * itself (and so may remove it again), false when it was there already.
 */
export async function makeFolder(path: string, mode = 0o777): Promise<boolean> {
  const absolute = resolve(path);
  const first = await attempt(absolute, mode);
  if (first !== 'no parent') return first === 'made';
  const parent = dirname(absolute);
  // The root of the file system is missing: nothing to make it in.
  if (parent === absolute) throw Object.assign(new Error(`ENOENT: no such file or directory, mkdir '${absolute}'`), { code: 'ENOENT', path: absolute });
  await makeFolder(parent, mode);
  const second = await attempt(absolute, mode);
  if (second === 'no parent') throw new FolderRefusedError(parent);
  return second === 'made';
}

/** One mkdir: made, there already (as a folder), or its parent is missing; throws the rest. */
async function attempt(path: string, mode: number): Promise<'made' | 'exists' | 'no parent'> {
  try {
    await mkdir(path, { mode });
    return 'made';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no parent';
    if (code !== 'EEXIST') throw error;
    // A folder (or a link to one) is what was asked for; anything else stays an EEXIST.
    if ((await stat(path).catch(() => undefined))?.isDirectory()) return 'exists';
    throw error;
  }
}
