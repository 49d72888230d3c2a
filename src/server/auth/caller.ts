/** Who is making a request, as every route sees it. */
import type { Queryable } from '../db/database.js';
import { mergePermissions, type Permissions } from './permissions.js';

export interface CallerUser {
  id: string;
  name: string;
}

export interface Caller {
  /** `null` for anonymous requests. */
  user: CallerUser | null;
  /** The OR of the user's roles, direct and through groups. */
  permissions: Permissions;
  /** The `json_web_tokens` row of a marketplace token (what `DELETE /sessions` revokes). */
  tokenId?: string;
  /** The identity the user signed in with, when there is one. */
  identityId?: string;
  /**
   * For an agent token: the one platform it acts for. Such a caller is its platform's owner,
   * restricted to what an agent needs (./agent-access.ts), whatever the owner's roles.
   */
  platformId?: string;
}

export const ANONYMOUS: Caller = Object.freeze({ user: null, permissions: {} });

/** SQL after `SELECT r.permissions`: the roles of the user whose id is `userId` (SQL), directly and through groups. */
export const ROLES_OF = (userId: string) => `FROM roles r JOIN appointments a ON a.role_id = r.id
      WHERE (a.entity_type = 'User' AND a.entity_id = ${userId})
         OR (a.entity_type = 'Group' AND a.entity_id IN (SELECT group_id FROM members WHERE user_id = ${userId}))`;

/** A user's permissions: their own appointments plus their groups'. */
export async function permissionsOf(db: Queryable, userId: string): Promise<Permissions> {
  const { rows } = await db.query<{ permissions: unknown }>(`SELECT r.permissions ${ROLES_OF('$1')}`, [userId]);
  return mergePermissions(rows.map((r) => r.permissions));
}

export async function callerFor(db: Queryable, userId: string, extra: Omit<Caller, 'user' | 'permissions'> = {}): Promise<Caller | undefined> {
  const { rows } = await db.query<CallerUser>('SELECT id, name FROM users WHERE id = $1', [userId]);
  const user = rows[0];
  if (!user) return undefined;
  return { user, permissions: await permissionsOf(db, user.id), ...extra };
}
