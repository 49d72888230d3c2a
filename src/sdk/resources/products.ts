import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  LogoSize,
  Product,
  ProductCreateParams,
  ProductListParams,
  ProductSearchParams,
  ProductUpdateParams,
} from '../types/products.js';
import type { FileResponse, Uploadable } from '../uploads.js';
import { InvalidArgumentError } from '../errors.js';

const shape = { root: 'product' } as const;
const LOGO_SIZES: readonly LogoSize[] = ['large', 'medium', 'small'];

/** `/products`: the catalogue. */
export class Products extends APIResource {
  list(params?: ProductListParams, options?: RequestOptions): PagePromise<Product> {
    return this._list<Product>('/products', params, options);
  }

  async retrieve(productId: string, options?: RequestOptions): Promise<Product> {
    return this._retrieve<Product>(`/products/${uuid('productId', productId)}`, options);
  }

  async create(params: ProductCreateParams, options?: RequestOptions): Promise<Product> {
    requireText(params, ['name'], 'products.create');
    return this._create<Product>('/products', shape, params, {}, options);
  }

  async update(productId: string, params: ProductUpdateParams, options?: RequestOptions): Promise<Product> {
    return this._update<Product>(`/products/${uuid('productId', productId)}`, shape, params, options);
  }

  async delete(productId: string, options?: RequestOptions): Promise<Product | null> {
    return this._delete<Product>(`/products/${uuid('productId', productId)}`, options);
  }

  /** Makes the product public (sets `published_at`; our server also sets `visible_at`). */
  async publish(productId: string, options?: RequestOptions): Promise<Product> {
    return this._action<Product>('POST', `/products/${uuid('productId', productId)}/publish`, options, { idempotent: true });
  }

  async unpublish(productId: string, options?: RequestOptions): Promise<Product> {
    return this._action<Product>('POST', `/products/${uuid('productId', productId)}/unpublish`, options, { idempotent: true });
  }

  /** `POST /products/search`: published products matching `text`, best match first. */
  search(params?: ProductSearchParams, options?: RequestOptions): PagePromise<Product> {
    const mime_type = Array.isArray(params?.mime_type) ? params.mime_type.join(',') : params?.mime_type;
    return this._list<Product>('/products/search', { ...params, mime_type } as ProductSearchParams, options, { via: 'POST' });
  }

  /** Products this one contains (product families). */
  children(productId: string, params?: ProductListParams, options?: RequestOptions): PagePromise<Product> {
    return this._list<Product>(() => `/products/${uuid('productId', productId)}/children`, params, options);
  }

  /** Products that contain this one. */
  parents(productId: string, params?: ProductListParams, options?: RequestOptions): PagePromise<Product> {
    return this._list<Product>(() => `/products/${uuid('productId', productId)}/parents`, params, options);
  }

  /** The logo image in one of the three renditions. */
  async logo(productId: string, size: LogoSize = 'large', options?: RequestOptions): Promise<FileResponse> {
    if (!LOGO_SIZES.includes(size)) {
      throw new InvalidArgumentError('size', `Logo size must be one of ${LOGO_SIZES.join(', ')}, got "${String(size)}".`);
    }
    return this._download(`/products/${uuid('productId', productId)}/logo/${size}`, options);
  }

  /**
   * Removes the logo: `"logo": null` in an update, as assigning nil detaches a Rails
   * attachment. `hsp serve` removes it; a server that ignores the field keeps it.
   */
  async removeLogo(productId: string, options?: RequestOptions): Promise<Product> {
    return this._update<Product>(`/products/${uuid('productId', productId)}`, shape, { logo: null }, options);
  }

  /** Uploads a new logo (`product[logo]`, multipart). */
  async setLogo(productId: string, logo: Uploadable, options?: RequestOptions): Promise<Product> {
    return this._upload<Product>('PATCH', `/products/${uuid('productId', productId)}`, shape, {}, { logo }, options);
  }
}
