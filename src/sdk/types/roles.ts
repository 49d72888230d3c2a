import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/** `create`, `read`, `update`, `delete` flags for one noun (a type alias so it fits `Permissions`' index signature). */
export type CrudPermissions = {
  create?: boolean;
  read?: boolean;
  update?: boolean;
  delete?: boolean;
};

/**
 * A role's permission tree, `{ "<plural noun>": { "<verb>": true|false } }`. A user holds a
 * permission when any of their roles sets it `true`; `everything.manage` grants everything.
 * The reference server requires exactly the template keys shown here (with `services` for
 * `products` on Release 1 servers).
 */
export type Permissions = {
  everything?: { manage?: boolean };
  users?: CrudPermissions & { update_self?: boolean; read_self?: boolean };
  groups?: CrudPermissions;
  products?: CrudPermissions & { publish?: boolean };
  [noun: string]: Record<string, boolean> | undefined;
};

export interface Role extends Record_ {
  name: string;
  description: string | null;
  /** Appointed automatically to every new user. */
  default: boolean;
  /** Always an object to callers. Not rendered by Release 1 servers. */
  permissions?: Permissions;
}

export interface RoleCreateParams extends ClientId {
  /** Unique. */
  name: string;
  description?: string | null;
  default?: boolean;
  /** Sent as a JSON object (unlike build permissions); the server merges it into its template. */
  permissions?: Permissions;
}

export type RoleUpdateParams = Partial<Omit<RoleCreateParams, 'id'>>;

export interface RoleListParams extends ListParams {
  /** Only default (or only non-default) roles. */
  default?: boolean;
  sort?: 'name' | 'default' | (string & {});
}
