/** `hsp screenshots`: a product's screenshots, found by caption. */
import type { Screenshot } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { matching, productParent } from './lookups.js';

export const screenshots: NounSpec<Screenshot> = {
  name: 'screenshots',
  singular: 'screenshot',
  nameIs: 'caption',
  findByName: matching<Screenshot>('caption', (client, [productId]) => client.screenshots.list(productId!)),
  group: 'Catalogue:',
  description: "A product's screenshots (captioned images)",
  parents: [productParent],
  columns: [
    { header: 'id', value: (s) => s.id, kind: 'id' },
    { header: 'caption', value: (s) => s.caption },
    { header: 'image', value: (s) => s.image_content_type ?? (s.image_updated_at ? 'yes' : '') },
    { header: 'updated', value: (s) => s.updated_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.screenshots, { listTakesNoParams: true }),
  fields: [
    { name: 'caption', description: 'unique per product', required: true },
    { name: 'image', type: 'file', description: 'the image file (PNG, JPEG, GIF, WebP)' },
  ],
  examples: {
    list: ['hsp screenshots list --product "My SMART App"'],
    show: ['hsp screenshots show "Patient view" --product "My SMART App"'],
    create: ['hsp screenshots create --product "My SMART App" --caption "Patient view" --image ./patient.png'],
    update: ['hsp screenshots update "Patient view" --product "My SMART App" --image ./patient-v2.png'],
    delete: ['hsp screenshots delete "Patient view" --product "My SMART App" --yes'],
  },
};
