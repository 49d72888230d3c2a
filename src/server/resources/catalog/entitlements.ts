/**
 * `/entitlements`: a product licence acquired by one user. The product's owner (the publisher,
 * e.g. after a checkout) manages them; the holder may read theirs.
 */
import { productOwner, type ResourceDefinition } from '../definition.js';
import { ALL_VERBS, productOf } from './access.js';

export const entitlements: ResourceDefinition = {
  name: 'entitlements',
  table: 'entitlements',
  root: 'entitlement',
  path: '/entitlements',
  fields: {
    user_id: { type: 'uuid', required: true },
    product_license_id: { type: 'uuid', required: true },
    valid_from: { type: 'timestamp', sortable: true },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  ownerExpr: productOwner(productOf.productLicense('r.product_license_id')),
  ownerVerbs: ALL_VERBS,
  owners: [{ expr: 'r.user_id', verbs: ['read'] }],
};
