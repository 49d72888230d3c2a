import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';

/** A user's deployment target (a host or cluster), where instances of builds run. */
export interface Platform extends Record_ {
  /** Unique per user. */
  name: string;
  /** The owner. */
  user_id: string;
  /** The platform agent's public key (PEM or OpenSSH). */
  public_key: string | null;
}

export interface PlatformCreateParams extends ClientId {
  name: string;
  public_key?: string | null;
}

export type PlatformUpdateParams = Partial<Omit<PlatformCreateParams, 'id'>>;

export interface PlatformListParams extends ListParams {
  sort?: 'name' | (string & {});
}
