/** `/products/:product_id/builds/:build_id/exposures`: interfaces a build offers. */
import type { ResourceDefinition } from '../definition.js';
import { belowProduct, productOf } from './access.js';

export const exposures: ResourceDefinition = {
  name: 'exposures',
  table: 'exposures',
  root: 'exposure',
  path: '/products/:product_id/builds/:build_id/exposures',
  parent: { param: 'build_id', column: 'build_id', resource: 'builds' },
  fields: {
    build_id: { type: 'uuid' },
    interface_id: { type: 'uuid', required: true },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  ...belowProduct(productOf.build('r.build_id')),
};
