import type { PagePromise } from '../pagination.js';
import { APIResource, requireText, uuid } from '../resource.js';
import type { RequestOptions } from '../transport.js';
import type { Claim, ClaimCreateParams, ClaimListParams, ClaimUpdateParams } from '../types/claims.js';

const shape = { root: 'claim' } as const;

function base(entitlementId: string): string {
  return `/entitlements/${uuid('entitlementId', entitlementId)}/claims`;
}

/**
 * `/entitlements/:entitlement_id/claims`: uses of an entitlement by a user or group. The
 * reference server routes only the index, and that to a missing action (404).
 */
export class Claims extends APIResource {
  list(entitlementId: string, params?: ClaimListParams, options?: RequestOptions): PagePromise<Claim> {
    return this._list<Claim>(() => base(entitlementId), params, options);
  }

  async retrieve(entitlementId: string, claimId: string, options?: RequestOptions): Promise<Claim> {
    return this._retrieve<Claim>(`${base(entitlementId)}/${uuid('claimId', claimId)}`, options);
  }

  async create(entitlementId: string, params: ClaimCreateParams, options?: RequestOptions): Promise<Claim> {
    const entitlement_id = uuid('entitlementId', entitlementId);
    requireText(params, ['claimant_id', 'claimant_type'], 'claims.create');
    const attrs = { ...params, claimant_id: uuid('claimant_id', params.claimant_id) };
    return this._create<Claim>(base(entitlement_id), shape, attrs, { entitlement_id }, options);
  }

  async update(entitlementId: string, claimId: string, params: ClaimUpdateParams, options?: RequestOptions): Promise<Claim> {
    return this._update<Claim>(`${base(entitlementId)}/${uuid('claimId', claimId)}`, shape, params, options);
  }

  async delete(entitlementId: string, claimId: string, options?: RequestOptions): Promise<Claim | null> {
    return this._delete<Claim>(`${base(entitlementId)}/${uuid('claimId', claimId)}`, options);
  }
}
