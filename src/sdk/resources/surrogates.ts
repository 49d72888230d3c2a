import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Surrogate, SurrogateCreateParams, SurrogateUpdateParams } from '../types/surrogates.js';

const shape = { root: 'surrogate' } as const;

function base(interfaceId: string): string {
  return `/interfaces/${uuid('interfaceId', interfaceId)}/surrogates`;
}

/** `/interfaces/:interface_id/surrogates`: interfaces that may stand in for this one. */
export class Surrogates extends APIResource {
  /** The reference server answers with a bare array of every surrogate (not only this interface's). */
  list(interfaceId: string, options?: RequestOptions): PagePromise<Surrogate> {
    return this._list<Surrogate>(() => base(interfaceId), undefined, options);
  }

  async retrieve(interfaceId: string, surrogateId: string, options?: RequestOptions): Promise<Surrogate> {
    return this._retrieve<Surrogate>(`${base(interfaceId)}/${uuid('surrogateId', surrogateId)}`, options);
  }

  async create(interfaceId: string, params: SurrogateCreateParams, options?: RequestOptions): Promise<Surrogate> {
    const interface_id = uuid('interfaceId', interfaceId);
    requireText(params, ['substitute_id'], 'surrogates.create');
    const attrs = { ...params, substitute_id: uuid('substitute_id', params.substitute_id) };
    return this._create<Surrogate>(base(interface_id), shape, attrs, { interface_id }, options);
  }

  async update(interfaceId: string, surrogateId: string, params: SurrogateUpdateParams, options?: RequestOptions): Promise<Surrogate> {
    return this._update<Surrogate>(`${base(interfaceId)}/${uuid('surrogateId', surrogateId)}`, shape, params, options);
  }

  async delete(interfaceId: string, surrogateId: string, options?: RequestOptions): Promise<Surrogate | null> {
    return this._delete<Surrogate>(`${base(interfaceId)}/${uuid('surrogateId', surrogateId)}`, options);
  }
}
