/** `hsp products` (alias `services`). */
import type { Product } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { productLookup, reference, userLookup } from './lookups.js';
import { productActions } from './product-actions.js';
import { productLicenseCommands } from './product-licenses.js';
import { productLogoCommands } from './product-logo.js';

export const products: NounSpec<Product> = {
  ...productLookup,
  aliases: ['services'],
  group: 'Catalogue:',
  description: 'Products (Health Services) in the catalogue',
  columns: [
    { header: 'id', value: (p) => p.id, kind: 'id' },
    { header: 'name', value: (p) => p.name },
    { header: 'mime type', value: (p) => p.mime_type },
    { header: 'published', value: (p) => p.published_at, kind: 'time' },
    { header: 'updated', value: (p) => p.updated_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.products),
  fields: [
    { name: 'name', description: 'unique name', required: true },
    { name: 'description', description: 'what it does' },
    { name: 'mime_type', description: 'e.g. application/vnd.docker+smart' },
    { name: 'uri', description: 'home page' },
    { name: 'support_url', description: 'where users get help' },
    { name: 'locale', description: 'e.g. en-US' },
    { name: 'external_id', description: 'your own identifier' },
    { name: 'user_id', flag: 'owner', description: "owner: a user's name or id (default: you)", resolve: reference(userLookup) },
  ],
  filters: [
    { name: 'published', description: 'only published (true) or unpublished (false)', type: 'bool' },
    { name: 'mime_type', description: 'only these MIME types (comma-separated)' },
    { name: 'user_id', flag: 'owner', description: "only products of this user (name or id)", resolve: reference(userLookup) },
    { name: 'name', description: 'names containing this text' },
  ],
  examples: {
    list: ['hsp products list --published --mime-type application/vnd.docker+smart', 'hsp products list --all --json | jq length'],
    show: ['hsp products show "My SMART App"'],
    create: ['hsp products create --name "My SMART App" --mime-type application/vnd.docker+smart'],
    update: ['hsp products update "My SMART App" --description "Now with dark mode"'],
    delete: ['hsp products delete "My SMART App" --yes'],
  },
  extend(noun, run) {
    productActions(noun, run, products.columns);
    productLogoCommands(noun, run);
    productLicenseCommands(noun, run);
  },
};
