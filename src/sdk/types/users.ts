import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/** A person; their logins are separate `Identity` records, one per identity provider. */
export interface User extends Record_ {
  name: string;
  external_id: string | null;
  /** Stored and accepted, but not rendered by the reference server. */
  salutation?: string | null;
  first_name: string | null;
  middle_name: string | null;
  last_name: string | null;
  /** Specification field; the reference server has none. */
  email?: string | null;
  /** Specification field (OpenAPI spelling); the reference server uses `last_name`. */
  familyName?: string | null;
  /** Specification field (OpenAPI spelling); the reference server uses `first_name`. */
  givenName?: string | null;
}

export interface UserCreateParams extends ClientId {
  name: string;
  external_id?: string | null;
  salutation?: string | null;
  first_name?: string | null;
  middle_name?: string | null;
  last_name?: string | null;
}

export type UserUpdateParams = Partial<Omit<UserCreateParams, 'id'>>;

export interface UserListParams extends ListParams {
  /** Prefix match on the name. */
  name?: string;
  /** Exact match. */
  external_id?: string;
  sort?: 'name' | 'external_id' | (string & {});
}
