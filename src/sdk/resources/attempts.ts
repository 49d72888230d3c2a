import type { PagePromise } from '../pagination.js';
import { APIResource, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Attempt, AttemptCreateParams, AttemptListParams, AttemptUpdateParams } from '../types/attempts.js';

const shape = { root: 'attempt' } as const;

/**
 * `/attempts`: the audit trail of authorisation calls. The specification defines all five
 * verbs; the reference server implements only `list` and `retrieve`.
 */
export class Attempts extends APIResource {
  list(params?: AttemptListParams, options?: RequestOptions): PagePromise<Attempt> {
    return this._list<Attempt>('/attempts', params, options);
  }

  async retrieve(attemptId: string, options?: RequestOptions): Promise<Attempt> {
    return this._retrieve<Attempt>(`/attempts/${uuid('attemptId', attemptId)}`, options);
  }

  async create(params: AttemptCreateParams, options?: RequestOptions): Promise<Attempt> {
    return this._create<Attempt>('/attempts', shape, params ?? {}, {}, options);
  }

  async update(attemptId: string, params: AttemptUpdateParams, options?: RequestOptions): Promise<Attempt> {
    return this._update<Attempt>(`/attempts/${uuid('attemptId', attemptId)}`, shape, params, options);
  }

  async delete(attemptId: string, options?: RequestOptions): Promise<Attempt | null> {
    return this._delete<Attempt>(`/attempts/${uuid('attemptId', attemptId)}`, options);
  }
}
