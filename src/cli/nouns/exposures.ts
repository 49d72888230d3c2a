/** `hsp exposures`: the interfaces a build offers, found by the interface's name. */
import type { Exposure } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { buildParent, exposureLookup, interfaceLookup, productParent, reference } from './lookups.js';

export const exposures: NounSpec<Exposure> = {
  ...exposureLookup,
  group: 'Catalogue:',
  description: "A build's exposures: the interfaces it offers to others (e.g. FHIR R4)",
  parents: [productParent, buildParent],
  index: 'whole',
  columns: [
    { header: 'id', value: (e) => e.id, kind: 'id' },
    { header: 'interface id', value: (e) => e.interface_id, kind: 'id' },
    { header: 'updated', value: (e) => e.updated_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.exposures),
  fields: [{ name: 'interface_id', flag: 'interface', description: 'the interface offered: name or id', required: true, resolve: reference(interfaceLookup) }],
  examples: {
    list: ['hsp exposures list --product "My SMART App" --build 1.2.0'],
    show: ['hsp exposures show "FHIR R4" --product "My SMART App" --build 1.2.0'],
    create: ['hsp exposures create --product "My SMART App" --build 1.2.0 --interface "FHIR R4"'],
    update: ['hsp exposures update "FHIR R4" --product "My SMART App" --build 1.2.0 --interface "FHIR R5"'],
    delete: ['hsp exposures delete "FHIR R4" --product "My SMART App" --build 1.2.0 --yes'],
  },
};
