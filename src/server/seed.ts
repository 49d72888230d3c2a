/**
 * A new marketplace's first contents: the specification's template roles, common licences
 * and an administrator. Runs once, when the database has no roles yet.
 */
import type { Queryable } from './db/database.js';

export const SEED_ROLES = [
  { name: 'Administrator', description: 'May do everything.', default: false, permissions: { everything: { manage: true } } },
  {
    name: 'Editor',
    description: 'May create and edit products (and the builds of products they own).',
    default: false,
    permissions: { products: { create: true, read: true, update: true, delete: true } },
  },
  {
    name: 'Standard',
    description: 'Every new user: may read and update their own account; published products are public anyway.',
    default: true,
    permissions: { users: { read_self: true, update_self: true } },
  },
] as const;

export const SEED_LICENSES = [
  { name: 'MIT', url: 'https://opensource.org/licenses/MIT' },
  { name: 'Apache 2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
  { name: 'BSD 2-Clause', url: 'https://opensource.org/licenses/BSD-2-Clause' },
  { name: 'BSD 3-Clause', url: 'https://opensource.org/licenses/BSD-3-Clause' },
  { name: 'CC0 1.0', url: 'https://creativecommons.org/publicdomain/zero/1.0/' },
  { name: 'CC BY 4.0', url: 'https://creativecommons.org/licenses/by/4.0/' },
] as const;

export interface SeedResult {
  /** Set on the first start only: the administrator created then. */
  administratorId?: string;
}

/** Arbitrary, fixed: identifies this application's seeding lock. */
const SEED_LOCK = 4_815_162_343;

export async function seed(tx: Queryable): Promise<SeedResult> {
  // Replicas starting together on a new database: the first seeds, the others wait for its
  // commit and then find the roles there (without the lock both would insert, and one fail).
  await tx.query('SELECT pg_advisory_xact_lock($1)', [SEED_LOCK]);
  const { rows } = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM roles');
  if ((rows[0]?.n ?? 0) > 0) return {};
  for (const role of SEED_ROLES) {
    await tx.query('INSERT INTO roles (name, description, "default", permissions) VALUES ($1, $2, $3, $4)', [
      role.name,
      role.description,
      role.default,
      JSON.stringify(role.permissions),
    ]);
  }
  for (const license of SEED_LICENSES) {
    await tx.query(`INSERT INTO licenses (name, url, expiry) VALUES ($1, $2, 'indefinite')`, [license.name, license.url]);
  }
  const admin = await tx.query<{ id: string }>(`INSERT INTO users (name, first_name, last_name) VALUES ('Administrator', 'Marketplace', 'Administrator') RETURNING id`);
  const administratorId = admin.rows[0]!.id;
  await tx.query(
    `INSERT INTO appointments (role_id, entity_type, entity_id) SELECT id, 'User', $1 FROM roles WHERE name = 'Administrator'`,
    [administratorId],
  );
  return { administratorId };
}

/** New users get every role marked `default`, as the specification says. */
export async function appointDefaultRoles(tx: Queryable, entityType: 'User' | 'Group', entityId: string): Promise<void> {
  await tx.query(
    `INSERT INTO appointments (role_id, entity_type, entity_id)
     SELECT id, $1, $2 FROM roles WHERE "default" ON CONFLICT DO NOTHING`,
    [entityType, entityId],
  );
}
