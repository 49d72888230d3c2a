/** `/users/:user_id/platforms`: a user's deployment targets (name unique per user). Owners manage their own. */
import type { ResourceDefinition } from '../definition.js';

export const platforms: ResourceDefinition = {
  name: 'platforms',
  table: 'platforms',
  root: 'platform',
  path: '/users/:user_id/platforms',
  parent: { param: 'user_id', column: 'user_id', resource: 'users' },
  fields: {
    name: { type: 'text', required: true, sortable: true },
    user_id: { type: 'uuid' },
    public_key: { type: 'text', filterable: false, maxLength: 16_384 },
  },
  defaultSort: 'name',
  listShape: 'envelope',
  deleteReturns: 'record',
  jsonSuffix: true,
  ownerExpr: 'r.user_id',
  ownerVerbs: ['read', 'create', 'update', 'delete'],
  // From the URL: a platform under another user's path is one handed to that user.
  ownerField: 'user_id',
};
