import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/**
 * How a licence limits an entitlement: forever, for `days_valid` days after activation, or
 * until `expires_at`.
 */
export type LicenseExpiry = 'indefinite' | 'relative_date' | 'absolute_date';

/**
 * Global usage terms, independent of product and price. The reference server renders only
 * `id`, `name`, `url`, `created_at` and `updated_at`; the other fields are optional because
 * other servers (and the specification) have them.
 */
export interface License extends Record_ {
  name: string;
  /** The licence text's URL (not a self link: the reference server renders none). */
  url: string;
  description?: string | null;
  expiry?: LicenseExpiry | null;
  /** With `absolute_date`: the day the licence ends. */
  expires_at?: string | null;
  /** With `relative_date`: days an entitlement stays valid after activation. */
  days_valid?: number | null;
  /** How many uses an entitlement allows (0 = unlimited). */
  uses?: number | null;
  external_id?: string | null;
  /** Specification field: URL of the licence (the reference server uses `url`). */
  license?: string | null;
  /** Specification field: the licence terms as text. */
  terms?: string | null;
}

export interface LicenseCreateParams extends ClientId {
  name: string;
  /** The licence text's URL; unique. */
  url: string;
  description?: string | null;
  /** The reference server requires it (422 without it, 500 for other values). */
  expiry?: LicenseExpiry;
  /** Integer ≥ 0. */
  uses?: number;
  /** Integer ≥ 0. */
  days_valid?: number;
  expires_at?: string | null;
  external_id?: string | null;
  /** Specification field; the reference server ignores it. */
  license?: string | null;
  /** Specification field; the reference server ignores it. */
  terms?: string | null;
}

export type LicenseUpdateParams = Partial<Omit<LicenseCreateParams, 'id'>>;

export interface LicenseListParams extends ListParams {
  sort?: 'name' | 'url' | 'external_id' | 'expires_at' | (string & {});
}
