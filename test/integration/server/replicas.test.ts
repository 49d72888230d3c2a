/**
 * Several replicas of the service on one PostgreSQL database, as in production behind a load
 * balancer: they start together without stepping on each other (advisory-locked migrations and
 * seeding), share data, and accept each other's tokens (one signing key, kept in `settings`).
 * Only where a PostgreSQL server is available (the integration-postgres project).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { issueToken } from '../../../src/server/auth/tokens.js';
import { migrate } from '../../../src/server/db/migrate.js';
import { migrations } from '../../../src/server/db/schema.js';
import { createMarketplaceServer, type MarketplaceServer } from '../../../src/server/index.js';
import { marketplaceHandle, scratchDatabase } from '../../helpers/marketplace.js';
import { onPostgres } from '../../helpers/skips.js';

const baseUrl = process.env.HSP_TEST_DATABASE_URL;

onPostgres.describe('replicas on one PostgreSQL database', () => {
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;
  const servers: MarketplaceServer[] = [];
  const start = async () => {
    const server = await createMarketplaceServer({ port: 0, databaseUrl, onInternalError: (e) => console.error(e) });
    servers.push(server);
    return server;
  };
  const stop = async (server: MarketplaceServer) => {
    servers.splice(servers.indexOf(server), 1);
    await server.close();
  };

  beforeAll(async () => {
    ({ databaseUrl, dropDatabase } = await scratchDatabase(baseUrl!));
  });
  afterAll(async () => {
    await Promise.all(servers.map((server) => server.close()));
    await dropDatabase?.();
  });

  let a: MarketplaceServer;
  let b: MarketplaceServer;
  let adminToken: string;

  it('two replicas started together on a fresh database both start; migrations and seeding happen once', async () => {
    [a, b] = await Promise.all([start(), start()]);

    // Exactly one of them seeded, and so minted the administrator token.
    const seeders = [a, b].filter((server) => server.adminToken);
    expect(seeders).toHaveLength(1);
    adminToken = seeders[0]!.adminToken!;

    const count = async (sql: string) => (await a.db.query<{ n: number }>(sql)).rows[0]!.n;
    expect(await count(`SELECT count(*)::int AS n FROM users WHERE name = 'Administrator'`)).toBe(1);
    expect(await count('SELECT count(*)::int AS n FROM users')).toBe(1);
    expect((await a.db.query<{ name: string }>('SELECT name FROM roles ORDER BY name')).rows.map((r) => r.name)).toEqual([
      'Administrator',
      'Editor',
      'Standard',
    ]);
    expect(await count('SELECT count(*)::int AS n FROM schema_migrations')).toBe(migrations.length);
    expect(await count(`SELECT count(*)::int AS n FROM settings WHERE key = 'secret_key_base'`)).toBe(1);
    // One signing key for both.
    expect(Buffer.from(a.context.secret).equals(Buffer.from(b.context.secret))).toBe(true);
  }, 60_000);

  it('a product created through one replica is read through the other', async () => {
    const throughA = marketplaceHandle(a).client(adminToken);
    const throughB = marketplaceHandle(b).client(adminToken);
    const created = await throughA.products.create({ name: 'Replicated app', description: 'made on A' });
    await expect(throughB.products.retrieve(created.id)).resolves.toMatchObject({ id: created.id, description: 'made on A' });
    await throughB.products.update(created.id, { description: 'changed on B' });
    await expect(throughA.products.retrieve(created.id)).resolves.toMatchObject({ description: 'changed on B' });
  });

  it('a token issued by one replica works on the other', async () => {
    const user = await marketplaceHandle(a).user('Rita Replica');
    const statusOnB = await fetch(`${b.url}/status`, { headers: { authorization: `Bearer ${user.token}` } });
    expect(statusOnB.status).toBe(200);
    expect(await statusOnB.json()).toMatchObject({ identity: { user_id: user.id } });

    const { token } = await issueToken(b.db, b.context.secret, { userId: user.id });
    const statusOnA = await fetch(`${a.url}/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(await statusOnA.json()).toMatchObject({ identity: { user_id: user.id } });
  });

  it('a replica restarted on an existing database applies no migration and seeds nothing', async () => {
    const before = (await a.db.query('SELECT version, applied_at FROM schema_migrations ORDER BY version')).rows;
    await stop(b);
    b = await start();
    expect(b.adminToken).toBeUndefined();
    expect(b.adminTokenFile).toBeUndefined();
    expect((await b.db.query('SELECT version, applied_at FROM schema_migrations ORDER BY version')).rows).toEqual(before);
    expect(await migrate(b.db)).toEqual({ applied: [] });
    expect((await b.db.query<{ n: number }>('SELECT count(*)::int AS n FROM roles')).rows[0]!.n).toBe(3);
    // The old token still works on the new replica: the key came from the database.
    const status = await fetch(`${b.url}/status`, { headers: { authorization: `Bearer ${adminToken}` } });
    expect(await status.json()).toMatchObject({ identity: { user: { name: 'Administrator' } } });
  }, 60_000);
});
