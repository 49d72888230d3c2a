import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { User, UserCreateParams, UserListParams, UserUpdateParams } from '../types/users.js';

const shape = { root: 'user' } as const;

/** `/users`: people. Their logins are `identities`, their deployment targets `platforms`. */
export class Users extends APIResource {
  list(params?: UserListParams, options?: RequestOptions): PagePromise<User> {
    return this._list<User>('/users', params, options);
  }

  async retrieve(userId: string, options?: RequestOptions): Promise<User> {
    return this._retrieve<User>(`/users/${uuid('userId', userId)}`, options);
  }

  async create(params: UserCreateParams, options?: RequestOptions): Promise<User> {
    requireText(params, ['name'], 'users.create');
    return this._create<User>('/users', shape, params, {}, options);
  }

  async update(userId: string, params: UserUpdateParams, options?: RequestOptions): Promise<User> {
    return this._update<User>(`/users/${uuid('userId', userId)}`, shape, params, options);
  }

  /** The reference server refuses (401) an administrator deleting themselves. */
  async delete(userId: string, options?: RequestOptions): Promise<User | null> {
    return this._delete<User>(`/users/${uuid('userId', userId)}`, options);
  }
}
