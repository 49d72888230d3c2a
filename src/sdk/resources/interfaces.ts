import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  Interface,
  InterfaceCreateParams,
  InterfaceListParams,
  InterfaceUpdateParams,
} from '../types/interfaces.js';

const shape = { root: 'interface' } as const;

/** `/interfaces`: standards builds expose and depend on (FHIR R4, CDS Hooks, ...). */
export class Interfaces extends APIResource {
  list(params?: InterfaceListParams, options?: RequestOptions): PagePromise<Interface> {
    return this._list<Interface>('/interfaces', params, options);
  }

  async retrieve(interfaceId: string, options?: RequestOptions): Promise<Interface> {
    return this._retrieve<Interface>(`/interfaces/${uuid('interfaceId', interfaceId)}`, options);
  }

  async create(params: InterfaceCreateParams, options?: RequestOptions): Promise<Interface> {
    requireText(params, ['name', 'uri', 'version'], 'interfaces.create');
    return this._create<Interface>('/interfaces', shape, params, {}, options);
  }

  async update(interfaceId: string, params: InterfaceUpdateParams, options?: RequestOptions): Promise<Interface> {
    return this._update<Interface>(`/interfaces/${uuid('interfaceId', interfaceId)}`, shape, params, options);
  }

  async delete(interfaceId: string, options?: RequestOptions): Promise<Interface | null> {
    return this._delete<Interface>(`/interfaces/${uuid('interfaceId', interfaceId)}`, options);
  }
}
