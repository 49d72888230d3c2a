import type { ListParams } from '../pagination.js';
import type { ClaimantType } from './claims.js';
import type { ClientId, Record_ } from './common.js';

/** An audit row written for each dynamic-authorisation call. */
export interface Attempt extends Record_ {
  /** The claim that authorised it, if any. */
  claim_id: string | null;
  claimant_id: string | null;
  claimant_type: ClaimantType | (string & {}) | null;
  product_id: string | null;
}

/** The specification defines create; the reference server serves only list and retrieve. */
export interface AttemptCreateParams extends ClientId {
  claim_id?: string | null;
  claimant_id?: string | null;
  claimant_type?: ClaimantType | null;
  product_id?: string | null;
}

export type AttemptUpdateParams = Partial<Omit<AttemptCreateParams, 'id'>>;

export interface AttemptListParams extends ListParams {
  /** Only attempts for this product. */
  product_id?: string;
  /** By creation time; the reference server defaults to `desc`. */
  order?: 'asc' | 'desc';
}
