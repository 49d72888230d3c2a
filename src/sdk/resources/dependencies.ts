import type { ListParams, PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Dependency, DependencyCreateParams, DependencyUpdateParams } from '../types/dependencies.js';

/** `mappings` is a JSON column: sent as a JSON-encoded string, always returned as an object. */
const shape = { root: 'dependency', jsonFields: ['mappings'] } as const;

const collection = (productId: string, buildId: string) =>
  `/products/${uuid('productId', productId)}/builds/${uuid('buildId', buildId)}/dependencies`;
const member = (productId: string, buildId: string, id: string) => `${collection(productId, buildId)}/${uuid('id', id)}`;

/**
 * `/products/:product_id/builds/:build_id/dependencies`: interfaces a build needs. The
 * reference server ignores the build segment of the URL (its routes repeat `:id`), so
 * `build_id` goes in the body too; its index is a bare array, and a delete answers 204.
 */
export class Dependencies extends APIResource {
  list(productId: string, buildId: string, params?: ListParams, options?: RequestOptions): PagePromise<Dependency> {
    return this._list<Dependency>(() => collection(productId, buildId), params, options, { shape });
  }

  async retrieve(productId: string, buildId: string, id: string, options?: RequestOptions): Promise<Dependency> {
    return this._retrieve<Dependency>(member(productId, buildId, id), options, shape);
  }

  async create(
    productId: string,
    buildId: string,
    params: DependencyCreateParams,
    options?: RequestOptions,
  ): Promise<Dependency> {
    const path = collection(productId, buildId);
    requireText(params, ['interface_id'], 'dependencies.create');
    return this._create<Dependency>(path, shape, params, { build_id: uuid('buildId', buildId) }, options);
  }

  async update(
    productId: string,
    buildId: string,
    id: string,
    params: DependencyUpdateParams,
    options?: RequestOptions,
  ): Promise<Dependency> {
    return this._update<Dependency>(member(productId, buildId, id), shape, params, options);
  }

  async delete(productId: string, buildId: string, id: string, options?: RequestOptions): Promise<Dependency | null> {
    return this._delete<Dependency>(member(productId, buildId, id), options, shape);
  }
}
