/**
 * The answer of a dynamic authorisation (`/authorizations/...`): may this user or group use
 * this product now, through any entitlement? Not a stored record: each call is recorded as an
 * Attempt, and a "yes" counts one use of the granting claim.
 */
export interface Authorization {
  authorized: boolean;
  /** One sentence: which entitlement grants it, or what is missing. */
  reason: string;
  product_id: string;
  claimant_id: string;
  claimant_type: 'User' | 'Group';
  /** The entitlement (and claim) that granted it; null when refused. */
  entitlement_id: string | null;
  claim_id: string | null;
  /** The Attempt recorded for this call. */
  attempt_id: string | null;
  license_id: string | null;
  /** When the granting entitlement ends; null: never, or refused. */
  expires_at: string | null;
  /** Uses left after this one; null: unlimited, or refused. */
  uses_left: number | null;
}
