/**
 * Where an entitlement stands, by the same rules the marketplace applies when a platform asks
 * whether it may run the product (the server's licensing/authorize.ts): it starts at
 * `valid_from` (else its creation); `relative_date` licences end `days_valid` days later,
 * `absolute_date` ones at the licence's `expires_at`, and the rest never; `uses` 0 is unlimited,
 * otherwise the uses of all its claims together count against it.
 */
import type { Entitlement } from '../../../sdk/types/entitlements.js';
import type { License } from '../../../sdk/types/licenses.js';

export type Standing = 'valid' | 'not_yet' | 'expired' | 'used_up' | 'unknown';

export interface EntitlementTerms {
  startsAt: Date;
  /** Undefined: never ends (or the licence is unknown, see `standing`). */
  endsAt: Date | undefined;
  /** Undefined: unlimited (or unknown). */
  usesLeft: number | undefined;
  standing: Standing;
}

const DAY_MS = 86_400_000;

export function termsOf(entitlement: Entitlement, license: License | undefined, used: number, now = Date.now()): EntitlementTerms {
  const startsAt = new Date(entitlement.valid_from ?? entitlement.created_at);
  if (!license) return { startsAt, endsAt: undefined, usesLeft: undefined, standing: 'unknown' };
  let endsAt: Date | undefined;
  if (license.expiry === 'relative_date' && (license.days_valid ?? 0) > 0) endsAt = new Date(startsAt.getTime() + (license.days_valid as number) * DAY_MS);
  else if (license.expiry === 'absolute_date' && license.expires_at) endsAt = new Date(license.expires_at);
  const uses = license.uses ?? 0;
  const usesLeft = uses > 0 ? Math.max(0, uses - used) : undefined;
  let standing: Standing = 'valid';
  if (startsAt.getTime() > now) standing = 'not_yet';
  else if (endsAt && endsAt.getTime() <= now) standing = 'expired';
  else if (usesLeft === 0) standing = 'used_up';
  return { startsAt, endsAt, usesLeft, standing };
}

/** Words and a badge colour for a standing; the words carry the meaning, the colour only helps. */
export const STANDING_LABEL: Record<Standing, { text: string; badge: string }> = {
  valid: { text: 'Valid', badge: 'badge badge-success' },
  not_yet: { text: 'Not valid yet', badge: 'badge badge-warning' },
  expired: { text: 'Expired', badge: 'badge badge-danger' },
  used_up: { text: 'Used up', badge: 'badge badge-danger' },
  unknown: { text: 'Unknown licence', badge: 'badge' },
};

export const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' });

