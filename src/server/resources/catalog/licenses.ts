/** `/licenses`: global usage terms products are offered under. */
import type { ResourceDefinition } from '../definition.js';
import { PUBLIC_READ } from './access.js';

export const licenses: ResourceDefinition = {
  name: 'licenses',
  table: 'licenses',
  root: 'license',
  path: '/licenses',
  fields: {
    name: { type: 'text', required: true, sortable: true },
    // The licence text's URL, not a self link: records keep it and link themselves by `path`.
    url: { type: 'text', required: true, sortable: true, maxLength: 600 },
    description: { type: 'text', maxLength: 100_000 },
    expiry: { type: 'text', enum: ['indefinite', 'relative_date', 'absolute_date'] },
    expires_at: { type: 'timestamp', sortable: true },
    days_valid: { type: 'integer', min: 0 },
    uses: { type: 'integer', min: 0 },
    external_id: { type: 'text', sortable: true },
  },
  defaultSort: 'name',
  listShape: 'envelope',
  deleteReturns: 'record',
  ...PUBLIC_READ,
};
