/** `/products/:product_id/builds/:build_id/exposures/:exposure_id/parameters`: settings an exposure needs. */
import type { ResourceDefinition } from '../definition.js';
import { belowProduct, productOf } from './access.js';

export const parameters: ResourceDefinition = {
  name: 'parameters',
  table: 'parameters',
  root: 'parameter',
  path: '/products/:product_id/builds/:build_id/exposures/:exposure_id/parameters',
  parent: { param: 'exposure_id', column: 'exposure_id', resource: 'exposures' },
  fields: {
    exposure_id: { type: 'uuid' },
    name: { type: 'text', required: true, sortable: true },
    required: { type: 'boolean' },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  ...belowProduct(productOf.exposure('r.exposure_id')),
};
