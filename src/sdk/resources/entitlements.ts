import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  Entitlement,
  EntitlementCreateParams,
  EntitlementListParams,
  EntitlementUpdateParams,
} from '../types/entitlements.js';

const shape = { root: 'entitlement' } as const;

/** `/entitlements`: licences users have acquired (e.g. created by a publisher after checkout). */
export class Entitlements extends APIResource {
  list(params?: EntitlementListParams, options?: RequestOptions): PagePromise<Entitlement> {
    return this._list<Entitlement>('/entitlements', params, options);
  }

  async retrieve(entitlementId: string, options?: RequestOptions): Promise<Entitlement> {
    return this._retrieve<Entitlement>(`/entitlements/${uuid('entitlementId', entitlementId)}`, options);
  }

  async create(params: EntitlementCreateParams, options?: RequestOptions): Promise<Entitlement> {
    requireText(params, ['user_id', 'product_license_id'], 'entitlements.create');
    const attrs = {
      ...params,
      user_id: uuid('user_id', params.user_id),
      product_license_id: uuid('product_license_id', params.product_license_id),
    };
    return this._create<Entitlement>('/entitlements', shape, attrs, {}, options);
  }

  async update(entitlementId: string, params: EntitlementUpdateParams, options?: RequestOptions): Promise<Entitlement> {
    return this._update<Entitlement>(`/entitlements/${uuid('entitlementId', entitlementId)}`, shape, params, options);
  }

  async delete(entitlementId: string, options?: RequestOptions): Promise<Entitlement | null> {
    return this._delete<Entitlement>(`/entitlements/${uuid('entitlementId', entitlementId)}`, options);
  }
}
