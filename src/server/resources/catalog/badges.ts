/** `/badges`: labels products can carry. */
import type { ResourceDefinition } from '../definition.js';
import { PUBLIC_READ } from './access.js';

export const badges: ResourceDefinition = {
  name: 'badges',
  table: 'badges',
  root: 'badge',
  path: '/badges',
  fields: {
    name: { type: 'text', required: true, sortable: true },
    description: { type: 'text', sortable: true, maxLength: 10_000 },
  },
  defaultSort: 'name',
  listShape: 'array',
  deleteReturns: 'nothing',
  ...PUBLIC_READ,
};
