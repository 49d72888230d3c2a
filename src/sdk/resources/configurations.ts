import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Configuration, ConfigurationCreateParams, ConfigurationUpdateParams } from '../types/configurations.js';

const shape = { root: 'configuration' } as const;

const collection = (productId: string, buildId: string) =>
  `/products/${uuid('productId', productId)}/builds/${uuid('buildId', buildId)}/configurations`;
const member = (productId: string, buildId: string, id: string) => `${collection(productId, buildId)}/${uuid('id', id)}`;

/**
 * `/products/:product_id/builds/:build_id/configurations`: named ways to run a build. The
 * reference server ignores the build segment of the URL (its routes repeat `:id`), so
 * `build_id` goes in the body too; its index is a bare array, and a delete answers 204.
 * (Its configurations controller is broken: index answers 500 and create 422 `null`.)
 */
export class Configurations extends APIResource {
  list(productId: string, buildId: string, options?: RequestOptions): PagePromise<Configuration> {
    return this._list<Configuration>(() => collection(productId, buildId), undefined, options);
  }

  async retrieve(productId: string, buildId: string, id: string, options?: RequestOptions): Promise<Configuration> {
    return this._retrieve<Configuration>(member(productId, buildId, id), options);
  }

  async create(
    productId: string,
    buildId: string,
    params: ConfigurationCreateParams,
    options?: RequestOptions,
  ): Promise<Configuration> {
    const path = collection(productId, buildId);
    requireText(params, ['name'], 'configurations.create');
    return this._create<Configuration>(path, shape, params, { build_id: uuid('buildId', buildId) }, options);
  }

  async update(
    productId: string,
    buildId: string,
    id: string,
    params: ConfigurationUpdateParams,
    options?: RequestOptions,
  ): Promise<Configuration> {
    return this._update<Configuration>(member(productId, buildId, id), shape, params, options);
  }

  async delete(productId: string, buildId: string, id: string, options?: RequestOptions): Promise<Configuration | null> {
    return this._delete<Configuration>(member(productId, buildId, id), options);
  }
}
