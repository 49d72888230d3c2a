/**
 * Reading a JWT's claims WITHOUT verifying it: only to show when a token expires and to notice
 * an expired one before sending it. Nothing here may decide whom to trust; the marketplace
 * verifies every token it receives.
 */

export interface UnverifiedClaims {
  sub?: string;
  iss?: string;
  /** Seconds since the epoch. */
  exp?: number;
}

/** The payload's `sub`, `iss` and `exp`, or `undefined` when the token is not a readable JWT. */
export function readClaims(token: string): UnverifiedClaims | undefined {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[1]) return undefined;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return undefined;
  const { sub, iss, exp } = payload as Record<string, unknown>;
  return {
    ...(typeof sub === 'string' ? { sub } : {}),
    ...(typeof iss === 'string' ? { iss } : {}),
    ...(typeof exp === 'number' && Number.isFinite(exp) ? { exp } : {}),
  };
}

/** ISO time the token expires, when it says. */
export function expiresAt(token: string): string | undefined {
  const exp = readClaims(token)?.exp;
  return exp === undefined ? undefined : new Date(exp * 1000).toISOString();
}

/**
 * Expired, or about to (within `leewaySeconds`, so a request does not leave with a token that
 * dies on the way). Unknown expiry counts as not expired: the server will say.
 */
export function isExpired(expiresAtIso: string | undefined, now: Date = new Date(), leewaySeconds = 0): boolean {
  if (!expiresAtIso) return false;
  const at = Date.parse(expiresAtIso);
  return Number.isFinite(at) && at - leewaySeconds * 1000 <= now.getTime();
}
