/**
 * A real Marketplace Service for a test file: `hsp serve` in-process on a free port, on PGlite
 * in memory, or on PostgreSQL when HSP_TEST_DATABASE_URL names a server (each test file then
 * gets a database of its own, dropped afterwards). Clients are the real SDK.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { Marketplace } from '../../src/index.js';
import { issueToken } from '../../src/server/auth/tokens.js';
import { createMarketplaceServer, type MarketplaceServer, type MarketplaceServerOptions } from '../../src/server/index.js';
import { appointDefaultRoles } from '../../src/server/seed.js';

export interface TestUser {
  id: string;
  token: string;
  client: Marketplace;
}

export interface TestMarketplace {
  server: MarketplaceServer;
  url: string;
  admin: Marketplace;
  anonymous: Marketplace;
  /** A new user with the default roles plus the named ones (e.g. 'Editor'). */
  user(name: string, roles?: string[]): Promise<TestUser>;
  client(token?: string): Marketplace;
}

/** Starts the server before the file's tests and stops it after them. */
export function useMarketplace(options: MarketplaceServerOptions = {}): TestMarketplace {
  const handle = {} as TestMarketplace;
  let dropDatabase: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    const base = process.env.HSP_TEST_DATABASE_URL;
    let databaseUrl = options.databaseUrl;
    if (base && !databaseUrl && !options.dataDir) ({ databaseUrl, dropDatabase } = await scratchDatabase(base));
    const server = await createMarketplaceServer({ port: 0, ...options, databaseUrl, onInternalError: (e) => console.error(e) });
    Object.assign(handle, marketplaceHandle(server));
  }, 120_000);
  afterAll(async () => {
    await handle.server?.close();
    await dropDatabase?.();
  });
  return handle;
}

export function marketplaceHandle(server: MarketplaceServer): TestMarketplace {
  const client = (token?: string) => new Marketplace({ baseUrl: server.url, token, dialect: 'r2', maxRetries: 0 });
  return {
    server,
    url: server.url,
    admin: client(server.adminToken),
    anonymous: client(),
    client,
    async user(name, roles = []) {
      const { db, secret } = server.context;
      const id = await db.transaction(async (tx) => {
        const { rows } = await tx.query<{ id: string }>('INSERT INTO users (name) VALUES ($1) RETURNING id', [name]);
        const userId = rows[0]!.id;
        await appointDefaultRoles(tx, 'User', userId);
        for (const role of roles) {
          const appointed = await tx.query(
            `INSERT INTO appointments (role_id, entity_type, entity_id) SELECT id, 'User', $1 FROM roles WHERE name = $2`,
            [userId, role],
          );
          if (!appointed.rowCount) throw new Error(`no role named ${role}`);
        }
        return userId;
      });
      const { token } = await issueToken(db, secret, { userId: id });
      return { id, token, client: client(token) };
    },
  };
}

/** A database of its own on a shared PostgreSQL server. */
export async function scratchDatabase(baseUrl: string): Promise<{ databaseUrl: string; dropDatabase: () => Promise<void> }> {
  const pg = (await import('pg')).default;
  const name = `hsp_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.href,
    async dropDatabase() {
      const client = new pg.Client({ connectionString: baseUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
