/** `/products/:product_id/builds/:build_id/configurations`: named ways to run a build. */
import type { ResourceDefinition } from '../definition.js';
import { belowProduct, productOf } from './access.js';

export const configurations: ResourceDefinition = {
  name: 'configurations',
  table: 'configurations',
  root: 'configuration',
  path: '/products/:product_id/builds/:build_id/configurations',
  parent: { param: 'build_id', column: 'build_id', resource: 'builds' },
  fields: {
    build_id: { type: 'uuid' },
    name: { type: 'text', required: true, sortable: true },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  ...belowProduct(productOf.build('r.build_id')),
};
