/**
 * `/attempts`: the audit trail of authorisation calls, newest first. Written by roles (the
 * server's own authorisation, administrators); a product's owner reads its product's.
 */
import { productOwner, type ResourceDefinition } from '../definition.js';

export const attempts: ResourceDefinition = {
  name: 'attempts',
  table: 'attempts',
  root: 'attempt',
  path: '/attempts',
  fields: {
    claim_id: { type: 'uuid' },
    claimant_id: { type: 'uuid' },
    claimant_type: { type: 'text', enum: ['User', 'Group'] },
    product_id: { type: 'uuid' },
  },
  defaultSort: 'created_at',
  defaultOrder: 'desc',
  listShape: 'array',
  deleteReturns: 'nothing',
  ownerExpr: productOwner('r.product_id'),
  ownerVerbs: ['read'],
};
