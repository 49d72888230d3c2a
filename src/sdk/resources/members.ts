import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Member, MemberCreateParams, MemberUpdateParams } from '../types/members.js';

const shape = { root: 'member' } as const;

function base(groupId: string): string {
  return `/groups/${uuid('groupId', groupId)}/members`;
}

/** `/groups/:group_id/members`: a group's users. */
export class Members extends APIResource {
  /** A bare array on the reference server (which answers 500 once the list is non-empty). */
  list(groupId: string, options?: RequestOptions): PagePromise<Member> {
    return this._list<Member>(() => base(groupId), undefined, options);
  }

  async retrieve(groupId: string, memberId: string, options?: RequestOptions): Promise<Member> {
    return this._retrieve<Member>(`${base(groupId)}/${uuid('memberId', memberId)}`, options);
  }

  async create(groupId: string, params: MemberCreateParams, options?: RequestOptions): Promise<Member> {
    const group_id = uuid('groupId', groupId);
    requireText(params, ['user_id'], 'members.create');
    const attrs = { ...params, user_id: uuid('user_id', params.user_id) };
    return this._create<Member>(base(group_id), shape, attrs, { group_id }, options);
  }

  async update(groupId: string, memberId: string, params: MemberUpdateParams, options?: RequestOptions): Promise<Member> {
    return this._update<Member>(`${base(groupId)}/${uuid('memberId', memberId)}`, shape, params, options);
  }

  async delete(groupId: string, memberId: string, options?: RequestOptions): Promise<Member | null> {
    return this._delete<Member>(`${base(groupId)}/${uuid('memberId', memberId)}`, options);
  }
}
