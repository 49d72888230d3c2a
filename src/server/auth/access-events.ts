/**
 * Changes to who a token's bearer is and what they may do, as database events (like the
 * catalogue's, ../cache/catalog-events.ts): a trigger NOTIFYs every statement that can change
 * the caller a cached token stands for, and every replica then forgets its cached callers
 * (./caller-cache.ts). Only writes that can change a caller are watched: a new token, user or
 * role changes no caller that exists, an identity's refreshed e-mail or a platform's new name
 * nothing a caller holds.
 */
import { triggersSql, type WatchedTable } from '../cache/table-changes.js';

export const ACCESS_CHANNEL = 'hsp_access_changes';

const CHANGES = 'UPDATE OR DELETE OR TRUNCATE';

/** What `verifyToken` and `authenticateAgent` read, and the writes to it that matter. */
export const ACCESS_TABLES: readonly WatchedTable[] = [
  // Revoked (deleted) or shortened.
  { table: 'json_web_tokens', events: CHANGES },
  // The caller's name, or the user gone.
  { table: 'users', events: 'UPDATE OF name OR DELETE OR TRUNCATE' },
  // A session begun with a provider ends when the provider is disabled or removed.
  { table: 'identity_providers', events: 'UPDATE OF enabled_at, name OR DELETE OR TRUNCATE' },
  { table: 'identities', events: 'UPDATE OF user_id, identity_provider_id OR DELETE OR TRUNCATE' },
  // Permissions: roles, who holds them, and through which groups.
  { table: 'roles', events: 'UPDATE OF permissions OR DELETE OR TRUNCATE' },
  { table: 'appointments' },
  { table: 'members' },
  { table: 'groups', events: 'DELETE OR TRUNCATE' },
  // An agent token is good while its platform's key and owner are what signed it.
  { table: 'platforms', events: 'UPDATE OF user_id, public_key OR DELETE OR TRUNCATE' },
];

/** Migration SQL: one statement-level trigger per table (../cache/table-changes.ts). */
export const ACCESS_EVENTS_SQL = triggersSql(ACCESS_CHANNEL, 'notify_access_change', ACCESS_TABLES, 'notify_access');
