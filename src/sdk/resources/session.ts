import { APIResource } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { LogoutResponse, Status, WhoAmI } from '../types/session.js';

/**
 * The caller's session: `GET /status` (health, and who is signed in) and `DELETE /sessions`.
 * Signing in itself is a browser flow (see `identityProviders.redirectUrl`).
 */
export class Session extends APIResource {
  /** Server health; with a valid token also the identity, user and permissions. */
  async status(options?: RequestOptions): Promise<Status> {
    return this._retrieve<Status>('/status', options);
  }

  /**
   * Who the token belongs to, or `null` when the server sees the caller as anonymous (no
   * token, or one it refused: the reference server never answers 401 for a bad token).
   */
  async whoami(options?: RequestOptions): Promise<WhoAmI | null> {
    const status = await this.status(options);
    const identity = status?.identity;
    if (!identity || typeof identity !== 'object') return null;
    return { identity, user: identity.user, permissions: status.permissions ?? {} };
  }

  /**
   * `DELETE /sessions`. The reference server only answers `{"message": "Logged out."}`: the
   * token stays valid until it expires, so also forget it locally.
   */
  async logout(options?: RequestOptions): Promise<LogoutResponse> {
    return this.client.request<LogoutResponse>({ ...options, method: 'DELETE', path: '/sessions' });
  }
}
