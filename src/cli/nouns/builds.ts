/** `hsp builds`: a product's versions, found by version. */
import type { Build } from '../../index.js';
import { boundApi, type NounSpec } from '../resource-command.js';
import { buildAssetCommands } from './build-assets.js';
import { buildLookup, productParent } from './lookups.js';

export const builds: NounSpec<Build> = {
  ...buildLookup,
  group: 'Catalogue:',
  description: "A product's builds: the versions that can be deployed",
  parents: [productParent],
  columns: [
    { header: 'id', value: (b) => b.id, kind: 'id' },
    { header: 'version', value: (b) => b.version },
    { header: 'container', value: (b) => (b.container_repository ? `${b.container_repository}${b.container_tag ? `:${b.container_tag}` : ''}` : '') },
    { header: 'asset', value: (b) => (b.asset_available ? 'yes' : '') },
    { header: 'published', value: (b) => b.published_at, kind: 'time' },
    { header: 'updated', value: (b) => b.updated_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.builds),
  fields: [
    { name: 'version', description: 'unique per product, e.g. 1.2.0', required: true },
    { name: 'container_repository', description: 'the image, e.g. registry.example.com/acme/app' },
    { name: 'container_tag', description: 'the image tag, e.g. 1.2.0' },
    { name: 'container_digest', description: 'the image digest agents run instead of the tag, sha256:… (hsp publish records it)' },
    { name: 'release_notes', description: 'what changed' },
    { name: 'permissions', type: 'json', description: 'what it needs from a platform, as a JSON object' },
    { name: 'validated_at', description: 'when it passed validation (ISO 8601)' },
  ],
  examples: {
    list: ['hsp builds list --product "My SMART App"'],
    show: ['hsp builds show 1.2.0 --product "My SMART App"'],
    create: ['hsp builds create --product "My SMART App" --version 1.2.0 --container-repository ghcr.io/acme/app --container-tag 1.2.0'],
    update: ['hsp builds update 1.2.0 --product "My SMART App" --release-notes "Fixes the login loop"'],
    delete: ['hsp builds delete 1.2.0 --product "My SMART App" --yes'],
  },
  extend: buildAssetCommands,
};
