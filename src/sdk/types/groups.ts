import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/** A named set of users that can hold roles and claims together. */
export interface Group extends Record_ {
  name: string;
  description: string | null;
}

export interface GroupCreateParams extends ClientId {
  /** Unique. */
  name: string;
  description?: string | null;
}

export type GroupUpdateParams = Partial<Omit<GroupCreateParams, 'id'>>;

export interface GroupListParams extends ListParams {
  sort?: 'name' | (string & {});
  /** Only groups appointed to this role (a role id). */
  role?: string;
}
