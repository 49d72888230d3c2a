/** `/vouchers`: bearer codes for a product licence, managed by the product's owner. */
import { productOwner, type ResourceDefinition } from '../definition.js';
import { ALL_VERBS, productOf } from './access.js';

export const vouchers: ResourceDefinition = {
  name: 'vouchers',
  table: 'vouchers',
  root: 'voucher',
  path: '/vouchers',
  fields: {
    product_license_id: { type: 'uuid', required: true },
    entitlement_id: { type: 'uuid' },
    code: { type: 'text', required: true, sortable: true },
    issued_at: { type: 'timestamp', sortable: true },
    expires_at: { type: 'timestamp', sortable: true },
    redeemed_at: { type: 'timestamp', sortable: true },
    redeemed_by: { type: 'uuid' },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  ownerExpr: productOwner(productOf.productLicense('r.product_license_id')),
  ownerVerbs: ALL_VERBS,
  owners: [{ expr: 'r.redeemed_by', verbs: ['read'] }],
};
