import type { ListParams, PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { SubProduct, SubProductCreateParams, SubProductUpdateParams } from '../types/sub-products.js';

const shape = { root: 'sub_product' } as const;

const member = (id: string) => `/sub_products/${uuid('id', id)}`;

/**
 * `/sub_products`: parent/child links between products (read them through
 * `products.children` and `products.parents`). The reference server's index is a bare array.
 */
export class SubProducts extends APIResource {
  list(params?: ListParams, options?: RequestOptions): PagePromise<SubProduct> {
    return this._list<SubProduct>('/sub_products', params, options);
  }

  async retrieve(id: string, options?: RequestOptions): Promise<SubProduct> {
    return this._retrieve<SubProduct>(member(id), options);
  }

  /** Makes `child_id` a part of `parent_id`; each pair once. */
  async create(params: SubProductCreateParams, options?: RequestOptions): Promise<SubProduct> {
    requireText(params, ['parent_id', 'child_id'], 'subProducts.create');
    return this._create<SubProduct>('/sub_products', shape, params, {}, options);
  }

  async update(id: string, params: SubProductUpdateParams, options?: RequestOptions): Promise<SubProduct> {
    return this._update<SubProduct>(member(id), shape, params, options);
  }

  async delete(id: string, options?: RequestOptions): Promise<SubProduct | null> {
    return this._delete<SubProduct>(member(id), options);
  }
}
