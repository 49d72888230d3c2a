import type { ListParams, PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Parameter, ParameterCreateParams, ParameterUpdateParams } from '../types/parameters.js';

const shape = { root: 'parameter' } as const;

const collection = (productId: string, buildId: string, exposureId: string) =>
  `/products/${uuid('productId', productId)}/builds/${uuid('buildId', buildId)}` +
  `/exposures/${uuid('exposureId', exposureId)}/parameters`;
const member = (productId: string, buildId: string, exposureId: string, id: string) =>
  `${collection(productId, buildId, exposureId)}/${uuid('id', id)}`;

/**
 * `/products/:product_id/builds/:build_id/exposures/:exposure_id/parameters`: settings an
 * exposure needs. The reference server ignores the parents in the URL (its routes repeat
 * `:id`), so `exposure_id` goes in the body too; its index is a bare array, and a delete
 * answers 204.
 */
export class Parameters extends APIResource {
  list(
    productId: string,
    buildId: string,
    exposureId: string,
    params?: ListParams,
    options?: RequestOptions,
  ): PagePromise<Parameter> {
    return this._list<Parameter>(() => collection(productId, buildId, exposureId), params, options);
  }

  async retrieve(
    productId: string,
    buildId: string,
    exposureId: string,
    id: string,
    options?: RequestOptions,
  ): Promise<Parameter> {
    return this._retrieve<Parameter>(member(productId, buildId, exposureId, id), options);
  }

  async create(
    productId: string,
    buildId: string,
    exposureId: string,
    params: ParameterCreateParams,
    options?: RequestOptions,
  ): Promise<Parameter> {
    const path = collection(productId, buildId, exposureId);
    requireText(params, ['name'], 'parameters.create');
    return this._create<Parameter>(path, shape, params, { exposure_id: uuid('exposureId', exposureId) }, options);
  }

  async update(
    productId: string,
    buildId: string,
    exposureId: string,
    id: string,
    params: ParameterUpdateParams,
    options?: RequestOptions,
  ): Promise<Parameter> {
    return this._update<Parameter>(member(productId, buildId, exposureId, id), shape, params, options);
  }

  async delete(
    productId: string,
    buildId: string,
    exposureId: string,
    id: string,
    options?: RequestOptions,
  ): Promise<Parameter | null> {
    return this._delete<Parameter>(member(productId, buildId, exposureId, id), options);
  }
}
