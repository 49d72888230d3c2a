import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/** Who may hold a claim (Rails polymorphic class names). */
export type ClaimantType = 'User' | 'Group';

/** A user's or group's use of an entitlement, counted against the licence's limits. */
export interface Claim extends Record_ {
  claimant_id: string | null;
  claimant_type: ClaimantType | (string & {}) | null;
  entitlement_id: string | null;
  /** How many times the claim has been authorised (the OpenAPI says string; servers send a number). */
  authorization_count: number | null;
  authorized_at: string | null;
}

export interface ClaimCreateParams extends ClientId {
  claimant_id: string;
  claimant_type: ClaimantType;
  authorization_count?: number | null;
  authorized_at?: string | null;
}

export type ClaimUpdateParams = Partial<Omit<ClaimCreateParams, 'id'>>;

export type ClaimListParams = ListParams;
