/**
 * `makeFolder`, the `mkdir -p` that always ends, on the real file system: where Node's own
 * recursive mkdir spins forever (a path in /proc), it fails at once; otherwise it does what
 * `mkdir -p -m` does.
 */
import { lstat, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FolderRefusedError, makeFolder } from '../../src/make-folder.js';
import { onlyIf } from '../helpers/skips.js';

describe('makeFolder', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hsp-make-folder-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('makes the missing parents with the mode given, and accepts a folder that exists (or a link to one)', async () => {
    const deep = join(tmp, 'a', 'b', 'c');
    expect(await makeFolder(deep, 0o700)).toBe(true);
    for (const path of [join(tmp, 'a'), join(tmp, 'a', 'b'), deep]) expect(((await lstat(path)).mode & 0o777).toString(8)).toBe('700');
    expect(await makeFolder(deep, 0o700)).toBe(false);
    await symlink(deep, join(tmp, 'link'));
    expect(await makeFolder(join(tmp, 'link'))).toBe(false);
  });

  it('a file in the way is EEXIST (the folder itself) or ENOTDIR (a parent)', async () => {
    const file = join(tmp, 'file');
    await writeFile(file, 'x');
    await expect(makeFolder(file)).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(makeFolder(join(file, 'below'))).rejects.toMatchObject({ code: 'ENOTDIR' });
  });

  onlyIf(process.platform === 'linux' && existsSync('/proc/self'), 'needs Linux /proc').it(
    'a path in /proc fails at once with a sentence naming the parent (Node 20 spins on it forever)',
    async () => {
      const started = Date.now();
      await expect(makeFolder('/proc/hsp-no-such-folder')).rejects.toThrow(new FolderRefusedError('/proc'));
      await expect(makeFolder('/proc/hsp-no-such-folder/deeper')).rejects.toThrow('/proc does not accept new folders');
      expect(Date.now() - started).toBeLessThan(1_000);
    },
  );
});
