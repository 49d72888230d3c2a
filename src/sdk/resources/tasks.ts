import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Task, TaskCreateParams, TaskUpdateParams } from '../types/tasks.js';

const shape = { root: 'task' } as const;

const collection = (productId: string, buildId: string, configurationId: string) =>
  `/products/${uuid('productId', productId)}/builds/${uuid('buildId', buildId)}` +
  `/configurations/${uuid('configurationId', configurationId)}/tasks`;
const member = (productId: string, buildId: string, configurationId: string, id: string) =>
  `${collection(productId, buildId, configurationId)}/${uuid('id', id)}`;

/**
 * `/products/:product_id/builds/:build_id/configurations/:configuration_id/tasks`: the
 * processes of a configuration. The reference server ignores the parents in the URL (its
 * routes repeat `:id`), so `configuration_id` goes in the body too; its index is a bare
 * array, and a delete answers 204. It stores only `name`, `minimum`, `maximum` and `memory`;
 * the specification's other fields are sent as given and may be dropped.
 */
export class Tasks extends APIResource {
  list(productId: string, buildId: string, configurationId: string, options?: RequestOptions): PagePromise<Task> {
    return this._list<Task>(() => collection(productId, buildId, configurationId), undefined, options);
  }

  async retrieve(
    productId: string,
    buildId: string,
    configurationId: string,
    id: string,
    options?: RequestOptions,
  ): Promise<Task> {
    return this._retrieve<Task>(member(productId, buildId, configurationId, id), options);
  }

  async create(
    productId: string,
    buildId: string,
    configurationId: string,
    params: TaskCreateParams,
    options?: RequestOptions,
  ): Promise<Task> {
    const path = collection(productId, buildId, configurationId);
    requireText(params, ['name'], 'tasks.create');
    return this._create<Task>(path, shape, params, { configuration_id: uuid('configurationId', configurationId) }, options);
  }

  async update(
    productId: string,
    buildId: string,
    configurationId: string,
    id: string,
    params: TaskUpdateParams,
    options?: RequestOptions,
  ): Promise<Task> {
    return this._update<Task>(member(productId, buildId, configurationId, id), shape, params, options);
  }

  async delete(
    productId: string,
    buildId: string,
    configurationId: string,
    id: string,
    options?: RequestOptions,
  ): Promise<Task | null> {
    return this._delete<Task>(member(productId, buildId, configurationId, id), options);
  }
}
