import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Group, GroupCreateParams, GroupListParams, GroupUpdateParams } from '../types/groups.js';

const shape = { root: 'group' } as const;

/** `/groups`: sets of users; members are `client.members`. */
export class Groups extends APIResource {
  list(params?: GroupListParams, options?: RequestOptions): PagePromise<Group> {
    return this._list<Group>('/groups', params, options);
  }

  async retrieve(groupId: string, options?: RequestOptions): Promise<Group> {
    return this._retrieve<Group>(`/groups/${uuid('groupId', groupId)}`, options);
  }

  async create(params: GroupCreateParams, options?: RequestOptions): Promise<Group> {
    requireText(params, ['name'], 'groups.create');
    return this._create<Group>('/groups', shape, params, {}, options);
  }

  async update(groupId: string, params: GroupUpdateParams, options?: RequestOptions): Promise<Group> {
    return this._update<Group>(`/groups/${uuid('groupId', groupId)}`, shape, params, options);
  }

  async delete(groupId: string, options?: RequestOptions): Promise<Group | null> {
    return this._delete<Group>(`/groups/${uuid('groupId', groupId)}`, options);
  }
}
