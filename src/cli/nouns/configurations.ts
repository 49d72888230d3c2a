/** `hsp configurations`: named ways to run a build. */
import type { Configuration } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { buildParent, configurationLookup, productParent } from './lookups.js';

export const configurations: NounSpec<Configuration> = {
  ...configurationLookup,
  group: 'Catalogue:',
  description: "A build's configurations: named ways to run it (their tasks say what runs)",
  parents: [productParent, buildParent],
  index: 'whole',
  columns: [
    { header: 'id', value: (c) => c.id, kind: 'id' },
    { header: 'name', value: (c) => c.name },
    { header: 'updated', value: (c) => c.updated_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.configurations, { listTakesNoParams: true }),
  fields: [{ name: 'name', description: 'unique per build, e.g. default', required: true }],
  examples: {
    list: ['hsp configurations list --product "My SMART App" --build 1.2.0'],
    show: ['hsp configurations show default --product "My SMART App" --build 1.2.0'],
    create: ['hsp configurations create --product "My SMART App" --build 1.2.0 --name default'],
    update: ['hsp configurations update default --product "My SMART App" --build 1.2.0 --name standard'],
    delete: ['hsp configurations delete default --product "My SMART App" --build 1.2.0 --yes'],
  },
};
