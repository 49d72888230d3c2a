/** `/users`: people. Their logins are identities; their deployment targets, platforms. */
import { denied } from '../../errors.js';
import { appointDefaultRoles } from '../../seed.js';
import type { ResourceDefinition } from '../definition.js';

export const users: ResourceDefinition = {
  name: 'users',
  table: 'users',
  root: 'user',
  path: '/users',
  fields: {
    name: { type: 'text', required: true, sortable: true },
    external_id: { type: 'text', sortable: true },
    salutation: { type: 'text' },
    first_name: { type: 'text', sortable: true },
    middle_name: { type: 'text' },
    last_name: { type: 'text', sortable: true },
  },
  defaultSort: 'name',
  listShape: 'envelope',
  deleteReturns: 'record',
  // Everyone may read and edit their own record; listing others needs `users.read`.
  ownerExpr: 'r.id',
  ownerVerbs: ['read', 'update'],
  afterWrite: async (row, tx, action) => {
    // The specification: every new user holds the roles marked `default`.
    if (action === 'create') await appointDefaultRoles(tx, 'User', row.id as string);
  },
  beforeDelete: (row, { caller }) => {
    // An administrator deleting themself could leave the marketplace without one.
    if (caller.user && row.id === caller.user.id) throw denied(true, 'delete yourself; ask another administrator');
  },
};
