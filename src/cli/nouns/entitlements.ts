/** `hsp entitlements`: product licenses acquired by users. */
import type { Entitlement } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { reference, userLookup } from './lookups.js';

export const entitlements: NounSpec<Entitlement> = {
  name: 'entitlements',
  singular: 'entitlement',
  group: 'Licensing:',
  description: "Entitlements: a product's license acquired by one user",
  index: 'whole',
  columns: [
    { header: 'id', value: (e) => e.id, kind: 'id' },
    { header: 'user id', value: (e) => e.user_id, kind: 'id' },
    { header: 'product license id', value: (e) => e.product_license_id, kind: 'id' },
    { header: 'valid from', value: (e) => e.valid_from, kind: 'time' },
  ],
  api: (client) => boundApi(client.entitlements),
  fields: [
    { name: 'user_id', flag: 'user', description: "the holder: a user's name or id", required: true, resolve: reference(userLookup) },
    { name: 'product_license_id', flag: 'product-license', description: 'the offer acquired (an id from "hsp products licenses list")', required: true },
    { name: 'valid_from', description: 'when it starts (ISO 8601)' },
  ],
  examples: {
    list: ['hsp entitlements list --json'],
    show: ['hsp entitlements show 4f7c9a2e-0d3b-4c1e-9a57-1b2c3d4e5f60'],
    create: ['hsp entitlements create --user "Dr. Smith" --product-license 4f7c9a2e-0d3b-4c1e-9a57-1b2c3d4e5f60'],
    update: ['hsp entitlements update 4f7c9a2e-0d3b-4c1e-9a57-1b2c3d4e5f60 --valid-from 2025-01-01T00:00:00Z'],
    delete: ['hsp entitlements delete 4f7c9a2e-0d3b-4c1e-9a57-1b2c3d4e5f60 --yes'],
  },
};
