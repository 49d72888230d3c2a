/** `/groups`: named sets of users that hold roles together (see members and appointments). */
import { badRequest } from '../../errors.js';
import { UUID_PATTERN, type ResourceDefinition } from '../definition.js';

export const groups: ResourceDefinition = {
  name: 'groups',
  table: 'groups',
  root: 'group',
  path: '/groups',
  fields: {
    name: { type: 'text', required: true, sortable: true },
    description: { type: 'text', sortable: true, maxLength: 10_000 },
  },
  defaultSort: 'name',
  listShape: 'envelope',
  deleteReturns: 'nothing',
  filters: {
    // `?role=<role id>`: the groups holding that role (works on the reference server too).
    role: (value, sql) => {
      if (!UUID_PATTERN.test(value)) throw badRequest('The role filter must be a role id (a UUID).');
      return `EXISTS (SELECT 1 FROM appointments a WHERE a.entity_type = 'Group' AND a.entity_id = r.id AND a.role_id = ${sql.add(value)})`;
    },
  },
};
