import type { ClientId, Record_ } from './common.js';

/** A user's membership of a group. */
export interface Member extends Record_ {
  group_id: string;
  user_id: string;
}

export interface MemberCreateParams extends ClientId {
  /** Unique per group. */
  user_id: string;
}

export type MemberUpdateParams = Partial<Omit<MemberCreateParams, 'id'>>;
