import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Voucher, VoucherCreateParams, VoucherListParams, VoucherUpdateParams } from '../types/vouchers.js';

const shape = { root: 'voucher' } as const;

/** `/vouchers`: bearer codes redeemable for an entitlement. */
export class Vouchers extends APIResource {
  list(params?: VoucherListParams, options?: RequestOptions): PagePromise<Voucher> {
    return this._list<Voucher>('/vouchers', params, options);
  }

  async retrieve(voucherId: string, options?: RequestOptions): Promise<Voucher> {
    return this._retrieve<Voucher>(`/vouchers/${uuid('voucherId', voucherId)}`, options);
  }

  async create(params: VoucherCreateParams, options?: RequestOptions): Promise<Voucher> {
    requireText(params, ['product_license_id', 'code'], 'vouchers.create');
    const attrs = { ...params, product_license_id: uuid('product_license_id', params.product_license_id) };
    return this._create<Voucher>('/vouchers', shape, attrs, {}, options);
  }

  async update(voucherId: string, params: VoucherUpdateParams, options?: RequestOptions): Promise<Voucher> {
    return this._update<Voucher>(`/vouchers/${uuid('voucherId', voucherId)}`, shape, params, options);
  }

  async delete(voucherId: string, options?: RequestOptions): Promise<Voucher | null> {
    return this._delete<Voucher>(`/vouchers/${uuid('voucherId', voucherId)}`, options);
  }
}
