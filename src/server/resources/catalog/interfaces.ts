/** `/interfaces`: standards builds expose and depend on (FHIR R4, CDS Hooks, ...). */
import type { ResourceDefinition } from '../definition.js';
import { PUBLIC_READ } from './access.js';

export const interfaces: ResourceDefinition = {
  name: 'interfaces',
  table: 'interfaces',
  root: 'interface',
  path: '/interfaces',
  fields: {
    name: { type: 'text', required: true, sortable: true },
    uri: { type: 'text', required: true, sortable: true, maxLength: 600 },
    version: { type: 'text', required: true, sortable: true },
    ordinal: { type: 'integer', sortable: true },
  },
  defaultSort: 'name',
  listShape: 'envelope',
  deleteReturns: 'nothing',
  ...PUBLIC_READ,
};
