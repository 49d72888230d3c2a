import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/** A user's login at one identity provider (`sub` is unique per provider). */
export interface Identity extends Record_ {
  user_id: string;
  identity_provider_id: string;
  /** The provider's subject identifier. */
  sub: string;
  iat: string | null;
  /** Hosted domain (Google's `hd` claim). */
  hd: string | null;
  locale: string | null;
  email: string | null;
  /** The claims of the provider's last token; always an object to callers. */
  jwt: Record<string, unknown>;
  notify_via_email: boolean;
  notify_via_sms: boolean;
}

export interface IdentityCreateParams extends ClientId {
  identity_provider_id: string;
  sub: string;
  iat?: string | null;
  hd?: string | null;
  locale?: string | null;
  email?: string | null;
  /** Sent as a JSON-encoded string (the reference server drops JSON objects here). */
  jwt?: Record<string, unknown>;
  notify_via_email?: boolean;
  notify_via_sms?: boolean;
}

export type IdentityUpdateParams = Partial<Omit<IdentityCreateParams, 'id'>>;

export type IdentityListParams = ListParams;
