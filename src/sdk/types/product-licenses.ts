import type { Record_ } from './common.js';

export interface ProductLicense extends Record_ {
  product_id: string;
  license_id: string;
  external_id: string | null;
}
