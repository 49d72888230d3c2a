/** `/products/:product_id/builds/:build_id/dependencies`: interfaces a build needs. */
import type { ResourceDefinition } from '../definition.js';
import { belowProduct, productOf } from './access.js';
import { checkDependencyFields } from './runtime-fields.js';

export const dependencies: ResourceDefinition = {
  name: 'dependencies',
  table: 'dependencies',
  root: 'dependency',
  path: '/products/:product_id/builds/:build_id/dependencies',
  parent: { param: 'build_id', column: 'build_id', resource: 'builds' },
  fields: {
    build_id: { type: 'uuid' },
    interface_id: { type: 'uuid', required: true },
    required: { type: 'boolean' },
    // Clients of the reference server send it JSON-encoded; an object works too. Checked on
    // write: `{ "<VARIABLE>": "<source>" }`, what the agent's autowiring reads.
    mappings: { type: 'json', acceptsJsonString: true },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  check: (values) => checkDependencyFields(values),
  ...belowProduct(productOf.build('r.build_id')),
};
