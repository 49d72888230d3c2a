/**
 * `hsp auth status`: per profile, the marketplace, who signed in, where the token is kept
 * (OS keychain, plain-text file, or HSP_TOKEN) and when it expires. Read from what is stored,
 * without asking the marketplaces; the token itself is never shown.
 */
import { loadConfig } from '../../../auth/config.js';
import { expiresAt, isExpired, readClaims } from '../../../auth/jwt.js';
import type { Credential, CredentialLocation } from '../../../auth/types.js';
import type { CliContext } from '../../context.js';
import { notSignedIn } from '../../errors.js';
import type { Column } from '../../output.js';
import type { AuthDeps } from './deps.js';

export interface ProfileStatus {
  /** `null` for a token given in HSP_TOKEN. */
  profile: string | null;
  current: boolean;
  url: string | null;
  user_id: string | null;
  user_name: string | null;
  storage: CredentialLocation | null;
  kind: Credential['kind'] | null;
  expires_at: string | null;
  expired: boolean;
  /** An OIDC credential with a refresh token: hsp renews it. */
  renewable: boolean;
}

const STORAGE: Record<CredentialLocation, string> = { keychain: 'OS keychain', file: 'plain-text file', environment: 'HSP_TOKEN' };

export async function authStatus(ctx: CliContext, deps: AuthDeps): Promise<void> {
  const env = ctx.io.env;
  const config = await loadConfig(deps.dir);
  const rows: ProfileStatus[] = [];
  const fromEnv = env.HSP_TOKEN?.trim();
  if (fromEnv) {
    const expiry = expiresAt(fromEnv) ?? null;
    rows.push({ profile: null, current: true, url: env.HSP_URL || null, user_id: readClaims(fromEnv)?.sub ?? null, user_name: null, storage: 'environment', kind: 'marketplace', expires_at: expiry, expired: isExpired(expiry ?? undefined, deps.now()), renewable: false });
  }
  for (const profile of config.profiles) {
    const stored = await deps.store.getStored(profile.name);
    const credential = stored?.credential;
    const expiry = credential ? (credential.expires_at ?? expiresAt(credential.token) ?? null) : null;
    const renewable = !!credential?.refresh_token;
    rows.push({
      profile: profile.name,
      current: !fromEnv && profile.name === config.currentProfile,
      url: profile.url,
      user_id: profile.user_id ?? null,
      user_name: profile.user_name ?? null,
      storage: stored?.location ?? null,
      kind: credential?.kind ?? null,
      expires_at: expiry,
      expired: !renewable && isExpired(expiry ?? undefined, deps.now()),
      renewable,
    });
  }
  if (!rows.length) throw notSignedIn();
  if (ctx.output.machine) return ctx.output.data(rows);

  const columns: Column<ProfileStatus>[] = [
    { header: 'Profile', value: (r) => (r.profile === null ? '(HSP_TOKEN)' : `${r.current ? '* ' : ''}${r.profile}`) },
    { header: 'URL', value: (r) => r.url ?? '' },
    { header: 'User', value: (r) => r.user_name ?? r.user_id ?? '' },
    { header: 'Token', value: tokenText },
    { header: 'Expires', value: (r) => r.expires_at ?? '', kind: 'time' },
  ];
  await ctx.output.list(rows, columns);
  if (fromEnv) ctx.output.notice('HSP_TOKEN is set: it is used instead of every stored token.');
  if (rows.some((r) => r.storage === 'file')) ctx.output.warn(`Some tokens are in plain text in ${deps.store.file}.`);
}

function tokenText(row: ProfileStatus): string {
  if (!row.storage) return 'none (signed out)';
  const notes = [row.expired ? 'expired' : '', row.renewable ? 'renewable' : ''].filter(Boolean);
  return `${STORAGE[row.storage]}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}
