import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  Platform,
  PlatformCreateParams,
  PlatformListParams,
  PlatformUpdateParams,
} from '../types/platforms.js';

const shape = { root: 'platform' } as const;

function base(userId: string): string {
  return `/users/${uuid('userId', userId)}/platforms`;
}

/**
 * `/users/:user_id/platforms`: a user's deployment targets. (The reference server's index
 * lists every user's platforms.)
 */
export class Platforms extends APIResource {
  list(userId: string, params?: PlatformListParams, options?: RequestOptions): PagePromise<Platform> {
    return this._list<Platform>(() => base(userId), params, options);
  }

  async retrieve(userId: string, platformId: string, options?: RequestOptions): Promise<Platform> {
    return this._retrieve<Platform>(`${base(userId)}/${uuid('platformId', platformId)}`, options);
  }

  async create(userId: string, params: PlatformCreateParams, options?: RequestOptions): Promise<Platform> {
    const user_id = uuid('userId', userId);
    requireText(params, ['name'], 'platforms.create');
    return this._create<Platform>(base(user_id), shape, params, { user_id }, options);
  }

  async update(userId: string, platformId: string, params: PlatformUpdateParams, options?: RequestOptions): Promise<Platform> {
    return this._update<Platform>(`${base(userId)}/${uuid('platformId', platformId)}`, shape, params, options);
  }

  async delete(userId: string, platformId: string, options?: RequestOptions): Promise<Platform | null> {
    return this._delete<Platform>(`${base(userId)}/${uuid('platformId', platformId)}`, options);
  }
}
