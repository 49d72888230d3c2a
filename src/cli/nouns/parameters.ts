/** `hsp parameters`: the settings an exposure needs at launch. */
import type { Parameter } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { buildParent, exposureParent, matching, productParent } from './lookups.js';

export const parameters: NounSpec<Parameter> = {
  name: 'parameters',
  singular: 'parameter',
  findByName: matching<Parameter>('name', (client, [productId, buildId, exposureId]) => client.parameters.list(productId!, buildId!, exposureId!)),
  group: 'Catalogue:',
  description: "An exposure's parameters: settings it needs at launch (e.g. FHIR_BASE_URL)",
  parents: [productParent, buildParent, exposureParent],
  index: 'whole',
  columns: [
    { header: 'id', value: (p) => p.id, kind: 'id' },
    { header: 'name', value: (p) => p.name },
    { header: 'required', value: (p) => (p.required ? 'yes' : 'no') },
  ],
  api: (client) => boundApi(client.parameters),
  fields: [
    { name: 'name', description: 'e.g. FHIR_BASE_URL', required: true },
    { name: 'required', type: 'bool', description: 'must be set at launch' },
  ],
  examples: {
    list: ['hsp parameters list --product "My SMART App" --build 1.2.0 --exposure "FHIR R4"'],
    show: ['hsp parameters show FHIR_BASE_URL --product "My SMART App" --build 1.2.0 --exposure "FHIR R4"'],
    create: ['hsp parameters create --product "My SMART App" --build 1.2.0 --exposure "FHIR R4" --name FHIR_BASE_URL --required'],
    update: ['hsp parameters update FHIR_BASE_URL --product "My SMART App" --build 1.2.0 --exposure "FHIR R4" --required false'],
    delete: ['hsp parameters delete FHIR_BASE_URL --product "My SMART App" --build 1.2.0 --exposure "FHIR R4" --yes'],
  },
};
