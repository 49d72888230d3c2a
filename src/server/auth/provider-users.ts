/**
 * The marketplace user behind a provider's claims: the identity `(provider, sub)` and its user,
 * created together on first sight (with the default roles), as the reference server does; and
 * whether a provider signs anyone in at all.
 */
import type { JWTPayload } from 'jose';
import { asPgError, PG, type Database } from '../db/database.js';
import { HttpError } from '../errors.js';
import { appointDefaultRoles } from '../seed.js';
import type { IdentityProvider } from './identity-providers.js';

export interface SignedInUser {
  userId: string;
  identityId: string;
}

/**
 * A provider is disabled while its `enabled_at` is null (after `disable`, or created so): it
 * then signs nobody in. Its tokens are refused, it makes no
 * users, no browser login starts with it, and sessions begun with it end. Checked on every
 * request against the stored row, so disabling takes effect at once.
 */
export function isEnabled(provider: Pick<IdentityProvider, 'enabled_at'>): boolean {
  return provider.enabled_at !== null && provider.enabled_at !== undefined;
}

/** The sentence for anything a disabled provider would have done. */
export function disabledProvider(status: number, provider: Pick<IdentityProvider, 'name'>): HttpError {
  return new HttpError(status, `The identity provider "${provider.name}" is disabled; sign in with another one, or ask an administrator to enable it.`);
}

/**
 * `refresh` updates the identity's stored claims (email, locale, the claims themselves) from
 * these; the browser login does, bearer requests do not (a write per request is not worth it).
 */
export async function userForClaims(
  db: Database,
  provider: Pick<IdentityProvider, 'id' | 'name' | 'enabled_at'>,
  claims: JWTPayload,
  options: { refresh: boolean },
): Promise<SignedInUser> {
  // Every sign-in comes through here: a disabled provider neither signs in nor makes users.
  if (!isEnabled(provider)) throw disabledProvider(401, provider);
  const sub = typeof claims.sub === 'string' ? claims.sub : '';
  if (!sub) throw new HttpError(401, 'The token names no subject ("sub").');
  const found = await findIdentity(db, provider.id, sub);
  if (found) {
    if (options.refresh) {
      await db.query(
        `UPDATE identities SET email = COALESCE($2, email), locale = COALESCE($3, locale), hd = COALESCE($4, hd), iat = COALESCE($5, iat), jwt = $6, updated_at = now() WHERE id = $1`,
        [found.identityId, text(claims.email), text(claims.locale), text(claims.hd), epoch(claims.iat), JSON.stringify(claims)],
      );
    }
    return found;
  }
  try {
    return await db.transaction(async (tx) => {
      const given = text(claims.given_name);
      const family = text(claims.family_name);
      const name = text(claims.name) ?? ([given, family].filter(Boolean).join(' ') || text(claims.email) || text(claims.preferred_username) || sub);
      const user = await tx.query<{ id: string }>(
        'INSERT INTO users (name, first_name, middle_name, last_name) VALUES ($1, $2, $3, $4) RETURNING id',
        [name, given ?? null, text(claims.middle_name) ?? null, family ?? null],
      );
      const userId = user.rows[0]!.id;
      await appointDefaultRoles(tx, 'User', userId);
      const identity = await tx.query<{ id: string }>(
        `INSERT INTO identities (user_id, identity_provider_id, sub, email, locale, hd, iat, jwt) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
        [userId, provider.id, sub, text(claims.email) ?? null, text(claims.locale) ?? null, text(claims.hd) ?? null, epoch(claims.iat) ?? null, JSON.stringify(claims)],
      );
      return { userId, identityId: identity.rows[0]!.id };
    });
  } catch (error) {
    // Two first requests at once: the other one created the identity; use it.
    if (asPgError(error)?.code === PG.uniqueViolation) {
      const again = await findIdentity(db, provider.id, sub);
      if (again) return again;
    }
    throw error;
  }
}

async function findIdentity(db: Database, providerId: string, sub: string): Promise<SignedInUser | undefined> {
  const { rows } = await db.query<{ id: string; user_id: string }>('SELECT id, user_id FROM identities WHERE identity_provider_id = $1 AND sub = $2', [providerId, sub]);
  return rows[0] ? { identityId: rows[0].id, userId: rows[0].user_id } : undefined;
}

/** A claim as a short, clean string (claims are the provider's users' own words). */
function text(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return clean ? clean.slice(0, 255) : undefined;
}

function epoch(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : undefined;
}
