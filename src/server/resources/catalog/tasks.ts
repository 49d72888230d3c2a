/**
 * `/products/:product_id/builds/:build_id/configurations/:configuration_id/tasks`: the
 * processes of a configuration, with the reference server's fields and the specification's.
 */
import type { ResourceDefinition } from '../definition.js';
import { belowProduct, productOf } from './access.js';

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
    maximum: { type: 'integer', min: 0 },
    /** MiB per instance. */
    memory: { type: 'integer', min: 0 },
    label: { type: 'text' },
    options: { type: 'json', acceptsJsonString: true },
    ports: { type: 'json', acceptsJsonString: true },
    cron: { type: 'text' },
    environment: { type: 'json', acceptsJsonString: true },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  ...belowProduct(productOf.configuration('r.configuration_id')),
};
