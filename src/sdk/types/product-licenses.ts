import type { ClientId, Record_ } from './common.js';

/** A licence offered for a product (the `product_licenses` join row). */
export interface ProductLicense extends Record_ {
  product_id: string;
  license_id: string;
  /** The publisher's own reference for this offer, e.g. a SKU. */
  external_id: string | null;
}

export interface ProductLicenseCreateParams extends ClientId {
  license_id: string;
  external_id?: string | null;
}

export type ProductLicenseUpdateParams = Partial<Omit<ProductLicenseCreateParams, 'id'>>;
