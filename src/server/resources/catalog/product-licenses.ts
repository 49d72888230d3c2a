/** `/products/:product_id/licenses`: the licences a product is offered under (each once). */
import type { ResourceDefinition } from '../definition.js';
import { belowProduct } from './access.js';

export const productLicenses: ResourceDefinition = {
  name: 'product_licenses',
  table: 'product_licenses',
  root: 'product_license',
  path: '/products/:product_id/licenses',
  parent: { param: 'product_id', column: 'product_id', resource: 'products' },
  fields: {
    product_id: { type: 'uuid' },
    license_id: { type: 'uuid', required: true },
    external_id: { type: 'text', sortable: true },
  },
  defaultSort: 'created_at',
  listShape: 'envelope',
  deleteReturns: 'record',
  ...belowProduct('r.product_id'),
};
