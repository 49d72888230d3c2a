/**
 * `hsp serve` keeps a build's image digest (`container_digest`, recorded by `hsp publish`):
 * stored and served on every build route, checked as `sha256:` and 64 lowercase hex digits
 * by the API (a 422 naming the field) and by the database itself, and added to databases
 * created before it existed by a migration that leaves their builds without one.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Product } from '../../../src/index.js';
import type { Database } from '../../../src/server/db/database.js';
import { migrate } from '../../../src/server/db/migrate.js';
import { migrations } from '../../../src/server/db/schema.js';
import { scratchDatabase, useMarketplace } from '../../helpers/marketplace.js';
import { rawRequest } from '../../helpers/raw-request.js';
import { refusal } from '../../helpers/refusal.js';

const m = useMarketplace();
const A = `sha256:${'0123456789abcdef'.repeat(4)}`;
const B = `sha256:${'f'.repeat(64)}`;
const RULE = 'must be a SHA-256 digest: "sha256:" and 64 lowercase hexadecimal digits';

let product: Product;
beforeAll(async () => {
  product = await m.admin.products.create({ name: `Pinned ${randomUUID()}` });
});

describe('a build\u2019s container_digest', () => {
  it('is stored on create and served by show, list and the update answer', async () => {
    const build = await m.admin.builds.create(product.id, { version: `1.${randomUUID()}`, container_repository: '127.0.0.1:5000/acme/app', container_tag: '1.0', container_digest: A });
    expect(build.container_digest).toBe(A);
    expect((await m.admin.builds.retrieve(product.id, build.id)).container_digest).toBe(A);
    const listed = (await m.admin.builds.list(product.id, { perPage: 100 })).items.find((b) => b.id === build.id);
    expect(listed?.container_digest).toBe(A);
    expect((await m.admin.builds.update(product.id, build.id, { container_digest: B })).container_digest).toBe(B);
    expect((await m.admin.builds.retrieve(product.id, build.id)).container_digest).toBe(B);
  });

  it('is null for a build without one, and null or "" clears it', async () => {
    const plain = await m.admin.builds.create(product.id, { version: `2.${randomUUID()}`, container_repository: 'acme/app', container_tag: '2.0' });
    expect(plain.container_digest).toBeNull();
    const pinned = await m.admin.builds.create(product.id, { version: `3.${randomUUID()}`, container_digest: A });
    expect((await m.admin.builds.update(product.id, pinned.id, { container_digest: null })).container_digest).toBeNull();
    await m.admin.builds.update(product.id, pinned.id, { container_digest: A });
    const cleared = await rawRequest(m, 'PATCH', `/products/${product.id}/builds/${pinned.id}`, { json: { build: { container_digest: '' } } });
    expect(cleared.status).toBe(200);
    expect((cleared.body as { container_digest: unknown }).container_digest).toBeNull();
  });

  it.each([
    ['uppercase hex', `sha256:${'A'.repeat(64)}`],
    ['a short digest', 'sha256:abc123'],
    ['another algorithm', `sha512:${'a'.repeat(128)}`],
    ['a tag', 'latest'],
    ['surrounding space', ` ${A}`],
    ['a trailing newline', `${A}\n`],
  ])('refuses %s with a 422 naming the field, before anything is written', async (_what, value) => {
    const version = `9.${randomUUID()}`;
    const answer = await rawRequest(m, 'POST', `/products/${product.id}/builds`, { json: { build: { version, container_digest: value } } });
    expect(answer.status).toBe(422);
    expect(answer.body).toEqual({ container_digest: [RULE] });
    expect(await refusal(m.admin.builds.create(product.id, { version, container_digest: value }))).toEqual({ status: 422, message: `container_digest ${RULE}` });
    const all = (await m.admin.builds.list(product.id, { perPage: 100 })).items;
    expect(all.find((b) => b.version === version)).toBeUndefined();
  });

  it('refuses a bad digest on update too, keeping the one it had', async () => {
    const build = await m.admin.builds.create(product.id, { version: `4.${randomUUID()}`, container_digest: A });
    expect(await refusal(m.admin.builds.update(product.id, build.id, { container_digest: 'sha256:nope' }))).toEqual({ status: 422, message: `container_digest ${RULE}` });
    expect((await m.admin.builds.retrieve(product.id, build.id)).container_digest).toBe(A);
  });

  it('is checked by the database too, whatever writes to it', async () => {
    const build = await m.admin.builds.create(product.id, { version: `5.${randomUUID()}` });
    await expect(m.server.db.query('UPDATE builds SET container_digest = $1 WHERE id = $2', ['sha256:not-hex', build.id])).rejects.toMatchObject({ code: '23514' });
    await m.server.db.query('UPDATE builds SET container_digest = $1 WHERE id = $2', [A, build.id]);
    expect((await m.admin.builds.retrieve(product.id, build.id)).container_digest).toBe(A);
  });
});

describe('the build digests migration', () => {
  it('adds the column to a database made before it, keeping its builds (without a digest)', async () => {
    const db = await openScratch();
    try {
      const before = migrations.filter((migration) => migration.name !== 'build digests');
      expect(before.length).toBe(migrations.length - 1);
      await db.exec(`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const migration of before) {
        await db.exec(migration.sql);
        await db.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      }
      const user = await db.query<{ id: string }>(`INSERT INTO users (name) VALUES ('Olga Old') RETURNING id`);
      const { rows } = await db.query<{ id: string }>(`INSERT INTO products (name, user_id) VALUES ('Old app', $1) RETURNING id`, [user.rows[0]!.id]);
      await db.query(`INSERT INTO builds (product_id, version, container_repository, container_tag) VALUES ($1, '1.0.0', 'acme/old', '1.0')`, [rows[0]!.id]);

      const { applied } = await migrate(db);
      expect(applied).toEqual([migrations.find((migration) => migration.name === 'build digests')!.version]);
      const builds = await db.query<{ version: string; container_digest: string | null }>('SELECT version, container_digest FROM builds');
      expect(builds.rows).toEqual([{ version: '1.0.0', container_digest: null }]);
      expect((await migrate(db)).applied).toEqual([]);
    } finally {
      await db.close();
    }
  }, 120_000);
});

/** An empty database on the engine this project runs on: PGlite, or a scratch PostgreSQL database. */
async function openScratch(): Promise<Database> {
  const base = process.env.HSP_TEST_DATABASE_URL;
  if (!base) {
    const { openPGlite } = await import('../../../src/server/db/pglite.js');
    return openPGlite();
  }
  const { openPostgres } = await import('../../../src/server/db/postgres.js');
  const { databaseUrl, dropDatabase } = await scratchDatabase(base);
  const db = await openPostgres(databaseUrl);
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    await dropDatabase();
  };
  return db;
}
