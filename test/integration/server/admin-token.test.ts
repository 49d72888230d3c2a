/**
 * The administrator cannot be locked out. After `hsp logout` (DELETE /sessions) with the
 * token in DATA/admin.token, or when that token expired, went missing, was signed with another
 * key or its administrator was deleted, the next start writes a working one (0600) and says
 * why; a working token is left alone. And a fresh token on demand (`hsp serve token`): from
 * the server running on the folder, from a folder no server holds, or from a PostgreSQL database.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Status } from '../../../src/index.js';
import { createMarketplaceServer, issueAdministratorToken, type MarketplaceServer } from '../../../src/server/index.js';
import { marketplaceHandle, scratchDatabase } from '../../helpers/marketplace.js';
import { onPGlite, onPostgres } from '../../helpers/skips.js';

const postgresUrl = process.env.HSP_TEST_DATABASE_URL;

/** Who a token signs in as on a server, or the status code that refused it. */
async function whoIs(server: MarketplaceServer, token: string): Promise<{ id: string; manages: boolean } | number> {
  try {
    const status: Status = await marketplaceHandle(server).client(token).session.status();
    return { id: status.identity!.user.id, manages: status.permissions?.everything?.manage === true };
  } catch (error) {
    return (error as { status: number }).status;
  }
}

/** What `hsp logout` does with the token: DELETE /sessions. */
async function logout(server: MarketplaceServer, token: string): Promise<void> {
  await marketplaceHandle(server).client(token).session.logout();
}

/** Sends `text` on a Unix socket and resolves to everything it answers before closing. */
function talkToSocket(path: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(path, () => socket.write(text));
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject).on('close', () => resolve(answer));
  });
}

onPGlite.describe('the administrator token of a data folder', () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'hsp-admin-token-test-'));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it('after a logout with it, the next start writes a fresh one for the same administrator; a working one is left alone', async () => {
    const dataDir = join(tmp, 'logged-out');
    const tokenFile = join(dataDir, 'admin.token');
    const first = await createMarketplaceServer({ port: 0, dataDir });
    const revoked = first.adminToken!;
    let adminId: string;
    try {
      const admin = await whoIs(first, revoked);
      expect(admin).toMatchObject({ manages: true });
      adminId = (admin as { id: string }).id;
      await logout(first, revoked);
      expect(await whoIs(first, revoked)).toBe(401);
    } finally {
      await first.close();
    }

    const second = await createMarketplaceServer({ port: 0, dataDir });
    try {
      expect(second.adminTokenRenewed).toBe('had been revoked (signed out)');
      expect(second.adminTokenFile).toBe(tokenFile);
      expect((await readFile(tokenFile, 'utf8')).trim()).toBe(second.adminToken);
      expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
      expect(await whoIs(second, second.adminToken!)).toEqual({ id: adminId, manages: true });
      expect(await whoIs(second, revoked)).toBe(401);
    } finally {
      await second.close();
    }

    const written = await stat(tokenFile);
    const third = await createMarketplaceServer({ port: 0, dataDir });
    try {
      expect([third.adminTokenRenewed, third.adminToken, third.adminTokenFile]).toEqual([undefined, undefined, undefined]);
      const unchanged = await stat(tokenFile);
      expect([unchanged.ino, unchanged.mtimeMs]).toEqual([written.ino, written.mtimeMs]);
    } finally {
      await third.close();
    }
  }, 120_000);

  it('an expired, missing or foreign-signed token, or a deleted administrator, is replaced at start, saying why', async () => {
    const dataDir = join(tmp, 'lost');
    const tokenFile = join(dataDir, 'admin.token');
    const restart = async (options: { secretKeyBase?: string } = {}) => createMarketplaceServer({ port: 0, dataDir, ...options });

    let server = await restart();
    await server.db.query(`UPDATE json_web_tokens SET expires_at = now() - interval '1 minute'`);
    await server.close();

    server = await restart();
    expect(server.adminTokenRenewed).toBe('had expired');
    expect(await whoIs(server, server.adminToken!)).toMatchObject({ manages: true });
    await server.close();

    await rm(tokenFile);
    server = await restart();
    expect(server.adminTokenRenewed).toBe('was missing');
    expect((await readFile(tokenFile, 'utf8')).trim()).toBe(server.adminToken);
    const adminId = ((await whoIs(server, server.adminToken!)) as { id: string }).id;
    await server.close();

    // MARKETPLACE_SECRET_KEY_BASE set (or changed) since: the stored token cannot be checked.
    server = await restart({ secretKeyBase: 'k'.repeat(64) });
    expect(server.adminTokenRenewed).toBe("was not signed with this marketplace's key");
    expect(await whoIs(server, server.adminToken!)).toEqual({ id: adminId, manages: true });
    // Every administrator deleted: a new one is made, so the owner is never locked out.
    await server.db.query('DELETE FROM users WHERE id = $1', [adminId]);
    await server.close();

    server = await restart({ secretKeyBase: 'k'.repeat(64) });
    try {
      expect(server.adminTokenRenewed).toBe('had been revoked (signed out)');
      const admin = await whoIs(server, server.adminToken!);
      expect(admin).toMatchObject({ manages: true });
      expect((admin as { id: string }).id).not.toBe(adminId);
    } finally {
      await server.close();
    }
  }, 180_000);

  it('hsp serve token: from the server running on the folder, else under the lock; each token works', async () => {
    const dataDir = join(tmp, 'on-demand');
    const server = await createMarketplaceServer({ port: 0, dataDir });
    let fromServer: string;
    try {
      // The running server mints it, through its socket in the private folder.
      expect((await stat(join(dataDir, 'server.sock'))).mode & 0o777).toBe(0o600);
      const minted = await issueAdministratorToken({ dataDir });
      expect(minted.from).toBe('running-server');
      expect(minted.expiresAt.getTime()).toBeGreaterThan(Date.now() + 364 * 24 * 3600 * 1000);
      fromServer = minted.token;
      expect(await whoIs(server, fromServer)).toMatchObject({ manages: true });
      // The socket answers one request, and nothing else: a stranger's bytes get a refusal.
      expect(await talkToSocket(join(dataDir, 'server.sock'), 'GET / HTTP/1.1\r\n\r\n')).toBe('{"error":"Unknown request."}\n');
      expect(await talkToSocket(join(dataDir, 'server.sock'), 'x'.repeat(100))).toBe('');
      // The stored token is not touched: it still works too.
      expect(await whoIs(server, (await readFile(join(dataDir, 'admin.token'), 'utf8')).trim())).toMatchObject({ manages: true });
    } finally {
      await server.close();
    }
    expect(existsSync(join(dataDir, 'server.sock'))).toBe(false);

    // No server: minted on the database itself, under the folder's lock (released after).
    const offline = await issueAdministratorToken({ dataDir });
    expect(offline.from).toBe('database');
    expect(existsSync(join(dataDir, 'server.lock'))).toBe(false);
    const again = await createMarketplaceServer({ port: 0, dataDir });
    try {
      expect(await whoIs(again, offline.token)).toMatchObject({ manages: true });
      expect(await whoIs(again, fromServer)).toMatchObject({ manages: true });
    } finally {
      await again.close();
    }
  }, 120_000);

  it('hsp serve token on a folder without a marketplace refuses with a sentence, and creates nothing', async () => {
    const dataDir = join(tmp, 'never-served');
    await expect(issueAdministratorToken({ dataDir })).rejects.toThrow(`There is no marketplace in ${dataDir}; start one with: hsp serve --data-dir ${dataDir}`);
    expect(existsSync(dataDir)).toBe(false);
  });
});

onPostgres.describe('hsp serve token on PostgreSQL', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
  });
  async function database(): Promise<string> {
    const { databaseUrl, dropDatabase } = await scratchDatabase(postgresUrl!);
    cleanup.push(dropDatabase);
    return databaseUrl;
  }

  it('mints a working administrator token on the database, while replicas run', async () => {
    const databaseUrl = await database();
    const server = await createMarketplaceServer({ port: 0, databaseUrl });
    try {
      await logout(server, server.adminToken!);
      const minted = await issueAdministratorToken({ databaseUrl });
      expect(minted.from).toBe('database');
      expect(await whoIs(server, minted.token)).toMatchObject({ manages: true });
    } finally {
      await server.close();
    }
  }, 60_000);

  it('a marketplace signing with MARKETPLACE_SECRET_KEY_BASE needs the same key; an empty database has no marketplace', async () => {
    const databaseUrl = await database();
    const secretKeyBase = 's'.repeat(64);
    const server = await createMarketplaceServer({ port: 0, databaseUrl, secretKeyBase });
    try {
      const host = new URL(databaseUrl);
      await expect(issueAdministratorToken({ databaseUrl })).rejects.toThrow(
        `The database at ${host.hostname}:${host.port}${host.pathname} keeps no token key: its marketplace signs with MARKETPLACE_SECRET_KEY_BASE, so set that variable to the same value for this command.`,
      );
      const minted = await issueAdministratorToken({ databaseUrl, secretKeyBase });
      expect(await whoIs(server, minted.token)).toMatchObject({ manages: true });
    } finally {
      await server.close();
    }
    const empty = await database();
    await expect(issueAdministratorToken({ databaseUrl: empty })).rejects.toThrow(/^The database at .+ holds no marketplace; start hsp serve on it once first\.$/);
  }, 60_000);
});
