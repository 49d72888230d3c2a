/** `hsp groups`: sets of users that hold roles together, found by name. */
import type { Group } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { matching } from './lookups.js';

export const groups: NounSpec<Group> = {
  name: 'groups',
  singular: 'group',
  findByName: matching<Group>('name', (client) => client.groups.list({ perPage: 100 })),
  group: 'Administration:',
  description: 'Groups: sets of users that hold roles together',
  columns: [
    { header: 'id', value: (g) => g.id, kind: 'id' },
    { header: 'name', value: (g) => g.name },
    { header: 'description', value: (g) => g.description },
    { header: 'updated', value: (g) => g.updated_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.groups),
  fields: [
    { name: 'name', description: 'unique name', required: true },
    { name: 'description', description: 'who is in it' },
  ],
  examples: {
    list: ['hsp groups list'],
    show: ['hsp groups show Cardiology'],
    create: ['hsp groups create --name Cardiology --description "The cardiology department"'],
    update: ['hsp groups update Cardiology --description "Cardiology and vascular"'],
    delete: ['hsp groups delete Cardiology --yes'],
  },
};
