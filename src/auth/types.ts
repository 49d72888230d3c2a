/**
 * The shapes shared by the login and credential modules: a profile (which marketplace) and a
 * credential (how to prove who we are to it). Profiles live in config.yaml; credentials live in
 * the OS keychain or, only when the user agreed, in credentials.yaml (mode 0600).
 */

/** One marketplace the user works with (`hsp --profile NAME`). */
export interface Profile {
  name: string;
  url: string;
  /** The signed-in user, for display and defaults (e.g. whose platforms). */
  user_id?: string;
  user_name?: string;
  /** `r1`, `r2` or `auto`. */
  dialect?: 'r1' | 'r2' | 'auto';
  /** Default platform for `hsp agent` and `hsp instances`. */
  platform?: string;
}

export interface Config {
  /** The profile used when none is named. */
  current_profile?: string;
  profiles: Record<string, Omit<Profile, 'name'>>;
}

/**
 * A stored credential. `marketplace`: a marketplace-issued JWT (pasted, or from the browser
 * login). `oidc`: tokens from the identity provider itself (device or PKCE flow), refreshable.
 */
export interface Credential {
  kind: 'marketplace' | 'oidc';
  /** The bearer token sent to the marketplace. */
  token: string;
  /** ISO time the token expires, when known (read from the JWT's `exp`). */
  expires_at?: string;
  /** OIDC only: for silent refresh. */
  refresh_token?: string;
  issuer?: string;
  client_id?: string;
}

/** Where a credential was found or written, for `hsp auth status`. */
export type CredentialLocation = 'environment' | 'keychain' | 'file';

export interface CredentialStore {
  get(profile: string): Promise<{ credential: Credential; location: CredentialLocation } | undefined>;
  /** Writes to the keychain, or to the file when `allowFile` (the user agreed to plaintext). */
  set(profile: string, credential: Credential, options: { allowFile: boolean }): Promise<CredentialLocation>;
  delete(profile: string): Promise<void>;
  /**
   * Runs `work` holding a cross-process lock for this profile's credential (a lock file beside
   * the config), so two processes refreshing at once do not both spend one refresh token.
   */
  withLock<T>(profile: string, work: () => Promise<T>): Promise<T>;
}
