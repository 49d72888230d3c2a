/** `/users/:user_id/identities`: a user's logins, one per identity provider (`sub` unique per provider). */
import type { ResourceDefinition } from '../definition.js';
import { requireJsonObject } from './json-object.js';

export const identities: ResourceDefinition = {
  name: 'identities',
  table: 'identities',
  root: 'identity',
  path: '/users/:user_id/identities',
  parent: { param: 'user_id', column: 'user_id', resource: 'users' },
  fields: {
    user_id: { type: 'uuid' },
    identity_provider_id: { type: 'uuid', required: true },
    sub: { type: 'text', required: true, sortable: true },
    iat: { type: 'integer', min: 0 },
    hd: { type: 'text' },
    locale: { type: 'text' },
    email: { type: 'text', sortable: true },
    jwt: { type: 'json', acceptsJsonString: true, filterable: false },
    notify_via_email: { type: 'boolean' },
    notify_via_sms: { type: 'boolean' },
  },
  defaultSort: 'created_at',
  listShape: 'envelope',
  deleteReturns: 'record',
  // Identities are part of a user's account: managing them is managing users.
  permission: 'users',
  ownerExpr: 'r.user_id',
  // Users see and may drop their own logins, but never create or edit one: claiming someone
  // else's `sub` would sign that person into this account.
  ownerVerbs: ['read', 'delete'],
  check: (values) => requireJsonObject(values, 'jwt'),
};
