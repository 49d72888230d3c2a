import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  Instance,
  InstanceCreateParams,
  InstanceListParams,
  InstanceUpdateParams,
} from '../types/instances.js';

/** `launch_bindings` travels as a JSON-encoded string and comes back as an object. */
const shape = { root: 'instance', jsonFields: ['launch_bindings'] } as const;

function base(userId: string, platformId: string): string {
  return `/users/${uuid('userId', userId)}/platforms/${uuid('platformId', platformId)}/instances`;
}

/**
 * `/users/:user_id/platforms/:platform_id/instances`: builds deployed on a platform.
 * Creating one notifies the platform's agent over the WebSocket.
 */
export class Instances extends APIResource {
  list(userId: string, platformId: string, params?: InstanceListParams, options?: RequestOptions): PagePromise<Instance> {
    return this._list<Instance>(() => base(userId, platformId), params, options, { shape });
  }

  async retrieve(userId: string, platformId: string, instanceId: string, options?: RequestOptions): Promise<Instance> {
    return this._retrieve<Instance>(`${base(userId, platformId)}/${uuid('instanceId', instanceId)}`, options, shape);
  }

  async create(userId: string, platformId: string, params: InstanceCreateParams, options?: RequestOptions): Promise<Instance> {
    const path = base(userId, platformId);
    const platform_id = uuid('platformId', platformId);
    requireText(params, ['build_id'], 'instances.create');
    const attrs = { ...params, build_id: uuid('build_id', params.build_id) };
    return this._create<Instance>(path, shape, attrs, { platform_id }, options);
  }

  /** `deployed_at: null` clears the deployment time. */
  async update(
    userId: string,
    platformId: string,
    instanceId: string,
    params: InstanceUpdateParams,
    options?: RequestOptions,
  ): Promise<Instance> {
    return this._update<Instance>(`${base(userId, platformId)}/${uuid('instanceId', instanceId)}`, shape, params, options);
  }

  async delete(userId: string, platformId: string, instanceId: string, options?: RequestOptions): Promise<Instance | null> {
    return this._delete<Instance>(`${base(userId, platformId)}/${uuid('instanceId', instanceId)}`, options, shape);
  }
}
