import type { ListParams } from '../pagination.js';
import type { ClientId, Record_ } from './common.js';
import type { ProductLicense } from './product-licenses.js';
import type { Screenshot } from './screenshots.js';

/** A published unit of health software ("Health Service" in Release 1). */
export interface Product extends Record_ {
  name: string;
  description: string | null;
  external_id: string | null;
  locale: string | null;
  /** e.g. `application/vnd.docker+smart`. */
  mime_type: string | null;
  /** The owner. */
  user_id: string;
  uri: string | null;
  support_url: string | null;
  published_at: string | null;
  visible_at: string | null;
  product_licenses?: ProductLicense[];
  screenshots?: Screenshot[];
  /** The logo's file (Release 1 servers and `hsp serve`; null without a logo). */
  logo_file_name?: string | null;
  logo_content_type?: string | null;
  logo_file_size?: number | null;
  /** When the logo last changed: null without one. */
  logo_updated_at?: string | null;
}

export interface ProductCreateParams extends ClientId {
  name: string;
  description?: string | null;
  external_id?: string | null;
  locale?: string | null;
  mime_type?: string | null;
  /** The owner; a server may default it to the caller. The reference server requires it. */
  user_id?: string;
  uri?: string | null;
  support_url?: string | null;
  published_at?: string | null;
  visible_at?: string | null;
}

export type ProductUpdateParams = Partial<Omit<ProductCreateParams, 'id'>>;

export interface ProductListParams extends ListParams {
  sort?: 'name' | 'description' | (string & {});
  user_id?: string;
  /** One MIME type or several. */
  mime_type?: string | string[];
  published?: boolean;
  /** Offered under this licence (its id); `hsp serve`. */
  license?: string;
  /** With a build exposing this interface (its id); `hsp serve`. */
  interface?: string;
}

export interface ProductSearchParams extends ListParams {
  /** Prefix match on name and description; several words must all match. */
  text?: string;
  mime_type?: string | string[];
  published?: boolean;
  /** Offered under this licence (its id); `hsp serve`. */
  license?: string;
  /** With a build exposing this interface (its id); `hsp serve`. */
  interface?: string;
}

export type LogoSize = 'large' | 'medium' | 'small';
