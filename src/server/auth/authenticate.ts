/**
 * `Authorization: Bearer <token>` → the caller. A token is a platform agent's (signed with its
 * platform's key), an access/ID token from a registered identity provider, or a marketplace
 * JWT (HS256, ours). A token that is present but bad is an error (401), never silent
 * anonymity. Agent and marketplace tokens seen before are answered from `callers`
 * (./caller-cache.ts) while nothing has changed them.
 */
import { decodeJwt, type JWTPayload } from 'jose';
import type { Queryable } from '../db/database.js';
import { HttpError } from '../errors.js';
import { authenticateAgent, isAgentToken } from './agent-tokens.js';
import { ANONYMOUS, type Caller } from './caller.js';
import type { CallerCache } from './caller-cache.js';
import { mergePermissions } from './permissions.js';
import { looksLikeJwt, verifyToken } from './tokens.js';

export interface AuthenticationContext {
  db: Queryable;
  /** The HS256 key of marketplace tokens. */
  secret: Uint8Array;
  /** Verifies a token whose `iss` is a registered identity provider; resolves to a caller. */
  verifyProviderToken?: (token: string, issuer: string) => Promise<Caller | undefined>;
  /** Callers of agent and marketplace tokens verified before. */
  callers?: CallerCache;
}

export async function authenticate(header: string | undefined, context: AuthenticationContext): Promise<Caller> {
  if (header === undefined) return ANONYMOUS;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (!match) throw new HttpError(401, 'The Authorization header must be "Bearer <token>".');
  const token = match[1]!;
  const cached = context.callers?.get(token);
  if (cached) return cached;
  if (!looksLikeJwt(token)) throw new HttpError(401, 'The bearer token is not a JWT.');

  let claims: JWTPayload;
  try {
    claims = decodeJwt(token);
  } catch {
    throw new HttpError(401, 'The bearer token is not a JWT.');
  }
  const pending = context.callers?.begin();
  // Verified, so the claims read above are the token's own: its `exp` is when the entry ends.
  const remember = (caller: Caller, expires = Infinity) => {
    if (pending) context.callers!.remember(pending, token, caller, Math.min(expires, (claims.exp ?? 0) * 1000));
    return caller;
  };
  if (isAgentToken(claims, token)) return remember(await authenticateAgent(context.db, token, claims));

  const issuer = claims.iss;
  if (issuer && context.verifyProviderToken) {
    // Not kept: a provider's token is judged by the provider's keys and rules (./identity-providers.ts).
    const caller = await context.verifyProviderToken(token, issuer);
    if (caller) return caller;
  }

  const check = await verifyToken(context.db, context.secret, token);
  if (!check.ok) throw new HttpError(401, check.reason);
  if (!check.user) throw new HttpError(401, 'The token belongs to a user who no longer exists.');
  const caller = { user: check.user, permissions: mergePermissions(check.permissionSets), tokenId: check.tokenId, identityId: check.identityId };
  return remember(caller, check.expiresAt);
}
