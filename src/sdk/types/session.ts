import type { Permissions } from './roles.js';
import type { User } from './users.js';

export interface StatusTimestamp {
  datetime: string;
}

/** The signed-in identity as `/status` shows it. */
export interface StatusIdentity {
  id: string;
  user_id: string;
  user: User;
  provider: { id: string; name: string };
}

/** `GET /status`: health, plus who is signed in when a valid token was sent. */
export interface Status {
  message: string;
  /** The application server's clock (Release 1 servers say `service`; the SDK renames it). */
  product: StatusTimestamp;
  /** The database's clock; `datetime` is `null` on hsp serve when the database was too busy to answer at once (see `message`). */
  database: { datetime: string | null };
  /** When signed in: the token's database row; `encoded` echoes the token (not a refresh). */
  jwt?: { id: string; encoded?: string };
  /** When signed in. */
  identity?: StatusIdentity;
  /** When signed in: the OR of the user's roles. */
  permissions?: Permissions;
}

/** Who the token belongs to. */
export interface WhoAmI {
  identity: StatusIdentity;
  user: User;
  permissions: Permissions;
}

export interface LogoutResponse {
  message: string;
}
