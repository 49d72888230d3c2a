import type { ListParams, PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  ProductLicense,
  ProductLicenseCreateParams,
  ProductLicenseUpdateParams,
} from '../types/product-licenses.js';

const shape = { root: 'product_license' } as const;

const collection = (productId: string) => `/products/${productId}/licenses`;
const member = (productId: string, id: string) => `${collection(uuid('productId', productId))}/${uuid('id', id)}`;

/**
 * `/products/:product_id/licenses`: the licences a product is offered under (ProductLicense
 * rows, not License records). The reference server takes `product_id` from the body, not the
 * URL, so creates send it there too.
 */
export class ProductLicenses extends APIResource {
  list(productId: string, params?: ListParams, options?: RequestOptions): PagePromise<ProductLicense> {
    return this._list<ProductLicense>(() => collection(uuid('productId', productId)), params, options);
  }

  async retrieve(productId: string, id: string, options?: RequestOptions): Promise<ProductLicense> {
    return this._retrieve<ProductLicense>(member(productId, id), options);
  }

  /** Offers the product under a licence; a product takes each licence once. */
  async create(productId: string, params: ProductLicenseCreateParams, options?: RequestOptions): Promise<ProductLicense> {
    const product_id = uuid('productId', productId);
    requireText(params, ['license_id'], 'productLicenses.create');
    return this._create<ProductLicense>(collection(product_id), shape, params, { product_id }, options);
  }

  async update(
    productId: string,
    id: string,
    params: ProductLicenseUpdateParams,
    options?: RequestOptions,
  ): Promise<ProductLicense> {
    return this._update<ProductLicense>(member(productId, id), shape, params, options);
  }

  async delete(productId: string, id: string, options?: RequestOptions): Promise<ProductLicense | null> {
    return this._delete<ProductLicense>(member(productId, id), options);
  }
}
