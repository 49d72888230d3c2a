import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Build, BuildCreateParams, BuildListParams, BuildUpdateParams } from '../types/builds.js';
import type { FileResponse, Uploadable } from '../uploads.js';

/** `permissions` is a JSON column the reference server accepts only as a JSON-encoded string. */
const shape = { root: 'build', jsonFields: ['permissions'] } as const;

const collection = (productId: string) => `/products/${productId}/builds`;
const member = (productId: string, buildId: string) => `${collection(uuid('productId', productId))}/${uuid('buildId', buildId)}`;

/**
 * `/products/:product_id/builds`: a product's versions. The reference server takes
 * `product_id` from the body, not the URL, so creates send it there too.
 */
export class Builds extends APIResource {
  list(productId: string, params?: BuildListParams, options?: RequestOptions): PagePromise<Build> {
    return this._list<Build>(() => collection(uuid('productId', productId)), params, options, { shape });
  }

  async retrieve(productId: string, buildId: string, options?: RequestOptions): Promise<Build> {
    return this._retrieve<Build>(member(productId, buildId), options, shape);
  }

  async create(productId: string, params: BuildCreateParams, options?: RequestOptions): Promise<Build> {
    const product_id = uuid('productId', productId);
    requireText(params, ['version'], 'builds.create');
    return this._create<Build>(collection(product_id), shape, params, { product_id }, options);
  }

  async update(productId: string, buildId: string, params: BuildUpdateParams, options?: RequestOptions): Promise<Build> {
    return this._update<Build>(member(productId, buildId), shape, params, options);
  }

  async delete(productId: string, buildId: string, options?: RequestOptions): Promise<Build | null> {
    return this._delete<Build>(member(productId, buildId), options, shape);
  }

  /** Attaches a file to the build (`PATCH` multipart, field `build[asset]`), replacing any earlier one. */
  async uploadAsset(productId: string, buildId: string, file: Uploadable, options?: RequestOptions): Promise<Build> {
    return this._upload<Build>('PATCH', member(productId, buildId), shape, {}, { asset: file }, options);
  }

  /** The attached file (`GET …/asset`). The reference server answers 500 when there is none. */
  async downloadAsset(productId: string, buildId: string, options?: RequestOptions): Promise<FileResponse> {
    return this._download(`${member(productId, buildId)}/asset`, options);
  }
}
