/**
 * The data folder of an embedded marketplace: private to its owner (the folder 0700, nothing
 * inside readable by others, a loose folder tightened, a folder that is not a marketplace's
 * refused untouched), and one server at a time (a second is refused with a sentence naming the
 * holder; a lock whose process is gone, or whose PID now names another process, is taken
 * over, by exactly one of several contenders). The crash of a real `hsp serve` is in
 * test/integration/cli/serve-data-folder.test.ts. PGlite only: PostgreSQL has no data folder.
 */
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataFolderError, LOCK_FILE, lockDataFolder } from '../../../src/server/data-folder.js';
import { createMarketplaceServer } from '../../../src/server/index.js';
import { marketplaceHandle } from '../../helpers/marketplace.js';
import { deadPid } from '../../helpers/processes.js';
import { onPGlite } from '../../helpers/skips.js';

/** Every file and folder below `dir` (symbolic links aside) with its permission bits. */
async function modesBelow(dir: string): Promise<{ path: string; mode: number }[]> {
  const found: { path: string; mode: number }[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const info = await lstat(path);
    if (info.isSymbolicLink()) continue;
    found.push({ path, mode: info.mode & 0o7777 });
    if (info.isDirectory()) found.push(...(await modesBelow(path)));
  }
  return found;
}

async function readableByOthers(dir: string): Promise<string[]> {
  return (await modesBelow(dir)).filter((entry) => entry.mode & 0o077).map((entry) => `${entry.path} ${entry.mode.toString(8)}`);
}

onPGlite.describe('the data folder', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hsp-data-folder-test-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  describe('is private', () => {
    it('a new folder is 0700, and after close nothing of its hundreds of files is readable by others', async () => {
      const dataDir = join(tmp, 'fresh');
      const server = await createMarketplaceServer({ port: 0, dataDir });
      try {
        expect((await stat(dataDir)).mode & 0o7777).toBe(0o700);
        // At start too: what the database unpacked was made private before the first request.
        expect(await readableByOthers(dataDir)).toEqual([]);
        await marketplaceHandle(server).admin.products.create({ name: 'Private app', description: 'written while running' });
      } finally {
        await server.close();
      }
      const entries = await modesBelow(dataDir);
      expect(entries.length).toBeGreaterThan(100);
      expect(await readableByOthers(dataDir)).toEqual([]);
      expect(entries.find((e) => e.path === join(dataDir, 'admin.token'))?.mode).toBe(0o600);
    }, 120_000);

    it('an existing folder with loose modes is tightened at start, and its data and token still work', async () => {
      const dataDir = join(tmp, 'loose');
      const first = await createMarketplaceServer({ port: 0, dataDir });
      const token = first.adminToken!;
      await first.close();
      // As a copy with `cp -r` under umask 000, or a `chmod -R a+rX` by hand, would leave it.
      await chmod(dataDir, 0o777);
      for (const entry of await modesBelow(dataDir)) await chmod(entry.path, entry.mode | 0o055 | (entry.mode & 0o100 ? 0o011 : 0));
      await chmod(join(dataDir, 'admin.token'), 0o4666);
      expect((await readableByOthers(dataDir)).length).toBeGreaterThan(100);

      const second = await createMarketplaceServer({ port: 0, dataDir });
      try {
        expect((await stat(dataDir)).mode & 0o7777).toBe(0o700);
        expect(await readableByOthers(dataDir)).toEqual([]);
        // setuid went too; the owner keeps what they had.
        expect((await stat(join(dataDir, 'admin.token'))).mode & 0o7777).toBe(0o600);
        expect(second.adminTokenRenewed).toBeUndefined();
        await expect(marketplaceHandle(second).client(token).products.list().toArray()).resolves.toEqual([]);
      } finally {
        await second.close();
      }
    }, 120_000);

    it('a folder that holds other things and no marketplace is refused, and left as it was', async () => {
      const dataDir = join(tmp, 'project');
      await mkdir(dataDir, { mode: 0o755 });
      await chmod(dataDir, 0o755);
      await writeFile(join(dataDir, 'notes.txt'), 'mine', { mode: 0o644 });
      await expect(createMarketplaceServer({ port: 0, dataDir })).rejects.toThrow(
        new DataFolderError(`The data folder ${dataDir} already holds other files (such as "notes.txt") and no marketplace; choose an empty or new folder with --data-dir.`),
      );
      expect((await stat(dataDir)).mode & 0o777).toBe(0o755);
      expect((await stat(join(dataDir, 'notes.txt'))).mode & 0o777).toBe(0o644);
      expect(await readdir(dataDir)).toEqual(['notes.txt']);
    });

    it('a file where the folder should be is refused with a sentence', async () => {
      const dataDir = join(tmp, 'a-file');
      await writeFile(dataDir, '');
      await expect(createMarketplaceServer({ port: 0, dataDir })).rejects.toThrow(`The data folder ${dataDir} is not a folder; choose another with --data-dir.`);
    });
  });

  describe('serves one server at a time', () => {
    it('a second server on the folder is refused with a sentence naming the holder; after close the folder opens again', async () => {
      const dataDir = join(tmp, 'shared');
      const first = await createMarketplaceServer({ port: 0, dataDir });
      const token = first.adminToken!;
      let productId: string;
      try {
        productId = (await marketplaceHandle(first).admin.products.create({ name: 'Only once', description: 'one writer' })).id;
        const refusal = createMarketplaceServer({ port: 0, dataDir });
        await expect(refusal).rejects.toBeInstanceOf(DataFolderError);
        await expect(refusal).rejects.toThrow(
          new RegExp(
            `^The data folder ${dataDir} is in use by another Marketplace server in this process \\(process ${process.pid}, started \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\); close it first, or choose another folder with --data-dir\\.$`,
          ),
        );
        // The refused start changed nothing: the first server still answers, and holds the lock.
        expect((await fetch(`${first.url}/status`)).status).toBe(200);
        expect(JSON.parse(await readFile(join(dataDir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid });
      } finally {
        await first.close();
      }
      await expect(readFile(join(dataDir, LOCK_FILE))).rejects.toMatchObject({ code: 'ENOENT' });

      const again = await createMarketplaceServer({ port: 0, dataDir });
      try {
        await expect(marketplaceHandle(again).client(token).products.retrieve(productId)).resolves.toMatchObject({ name: 'Only once' });
      } finally {
        await again.close();
        await again.close(); // twice, as test clean-ups do: no error, nothing released twice
      }
    }, 120_000);

    /** A real lock's record, as a process that no longer runs (or another one) would have left it. */
    async function leftBehind(dir: string, change: (record: Record<string, unknown>) => void): Promise<Record<string, unknown>> {
      const lock = await lockDataFolder(dir);
      const record = JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')) as Record<string, unknown>;
      await lock.release();
      change(record);
      await writeFile(join(dir, LOCK_FILE), JSON.stringify(record), { mode: 0o600 });
      return record;
    }

    it('the lock of a process that is gone is taken over, by exactly one of five contenders', async () => {
      const dir = await mkdtemp(join(tmp, 'stale-'));
      const pid = await deadPid();
      await leftBehind(dir, (record) => Object.assign(record, { pid }));
      const contenders = await Promise.allSettled([1, 2, 3, 4, 5].map(() => lockDataFolder(dir)));
      const won = contenders.filter((c) => c.status === 'fulfilled');
      const refused = contenders.filter((c): c is PromiseRejectedResult => c.status === 'rejected');
      expect(won).toHaveLength(1);
      for (const r of refused) expect(String(r.reason)).toMatch(/is in use by another Marketplace server in this process/);
      expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      await (won[0] as PromiseFulfilledResult<{ release(): Promise<void> }>).value.release();
      // Nothing left behind: no claims, no staging files, no lock.
      expect(await readdir(dir)).toEqual([]);
    });

    it('a lock whose PID now belongs to another process (its start time differs) is taken over', async () => {
      const dir = await mkdtemp(join(tmp, 'reused-'));
      // The parent of this test runs, but it is not the process that took the lock.
      await leftBehind(dir, (record) => Object.assign(record, { pid: process.ppid, process: 'linux:another-boot:1' }));
      const lock = await lockDataFolder(dir);
      expect(JSON.parse(await readFile(join(dir, LOCK_FILE), 'utf8')).pid).toBe(process.pid);
      await lock.release();
    });

    it('a lock held by another host counts while it is fresh, and names the host and the file to delete', async () => {
      const dir = await mkdtemp(join(tmp, 'remote-'));
      await leftBehind(dir, (record) => Object.assign(record, { host: 'other-host', pid: 4242, command: 'hsp serve --data-dir /srv/mp' }));
      await expect(lockDataFolder(dir)).rejects.toThrow(
        new RegExp(`^The data folder ${dir} is in use by another Marketplace server \\(process 4242 on host other-host, hsp serve --data-dir /srv/mp, started [^)]+\\); stop it first; if it no longer runs, delete ${join(dir, LOCK_FILE)}\\.$`),
      );
    });

    it('a damaged lock file (no process named) is taken over', async () => {
      const dir = await mkdtemp(join(tmp, 'damaged-'));
      await writeFile(join(dir, LOCK_FILE), '{"pid": ', { mode: 0o600 });
      // Old enough not to be one being written right now.
      await utimes(join(dir, LOCK_FILE), new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
      const lock = await lockDataFolder(dir);
      await lock.release();
      expect(await readdir(dir)).toEqual([]);
    });
  });
});
