/** `hsp licenses`: the usage terms products are offered under, found by name. */
import type { License } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { licenseLookup } from './lookups.js';

export const licenses: NounSpec<License> = {
  ...licenseLookup,
  group: 'Licensing:',
  description: 'Licenses: usage terms products are offered under (see "hsp products licenses")',
  columns: [
    { header: 'id', value: (l) => l.id, kind: 'id' },
    { header: 'name', value: (l) => l.name },
    { header: 'url', value: (l) => l.url },
    { header: 'expiry', value: (l) => l.expiry },
  ],
  api: (client) => boundApi(client.licenses),
  fields: [
    { name: 'name', description: 'unique name', required: true },
    { name: 'url', description: "the license text's URL (unique)", required: true },
    { name: 'description', description: 'in a few words' },
    { name: 'expiry', description: 'how entitlements under it end', choices: ['indefinite', 'relative_date', 'absolute_date'] },
    { name: 'days_valid', type: 'int', description: 'with relative_date: days an entitlement lasts' },
    { name: 'expires_at', description: 'with absolute_date: the day it ends (ISO 8601)' },
    { name: 'uses', type: 'int', description: 'uses an entitlement allows (0: unlimited)' },
    { name: 'external_id', description: 'your own identifier' },
  ],
  examples: {
    list: ['hsp licenses list'],
    show: ['hsp licenses show MIT'],
    create: ['hsp licenses create --name "Site license" --url https://example.com/site-license --expiry relative_date --days-valid 365'],
    update: ['hsp licenses update "Site license" --uses 10'],
    delete: ['hsp licenses delete "Site license" --yes'],
  },
};
