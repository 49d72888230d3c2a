import { InvalidArgumentError } from '../errors.js';
import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type {
  License,
  LicenseCreateParams,
  LicenseExpiry,
  LicenseListParams,
  LicenseUpdateParams,
} from '../types/licenses.js';

const shape = { root: 'license' } as const;
const EXPIRIES: readonly LicenseExpiry[] = ['indefinite', 'relative_date', 'absolute_date'];

/** `/licenses`: global usage terms products are offered under. */
export class Licenses extends APIResource {
  list(params?: LicenseListParams, options?: RequestOptions): PagePromise<License> {
    return this._list<License>('/licenses', params, options);
  }

  async retrieve(licenseId: string, options?: RequestOptions): Promise<License> {
    return this._retrieve<License>(`/licenses/${uuid('licenseId', licenseId)}`, options);
  }

  async create(params: LicenseCreateParams, options?: RequestOptions): Promise<License> {
    requireText(params, ['name', 'url'], 'licenses.create');
    checkExpiry(params.expiry);
    return this._create<License>('/licenses', shape, params, {}, options);
  }

  async update(licenseId: string, params: LicenseUpdateParams, options?: RequestOptions): Promise<License> {
    const path = `/licenses/${uuid('licenseId', licenseId)}`;
    checkExpiry(params?.expiry);
    return this._update<License>(path, shape, params, options);
  }

  async delete(licenseId: string, options?: RequestOptions): Promise<License | null> {
    return this._delete<License>(`/licenses/${uuid('licenseId', licenseId)}`, options);
  }
}

/** The reference server answers an unknown expiry with a 500: say what is allowed instead. */
function checkExpiry(expiry: unknown): void {
  if (expiry !== undefined && !EXPIRIES.includes(expiry as LicenseExpiry)) {
    throw new InvalidArgumentError('expiry', `expiry must be one of ${EXPIRIES.join(', ')}, got "${String(expiry)}".`);
  }
}
