/**
 * Routes for signing in and out, and for identity providers beyond CRUD:
 *
 *   GET  /identity_providers/:id/redirect?redirect_uri=http://127.0.0.1:<port>/<path>  → 302 to the provider
 *                                             (or redirect_uri=<a page of the Marketplace UI>)
 *   POST /sessions {provider_id, redirect_uri}                                         → the same (the spec's form)
 *   GET  /sessions?code&state   (the provider's callback)  → 302 to a loopback redirect_uri?jwt=…,
 *                               a UI page's redirect_uri#jwt=…, MARKETPLACE_UI_URL?jwt=…, or JSON
 *   DELETE /sessions            → revokes the caller's marketplace token
 *   POST /identity_providers/:id/enable | /disable
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  authorizationUrl,
  codeVerifier,
  exchangeCode,
  fetchUserInfo,
  clientRedirectUri,
  newNonce,
  readState,
  signState,
  type LoginState,
} from '../auth/browser-login.js';
import { providerDirectory } from '../auth/identity-providers.js';
import { can } from '../auth/permissions.js';
import { disabledProvider, isEnabled, userForClaims } from '../auth/provider-users.js';
import { issueToken, revokeToken } from '../auth/tokens.js';
import type { ServerContext } from '../context.js';
import { badRequest, denied, HttpError, notFound } from '../errors.js';
import { UUID_PATTERN, type Row } from '../resources/definition.js';
import { UI_PATH } from '../ui.js';
import { originOf, render } from './crud.js';

/** Browser-facing: a browser asks for HTML, and must still be answered. */
const browser = { config: { anyAccept: true } } as const;

export function registerAccountRoutes(app: FastifyInstance, context: ServerContext): void {
  const directory = providerDirectory(context.db);

  /** Starts a browser sign-in with provider `id`. */
  const startLogin = async (req: FastifyRequest, reply: FastifyReply, id: unknown, redirectUri: unknown) => {
    if (typeof id !== 'string' || !UUID_PATTERN.test(id)) throw notFound(`No identity provider with id ${JSON.stringify(id ?? null)}.`);
    const provider = await directory.byId(id.toLowerCase());
    if (!provider) throw notFound(`No identity provider with id ${id}.`);
    if (!isEnabled(provider)) throw disabledProvider(403, provider);
    const origin = originOf(req);
    const client = clientRedirectUri(redirectUri, { ownOrigin: context.servesUi ? origin : undefined, uiPath: UI_PATH, uiUrl: context.config.uiUrl });
    const discovery = await directory.discover(provider);
    const login: LoginState = { providerId: provider.id, clientRedirect: client?.href, fragment: client?.fragment, callback: `${origin}/sessions`, nonce: newNonce() };
    const state = await signState(context.secret, login);
    const location = authorizationUrl(discovery, provider, state, login, codeVerifier(context.secret, login.nonce));
    return reply.header('cache-control', 'no-store').redirect(location, 302);
  };

  app.get('/identity_providers/:id/redirect', browser, async (req, reply) => {
    const { id } = req.params as { id: string };
    return startLogin(req, reply, id, (req.query as Record<string, unknown>).redirect_uri);
  });

  app.post('/sessions', browser, async (req, reply) => {
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    const query = req.query as Record<string, unknown>;
    const providerId = body.provider_id ?? query.provider_id;
    if (providerId === undefined) throw badRequest('provider_id is required: the identity provider to sign in with.');
    return startLogin(req, reply, providerId, body.redirect_uri ?? query.redirect_uri);
  });

  /** The provider sends the browser back here with a code (or an error). */
  app.get('/sessions', browser, async (req, reply) => {
    const query = req.query as Record<string, unknown>;
    if (query.error !== undefined) {
      const said = clean(query.error_description) ?? clean(query.error) ?? 'unknown error';
      throw badRequest(`The identity provider did not sign you in: ${said}.`);
    }
    if (typeof query.code !== 'string' || !query.code || typeof query.state !== 'string' || !query.state) {
      throw badRequest('This is where an identity provider returns after sign-in; start at /identity_providers/<id>/redirect.');
    }
    const login = await readState(context.secret, query.state);
    const provider = await directory.byId(login.providerId);
    if (!provider) throw badRequest('The identity provider of this sign-in no longer exists.');
    // Disabled while the user was at the provider: the code is not even redeemed.
    if (!isEnabled(provider)) throw disabledProvider(403, provider);
    const discovery = await directory.discover(provider);

    const tokens = await exchangeCode(discovery, provider, query.code, login, codeVerifier(context.secret, login.nonce));
    if (!tokens.id_token) throw new HttpError(502, `The identity provider "${provider.name}" returned no ID token; its scopes must include openid.`);
    const claims: Record<string, unknown> = { ...(await directory.verify(provider, tokens.id_token, { nonce: login.nonce })) };
    if (tokens.access_token) {
      const info = await fetchUserInfo(discovery, tokens.access_token);
      // Only for the same subject (OpenID Connect Core §5.3.2); the ID token's own claims win.
      if (info && info.sub === claims.sub) for (const [key, value] of Object.entries(info)) if (!(key in claims)) claims[key] = value;
    }
    const { userId, identityId } = await userForClaims(context.db, provider, claims, { refresh: true });
    const { token } = await issueToken(context.db, context.secret, { userId, identityId }, context.config.tokenTtlSeconds);

    reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    const target = login.clientRedirect ?? context.config.uiUrl;
    if (!target) return { jwt: token, authorization: `Bearer ${token}` };
    const url = new URL(target);
    // A UI page keeps its own query (its `ui_state`, checked by the page) and reads the token from the fragment.
    if (login.clientRedirect && login.fragment) url.hash = `jwt=${token}`;
    else url.searchParams.set('jwt', token);
    return reply.redirect(url.href, 302);
  });

  app.delete('/sessions', async (req) => {
    // A provider's own token cannot be revoked here; only marketplace tokens have a row.
    if (req.caller.tokenId) await revokeToken(context.db, req.caller.tokenId);
    return { message: 'Logged out.' };
  });

  const setEnabled = (enabled: boolean) => async (req: FastifyRequest) => {
    const caller = req.caller;
    const what = `${enabled ? 'enable' : 'disable'} identity providers`;
    if (!caller.user) throw denied(false, what);
    if (!can(caller.permissions, 'identity_providers', 'update')) throw denied(true, what);
    const { id } = req.params as { id: string };
    if (!UUID_PATTERN.test(id)) throw notFound(`No identity provider with id ${JSON.stringify(id)}.`);
    const definition = context.resources.get('identity_providers');
    const columns = ['id', ...Object.keys(definition.fields), 'created_at', 'updated_at'].join(', ');
    // Enabling twice keeps the first time it was enabled.
    const { rows } = await context.db.query<Row>(
      `UPDATE identity_providers SET enabled_at = ${enabled ? 'COALESCE(enabled_at, now())' : 'NULL'}, updated_at = now() WHERE id = $1 RETURNING ${columns}`,
      [id.toLowerCase()],
    );
    if (!rows[0]) throw notFound(`No identity provider with id ${id}.`);
    return (await render(context, definition, rows, req, {}))[0];
  };
  app.post('/identity_providers/:id/enable', setEnabled(true));
  app.post('/identity_providers/:id/disable', setEnabled(false));
}

/** A provider's error text, shortened and stripped of control characters, for our one sentence. */
function clean(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const text = value.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().replace(/[.\s]+$/, '');
  return text ? text.slice(0, 200) : undefined;
}
