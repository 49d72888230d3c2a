/** `hsp identity-providers`: the OpenID Connect providers users sign in with, found by name; `enable` and `disable`. */
import type { IdentityProvider } from '../../index.js';
import { boundApi, recordAction, type NounSpec } from '../resource-command.js';
import { matching } from './lookups.js';

export const identityProviders: NounSpec<IdentityProvider & { id: string }> = {
  name: 'identity-providers',
  singular: 'identity provider',
  findByName: matching<IdentityProvider>('name', (client) => client.identityProviders.list({ perPage: 100 })),
  group: 'Administration:',
  description: 'Identity providers: the OpenID Connect services users sign in with',
  columns: [
    { header: 'id', value: (p) => p.id, kind: 'id' },
    { header: 'name', value: (p) => p.name },
    { header: 'issuer', value: (p) => p.issuer },
    { header: 'enabled', value: (p) => p.enabled_at, kind: 'time' },
  ],
  api: (client) => boundApi(client.identityProviders),
  fields: [
    { name: 'name', description: 'unique name shown at sign-in', required: true },
    { name: 'issuer', description: 'the OpenID Connect issuer URL (unique)', required: true },
    { name: 'client_id', description: "the marketplace's OAuth client id there", required: true },
    { name: 'client_secret', description: 'its OAuth client secret', required: true },
    { name: 'alternate_client_id', description: 'another accepted token audience' },
    { name: 'scopes', description: 'e.g. "openid email profile"' },
  ],
  examples: {
    list: ['hsp identity-providers list'],
    show: ['hsp identity-providers show Keycloak'],
    create: ['hsp identity-providers create --name Keycloak --issuer https://id.example.org/realms/hsp --client-id marketplace --client-secret "$SECRET"'],
    update: ['hsp identity-providers update Keycloak --scopes "openid email profile"'],
    delete: ['hsp identity-providers delete Keycloak --yes'],
  },
  extend(noun, run) {
    for (const enabled of [true, false]) {
      const name = enabled ? 'enable' : 'disable';
      noun.addCommand(
        recordAction<IdentityProvider>(
          {
            name,
            description: enabled ? 'Let users sign in with this provider again' : 'Stop sign-ins with this provider (its tokens, and sessions begun with it, stop working)',
            lookup: identityProviders,
            examples: [`hsp identity-providers ${name} Keycloak`],
            act: (client, id) => (enabled ? client.identityProviders.enable(id) : client.identityProviders.disable(id)),
            done: (provider) => `${enabled ? 'Enabled' : 'Disabled'} identity provider "${provider.name}"`,
          },
          run,
        ),
      );
    }
  },
};
