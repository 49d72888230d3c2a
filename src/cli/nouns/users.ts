/** `hsp users`: people, found by name. */
import type { User } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { userLookup } from './lookups.js';

export const users: NounSpec<User> = {
  ...userLookup,
  group: 'Administration:',
  description: 'Users: people, with their roles and platforms',
  columns: [
    { header: 'id', value: (u) => u.id, kind: 'id' },
    { header: 'name', value: (u) => u.name },
    { header: 'full name', value: (u) => [u.first_name, u.middle_name, u.last_name].filter(Boolean).join(' ') },
    { header: 'external id', value: (u) => u.external_id },
    { header: 'updated', value: (u) => u.updated_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.users),
  fields: [
    { name: 'name', description: 'display name', required: true },
    { name: 'external_id', description: 'your own identifier' },
    { name: 'salutation', description: 'e.g. Dr.' },
    { name: 'first_name', description: 'given name' },
    { name: 'middle_name', description: 'middle name' },
    { name: 'last_name', description: 'family name' },
  ],
  filters: [
    { name: 'name', description: 'names containing this text' },
    { name: 'external_id', description: 'this external id' },
  ],
  examples: {
    list: ['hsp users list --name smith'],
    show: ['hsp users show "Dr. Smith"'],
    create: ['hsp users create --name "Dr. Smith" --first-name Jane --last-name Smith'],
    update: ['hsp users update "Dr. Smith" --external-id emp-1042'],
    delete: ['hsp users delete "Dr. Smith" --yes'],
  },
};
