import type { ListParams, PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Badge, BadgeCreateParams, BadgeUpdateParams } from '../types/badges.js';

const shape = { root: 'badge' } as const;

const member = (id: string) => `/badges/${uuid('id', id)}`;

/** `/badges`: labels products can carry. The reference server's index is a bare array. */
export class Badges extends APIResource {
  list(params?: ListParams, options?: RequestOptions): PagePromise<Badge> {
    return this._list<Badge>('/badges', params, options);
  }

  async retrieve(id: string, options?: RequestOptions): Promise<Badge> {
    return this._retrieve<Badge>(member(id), options);
  }

  async create(params: BadgeCreateParams, options?: RequestOptions): Promise<Badge> {
    requireText(params, ['name'], 'badges.create');
    return this._create<Badge>('/badges', shape, params, {}, options);
  }

  async update(id: string, params: BadgeUpdateParams, options?: RequestOptions): Promise<Badge> {
    return this._update<Badge>(member(id), shape, params, options);
  }

  async delete(id: string, options?: RequestOptions): Promise<Badge | null> {
    return this._delete<Badge>(member(id), options);
  }
}
