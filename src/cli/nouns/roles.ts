/** `hsp roles`: permission sets appointed to users and groups, found by name. */
import type { Role } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { matching } from './lookups.js';

export const roles: NounSpec<Role> = {
  name: 'roles',
  singular: 'role',
  findByName: matching<Role>('name', (client) => client.roles.list({ perPage: 100 })),
  group: 'Administration:',
  description: 'Roles: permission sets held by users and groups',
  columns: [
    { header: 'id', value: (r) => r.id, kind: 'id' },
    { header: 'name', value: (r) => r.name },
    { header: 'default', value: (r) => (r.default ? 'yes' : '') },
    { header: 'description', value: (r) => r.description },
  ],
  api: (client) => boundApi(client.roles),
  fields: [
    { name: 'name', description: 'unique name', required: true },
    { name: 'description', description: 'what it allows' },
    { name: 'default', type: 'bool', description: 'given to every new user' },
    { name: 'permissions', type: 'json', description: 'a JSON object of {"noun": {"verb": true|false}}' },
  ],
  filters: [{ name: 'default', type: 'bool', description: 'only default (true) or other (false) roles' }],
  examples: {
    list: ['hsp roles list'],
    show: ['hsp roles show Editor'],
    create: ['hsp roles create --name Publisher --permissions \'{"products": {"read": true, "publish": true}}\''],
    update: ['hsp roles update Publisher --description "May publish products"'],
    delete: ['hsp roles delete Publisher --yes'],
  },
};
