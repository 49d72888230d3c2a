/**
 * The embedded database (PGlite): a data directory that survives restarts, the administrator
 * token written on first start only, and the snapshots that make in-memory starts fast.
 * PGlite only, so not repeated in the integration-postgres project.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createMarketplaceServer } from '../../../src/server/index.js';
import { marketplaceHandle } from '../../helpers/marketplace.js';
import { onlyIf, onPGlite } from '../../helpers/skips.js';

const builtSnapshot = fileURLToPath(new URL('../../../dist/pglite-snapshot.json', import.meta.url));

onPGlite.describe('the embedded database (PGlite)', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hsp-embedded-test-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  /** Runs `work` with some environment variables set, restoring them afterwards. */
  async function withEnv<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
    const saved = Object.fromEntries(Object.keys(vars).map((key) => [key, process.env[key]]));
    Object.assign(process.env, vars);
    try {
      return await work();
    } finally {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  }

  it('a data-dir server keeps its data across restarts and writes admin.token (0600) on first start only', async () => {
    const dataDir = join(tmp, 'marketplace'); // does not exist yet: the server makes it
    const first = await createMarketplaceServer({ port: 0, dataDir });
    let productId: string;
    let token: string;
    try {
      expect(first.adminTokenFile).toBe(join(dataDir, 'admin.token'));
      token = (await readFile(first.adminTokenFile!, 'utf8')).trim();
      expect(token).toBe(first.adminToken);
      expect((await stat(first.adminTokenFile!)).mode & 0o777).toBe(0o600);
      productId = (await marketplaceHandle(first).admin.products.create({ name: 'Kept app', description: 'survives restarts' })).id;
    } finally {
      await first.close();
    }
    const written = await stat(join(dataDir, 'admin.token'));

    const second = await createMarketplaceServer({ port: 0, dataDir });
    try {
      expect(second.adminToken).toBeUndefined();
      expect(second.adminTokenFile).toBeUndefined();
      const unchanged = await stat(join(dataDir, 'admin.token'));
      expect([unchanged.ino, unchanged.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
      // The token from the first start still works: its key is kept in the database.
      const client = marketplaceHandle(second).client(token);
      await expect(client.products.retrieve(productId)).resolves.toMatchObject({ name: 'Kept app', description: 'survives restarts' });
      const users = await second.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE name = 'Administrator'`);
      expect(users.rows[0]!.n).toBe(1);
    } finally {
      await second.close();
    }
  }, 120_000);

  it('in memory without the built snapshot: the first start makes the snapshot cache, the next starts from it', async () => {
    const cache = join(tmp, 'cache-only');
    await withEnv({ XDG_CACHE_HOME: cache, HSP_SKIP_BUILT_SNAPSHOT: '1' }, async () => {
      const first = await createMarketplaceServer({ port: 0, memory: true });
      const tokenDir = dirname(first.adminTokenFile!);
      await first.close();
      // An in-memory server's token lives in a temporary directory, gone with the server.
      expect(existsSync(tokenDir)).toBe(false);

      const files = await readdir(join(cache, 'hsp'));
      expect(files).toEqual([expect.stringMatching(/^pglite-[\d.]+-schema-\d+-[0-9a-f]{12}\.tar\.gz$/)]);
      const cached = await stat(join(cache, 'hsp', files[0]!));

      const second = await createMarketplaceServer({ port: 0, memory: true });
      try {
        // Started from the cache, so it did not write it again; and it is a fresh marketplace.
        const again = await stat(join(cache, 'hsp', files[0]!));
        expect([again.ino, again.mtimeMs]).toEqual([cached.ino, cached.mtimeMs]);
        expect(second.adminToken).toBeDefined();
        await expect(marketplaceHandle(second).admin.products.list().toArray()).resolves.toEqual([]);
      } finally {
        await second.close();
      }
    });
  }, 120_000);

  onlyIf(existsSync(builtSnapshot), 'needs the snapshot of a build: run npm run build').it('in memory with the snapshot built into dist/: no cache is needed', async () => {
    const cache = join(tmp, 'cache-unused');
    await withEnv({ XDG_CACHE_HOME: cache }, async () => {
      const server = await createMarketplaceServer({ port: 0, memory: true });
      await server.close();
    });
    expect(existsSync(join(cache, 'hsp'))).toBe(false);
  }, 60_000);
});
