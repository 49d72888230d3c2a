/**
 * Which marketplace a command talks to, and with which token, for the CLI context:
 *
 *   URL:     --url  >  HSP_URL  >  the profile's url
 *   profile: --profile  >  HSP_PROFILE  >  current_profile in config.yaml
 *   token:   HSP_TOKEN  >  the credential stored for that profile
 *
 * A stored token is only ever sent to its own profile's marketplace: with `--url` naming
 * another server, the token of the profile saved for that URL is used, or none at all.
 */
import type { GlobalOptions, Target, TargetResolver } from '../cli/context.js';
import { AuthRequiredError, FailureError, UsageError } from '../cli/errors.js';
import { loadConfig, normalizeUrl, type ConfigFile } from './config.js';
import { createCredentialStore } from './credentials.js';
import { expiresAt, isExpired } from './jwt.js';
import { configDir } from './paths.js';
import type { Credential, CredentialLocation, CredentialStore, Profile } from './types.js';

export interface ProfileTarget extends Target {
  /** The profile whose settings and credential apply, if any. */
  profile?: Profile;
  dialect?: Profile['dialect'];
  /** Where the token came from. */
  location?: CredentialLocation;
  credential?: Credential;
}

export interface TargetDependencies {
  /** The config directory (default from the environment: paths.ts). */
  dir?: string;
  /** The credential store (default: the chain over `dir`). */
  store?: (dir: string, env: NodeJS.ProcessEnv) => CredentialStore;
  now?: () => Date;
}

/** The marketplace and profile chosen by flags, environment and config, before any token. */
export interface Selection {
  url: string;
  profile?: Profile;
  config: ConfigFile;
}

export async function selectMarketplace(options: GlobalOptions, env: NodeJS.ProcessEnv, dir: string = configDir(env)): Promise<Selection | undefined> {
  const config = await loadConfig(dir);
  const named = options.profile ?? (env.HSP_PROFILE || undefined);
  if (named !== undefined && !config.profile(named)) {
    throw new FailureError(`There is no profile named "${named}" in ${config.path}; run "hsp login --profile ${named}" to add it.`);
  }
  const chosen = named ?? config.currentProfile;
  let profile = chosen === undefined ? undefined : config.profile(chosen);
  const explicitUrl = options.url ?? (env.HSP_URL || undefined);
  if (explicitUrl !== undefined) {
    if (!/^https?:\/\/\S+$/.test(explicitUrl)) throw new UsageError(`The marketplace URL must start with http:// or https://, got "${explicitUrl}".`);
    // The profile's token belongs to the profile's server: never send it anywhere else.
    if (!profile || normalizeUrl(profile.url) !== normalizeUrl(explicitUrl)) profile = config.profileForUrl(explicitUrl);
  }
  const url = explicitUrl ?? profile?.url;
  return url === undefined ? undefined : { url: normalizeUrl(url), profile, config };
}

export function createTargetResolver(dependencies: TargetDependencies = {}): TargetResolver {
  return async (options, env): Promise<ProfileTarget | undefined> => {
    const dir = dependencies.dir ?? configDir(env);
    const selection = await selectMarketplace(options, env, dir);
    if (!selection) return undefined;
    const { url, profile } = selection;
    const base: ProfileTarget = { url, ...(profile ? { profile, dialect: profile.dialect } : {}) };
    const fromEnv = env.HSP_TOKEN?.trim();
    if (fromEnv) return { ...base, token: fromEnv, location: 'environment' };
    if (!profile) return base;
    const store = dependencies.store?.(dir, env) ?? createCredentialStore({ dir, env });
    const found = await store.get(profile.name);
    if (!found) return base;
    const { credential, location } = found;
    // Refreshable OIDC credentials are renewed by the token provider; anything else that has
    // expired can only be replaced by signing in again.
    const expiry = credential.expires_at ?? expiresAt(credential.token);
    if (!credential.refresh_token && isExpired(expiry, dependencies.now?.())) {
      throw new AuthRequiredError(`Your session on ${url} expired; run "hsp login" again.`);
    }
    // A refresh token means the SDK asks before every request and renews ahead of expiry.
    const tokenProvider = credential.refresh_token ? (await import('./token-provider.js')).createTokenProvider({ store, profile: profile.name }) : undefined;
    return { ...base, token: credential.token, location, credential, ...(tokenProvider ? { tokenProvider } : {}) };
  };
}

/** The resolver the CLI uses: profiles from config.yaml, tokens from the store chain. */
export const profileTarget: TargetResolver = createTargetResolver();
