import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  IdentityProvider,
  IdentityProviderCreateParams,
  IdentityProviderListParams,
  IdentityProviderRedirectParams,
  IdentityProviderUpdateParams,
} from '../types/identity-providers.js';

/** `configuration` and `public_keys` are JSON columns: objects to callers whatever the server sends. */
const shape = { root: 'identity_provider', objectFields: ['configuration', 'public_keys'] } as const;

/**
 * `/identity_providers`: the OpenID Connect providers users sign in with. Anonymous callers
 * may list them (to offer a sign-in choice); `client_secret` and the other settings are
 * returned to administrators only.
 */
export class IdentityProviders extends APIResource {
  list(params?: IdentityProviderListParams, options?: RequestOptions): PagePromise<IdentityProvider> {
    return this._list<IdentityProvider>('/identity_providers', params, options, { shape });
  }

  async retrieve(identityProviderId: string, options?: RequestOptions): Promise<IdentityProvider> {
    return this._retrieve<IdentityProvider>(path(identityProviderId), options, shape);
  }

  async create(params: IdentityProviderCreateParams, options?: RequestOptions): Promise<IdentityProvider> {
    requireText(params, ['name', 'issuer', 'client_id', 'client_secret'], 'identityProviders.create');
    return this._create<IdentityProvider>('/identity_providers', shape, params, {}, options);
  }

  async update(identityProviderId: string, params: IdentityProviderUpdateParams, options?: RequestOptions): Promise<IdentityProvider> {
    return this._update<IdentityProvider>(path(identityProviderId), shape, params, options);
  }

  async delete(identityProviderId: string, options?: RequestOptions): Promise<IdentityProvider | null> {
    return this._delete<IdentityProvider>(path(identityProviderId), options, shape);
  }

  /** Sets `enabled_at`. Repeating it is harmless. */
  async enable(identityProviderId: string, options?: RequestOptions): Promise<IdentityProvider> {
    return this._action<IdentityProvider>('POST', `${path(identityProviderId)}/enable`, options, { idempotent: true, shape });
  }

  /** Clears `enabled_at`. Repeating it is harmless. */
  async disable(identityProviderId: string, options?: RequestOptions): Promise<IdentityProvider> {
    return this._action<IdentityProvider>('POST', `${path(identityProviderId)}/disable`, options, { idempotent: true, shape });
  }

  /**
   * The absolute URL where a browser starts signing in with this provider
   * (`GET /identity_providers/:id/redirect`). Makes no request: open it in a browser.
   */
  redirectUrl(identityProviderId: string, params: IdentityProviderRedirectParams = {}): string {
    return this.client.url(`${path(identityProviderId)}/redirect`, { redirect_uri: params.redirectUri });
  }
}

function path(identityProviderId: string): string {
  return `/identity_providers/${uuid('identityProviderId', identityProviderId)}`;
}
