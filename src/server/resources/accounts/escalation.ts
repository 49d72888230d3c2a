/**
 * No privilege escalation: whoever hands out permissions (by writing a role, appointing a role
 * or adding a member to a group that holds roles) must hold those permissions themself. This
 * closes the reference server's hole where anyone could appoint themself administrator.
 */
import type { Caller } from '../../auth/caller.js';
import { mergePermissions, type Permissions } from '../../auth/permissions.js';
import type { Queryable } from '../../db/database.js';
import { HttpError } from '../../errors.js';

/** The flags `granted` sets that `caller` does not hold, as `noun.verb`. */
export function beyondCaller(caller: Caller, granted: Permissions): string[] {
  const own = caller.permissions;
  if (own.everything?.manage === true) return [];
  const missing: string[] = [];
  for (const [noun, verbs] of Object.entries(granted)) {
    for (const [verb, flag] of Object.entries(verbs)) {
      if (flag === true && own[noun]?.[verb] !== true) missing.push(`${noun}.${verb}`);
    }
  }
  return missing;
}

export function refuseEscalation(caller: Caller, granted: Permissions, what: string): void {
  const missing = beyondCaller(caller, granted);
  if (missing.length) {
    throw new HttpError(403, `You may not ${what}: it grants ${missing.slice(0, 5).join(', ')}, which you do not hold yourself.`);
  }
}

/** What a role grants. */
export async function permissionsOfRole(db: Queryable, roleId: string): Promise<Permissions> {
  const { rows } = await db.query<{ permissions: unknown }>('SELECT permissions FROM roles WHERE id = $1', [roleId]);
  return mergePermissions(rows.map((r) => r.permissions));
}

/** What membership of a group grants (the OR of the group's roles). */
export async function permissionsOfGroup(db: Queryable, groupId: string): Promise<Permissions> {
  const { rows } = await db.query<{ permissions: unknown }>(
    `SELECT r.permissions FROM roles r JOIN appointments a ON a.role_id = r.id WHERE a.entity_type = 'Group' AND a.entity_id = $1`,
    [groupId],
  );
  return mergePermissions(rows.map((r) => r.permissions));
}
