/**
 * Marketplace tokens: HS256 JWTs `{id, sub, exp}` as the reference server issues them, each
 * backed by a `json_web_tokens` row so that deleting the row revokes the token.
 */
import { jwtVerify, SignJWT, errors as joseErrors } from 'jose';
import type { Queryable } from '../db/database.js';
import { ROLES_OF, type CallerUser } from './caller.js';

export const DEFAULT_TOKEN_TTL_SECONDS = 24 * 60 * 60;

export interface IssuedToken {
  token: string;
  id: string;
  expiresAt: Date;
}

export async function issueToken(
  db: Queryable,
  secret: Uint8Array,
  subject: { userId: string; identityId?: string },
  ttlSeconds = DEFAULT_TOKEN_TTL_SECONDS,
): Promise<IssuedToken> {
  const expiresAt = new Date(Math.floor(Date.now() / 1000 + ttlSeconds) * 1000);
  const { rows } = await db.query<{ id: string }>(
    'INSERT INTO json_web_tokens (user_id, identity_id, expires_at) VALUES ($1, $2, $3) RETURNING id',
    [subject.userId, subject.identityId ?? null, expiresAt],
  );
  const id = rows[0]!.id;
  const token = await new SignJWT({ id })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject.identityId ?? subject.userId)
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(secret);
  return { token, id, expiresAt };
}

export type TokenCheck =
  | {
      ok: true;
      tokenId: string;
      userId: string;
      identityId?: string;
      /** When its row says it expires (ms since the epoch). */
      expiresAt: number;
      /** The token's user (null when gone) and their roles' permission sets, read with the token: one query per request. */
      user: CallerUser | null;
      permissionSets: unknown[];
    }
  | { ok: false; reason: string };

/**
 * Verifies signature, expiry and the backing row (so revoked tokens fail), and that the
 * identity provider the user signed in with, if any, is still enabled.
 */
export async function verifyToken(db: Queryable, secret: Uint8Array, token: string): Promise<TokenCheck> {
  let id: unknown;
  try {
    const { payload } = await jwtVerify(token, secret, { algorithms: ['HS256'] });
    id = payload.id;
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'The token has expired; sign in again.' };
    return { ok: false, reason: 'The token is not valid for this marketplace.' };
  }
  if (typeof id !== 'string' || !/^[0-9a-f-]{36}$/i.test(id)) return { ok: false, reason: 'The token is not valid for this marketplace.' };
  const { rows } = await db.query<{
    user_id: string;
    identity_id: string | null;
    expires_at: Date;
    provider: string | null;
    provider_enabled: boolean | null;
    user_name: string | null;
    user_found: boolean;
    permission_sets: unknown[] | null;
  }>(
    `SELECT t.user_id, t.identity_id, t.expires_at, p.name AS provider, p.enabled_at IS NOT NULL AS provider_enabled,
            u.name AS user_name, u.id IS NOT NULL AS user_found, (SELECT json_agg(r.permissions) ${ROLES_OF('t.user_id')}) AS permission_sets
       FROM json_web_tokens t LEFT JOIN identities i ON i.id = t.identity_id LEFT JOIN identity_providers p ON p.id = i.identity_provider_id
       LEFT JOIN users u ON u.id = t.user_id
      WHERE t.id = $1`,
    [id],
  );
  const row = rows[0];
  if (!row) return { ok: false, reason: 'The token has been revoked; sign in again.' };
  const expiresAt = new Date(row.expires_at).getTime();
  if (expiresAt <= Date.now()) return { ok: false, reason: 'The token has expired; sign in again.' };
  // A session begun with a provider ends when the provider is disabled.
  if (row.provider !== null && row.provider_enabled === false) {
    return { ok: false, reason: `The identity provider "${row.provider}" you signed in with is disabled; sign in with another one.` };
  }
  return {
    ok: true,
    tokenId: id,
    userId: row.user_id,
    identityId: row.identity_id ?? undefined,
    expiresAt,
    user: row.user_found ? { id: row.user_id, name: row.user_name! } : null,
    permissionSets: row.permission_sets ?? [],
  };
}

export async function revokeToken(db: Queryable, tokenId: string): Promise<void> {
  await db.query('DELETE FROM json_web_tokens WHERE id = $1', [tokenId]);
}

/** Looks like a JWT (three base64url parts) without trusting it. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
