/**
 * `/vouchers`: bearer codes for a product licence, managed by the product's owner. Whoever holds
 * a code redeems it for an entitlement through `POST /vouchers/redeem` (../../routes/vouchers.ts),
 * and may then read the voucher.
 */
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
  // Redeemed once: of two racing redemptions one wins, the other is told. Clearing
  // redeemed_at (null) makes a voucher redeemable again.
  updateGuard: (values) =>
    values.redeemed_at !== undefined && values.redeemed_at !== null ? { where: 'redeemed_at IS NULL', conflict: 'The voucher has already been redeemed.' } : undefined,
};
