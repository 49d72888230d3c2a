import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  Identity,
  IdentityCreateParams,
  IdentityListParams,
  IdentityUpdateParams,
} from '../types/identities.js';

/** `jwt` travels as a JSON-encoded string and comes back as an object. */
const shape = { root: 'identity', jsonFields: ['jwt'] } as const;

function base(userId: string): string {
  return `/users/${uuid('userId', userId)}/identities`;
}

/** `/users/:user_id/identities`: a user's logins, one per identity provider. */
export class Identities extends APIResource {
  list(userId: string, params?: IdentityListParams, options?: RequestOptions): PagePromise<Identity> {
    return this._list<Identity>(() => base(userId), params, options, { shape });
  }

  async retrieve(userId: string, identityId: string, options?: RequestOptions): Promise<Identity> {
    return this._retrieve<Identity>(`${base(userId)}/${uuid('identityId', identityId)}`, options, shape);
  }

  async create(userId: string, params: IdentityCreateParams, options?: RequestOptions): Promise<Identity> {
    const user_id = uuid('userId', userId);
    requireText(params, ['identity_provider_id', 'sub'], 'identities.create');
    const attrs = { ...params, identity_provider_id: uuid('identity_provider_id', params.identity_provider_id) };
    return this._create<Identity>(base(user_id), shape, attrs, { user_id }, options);
  }

  async update(userId: string, identityId: string, params: IdentityUpdateParams, options?: RequestOptions): Promise<Identity> {
    return this._update<Identity>(`${base(userId)}/${uuid('identityId', identityId)}`, shape, params, options);
  }

  async delete(userId: string, identityId: string, options?: RequestOptions): Promise<Identity | null> {
    return this._delete<Identity>(`${base(userId)}/${uuid('identityId', identityId)}`, options, shape);
  }
}
