import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Role, RoleCreateParams, RoleListParams, RoleUpdateParams } from '../types/roles.js';

/** Role `permissions` travels as a JSON object, unlike the other JSON fields. */
const shape = { root: 'role', objectFields: ['permissions'] } as const;

/** `/roles`: permission sets appointed to users and groups (see `client.appointments`). */
export class Roles extends APIResource {
  list(params?: RoleListParams, options?: RequestOptions): PagePromise<Role> {
    return this._list<Role>('/roles', params, options, { shape: shape });
  }

  async retrieve(roleId: string, options?: RequestOptions): Promise<Role> {
    return this._retrieve<Role>(`/roles/${uuid('roleId', roleId)}`, options, shape);
  }

  async create(params: RoleCreateParams, options?: RequestOptions): Promise<Role> {
    requireText(params, ['name'], 'roles.create');
    return this._create<Role>('/roles', shape, params, {}, options);
  }

  async update(roleId: string, params: RoleUpdateParams, options?: RequestOptions): Promise<Role> {
    const path = `/roles/${uuid('roleId', roleId)}`;
    return this._update<Role>(path, shape, params, options);
  }

  async delete(roleId: string, options?: RequestOptions): Promise<Role | null> {
    return this._delete<Role>(`/roles/${uuid('roleId', roleId)}`, options, shape);
  }
}
