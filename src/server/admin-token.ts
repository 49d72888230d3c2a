/**
 * The administrator's way back in. A marketplace's first start writes an administrator token
 * to DATA/admin.token; `hsp logout` with it revokes it, and it expires after a year. So each
 * start checks the stored token against the token store, and writes a fresh one when it no
 * longer works; and `hsp serve token` mints one on demand. Whoever can read the data folder
 * (private, ./data-folder.ts) or reach the database may have one: they hold the signing key anyway.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeJwt, errors as joseErrors, jwtVerify } from 'jose';
import { permissionsOf } from './auth/caller.js';
import { isAdministrator, normalisePermissions } from './auth/permissions.js';
import { issueToken, looksLikeJwt, type IssuedToken } from './auth/tokens.js';
import { DataFolderError, DataFolderInUseError, describeHolder, openDataFolder } from './data-folder.js';
import type { Database, Queryable } from './db/database.js';
import { requestTokenFromServer } from './token-socket.js';

export const ADMIN_TOKEN_FILE = 'admin.token';
/** A year: the key to a marketplace, kept where only its owner can read it. */
export const ADMIN_TOKEN_TTL_SECONDS = 365 * 24 * 60 * 60;

export interface AdministratorToken extends IssuedToken {
  userId: string;
}

/**
 * Mints a token for an administrator: `preferredUserId` when that user still is one (the
 * stored token's owner keeps their identity), else the longest-standing administrator, else a
 * new one (when every administrator was deleted or demoted).
 */
export async function mintAdministratorToken(db: Database, secret: Uint8Array, preferredUserId?: string): Promise<AdministratorToken> {
  let userId = preferredUserId && (await isAdministratorUser(db, preferredUserId)) ? preferredUserId : await firstAdministrator(db);
  userId ??= await db.transaction((tx) => createAdministrator(tx));
  return { ...(await issueToken(db, secret, { userId }, ADMIN_TOKEN_TTL_SECONDS)), userId };
}

/** Why the token in `file` no longer works as an administrator's, or `undefined` when it does. */
export async function storedTokenProblem(db: Queryable, secret: Uint8Array, file: string): Promise<{ problem: string; userId?: string } | undefined> {
  let token: string;
  try {
    token = (await readFile(file, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { problem: 'was missing' };
    throw error;
  }
  if (!looksLikeJwt(token)) return { problem: 'did not hold a token' };
  let subject: string | undefined;
  try {
    subject = decodeJwt(token).sub;
  } catch {
    return { problem: 'did not hold a token' };
  }
  const userId = subject && /^[0-9a-f-]{36}$/i.test(subject) ? subject : undefined;
  let id: unknown;
  try {
    ({ id } = (await jwtVerify(token, secret, { algorithms: ['HS256'] })).payload);
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { problem: 'had expired', userId };
    return { problem: "was not signed with this marketplace's key" };
  }
  if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) return { problem: 'did not hold a token' };
  const { rows } = await db.query<{ user_id: string; expires_at: Date }>('SELECT user_id, expires_at FROM json_web_tokens WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) return { problem: 'had been revoked (signed out)', userId };
  if (new Date(row.expires_at).getTime() <= Date.now()) return { problem: 'had expired', userId: row.user_id };
  if (!(await isAdministratorUser(db, row.user_id))) return { problem: 'no longer belonged to an administrator' };
  return undefined;
}

/**
 * At the start of a server on a data folder: when DATA/admin.token no longer works, writes a
 * fresh one (mode 0600, atomically) and says why; `undefined` when the stored one is good.
 */
export async function renewStoredAdminToken(
  db: Database,
  secret: Uint8Array,
  dir: string,
): Promise<{ token: string; file: string; problem: string } | undefined> {
  const file = join(dir, ADMIN_TOKEN_FILE);
  const found = await storedTokenProblem(db, secret, file);
  if (!found) return undefined;
  const { token } = await mintAdministratorToken(db, secret, found.userId);
  await writePrivateFile(file, `${token}\n`);
  return { token, file, problem: found.problem };
}

/** Written beside, then renamed: a crash leaves the old file or the new one, never half of one. */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const staging = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(staging, text, { mode: 0o600, flag: 'wx' });
    await rename(staging, file);
  } catch (error) {
    await unlink(staging).catch(() => {});
    throw error;
  }
}

async function isAdministratorUser(db: Queryable, userId: string): Promise<boolean> {
  const { rows } = await db.query('SELECT 1 FROM users WHERE id = $1', [userId]);
  return rows.length > 0 && isAdministrator(await permissionsOf(db, userId));
}

/** Ids of the roles that grant everything (read as the server reads permissions). */
async function administratorRoles(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ id: string; permissions: unknown }>('SELECT id, permissions FROM roles ORDER BY created_at, id');
  return rows.filter((role) => isAdministrator(normalisePermissions(role.permissions))).map((role) => role.id);
}

/** The longest-standing user holding an administrator role, directly or through a group. */
async function firstAdministrator(db: Queryable): Promise<string | undefined> {
  let first: { id: string; created_at: Date } | undefined;
  for (const roleId of await administratorRoles(db)) {
    const { rows } = await db.query<{ id: string; created_at: Date }>(
      `SELECT u.id, u.created_at FROM users u
        WHERE EXISTS (SELECT 1 FROM appointments a WHERE a.role_id = $1
                        AND ((a.entity_type = 'User' AND a.entity_id = u.id)
                          OR (a.entity_type = 'Group' AND a.entity_id IN (SELECT group_id FROM members WHERE user_id = u.id))))
        ORDER BY u.created_at, u.id LIMIT 1`,
      [roleId],
    );
    const candidate = rows[0];
    if (candidate && (!first || new Date(candidate.created_at) < new Date(first.created_at))) first = candidate;
  }
  return first?.id;
}

/** A new administrator, as the first start makes one; the Administrator role is restored if needed. */
async function createAdministrator(tx: Queryable): Promise<string> {
  const role = await tx.query<{ id: string }>(
    `INSERT INTO roles (name, description, permissions) VALUES ('Administrator', 'May do everything.', '{"everything": {"manage": true}}')
     ON CONFLICT (name) DO UPDATE SET permissions = roles.permissions || '{"everything": {"manage": true}}'::jsonb, updated_at = now()
     RETURNING id`,
  );
  const user = await tx.query<{ id: string }>(
    `INSERT INTO users (name, first_name, last_name) VALUES ('Administrator', 'Marketplace', 'Administrator') RETURNING id`,
  );
  await tx.query(`INSERT INTO appointments (role_id, entity_type, entity_id) VALUES ($1, 'User', $2)`, [role.rows[0]!.id, user.rows[0]!.id]);
  return user.rows[0]!.id;
}

/** Where `hsp serve token` finds the marketplace: a data folder, or a PostgreSQL URL. */
export interface TokenTarget {
  dataDir?: string;
  databaseUrl?: string;
  /** The key the marketplace signs with, when it is not the one kept in its database. */
  secretKeyBase?: string;
  /** How long a PostgreSQL server may take to accept the connection (see db/postgres.ts). */
  connectTimeoutMs?: number;
}

export interface RecoveredToken {
  token: string;
  expiresAt: Date;
  /** Minted by the server that runs on the folder, or here, on the database itself. */
  from: 'running-server' | 'database';
}

/** The database holds no marketplace, or not one this command can sign for. */
export class NoMarketplaceError extends Error {
  override name = 'NoMarketplaceError';
}

/**
 * `hsp serve token`: a fresh administrator token. For a data folder that a server on this
 * machine holds, that server mints it (through ./token-socket.ts); for one that no server
 * holds, it is minted here, under the folder's lock. For PostgreSQL, here, on the database:
 * replicas need no lock, since the token store is shared.
 */
export async function recoverAdministratorToken(
  target: TokenTarget,
  openDatabase: (where: { dataDir?: string; databaseUrl?: string }) => Promise<Database>,
): Promise<RecoveredToken> {
  if (target.databaseUrl) {
    const db = await openDatabase({ databaseUrl: target.databaseUrl });
    try {
      return { ...(await mintWithStoredKey(db, target.secretKeyBase, `The database at ${databaseLabel(target.databaseUrl)}`)), from: 'database' };
    } finally {
      await db.close().catch(() => {});
    }
  }
  const dir = target.dataDir;
  if (!dir) throw new Error('recoverAdministratorToken needs a dataDir or a databaseUrl.');
  await checkHoldsMarketplace(dir);
  let folder;
  try {
    folder = await openDataFolder(dir);
  } catch (error) {
    if (!(error instanceof DataFolderInUseError) || !error.local) throw error;
    const minted = await requestTokenFromServer(resolve(dir)).catch((refusal: Error) => {
      throw new DataFolderError(`The Marketplace server using ${dir} (${describeHolder(error.holder)}) refused: ${refusal.message}`);
    });
    if (minted) return { ...minted, from: 'running-server' };
    throw new DataFolderError(
      `The data folder ${dir} is in use by a Marketplace server that does not hand out tokens (${describeHolder(error.holder)}); stop it first, or sign in with the token it wrote to ${join(dir, ADMIN_TOKEN_FILE)}.`,
    );
  }
  try {
    const db = await openDatabase({ dataDir: dir });
    try {
      return { ...(await mintWithStoredKey(db, target.secretKeyBase, `The data folder ${dir}`)), from: 'database' };
    } finally {
      await db.close().catch(() => {});
    }
  } finally {
    await folder.close();
  }
}

/** host:port/database, without the credentials. */
function databaseLabel(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || '5432'}${parsed.pathname}`;
  } catch {
    return 'the given URL';
  }
}

/** A folder without a database is not made into a new marketplace by asking for a token. */
async function checkHoldsMarketplace(dir: string): Promise<void> {
  try {
    await stat(join(dir, 'pgdata', 'PG_VERSION'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') {
      throw new DataFolderError(`Cannot read the data folder ${dir}: only its owner may get a token for its marketplace.`);
    }
    throw new DataFolderError(`There is no marketplace in ${dir}; start one with: hsp serve --data-dir ${dir}`);
  }
}

async function mintWithStoredKey(db: Database, secretKeyBase: string | undefined, what: string): Promise<AdministratorToken> {
  let key = secretKeyBase;
  if (!key) {
    let rows: { value: string }[];
    try {
      ({ rows } = await db.query<{ value: string }>(`SELECT value FROM settings WHERE key = 'secret_key_base'`));
    } catch (error) {
      // 42P01: no such table, so no marketplace was ever started on this database.
      if ((error as { code?: string }).code === '42P01') throw new NoMarketplaceError(`${what} holds no marketplace; start hsp serve on it once first.`);
      throw error;
    }
    key = rows[0]?.value;
    if (!key) {
      throw new NoMarketplaceError(
        `${what} keeps no token key: its marketplace signs with MARKETPLACE_SECRET_KEY_BASE, so set that variable to the same value for this command.`,
      );
    }
  }
  return mintAdministratorToken(db, new TextEncoder().encode(key));
}
