/** `hsp dependencies`: the interfaces a build needs from other products, found by the interface's name. */
import type { Dependency } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { buildParent, byInterface, interfaceLookup, productParent, reference } from './lookups.js';

export const dependencies: NounSpec<Dependency> = {
  name: 'dependencies',
  singular: 'dependency',
  nameIs: 'interface',
  findByName: byInterface<Dependency>((client, [productId, buildId]) => client.dependencies.list(productId!, buildId!)),
  group: 'Catalogue:',
  description: "A build's dependencies: the interfaces it needs from other products on the platform",
  parents: [productParent, buildParent],
  index: 'whole',
  columns: [
    { header: 'id', value: (d) => d.id, kind: 'id' },
    { header: 'interface id', value: (d) => d.interface_id, kind: 'id' },
    { header: 'mappings', value: (d) => d.mappings },
    { header: 'updated', value: (d) => d.updated_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.dependencies),
  fields: [
    { name: 'interface_id', flag: 'interface', description: 'the interface needed: name or id', required: true, resolve: reference(interfaceLookup) },
    { name: 'mappings', type: 'json', description: 'the variables the build gets from the provider, as a JSON object {"NAME": "source"}: a source is a parameter of its exposure, url, host, port, or a template such as "http://{host}:{port}/fhir"' },
  ],
  examples: {
    list: ['hsp dependencies list --product "My SMART App" --build 1.2.0'],
    show: ['hsp dependencies show "FHIR R4" --product "My SMART App" --build 1.2.0'],
    create: ['hsp dependencies create --product "My SMART App" --build 1.2.0 --interface "FHIR R4" --mappings \'{"FHIR_BASE_URL":"url"}\''],
    update: ['hsp dependencies update "FHIR R4" --product "My SMART App" --build 1.2.0 --mappings \'{}\''],
    delete: ['hsp dependencies delete "FHIR R4" --product "My SMART App" --build 1.2.0 --yes'],
  },
};
