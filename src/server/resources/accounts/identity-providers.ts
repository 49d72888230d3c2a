/**
 * `/identity_providers`: the OpenID Connect providers users sign in with. Anyone may list the
 * enabled ones (to offer a choice at sign-in); the client settings, and disabled providers, are
 * shown only to those who may read or edit them. A provider is enabled when created (an
 * administrator registers one to sign in with it) unless the body says `enabled_at: null`.
 */
import { can } from '../../auth/permissions.js';
import { invalid } from '../../errors.js';
import type { RenderContext, ResourceDefinition, Row } from '../definition.js';

export const identityProviders: ResourceDefinition = {
  name: 'identity_providers',
  table: 'identity_providers',
  root: 'identity_provider',
  path: '/identity_providers',
  fields: {
    name: { type: 'text', required: true, sortable: true },
    issuer: { type: 'text', required: true, sortable: true, maxLength: 600 },
    client_id: { type: 'text', required: true, secret: true, maxLength: 1000 },
    client_secret: { type: 'text', required: true, secret: true, maxLength: 4096 },
    alternate_client_id: { type: 'text', secret: true, maxLength: 1000 },
    scopes: { type: 'text', secret: true, maxLength: 1000 },
    enabled_at: { type: 'timestamp', secret: true },
    // Kept by the server from the provider's discovery document and key set.
    configuration: { type: 'json', secret: true, readOnly: true },
    public_keys: { type: 'json', secret: true, readOnly: true },
  },
  defaultSort: 'name',
  listShape: 'envelope',
  deleteReturns: 'record',
  jsonSuffix: true,
  // Signing in starts from this list, before anyone is signed in: the providers one can sign
  // in with, that is the enabled ones. Administrators see them all.
  publicWhere: 'r.enabled_at IS NOT NULL',
  check: checkProvider,
  embed: addRedirectUrl,
};

function checkProvider(values: Row, existing: Row | undefined): void {
  if (!existing && !('enabled_at' in values)) values.enabled_at = new Date();
  if (typeof values.issuer === 'string') {
    let url: URL | undefined;
    try {
      url = new URL(values.issuer);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.search || url.hash) {
      throw invalid('issuer', 'must be the http(s) URL of an OpenID Connect issuer, without query or fragment');
    }
    // Discovery results belong to the old issuer.
    if (existing && existing.issuer !== values.issuer) {
      values.configuration = null;
      values.public_keys = null;
    }
  }
  if ('scopes' in values && values.scopes === null) values.scopes = '';
}

/** `redirect_url`: where a browser starts signing in. Timestamps, like the settings, only for editors. */
async function addRedirectUrl(rows: Row[], { caller, origin }: RenderContext): Promise<void> {
  const editor = can(caller.permissions, 'identity_providers', 'update');
  for (const row of rows) {
    row.redirect_url = `${origin}/identity_providers/${String(row.id)}/redirect`;
    if (!editor) {
      delete row.created_at;
      delete row.updated_at;
    }
  }
}
