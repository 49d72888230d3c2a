import type { PagePromise } from '../pagination.js';
import { InvalidArgumentError } from '../errors.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Voucher, VoucherCreateParams, VoucherListParams, VoucherRedeemParams, VoucherRedemption, VoucherUpdateParams } from '../types/vouchers.js';

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

  /**
   * `POST /vouchers/redeem`: redeems the voucher holding `code` for an entitlement to its
   * product licence, for you or (`user_id`) another user; resolves to the voucher with the
   * new `entitlement`. A code already redeemed is a ConflictError (409), an expired one a
   * ValidationError (422), an unknown one a NotFoundError. Never retried: a retry after a lost
   * answer would only meet the first redemption's 409.
   *
   * `hsp serve` has this operation; the specification defines none, so the reference server
   * answers a NotFoundError for the route itself.
   */
  async redeem(code: string, params: VoucherRedeemParams = {}): Promise<VoucherRedemption> {
    if (typeof code !== 'string' || !code.trim()) throw new InvalidArgumentError('code', 'vouchers.redeem needs a non-empty code.');
    const { user_id: userId, ...options } = params;
    const voucher: Record<string, string> = { code };
    if (userId !== undefined) voucher.user_id = uuid('user_id', userId);
    return this._action<VoucherRedemption>('POST', '/vouchers/redeem', options, { body: { voucher }, idempotent: false });
  }

  async delete(voucherId: string, options?: RequestOptions): Promise<Voucher | null> {
    return this._delete<Voucher>(`/vouchers/${uuid('voucherId', voucherId)}`, options);
  }
}
