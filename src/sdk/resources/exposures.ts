import type { ListParams, PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Exposure, ExposureCreateParams, ExposureUpdateParams } from '../types/exposures.js';

const shape = { root: 'exposure' } as const;

const collection = (productId: string, buildId: string) =>
  `/products/${uuid('productId', productId)}/builds/${uuid('buildId', buildId)}/exposures`;
const member = (productId: string, buildId: string, id: string) => `${collection(productId, buildId)}/${uuid('id', id)}`;

/**
 * `/products/:product_id/builds/:build_id/exposures`: interfaces a build offers. The
 * reference server ignores the build segment of the URL (its routes repeat `:id`), so
 * `build_id` goes in the body too; its index is a bare array, and a delete answers 204.
 */
export class Exposures extends APIResource {
  list(productId: string, buildId: string, params?: ListParams, options?: RequestOptions): PagePromise<Exposure> {
    return this._list<Exposure>(() => collection(productId, buildId), params, options);
  }

  async retrieve(productId: string, buildId: string, id: string, options?: RequestOptions): Promise<Exposure> {
    return this._retrieve<Exposure>(member(productId, buildId, id), options);
  }

  async create(productId: string, buildId: string, params: ExposureCreateParams, options?: RequestOptions): Promise<Exposure> {
    const path = collection(productId, buildId);
    requireText(params, ['interface_id'], 'exposures.create');
    return this._create<Exposure>(path, shape, params, { build_id: uuid('buildId', buildId) }, options);
  }

  async update(
    productId: string,
    buildId: string,
    id: string,
    params: ExposureUpdateParams,
    options?: RequestOptions,
  ): Promise<Exposure> {
    return this._update<Exposure>(member(productId, buildId, id), shape, params, options);
  }

  async delete(productId: string, buildId: string, id: string, options?: RequestOptions): Promise<Exposure | null> {
    return this._delete<Exposure>(member(productId, buildId, id), options);
  }
}
