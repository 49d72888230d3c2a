/** `/interfaces/:interface_id/surrogates`: interfaces that may stand in for this one. */
import { invalid } from '../../errors.js';
import type { ResourceDefinition } from '../definition.js';
import { PUBLIC_READ } from './access.js';

export const surrogates: ResourceDefinition = {
  name: 'surrogates',
  table: 'surrogates',
  root: 'surrogate',
  path: '/interfaces/:interface_id/surrogates',
  parent: { param: 'interface_id', column: 'interface_id', resource: 'interfaces' },
  fields: {
    interface_id: { type: 'uuid' },
    substitute_id: { type: 'uuid', required: true },
  },
  defaultSort: 'created_at',
  listShape: 'array',
  deleteReturns: 'nothing',
  ...PUBLIC_READ,
  check(values, existing) {
    const substitute = values.substitute_id ?? existing?.substitute_id;
    if (substitute === (values.interface_id ?? existing?.interface_id)) throw invalid('substitute_id', "can't be the interface itself");
  },
};
