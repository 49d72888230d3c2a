/**
 * `/products/:product_id/builds/:build_id/configurations/:configuration_id/tasks`: the
 * processes of a configuration, with the reference server's fields and the specification's.
 * The runtime fields (`environment`, `ports`, `options`) are checked against the
 * specification's task schema when written (runtime-fields.ts).
 */
import type { ResourceDefinition } from '../definition.js';
import { belowProduct, productOf } from './access.js';
import { checkTaskFields } from './runtime-fields.js';

export const tasks: ResourceDefinition = {
  name: 'tasks',
  table: 'tasks',
  root: 'task',
  path: '/products/:product_id/builds/:build_id/configurations/:configuration_id/tasks',
  parent: { param: 'configuration_id', column: 'configuration_id', resource: 'configurations' },
  fields: {
    configuration_id: { type: 'uuid' },
    name: { type: 'text', required: true, sortable: true },
    minimum: { type: 'integer', min: 0 },
    /** 0 (the default): no maximum. */
    maximum: { type: 'integer', min: 0 },
    /** MiB per instance. */
    memory: { type: 'integer', min: 0 },
    label: { type: 'text' },
    /** Arguments: a list of text. */
    options: { type: 'json', acceptsJsonString: true },
    /** Container ports: a list of whole numbers from 1 to 65535. */
    ports: { type: 'json', acceptsJsonString: true },
    cron: { type: 'text' },
    /** `[{key, description, required, default, pattern}]`, keys `[A-Z0-9_]+`. */
    environment: { type: 'json', acceptsJsonString: true },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  check: (values, existing) => checkTaskFields(values, existing),
  ...belowProduct(productOf.configuration('r.configuration_id')),
};
