/**
 * Brings a database to the current schema at boot, idempotently. An advisory lock makes
 * replicas starting together on one PostgreSQL take turns: the first migrates, the others
 * then find nothing to do.
 */
import type { Database } from './database.js';
import { migrations } from './schema.js';

/** Arbitrary, fixed: identifies this application's migration lock. */
const MIGRATION_LOCK = 4_815_162_342;

export const SCHEMA_VERSION = migrations.at(-1)?.version ?? 0;

export async function migrate(db: Database): Promise<{ applied: number[] }> {
  return db.transaction(async (tx) => {
    // Transaction-scoped: released at commit or rollback, even if this process dies.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    // Under the lock: two concurrent `CREATE TABLE IF NOT EXISTS` of one table can both miss
    // it and the loser fails on a unique violation in the catalogue.
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const done = new Set((await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    return { applied };
  });
}
