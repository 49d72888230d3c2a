/** `hsp interfaces`: the standards builds expose and depend on, found by name. */
import type { Interface } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { interfaceLookup } from './lookups.js';

export const interfaces: NounSpec<Interface> = {
  ...interfaceLookup,
  group: 'Administration:',
  description: 'Interfaces: standards builds expose and depend on (FHIR R4, CDS Hooks…)',
  columns: [
    { header: 'id', value: (i) => i.id, kind: 'id' },
    { header: 'name', value: (i) => i.name },
    { header: 'version', value: (i) => i.version },
    { header: 'uri', value: (i) => i.uri },
  ],
  api: (client) => boundApi(client.interfaces),
  fields: [
    { name: 'name', description: 'unique name, e.g. FHIR R4', required: true },
    { name: 'uri', description: 'unique identifier, e.g. http://hl7.org/fhir/R4', required: true },
    { name: 'version', description: 'e.g. 4.0.1', required: true },
    { name: 'ordinal', type: 'int', description: 'display order' },
  ],
  examples: {
    list: ['hsp interfaces list --sort name'],
    show: ['hsp interfaces show "FHIR R4"'],
    create: ['hsp interfaces create --name "FHIR R4" --uri http://hl7.org/fhir/R4 --version 4.0.1'],
    update: ['hsp interfaces update "FHIR R4" --ordinal 1'],
    delete: ['hsp interfaces delete "FHIR R4" --yes'],
  },
};
