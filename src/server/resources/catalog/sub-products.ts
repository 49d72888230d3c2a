/**
 * `/sub_products`: a parent product containing a child (product families). Readable when both
 * products are public; the parent's owner manages its links.
 */
import { invalid } from '../../errors.js';
import { productOwner, productPublished, type ResourceDefinition } from '../definition.js';
import { ALL_VERBS } from './access.js';

export const subProducts: ResourceDefinition = {
  name: 'sub_products',
  table: 'sub_products',
  root: 'sub_product',
  path: '/sub_products',
  fields: {
    parent_id: { type: 'uuid', required: true },
    child_id: { type: 'uuid', required: true },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  publicWhere: `${productPublished('r.parent_id')} AND ${productPublished('r.child_id')}`,
  ownerExpr: productOwner('r.parent_id'),
  ownerVerbs: ALL_VERBS,
  readNouns: ['products'],
  check(values, existing) {
    const parent = values.parent_id ?? existing?.parent_id;
    const child = values.child_id ?? existing?.child_id;
    if (parent === child) throw invalid('child_id', "can't be the parent itself");
  },
};
