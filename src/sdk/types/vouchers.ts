import type { ListParams } from '../pagination.js';
import type { RequestOptions } from '../transport.js';
import type { ClientId, Record_ } from './common.js';
import type { Entitlement } from './entitlements.js';

/** A bearer code bound to one product licence, redeemable for an entitlement. */
export interface Voucher extends Record_ {
  product_license_id: string | null;
  /** Set once redeemed: the entitlement it became. */
  entitlement_id: string | null;
  code: string | null;
  issued_at: string | null;
  expires_at: string | null;
  redeemed_at: string | null;
  /** The user who redeemed it. */
  redeemed_by: string | null;
  /** Specification field (a UUID); the reference server uses `code`. */
  token?: string | null;
}

export interface VoucherCreateParams extends ClientId {
  product_license_id: string;
  code: string;
  entitlement_id?: string | null;
  issued_at?: string | null;
  expires_at?: string | null;
  redeemed_at?: string | null;
  redeemed_by?: string | null;
}

export type VoucherUpdateParams = Partial<Omit<VoucherCreateParams, 'id'>>;

/** The reference server answers with a bare array and ignores these. */
export type VoucherListParams = ListParams;

/** `vouchers.redeem`: whom the entitlement is for, and the request's options. */
export interface VoucherRedeemParams extends RequestOptions {
  /**
   * Redeem for this user instead of yourself: needs `users.update`, or ownership of the
   * voucher's product.
   */
  user_id?: string;
}

/** A redeemed voucher, with the entitlement its redemption created. */
export interface VoucherRedemption extends Voucher {
  entitlement: Entitlement;
}
