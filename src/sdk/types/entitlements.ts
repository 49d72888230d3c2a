import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/** An acquired instance of a product licence, owned by exactly one user. */
export interface Entitlement extends Record_ {
  user_id: string | null;
  product_license_id: string | null;
  /** When the entitlement starts; relative-date licences count from here. */
  valid_from: string | null;
}

export interface EntitlementCreateParams extends ClientId {
  /** The owner. */
  user_id: string;
  product_license_id: string;
  valid_from?: string | null;
}

export type EntitlementUpdateParams = Partial<Omit<EntitlementCreateParams, 'id'>>;

/** The reference server answers with a bare array and ignores these. */
export type EntitlementListParams = ListParams;
