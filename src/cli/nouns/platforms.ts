/** `hsp platforms`: a user's deployment targets (yours unless `--user`), found by name. */
import type { Platform } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { platformLookup, userParent } from './lookups.js';
import { platformEventsCommand } from './platform-events.js';

export const platforms: NounSpec<Platform> = {
  ...platformLookup,
  group: 'Deployment:',
  description: 'Platforms: hosts or clusters where builds run, each with an agent',
  parents: [userParent],
  columns: [
    { header: 'id', value: (p) => p.id, kind: 'id' },
    { header: 'name', value: (p) => p.name },
    { header: 'agent key', value: (p) => (p.public_key ? 'yes' : '') },
    { header: 'updated', value: (p) => p.updated_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.platforms),
  fields: [
    { name: 'name', description: 'unique per user', required: true },
    { name: 'public_key', description: "the platform agent's public key (PEM or OpenSSH)" },
  ],
  examples: {
    list: ['hsp platforms list', 'hsp platforms list --user "Dr. Smith"'],
    show: ['hsp platforms show lab'],
    create: ['hsp platforms create --name lab --public-key "$(cat agent.pub)"'],
    update: ['hsp platforms update lab --name lab-2'],
    delete: ['hsp platforms delete lab --yes'],
  },
  extend: platformEventsCommand,
};
