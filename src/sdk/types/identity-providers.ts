import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/**
 * An OpenID Connect provider users sign in with. Anonymous callers see only `id`, `name`,
 * `issuer`, `redirect_url`, `path` and `url`; the other fields (timestamps included) are
 * present only for administrators.
 */
export interface IdentityProvider extends Omit<Record_, 'created_at' | 'updated_at'> {
  name: string;
  /** The OIDC discovery base URL. */
  issuer: string;
  /** Where a browser starts signing in (`/identity_providers/<id>/redirect`). */
  redirect_url?: string;
  /** Administrators only. */
  client_id?: string;
  /** SECRET. Present only for administrators; never log or print it. */
  client_secret?: string;
  /** Administrators only: also accepted as the token audience. */
  alternate_client_id?: string | null;
  /** Administrators only: copied verbatim into the `scope` parameter. */
  scopes?: string;
  /** Administrators only: `null` when disabled. */
  enabled_at?: string | null;
  /** Administrators only: the provider's discovery document. */
  configuration?: Record<string, unknown> | null;
  /** Administrators only: the provider's signing keys. */
  public_keys?: unknown;
  /** Administrators only. */
  created_at?: string;
  /** Administrators only. */
  updated_at?: string;
}

export interface IdentityProviderCreateParams extends ClientId {
  /** Unique. */
  name: string;
  /** Unique; the OIDC discovery base URL. */
  issuer: string;
  client_id: string;
  /** SECRET: the OAuth client secret. */
  client_secret: string;
  alternate_client_id?: string | null;
  /** Space- or comma-separated, e.g. `openid email profile`. */
  scopes?: string;
  /** `null` registers the provider disabled; hsp serve enables a new provider unless told so. */
  enabled_at?: string | null;
}

export type IdentityProviderUpdateParams = Partial<Omit<IdentityProviderCreateParams, 'id'>>;

export interface IdentityProviderListParams extends ListParams {
  sort?: 'name' | 'issuer' | (string & {});
}

export interface IdentityProviderRedirectParams {
  /** Where the server should send the browser after sign-in (e.g. a loopback URL). */
  redirectUri?: string;
}
